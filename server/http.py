"""The HTTP edge: how errors become responses, who an admin key belongs to, request bodies, and
the headers of the pages people open."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel

from rooms.errors import InvalidPayload, NotAllowed, PayloadTooLarge, RateLimited, TandemError
from server.settings import IpNetwork

logger = logging.getLogger(__name__)

WEB_CLIENT_DIR = Path(__file__).resolve().parent.parent / "web_client"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Unauthorized(TandemError):
    code = "unauthorized"


class NotFound(TandemError):
    code = "not_found"


STATUS: dict[str, int] = {
    "invalid_payload": 400,
    "unauthorized": 401,
    "token_missing": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "link_revoked": 401,
    "resume_expired": 401,
    "not_allowed": 403,
    "not_found": 404,
    "conflict": 409,
    "no_transcript": 404,
    "session_not_found": 404,
    "unknown_participant": 404,
    "session_ended": 409,
    "illegal_transition": 409,
    "rating_closed": 409,
    "too_many_webhooks": 409,
    "webhook_url_refused": 400,
    # A field over its bound; a whole body over the request bound is 413 (errors_middleware).
    "payload_too_large": 400,
    "rate_limited": 429,
    "not_recorded": 503,
}

# The page reads its token from the URL fragment; no referrer leaves it, no frame embeds it, and
# it connects to its own origin only ('self' covers the socket's ws:/wss: to the same host; a
# bare scheme would let an injected script send the token anywhere).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), microphone=(self), display-capture=(self)",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        "connect-src 'self'; object-src 'none'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
# Every API answer may hold a join link, a name, an e-mail address or a goal: no cache keeps it.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(exc: TandemError, status: int | None = None) -> web.Response:
    body = ErrorBody(error=ErrorDetail(code=exc.code, message=exc.message))
    return web.json_response(body.model_dump(), status=status or STATUS.get(exc.code, 400))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except TandemError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        return error_response(PayloadTooLarge("The request body is too large."), 413)
    except web.HTTPNotFound:
        if request.path.startswith("/api/"):
            return error_response(NotFound(f"There is no API endpoint at {request.path}."))
        raise
    except web.HTTPMethodNotAllowed as exc:
        if request.path.startswith("/api/"):
            resp = web.json_response(
                {"error": {"code": "method_not_allowed",
                           "message": f"{request.method} is not allowed here."}},
                status=405,
            )
            resp.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
            return resp
        raise


_FORWARDED_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])"
                             r"(?::[0-9]{1,5})?")


def _first(value: str | None) -> str:
    """The first of a header's comma-separated values: what the client-facing proxy saw."""
    return (value or "").split(",", 1)[0].strip()


def forwarded_middleware(trusted: Sequence[IpNetwork]) -> Middleware:
    """Believe ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-For`` from the
    ``trusted`` proxies only: the request then has the scheme and host its client used (join links
    are built from them) and the client's own address (what per-address bounds count). From any
    other peer, and when a value is malformed, the headers are ignored."""

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if trusted and _is_trusted(request.remote, trusted):
            proto = _first(request.headers.get("X-Forwarded-Proto")).lower()
            host = _first(request.headers.get("X-Forwarded-Host"))
            good_proto = proto in ("http", "https")
            good_host = bool(host) and _FORWARDED_HOST.fullmatch(host) is not None
            client = _forwarded_client(request.headers.getall("X-Forwarded-For", []), trusted)
            scheme = proto if good_proto else request.scheme
            if client is not None:
                request = request.clone(scheme=scheme, host=host if good_host else request.host,
                                        remote=client)
            elif good_proto or good_host:
                request = request.clone(scheme=scheme, host=host if good_host else request.host)
        return await handler(request)

    return forwarded


def _forwarded_client(values: Sequence[str], trusted: Sequence[IpNetwork]) -> str | None:
    """The client's address in ``X-Forwarded-For``: the last hop that is not a trusted proxy
    (each proxy appends the address it was reached from), or None when a hop is malformed."""
    hops = [hop.strip() for value in values for hop in value.split(",")]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return None
        if not any(address in net for net in trusted):
            return str(address)
    return hops[0] if hops and hops[0] else None


