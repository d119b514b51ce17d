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


class NotRecorded(TandemError):
    """The action took effect but its record could not be made durable; it was not confirmed."""

    code = "not_recorded"


class UnknownEvent(TandemError):
    code = "unknown_event"


class ScreenBusy(TandemError):
    """Someone else in the room is sharing their screen, and the room allows one share."""

    code = "screen_busy"


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
