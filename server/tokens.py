"""Signed tokens: join links (who may join which session, as what, until when) and resume
credentials (which participant a returning person was).

A resume credential expires: ``RESUME_LIFETIME`` after it was issued (every join issues a fresh
one), and in any case ``RATING_WINDOW`` after its session ended (the time left for the rating
after the call). One issued without an expiry, before credentials had one, is expired.

Format: ``<base64url(json claims)>.<base64url(HMAC-SHA256)>``, with a key derived per purpose so a
token of one kind is never accepted as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from rooms.activity import RATING_WINDOW
from rooms.errors import ResumeExpired, TokenExpired, TokenInvalid, TokenMissing
from rooms.roles import Role
from rooms.roster import person_link

TOKEN_MAX = 2048
RESUME_LIFETIME = 24 * 60 * 60.0


@dataclass(frozen=True, slots=True)
class JoinClaims:
    session_id: str
    role: Role
    name: str | None
    issued_at: float
    expires_at: float
    # The link's generation: revoking a link (``rooms.moderation``) makes older ones invalid.
    generation: int = 0
    # The roster person a personal link is for, by their stable id (links of programme
    # schedules carry it; older personal links name their person by ``name`` only).
    person_id: str | None = None

    @property
    def link(self) -> str | None:
        """How this link names its person to the session (``rooms.roster.person_link``)."""
        return person_link(self.person_id) if self.person_id is not None else self.name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, b"tandem-token:" + purpose.encode(), hashlib.sha256).digest()


def _sign(secret: bytes, purpose: str, claims: dict[str, object]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def _open(secret: bytes, purpose: str, token: object) -> dict[str, object]:
    if token is None or token == "":
        raise TokenMissing("This link has no access token. Open the full link you were sent.")
    if not isinstance(token, str) or len(token) > TOKEN_MAX or token.count(".") != 1:
        raise TokenInvalid("This link is not valid. Check that you copied all of it.")
    body, mac = token.split(".")
    expected = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
        claims = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        raise TokenInvalid("This link is not valid. Check that you copied all of it.") from None
    if not hmac.compare_digest(given, expected) or not isinstance(claims, dict):
        raise TokenInvalid("This link is not valid. Check that you copied all of it.")
    return claims


def issue_join_token(secret: bytes, claims: JoinClaims) -> str:
    payload: dict[str, object] = {
        "s": claims.session_id,
        "r": claims.role.value,
        "iat": int(claims.issued_at),
        "exp": int(claims.expires_at),
    }
    if claims.name is not None:
        payload["n"] = claims.name
    if claims.generation:
        payload["g"] = claims.generation
    if claims.person_id is not None:
        payload["p"] = claims.person_id
    return _sign(secret, "join", payload)


def verify_join_token(secret: bytes, token: object, now: float) -> JoinClaims:
    """The claims of a join token, or ``TokenMissing``/``TokenInvalid``/``TokenExpired``."""
    raw = _open(secret, "join", token)
    try:
        claims = JoinClaims(
            session_id=str(raw["s"]),
            role=Role(str(raw["r"])),
            name=str(raw["n"]) if "n" in raw else None,
            issued_at=float(raw["iat"]),  # type: ignore[arg-type]
            expires_at=float(raw["exp"]),  # type: ignore[arg-type]
            generation=int(raw.get("g", 0)),  # type: ignore[call-overload]
            person_id=str(raw["p"]) if "p" in raw else None,
        )
    except (KeyError, ValueError, TypeError):
        raise TokenInvalid("This link is not valid. Check that you copied all of it.") from None
    if now >= claims.expires_at:
        raise TokenExpired("This link has expired. Ask your programme coordinator for a new one.")
    return claims


def issue_resume_token(secret: bytes, session_id: str, participant_id: str, now: float) -> str:
    return _sign(secret, "resume", {"s": session_id, "p": participant_id,
                                    "exp": int(now + RESUME_LIFETIME)})


def verify_resume_token(secret: bytes, token: str, session_id: str, now: float, *,
                        session_ended_at: float | None = None) -> str | None:
    """The participant id a resume token names, or None when it is not one of this session
    (a foreign or altered token is not an error: the person simply joins as someone new).
    ``ResumeExpired`` when it is past its time (see the module's docstring)."""
    try:
        raw = _open(secret, "resume", token)
    except (TokenMissing, TokenInvalid):
        return None
    if raw.get("s") != session_id or not isinstance(raw.get("p"), str):
        return None
    exp = raw.get("exp")
    expires = float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
    if expires is not None and session_ended_at is not None:
        expires = min(expires, session_ended_at + RATING_WINDOW)
    if expires is None or now >= expires:
        raise ResumeExpired("This page's access to the session has expired (it lasts until "
                            "an hour after the session ends). Open your link again.")
    return str(raw["p"])
