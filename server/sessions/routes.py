"""REST for sessions: creating them and their links (admin), previews of a link, ending a
session; the page people open."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from aiohttp import web

from rooms.breakout import Group
from rooms.breakout_commands import SetGroups
from rooms.commands import End
from rooms.errors import InvalidPayload, SessionEnded
from rooms.lifecycles import SessionState
from rooms.moderation import RevokeLink, check_link, link_key
from rooms.roles import Role
from rooms.roster import CaptionConsent, WaitingRoom
from rooms.session import Session
from rooms.views import SessionView
from server.context import Context
from server.http import WEB_CLIENT_DIR, json_body, page, require_admin
from server.protocol import parse_json
from server.sessions.wire import (
    CreateLinkRequest,
    CreateSessionRequest,
    GroupRequest,
    GroupsRequest,
    LinkOut,
    PersonalLinkOut,
    PreviewOut,
    PreviewRequest,
    RevokedLinkOut,
    RevokeLinkRequest,
    SessionCreatedOut,
    SessionOut,
    session_out,
)
from server.settings import DAY
from server.tokens import JoinClaims, issue_join_token, verify_join_token

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SessionRoutes:
    ctx: Context

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/sessions", self.create_session)
        r.add_get("/api/sessions/{session_id}", self.get_session)
        r.add_post("/api/sessions/{session_id}/links", self.create_link)
        r.add_post("/api/sessions/{session_id}/links/revoke", self.revoke_link)
        r.add_post("/api/sessions/{session_id}/end", self.end_session)
        r.add_put("/api/sessions/{session_id}/groups", self.put_groups)
        r.add_post("/api/join/preview", self.preview)
        r.add_get("/s/{session_id}", self.page)
        r.add_get("/", self.home)
        r.add_static("/client/", WEB_CLIENT_DIR, follow_symlinks=False)
        doc = self.ctx.openapi
        doc.operation("/api/sessions", "post", "Create a session and its join links",
                      (201, SessionCreatedOut), (400, 401, 413), body=CreateSessionRequest)
        doc.bound(CreateSessionRequest, "max_participants",
                  maximum=self.ctx.settings.max_session_size)
        doc.operation("/api/sessions/{session_id}", "get", "A session and its participants",
                      (200, SessionOut), (401, 404), session_param=True)
        doc.operation("/api/sessions/{session_id}/links", "post", "A new join link for a role",
                      (201, LinkOut), (400, 401, 404, 409, 413), body=CreateLinkRequest,
                      session_param=True)
        doc.operation("/api/sessions/{session_id}/links/revoke", "post",
                      "Revoke a role's or a roster person's join link (and issue a new one)",
                      (200, RevokedLinkOut), (400, 401, 404, 409, 413), body=RevokeLinkRequest,
                      session_param=True)
        doc.operation("/api/sessions/{session_id}/end", "post",
                      "End a session; everyone is disconnected", (200, SessionOut),
                      (401, 404, 409), session_param=True)
        doc.operation("/api/sessions/{session_id}/groups", "put",
                      "Replace the session's pre-defined groups (for breakout rooms)",
                      (200, GroupsRequest), (400, 401, 404, 413), body=GroupsRequest,
                      session_param=True)
        doc.operation("/api/join/preview", "post",
                      "What a join link leads to (no admin key: the token is the credential)",
                      (200, PreviewOut), (400, 401, 404, 409, 413), body=PreviewRequest,
                      admin=False)

    # -- helpers ----------------------------------------------------------------------------------

    def _base_url(self, request: web.Request) -> str:
        return self.ctx.settings.public_url or str(request.url.origin())

    def _link_ttl(self, requested: int | None) -> int:
        settings = self.ctx.settings
        ttl = requested or settings.default_link_ttl
        if ttl > settings.max_link_ttl:
            raise InvalidPayload(
                f"link_ttl_seconds: at most {settings.max_link_ttl} seconds (90 days)"
            )
        return ttl

    def _join_url(
        self, request: web.Request, session_id: str, role: Role, name: str | None, expires: float,
        generation: int = 0, person_id: str | None = None,
    ) -> str:
        token = issue_join_token(
            self.ctx.settings.secret,
            JoinClaims(session_id=session_id, role=role, name=name,
                       issued_at=self.ctx.clock(), expires_at=expires, generation=generation,
                       person_id=person_id),
        )
        return f"{self._base_url(request)}/s/{session_id}#token={token}"

    # -- endpoints --------------------------------------------------------------------------------

    async def create_session(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        settings = self.ctx.settings
        body = parse_json(CreateSessionRequest, await json_body(request))
        max_participants = body.max_participants or settings.default_max_participants
        if max_participants > settings.max_session_size:
            raise InvalidPayload(
                f"max_participants: at most {settings.max_session_size} on this server"
            )
        now = self.ctx.clock()
        ttl = self._link_ttl(body.link_ttl_seconds)
        session = Session.create(
            # hex: an id never starts with "-", which spreadsheets (and the CSV export's
            # formula guard) would treat as a formula
            session_id=secrets.token_hex(12),
            title=body.title,
            goal=body.goal,
            max_participants=max_participants,
            now=now,
            plan=body.plan(lambda: "p-" + secrets.token_hex(6),
                           WaitingRoom(settings.waiting_room)),
        )
        session.set_groups(_groups(body.groups))
        await self.ctx.store.add(session)
        # Recorders (the attendance ledger) keep the plan before the admin hears back.
        await self.ctx.delivery.deliver([session.scheduled()])
        expires = now + ttl
        schedule = session.plan.schedule
        # A role link is passed around: it lasts until a day after the session, when scheduled.
        role_expires = (schedule.end + DAY if schedule is not None and body.link_ttl_seconds is None
                        else expires)
        out = SessionCreatedOut(
            session_id=session.id,
            title=session.title,
            goal=session.goal,
            state=session.state,
            created_at=session.created_at,
            max_participants=session.max_participants,
            links_expire_at=expires,
            role_links_expire_at=role_expires,
            join_urls={
                role: self._join_url(request, session.id, role, None, role_expires)
                for role in Role
            },
            personal_links=[
                PersonalLinkOut(
                    name=p.name, role=p.role, person_id=p.person_id,
                    url=self._join_url(request, session.id, p.role, p.name, expires,
                                      person_id=p.person_id),
                )
                for p in session.plan.roster
            ],
            private_addresses=session.plan.private_addresses,
        )
        await self.ctx.audit.record(admin, "session.created", f"sessions/{session.id}", {
            "max_participants": max_participants, "roster": len(session.plan.roster),
            "groups": len(session.groups)})
        logger.info("session %s created by admin %s (up to %d people)", session.id, admin.id,
                    max_participants)
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def get_session(self, request: web.Request) -> web.Response:
        await require_admin(request)
        view = await self.ctx.store.read(request.match_info["session_id"], lambda s: s.view())
        return web.json_response(session_out(view).model_dump(mode="json"))

    async def create_link(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        session_id = request.match_info["session_id"]
        body = parse_json(CreateLinkRequest, await json_body(request))
        state, generation, entry = await self.ctx.store.read(session_id, lambda s: (
            s.state, s.link_generations.get(link_key(s, body.role, body.name), 0),
            s.plan.person_for_link(body.role, body.name)))
        if state is SessionState.ENDED:
            raise SessionEnded("This session has ended; it takes no new links.")
        expires = self.ctx.clock() + self._link_ttl(body.link_ttl_seconds)
        out = LinkOut(
            role=body.role,
            name=body.name,
            # a roster person's link names them by their id (a deletion request erasing them
            # then refuses it; a name alone would let them in as a guest of that name)
            url=self._join_url(request, session_id, body.role, body.name, expires, generation,
                               person_id=entry.person_id if entry is not None else None),
            expires_at=expires,
        )
        await self.ctx.audit.record(admin, "link.created", f"sessions/{session_id}/links", {
            "role": body.role.value, "personal": body.name is not None})
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def revoke_link(self, request: web.Request) -> web.Response:
        """Links issued so far for the role or person stop working (people already in stay until
        they leave or a mentor removes them); a new one is issued in its place if asked."""
        admin = await require_admin(request)
        session_id = request.match_info["session_id"]
        body = parse_json(RevokeLinkRequest, await json_body(request))
        state = await self.ctx.store.read(session_id, lambda s: s.state)
        if state is SessionState.ENDED:
            raise SessionEnded("This session has ended; its links no longer work anyway.")
        generation = await self.ctx.execute(session_id, RevokeLink(body.key()))
        url = expires = None
        if body.reissue:
            role, name, person_id = await self.ctx.store.read(
                session_id, lambda s: _link_holder(s, body))
            expires = self.ctx.clock() + self._link_ttl(None)
            url = self._join_url(request, session_id, role, name, expires, generation, person_id)
        await self.ctx.audit.record(admin, "link.revoked", f"sessions/{session_id}/links", {
            "role": None if body.role is None else body.role.value,
            "person_id": body.person_id, "reissued": body.reissue})
        logger.info("a join link of session %s was revoked by admin %s", session_id, admin.id)
        out = RevokedLinkOut(revoked=body.key(), url=url, expires_at=expires)
        return web.json_response(out.model_dump(mode="json"))

    async def end_session(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        session_id = request.match_info["session_id"]
        view = await self.ctx.execute(session_id, End("ended by an admin", self.ctx.clock()))
        await self.ctx.audit.record(admin, "session.ended", f"sessions/{session_id}")
        logger.info("session %s ended by admin %s", session_id, admin.id)
        return web.json_response(session_out(view).model_dump(mode="json"))

    async def put_groups(self, request: web.Request) -> web.Response:
        """Replace the session's pre-defined groups (used by the next "rooms from groups")."""
        admin = await require_admin(request)
        session_id = request.match_info["session_id"]
        body = parse_json(GroupsRequest, await json_body(request))
        await self.ctx.execute(session_id, SetGroups(_groups(body.groups)))
        await self.ctx.audit.record(admin, "groups.set", f"sessions/{session_id}/groups",
                                    {"groups": len(body.groups)})
        return web.json_response(GroupsRequest(groups=body.groups).model_dump(mode="json"))

    async def preview(self, request: web.Request) -> web.Response:
        body = parse_json(PreviewRequest, await json_body(request))
        claims = verify_join_token(self.ctx.settings.secret, body.token, self.ctx.clock())

        def checked(s: Session) -> SessionView:
            check_link(s, claims.role, claims.link, claims.generation)
            return s.view()

        view = await self.ctx.store.read(claims.session_id, checked)
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
            captions=CaptionConsent(view.captions),
        )
        return web.json_response(out.model_dump(mode="json"))

    async def page(self, request: web.Request) -> web.StreamResponse:
        return page("index.html")

    async def home(self, request: web.Request) -> web.Response:
        return web.Response(
            text=(
                "Tandem is running. Create a session with POST /api/sessions "
                "(see docs/PROTOCOL.md or /api/openapi.json) and open one of its join links.\n"
            ),
            content_type="text/plain",
        )


def _link_holder(s: Session, body: RevokeLinkRequest
                 ) -> tuple[Role, str | None, str | None]:
    """The role, signed name and person id of the link a revoke request names."""
    if body.role is not None:
        return body.role, None, None
    entry = next(e for e in s.plan.roster if e.person_id == body.person_id)
    return entry.role, entry.name, entry.person_id


def _groups(groups: list[GroupRequest]) -> tuple[Group, ...]:
    return tuple(Group(g.name, tuple(g.members)) for g in groups)
