"""Images in requests: base64 data URLs decoded, other URLs fetched, safely, for providers that need bytes.

Fetching follows the provider's `image_fetch` policy: https only, no private,
loopback, link-local or reserved addresses, a size limit and a timeout, unless
the config allows more. Every refusal is a 400 that names the image.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from aigw_runtime.config import ImageFetchConfig
from aigw_runtime.errors import InvalidRequestError

SUPPORTED_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True, slots=True)
class ImageData:
    media_type: str
    data: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


def _refuse(message: str, param: str | None) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_image_url")


def parse_data_url(url: str, param: str | None = None) -> ImageData | None:
    """The image in a `data:image/...;base64,` URL, or None when `url` is not a data URL."""
    if not url.startswith("data:"):
        return None
    header, comma, payload = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding != "base64":
        raise _refuse("An image data URL must be of the form data:image/<type>;base64,<data>.", param)
    media_type = media_type.lower() or "image/png"
    if media_type not in SUPPORTED_TYPES:
        raise _refuse(f"Unsupported image type {media_type}; use png, jpeg, gif or webp.", param)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("The image data URL does not hold valid base64.", param) from None
    return ImageData(media_type, data)


def inline_image(url: str, param: str) -> ImageData | None:
    """The image of a base64 data URL, or None for an http(s) URL, which the provider fetches itself.

    Any other URL is a 400.
    """
    inline = parse_data_url(url, param)
    if inline is None and not url.startswith(("https://", "http://")):
        raise _refuse("An image URL must be an http(s) URL or a base64 data URL.", param)
    return inline


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class ImageFetcher:
    """Turns an image URL into bytes under a provider's fetch policy."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def load(self, url: str, policy: ImageFetchConfig, param: str | None = None) -> ImageData:
        """The image at `url` (a data URL or a web URL)."""
        inline = parse_data_url(url, param)
        if inline is not None:
            return inline
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise _refuse("An image URL must be an https URL or a base64 data URL.", param)
        if parts.scheme == "http" and not policy.allow_http:
            raise _refuse("Image URLs must use https.", param)
        if not policy.allow_private_addresses:
            await self._check_public(
                parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), param
            )
        return await self._download(url, policy, param)

    async def _check_public(self, host: str, port: int, param: str | None) -> None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise _refuse(f"The image host {host} could not be resolved.", param) from None
        if not infos or not all(_is_public(str(info[4][0])) for info in infos):
            raise _refuse(f"The image host {host} is not a public address.", param)

    async def _download(self, url: str, policy: ImageFetchConfig, param: str | None) -> ImageData:
        try:
            async with (
                asyncio.timeout(policy.timeout_s),
                self._client.stream("GET", url, follow_redirects=False, timeout=policy.timeout_s) as response,
            ):
                if response.status_code != 200:
                    raise _refuse(f"Fetching the image failed with HTTP {response.status_code}.", param)
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if media_type not in SUPPORTED_TYPES:
                    raise _refuse(
                        f"The image URL answered with {media_type or 'no content type'}, not an image.", param
                    )
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise _refuse(f"The image is larger than {policy.max_bytes} bytes.", param)
                    chunks.append(chunk)
        except TimeoutError:
            raise _refuse("Fetching the image timed out.", param) from None
        except httpx.HTTPError:
            raise _refuse("The image could not be fetched.", param) from None
        return ImageData(media_type, b"".join(chunks))
