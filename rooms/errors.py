"""One error tree for all of Tandem; each error carries a stable ``code``.

Adapters turn any ``TandemError`` into ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import ClassVar


class TandemError(Exception):
    """Base of every error Tandem reports to a client."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_wire(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidPayload(TandemError):
    code = "invalid_payload"


class PayloadTooLarge(TandemError):
    code = "payload_too_large"


class NotAllowed(TandemError):
    code = "not_allowed"


class NotJoined(TandemError):
    code = "not_joined"


class AlreadyJoined(TandemError):
    code = "already_joined"


class SessionNotFound(TandemError):
    code = "session_not_found"


class SessionEnded(TandemError):
    code = "session_ended"


class SessionFull(TandemError):
    code = "session_full"


class UnknownParticipant(TandemError):
    code = "unknown_participant"


class NotSameRoom(TandemError):
    code = "not_same_room"


class HistoryGone(TandemError):
    """The events asked for are no longer kept (another epoch, or dropped): resynchronise."""

    code = "history_gone"


class RateLimited(TandemError):
    code = "rate_limited"


class IllegalTransition(TandemError):
    code = "illegal_transition"


class TokenMissing(TandemError):
    code = "token_missing"


class TokenInvalid(TandemError):
    code = "token_invalid"


class TokenExpired(TandemError):
    code = "token_expired"


class BoardFull(TandemError):
    code = "board_full"


class BoardOutOfOrder(TandemError):
    """A board change builds on changes the board does not have, and too many such changes are
    already waiting for theirs."""

    code = "board_out_of_order"


class BoardDeleted(TandemError):
    """A board change was made on a copy of a board that has been deleted since."""

    code = "board_deleted"


class NotRecorded(TandemError):
    """The action took effect but its record could not be made durable; it was not confirmed."""

    code = "not_recorded"


class UnknownEvent(TandemError):
    code = "unknown_event"


class ScreenBusy(TandemError):
    """Someone else in the room is sharing their screen, and the room allows one share."""

    code = "screen_busy"


class NoDirectConnection(TandemError):
    """Signalling between two people who need no direct connection: neither sends media, or
    their room's media goes through the server and one of them sends none."""

    code = "no_direct_connection"


class RelayOnly(TandemError):
    """In a session whose people must not see each other's addresses, a candidate that is not
    relayed by a TURN server."""

    code = "relay_only"


class MediaUnavailable(TandemError):
    """The server's media plane is full (peer connections, publishers of a room) or off."""

    code = "media_unavailable"


class NoOfferPending(IllegalTransition):
    """An answer arrived for a connection that has no offer of the server waiting."""


class CaptionsOff(TandemError):
    """The session's consent setting turns captions off."""

    code = "captions_off"


class NotTranscribed(TandemError):
    """The speaker turned off being transcribed."""

    code = "not_transcribed"


class SessionLocked(TandemError):
    """A mentor locked the session: nobody new comes in."""

    code = "session_locked"


class MediaLocked(TandemError):
    """A mentor muted the person (or stopped their camera) and keeps it so until they allow it."""

    code = "media_locked"


class LinkRevoked(TandemError):
    """The join link was revoked by an admin; a newer link for the same person or role works."""

    code = "link_revoked"


class TooManyConnections(TandemError):
    """Too many connections at once from one address, or with one link."""

    code = "too_many_connections"


class RatingClosed(TandemError):
    """The after-call rating is closed: the session ended longer ago than the rating window."""

    code = "rating_closed"


class ResumeExpired(TandemError):
    """A resume credential past its time (``server.tokens``: its lifetime, or the session's end
    plus the rating window)."""

    code = "resume_expired"


class WebhookUrlRefused(TandemError):
    """A webhook's URL is not one Tandem posts to: not http(s), with credentials, too long, or
    a host that resolves to a private, loopback or otherwise non-public address."""

    code = "webhook_url_refused"


class TooManyWebhooks(TandemError):
    """The server already has as many webhooks as it allows."""

    code = "too_many_webhooks"
