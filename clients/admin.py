"""Tandem's admin REST calls for tests and benchmarks: create, read and end sessions, and any other
request with the admin key as a bearer token. ``AdminApi`` blocks (urllib: for synchronous
fixtures and scripts); ``AsyncAdminApi`` (aiohttp) has the same methods for an event loop.

``request`` returns the status and the body (JSON decoded, other types as text) whatever the
status; ``call`` and the named calls return the body and raise ApiError on any other status than
the one the endpoint answers on success.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import aiohttp

DEFAULT_TITLE = "Weekly check-in"
TIMEOUT = 10.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ApiError(Exception):
    """A request answered with another status than the one expected."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path} -> {status}: {str(body)[:1000]}")
        self.status = status
        self.body = body


def join_token(link: str) -> str:
    """The join token of a join link (``.../join#token=...``)."""
    return link.split("#token=", 1)[1]


def _decode(content_type: str, raw: bytes) -> Any:
    if "json" in content_type:
        return json.loads(raw) if raw else None
    return raw.decode(errors="replace")


def _session_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {"title": DEFAULT_TITLE, **fields}


class AdminApi:
    """Blocking admin calls to the Tandem server at ``base_url``."""

    def __init__(self, base_url: str, admin_key: str, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_key = admin_key
        self.timeout = timeout

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def request(
        self, method: str, path: str, body: Any = None, *, admin: bool = True,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Content-Type": "application/json", **(self.headers if admin else {})}
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with _NO_PROXY.open(req, timeout=self.timeout) as reply:
                return reply.status, _decode(reply.headers.get_content_type(), reply.read())
        except urllib.error.HTTPError as err:
            with err:
                return err.code, _decode(err.headers.get_content_type(), err.read())

    def call(
        self, method: str, path: str, body: Any = None, *,
        params: Mapping[str, str] | None = None, expect: int = 200,
    ) -> Any:
        status, answer = self.request(method, path, body, params=params)
        if status != expect:
            raise ApiError(method, path, status, answer)
        return answer

    def create_session(self, **fields: Any) -> dict[str, Any]:
        session: dict[str, Any] = self.call(
            "POST", "/api/sessions", _session_fields(fields), expect=201
        )
        return session

    def get_session(self, session_id: str) -> dict[str, Any]:
        session: dict[str, Any] = self.call("GET", f"/api/sessions/{session_id}")
        return session

    def end_session(self, session_id: str) -> dict[str, Any]:
        ended: dict[str, Any] = self.call("POST", f"/api/sessions/{session_id}/end", {})
        return ended


class AsyncAdminApi:
    """Admin calls for an event loop: ``async with AsyncAdminApi(url, key) as api``, or give it
    an aiohttp session of your own (then closing it stays yours)."""

    def __init__(
        self, base_url: str, admin_key: str, http: aiohttp.ClientSession | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_key = admin_key
        self.timeout = timeout
        self._http = http
        self._owns_http = http is None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("use AsyncAdminApi in `async with`, or give it a ClientSession")
        return self._http

    async def __aenter__(self) -> Self:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None

    async def request(
        self, method: str, path: str, body: Any = None, *, admin: bool = True,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        async with self.http.request(
            method, self.base_url + path, json=body, params=params,
            headers=self.headers if admin else None,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as reply:
            return reply.status, _decode(reply.content_type, await reply.read())

    async def call(
        self, method: str, path: str, body: Any = None, *,
        params: Mapping[str, str] | None = None, expect: int = 200,
    ) -> Any:
        status, answer = await self.request(method, path, body, params=params)
        if status != expect:
            raise ApiError(method, path, status, answer)
        return answer

    async def create_session(self, **fields: Any) -> dict[str, Any]:
        session: dict[str, Any] = await self.call(
            "POST", "/api/sessions", _session_fields(fields), expect=201
        )
        return session

    async def get_session(self, session_id: str) -> dict[str, Any]:
        session: dict[str, Any] = await self.call("GET", f"/api/sessions/{session_id}")
        return session

    async def end_session(self, session_id: str) -> dict[str, Any]:
        ended: dict[str, Any] = await self.call("POST", f"/api/sessions/{session_id}/end", {})
        return ended
