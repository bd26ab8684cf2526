"""Image URLs for providers that need bytes: data URLs decoded, web URLs fetched only under the provider's policy."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from aigw_fakeprovider import RunningFakeProvider, ServerSettings, running_fake_provider
from aigw_fakeprovider.images import png_for
from aigw_router.adapters._images import ImageFetcher, parse_data_url
from aigw_runtime.config import ImageFetchConfig
from aigw_runtime.errors import InvalidRequestError

PNG = png_for("cat")
OPEN = ImageFetchConfig(allow_http=True, allow_private_addresses=True)


def _fetcher(handler: Callable[[httpx.Request], httpx.Response]) -> ImageFetcher:
    return ImageFetcher(httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def _refusal(fetcher: ImageFetcher, url: str, policy: ImageFetchConfig = OPEN) -> str:
    with pytest.raises(InvalidRequestError) as refused:
        await fetcher.load(url, policy, param="messages[0].content[1].image_url.url")
    assert refused.value.status == 400 and refused.value.param == "messages[0].content[1].image_url.url"
    assert refused.value.code == "invalid_image_url"
    return refused.value.message


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[RunningFakeProvider]:
    async with running_fake_provider(ServerSettings(port=0)) as running:
        yield running


def test_a_base64_data_url_is_decoded_without_any_fetch() -> None:
    image = parse_data_url("data:image/png;base64," + base64.b64encode(PNG).decode())

    assert image is not None and image.media_type == "image/png" and image.data == PNG
    assert parse_data_url("https://example.com/cat.png") is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("data:image/png,notbase64", "data:image/<type>;base64"),
        ("data:image/svg+xml;base64,PHN2Zz4=", "Unsupported image type"),
        ("data:image/png;base64,%%%", "valid base64"),
    ],
)
def test_a_malformed_or_unsupported_data_url_is_a_400(url: str, says: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_data_url(url, param="image")

    assert says in refused.value.message


async def test_a_web_image_is_fetched_when_the_policy_allows_its_address(fake: RunningFakeProvider) -> None:
    fetcher = ImageFetcher(httpx.AsyncClient())

    image = await fetcher.load(f"{fake.url}/_fake/images/cat.png", OPEN)

    assert image.media_type == "image/png" and image.data == PNG


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "[::1]", "0.0.0.0", "localhost"],
)
async def test_private_loopback_and_metadata_addresses_are_refused_by_default(host: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing is fetched from a private address")

    message = await _refusal(
        _fetcher(handler), f"https://{host}/cat.png", ImageFetchConfig(allow_private_addresses=False)
    )

    assert "not a public address" in message


async def test_plain_http_and_other_schemes_are_refused_unless_allowed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing is fetched")

    fetcher = _fetcher(handler)
    https_only = ImageFetchConfig(allow_private_addresses=True)

    assert "https" in await _refusal(fetcher, "http://images.example/cat.png", https_only)
    assert "https URL or a base64 data URL" in await _refusal(fetcher, "file:///etc/passwd", OPEN)
    assert "https URL or a base64 data URL" in await _refusal(fetcher, "ftp://images.example/cat.png", OPEN)


async def test_an_image_larger_than_the_limit_is_refused() -> None:
    fetcher = _fetcher(
        lambda request: httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )
    small = ImageFetchConfig(allow_http=True, allow_private_addresses=True, max_bytes=len(PNG) - 1)

    assert f"larger than {len(PNG) - 1} bytes" in await _refusal(fetcher, "http://images.test/cat.png", small)
    assert (await fetcher.load("http://images.test/cat.png", OPEN)).data == PNG


async def test_an_image_that_does_not_come_in_time_is_refused() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1)
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

    fetcher = ImageFetcher(httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    hurried = ImageFetchConfig(allow_http=True, allow_private_addresses=True, timeout_s=0.05)

    assert "timed out" in await _refusal(fetcher, "http://images.test/cat.png", hurried)


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(404), "HTTP 404"),
        (httpx.Response(302, headers={"location": "http://10.0.0.1/cat.png"}), "HTTP 302"),
        (httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"}), "text/html"),
    ],
)
async def test_a_failed_redirected_or_non_image_answer_is_refused(
    response: httpx.Response, says: str
) -> None:
    assert says in await _refusal(_fetcher(lambda request: response), "http://images.test/cat.png")
