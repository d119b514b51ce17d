"""With long-polling on, the socket's answers over HTTP carry what the session says (names,
chat): like the API's, no cache keeps them."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest

from server.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, long_polling=True)


async def test_polling_answers_are_kept_by_no_cache(http: aiohttp.ClientSession) -> None:
    async with http.get("/socket.io/?EIO=4&transport=polling") as resp:
        assert resp.status == 200
        assert resp.headers.get("Cache-Control") == "no-store"
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def test_a_page_of_another_origin_cannot_open_a_polling_socket(
        http: aiohttp.ClientSession) -> None:
    async with http.get("/socket.io/?EIO=4&transport=polling",
                        headers={"Origin": "https://evil.example"}) as resp:
        assert resp.status == 400
        assert "Access-Control-Allow-Origin" not in resp.headers