def _is_trusted(remote: str | None, trusted: Sequence[IpNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(address in net for net in trusted)


class AdminGuard:
    """Wrong admin keys, counted per client address: each is logged (the address and how many,
    never the key), and an address that sent ``limit`` wrong keys within ``window`` seconds is
    refused (``rate_limited``, even with the right key) until the window has passed. At most
    ``addresses`` addresses are remembered; the oldest is forgotten first."""

    def __init__(self, clock: Callable[[], float], *, limit: int = 10, window: float = 60.0,
                 addresses: int = 10_000) -> None:
        self.clock, self.limit, self.window, self.addresses = clock, limit, window, addresses
        self.failures: dict[str, list[float]] = {}

    def _recent(self, address: str, now: float) -> list[float]:
        times = [t for t in self.failures.get(address, ()) if now - t < self.window]
        if times:
            self.failures[address] = times
        else:
            self.failures.pop(address, None)
        return times

    def check(self, address: str) -> None:
        if len(self._recent(address, self.clock())) >= self.limit:
            raise RateLimited("Too many wrong admin keys from this address; wait a minute.")

    def failed(self, address: str) -> None:
        now = self.clock()
        times = self._recent(address, now)
        times.append(now)
        self.failures.pop(address, None)
        self.failures[address] = times  # the most recent last
        while len(self.failures) > self.addresses:
            del self.failures[next(iter(self.failures))]
        logger.warning("wrong admin key from %s (%d in the last %d s)", address, len(times),
                       int(self.window))


ADMIN_GUARD = web.AppKey("admin_guard", AdminGuard)


@dataclass(frozen=True, slots=True)
class Admin:
    """Who made an admin call: the owner (the server's own admin key, which can do everything) or
    one of the admin accounts (``server/admins``). The audit log names them by ``id`` and
    ``name``."""

    id: str
    name: str
    owner: bool = False


OWNER = Admin("owner", "owner", owner=True)
# A longer bearer value is no key of ours: refused without being looked up.
ADMIN_KEY_MAX = 256
AccountLookup = Callable[[str], Awaitable[Admin | None]]


@dataclass(slots=True)
class AdminKeys:
    """Whose key a request carries: the owner key (compared in constant time), else an admin
    account's key, looked up by ``accounts``, which the admins feature sets (without it only the
    owner key works). The lookup reads the database each time, so an account made, rotated or
    disabled by another process counts here at once."""

    owner_key: str
    accounts: AccountLookup | None = None

    async def admin(self, key: str) -> Admin | None:
        if hmac.compare_digest(key.encode(), self.owner_key.encode()):
            return OWNER
        if self.accounts is None or not key or len(key) > ADMIN_KEY_MAX:
            return None
        return await self.accounts(key)


ADMIN_KEYS = web.AppKey("admin_keys", AdminKeys)


async def require_admin(request: web.Request) -> Admin:
    """The admin whose key the request carries (``Authorization: Bearer <key>``), or
    ``unauthorized``; wrong keys are counted and throttled per address (``AdminGuard``)."""
    guard = request.app.get(ADMIN_GUARD)
    address = request.remote or "unknown"
    if guard is not None:
        guard.check(address)
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    keys = request.app.get(ADMIN_KEYS)
    admin = None
    if scheme.lower() == "bearer" and keys is not None:
        admin = await keys.admin(key)
    if admin is None:
        if guard is not None and key:
            guard.failed(address)
        raise Unauthorized("This needs an admin key: send 'Authorization: Bearer <key>'.")
    return admin


async def require_owner(request: web.Request) -> Admin:
    """As ``require_admin``, for what only the owner key may do (managing admins)."""
    admin = await require_admin(request)
    if not admin.owner:
        raise NotAllowed("Only the owner key manages admins.")
    return admin


# The admin API also takes a body sent as application/octet-stream (some HTTP tools' default).
ADMIN_BODY_TYPES = ("application/json", "application/octet-stream", "")
JSON_BODY_TYPES = ("application/json", "")


async def json_body(request: web.Request,
                    content_types: tuple[str, ...] = ADMIN_BODY_TYPES) -> bytes:
    """The raw body of a JSON request (parsed by the caller's model)."""
    if request.content_type not in content_types:
        raise InvalidPayload("Send the body as JSON (Content-Type: application/json).")
    return await request.read()


async def protect_pages(request: web.Request, response: web.StreamResponse) -> None:
    """Every HTML page gets the page headers, however it is reached (``/s/…``, ``/admin`` or
    the client's files under ``/client/``); every API answer, refusals included, and every
    answer of the socket's long-polling the API headers; nothing is sniffed into another
    type."""
    if response.content_type == "text/html":
        headers = PAGE_HEADERS
    elif request.path.startswith(("/api/", "/socket.io/")):  # long-polling answers too
        headers = API_HEADERS
    else:
        headers = {"X-Content-Type-Options": "nosniff"}
    for name, value in headers.items():
        response.headers.setdefault(name, value)


def page(name: str) -> web.FileResponse:
    """A page of the web client, with the headers that keep its link's token private."""
    path = WEB_CLIENT_DIR / name
    if not path.exists():
        raise web.HTTPNotFound(text=f"The page {name} is not installed.")
    return web.FileResponse(path, headers=PAGE_HEADERS)
