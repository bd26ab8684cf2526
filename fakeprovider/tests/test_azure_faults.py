"""The fake's faults on Azure OpenAI: Azure's rate-limit headers and statuses, and cut streams."""

from __future__ import annotations

import httpx
import pytest

from fake_azure import DEPLOYMENT, GA, body, chat_path


async def test_a_rate_limit_says_when_to_retry_in_seconds_and_milliseconds(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "429", "retry_after": 2})

    response = await http.post(chat_path(), headers=key, json=body())

    assert response.status_code == 429
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("2", "2000")
    assert response.json()["error"]["code"] == "429"
    assert f"API version {GA}" in response.json()["error"]["message"]


async def test_an_overload_is_azures_service_unavailable(
    http: httpx.AsyncClient, key: dict[str, str]
) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "503"})

    response = await http.post(chat_path(), headers=key, json=body())

    assert response.status_code == 503 and response.json()["error"]["code"] == "ServiceUnavailable"


async def test_a_dropped_stream_ends_without_done(http: httpx.AsyncClient, key: dict[str, str]) -> None:
    await http.put("/_fake/knobs", json={"model": DEPLOYMENT, "fault": "drop", "drop_after_chunks": 2})

    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(chat_path(), headers=key, json=body("a b c d", stream=True))
