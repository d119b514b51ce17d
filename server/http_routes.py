"""REST API and pages: sessions and join links for admins, link previews, the web client."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from rooms.breakout import Group
from rooms.errors import (
    InvalidPayload,
    PayloadTooLarge,
    SessionEnded,
    TandemError,
)
from rooms.events import Event
from rooms.roles import Role
from rooms.session import Session, SessionState
from server.protocol import (
    CreateLinkRequest,
    CreateSessionRequest,
    ErrorBody,
    GroupRequest,
    GroupsRequest,
    LinkOut,
    PersonalLinkOut,
    PreviewOut,
    PreviewRequest,
    SessionCreatedOut,
    parse_json,
    session_out,
)
from server.settings import Settings
from server.socketio_events import SocketGateway
from server.store import SessionStore
from server.tokens import JoinClaims, issue_join_token, verify_join_token

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
    "not_found": 404,
    "session_not_found": 404,
    "session_ended": 409,
    "payload_too_large": 413,
    "not_recorded": 503,
}

# The page reads its token from the URL fragment; no referrer leaves it, no frame embeds it.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self), microphone=(self), display-capture=(self)",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def error_response(exc: TandemError) -> web.Response:
    body = ErrorBody.model_validate({"error": exc.to_wire()})
    return web.json_response(body.model_dump(), status=STATUS.get(exc.code, 400))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except TandemError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        return error_response(PayloadTooLarge("The request body is too large."))
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


def require_admin(request: web.Request, settings: Settings) -> None:
    """Refuse the request unless it carries ``Authorization: Bearer <admin key>``."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        key.strip().encode(), settings.admin_key.encode()
    ):
        raise Unauthorized("This needs the admin key: send 'Authorization: Bearer <key>'.")


