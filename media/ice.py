"""ICE servers (STUN and TURN) handed to clients for their peer connections.

TURN credentials are either static, or short-lived ones derived from a shared secret with the
"TURN REST API" scheme that coturn's ``use-auth-secret`` understands: the username is
``<expiry>:<participant id>`` and the credential is base64(HMAC-SHA1(secret, username)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IceSettings:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_username: str | None = None
    turn_credential: str | None = None
    turn_secret: str | None = field(default=None, repr=False)
    turn_ttl_seconds: int = 6 * 3600

    def __post_init__(self) -> None:
        for url in self.stun_urls:
            if not url.startswith(("stun:", "stuns:")):
                raise ValueError(f"STUN URL {url!r} must start with stun: or stuns:")
        for url in self.turn_urls:
            if not url.startswith(("turn:", "turns:")):
                raise ValueError(f"TURN URL {url!r} must start with turn: or turns:")
        if self.turn_urls:
            static = self.turn_username is not None and self.turn_credential is not None
            if not static and not self.turn_secret:
                raise ValueError(
                    "TURN URLs need either a username and credential or a shared secret"
                )
        if self.turn_ttl_seconds < 60:
            raise ValueError("TURN credentials must live at least 60 seconds")


@dataclass(frozen=True, slots=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def to_wire(self) -> dict[str, object]:
        wire: dict[str, object] = {"urls": list(self.urls)}
        if self.username is not None:
            wire["username"] = self.username
        if self.credential is not None:
            wire["credential"] = self.credential
        return wire


def ice_servers_for(settings: IceSettings, participant_id: str, now: float) -> list[IceServer]:
    """The ICE servers one participant should use, with TURN credentials valid from ``now``."""
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(urls=settings.stun_urls))
    if settings.turn_urls:
        if settings.turn_secret:
            username = f"{int(now) + settings.turn_ttl_seconds}:{participant_id}"
            digest = hmac.new(
                settings.turn_secret.encode(), username.encode(), hashlib.sha1
            ).digest()
            credential = base64.b64encode(digest).decode()
        else:
            username = settings.turn_username or ""
            credential = settings.turn_credential or ""
        servers.append(IceServer(urls=settings.turn_urls, username=username, credential=credential))
    return servers