class Routes:
    """The REST handlers; built by ``create_app`` with its shared parts."""

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        gateway: SocketGateway,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.store = store
        self.gateway = gateway
        self.clock = clock

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/sessions", self.create_session)
        r.add_get("/api/sessions/{session_id}", self.get_session)
        r.add_post("/api/sessions/{session_id}/links", self.create_link)
        r.add_post("/api/sessions/{session_id}/end", self.end_session)
        r.add_put("/api/sessions/{session_id}/groups", self.put_groups)
        r.add_post("/api/join/preview", self.preview)
        r.add_get("/healthz", self.health)
        r.add_get("/s/{session_id}", self.page)
        r.add_get("/", self.home)
        r.add_static("/client/", WEB_CLIENT_DIR, follow_symlinks=False)

    # -- helpers --------------------------------------------------------------------------------

    def _require_admin(self, request: web.Request) -> None:
        require_admin(request, self.settings)

    def _base_url(self, request: web.Request) -> str:
        return self.settings.public_url or str(request.url.origin())

    def _link_ttl(self, requested: int | None) -> int:
        ttl = requested or self.settings.default_link_ttl
        if ttl > self.settings.max_link_ttl:
            raise InvalidPayload(
                f"link_ttl_seconds: at most {self.settings.max_link_ttl} seconds (90 days)"
            )
        return ttl

    def _join_url(
        self, request: web.Request, session_id: str, role: Role, name: str | None, expires: float
    ) -> str:
        token = issue_join_token(
            self.settings.secret,
            JoinClaims(session_id=session_id, role=role, name=name,
                       issued_at=self.clock(), expires_at=expires),
        )
        return f"{self._base_url(request)}/s/{session_id}#token={token}"

    async def _body(self, request: web.Request) -> bytes:
        if request.content_type not in ("application/json", "application/octet-stream", ""):
            raise InvalidPayload("Send the body as JSON (Content-Type: application/json).")
        return await request.read()

    # -- endpoints ------------------------------------------------------------------------------

    async def create_session(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        body = parse_json(CreateSessionRequest, await self._body(request))
        max_participants = body.max_participants or self.settings.default_max_participants
        if max_participants > self.settings.max_session_size:
            raise InvalidPayload(
                f"max_participants: at most {self.settings.max_session_size} on this server"
            )
        now = self.clock()
        ttl = self._link_ttl(body.link_ttl_seconds)
        session = Session.create(
            # hex: an id never starts with "-", which spreadsheets (and the CSV export's
            # formula guard) would treat as a formula
            session_id=secrets.token_hex(12),
            title=body.title,
            goal=body.goal,
            max_participants=max_participants,
            now=now,
            plan=body.plan(lambda: "p-" + secrets.token_hex(6)),
        )
        session.set_groups(_groups(body.groups))
        await self.store.add(session)
        # Recorders (the attendance ledger) keep the plan before the admin hears back.
        await self.gateway.deliver([session.scheduled()])
        expires = now + ttl
        out = SessionCreatedOut(
            session_id=session.id,
            title=session.title,
            goal=session.goal,
            state=session.state,
            created_at=session.created_at,
            max_participants=session.max_participants,
            links_expire_at=expires,
            join_urls={
                role: self._join_url(request, session.id, role, None, expires) for role in Role
            },
            personal_links=[
                PersonalLinkOut(
                    name=p.name, role=p.role, person_id=p.person_id,
                    url=self._join_url(request, session.id, p.role, p.name, expires),
                )
                for p in session.plan.roster
            ],
        )
        logger.info("session %s created (%r, up to %d people)", session.id, session.title,
                    max_participants)
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def get_session(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        view = await self.store.read(request.match_info["session_id"], lambda s: s.view())
        return web.json_response(session_out(view).model_dump(mode="json"))

    async def create_link(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        session_id = request.match_info["session_id"]
        body = parse_json(CreateLinkRequest, await self._body(request))
        state = await self.store.read(session_id, lambda s: s.state)
        if state is SessionState.ENDED:
            raise SessionEnded("This session has ended; it takes no new links.")
        expires = self.clock() + self._link_ttl(body.link_ttl_seconds)
        out = LinkOut(
            role=body.role,
            name=body.name,
            url=self._join_url(request, session_id, body.role, body.name, expires),
            expires_at=expires,
        )
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def end_session(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        session_id = request.match_info["session_id"]
        now = self.clock()

        def command(s: Session) -> list[Event]:
            if s.state is SessionState.ENDED:
                raise SessionEnded("This session has already ended.")
            return s.end("ended by an admin", now)

        events = await self.store.update(session_id, command)
        await self.gateway.deliver(events)
        logger.info("session %s ended by an admin", session_id)
        view = await self.store.read(session_id, lambda s: s.view())
        return web.json_response(session_out(view).model_dump(mode="json"))

    async def put_groups(self, request: web.Request) -> web.Response:
        """Replace the session's pre-defined groups (used by the next "rooms from groups")."""
        self._require_admin(request)
        session_id = request.match_info["session_id"]
        body = parse_json(GroupsRequest, await self._body(request))
        groups = _groups(body.groups)
        await self.store.update(session_id, lambda s: s.set_groups(groups))
        return web.json_response(GroupsRequest(groups=body.groups).model_dump(mode="json"))

    async def preview(self, request: web.Request) -> web.Response:
        body = parse_json(PreviewRequest, await self._body(request))
        claims = verify_join_token(self.settings.secret, body.token, self.clock())
        view = await self.store.read(claims.session_id, lambda s: s.view())
        if view.state is SessionState.ENDED:
            raise SessionEnded("This session has ended.")
        out = PreviewOut(
            session_id=view.id,
            title=view.title,
            goal=view.goal,
            role=claims.role,
            name=claims.name,
            expires_at=claims.expires_at,
            state=view.state,
        )
        return web.json_response(out.model_dump(mode="json"))

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def page(self, request: web.Request) -> web.StreamResponse:
        index = WEB_CLIENT_DIR / "index.html"
        if not index.exists():
            raise web.HTTPNotFound(text="The web client is not installed.")
        return web.FileResponse(index, headers=PAGE_HEADERS)

    async def home(self, request: web.Request) -> web.Response:
        return web.Response(
            text=(
                "Tandem is running. Create a session with POST /api/sessions "
                "(see docs/PROTOCOL.md or /api/openapi.json) and open one of its join links.\n"
            ),
            content_type="text/plain",
        )


def _groups(groups: list[GroupRequest]) -> list[Group]:
    return [Group(g.name, tuple(g.members)) for g in groups]
