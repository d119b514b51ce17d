"""A participant of a session and the lifecycle of their presence.

Rules of this module: presence changes only through ``Participant.move_to``, which checks the
transition table; a participant's id never changes, so reconnects stay one person. The roster
person a participant is (``person_id``) is fixed when they first join, from their signed link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.errors import InvalidPayload
from rooms.lifecycles import PRESENCE_TRANSITIONS, Presence, check_transition
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from rooms.views import CheckInView, ParticipantView, WaiterView

NAME_MAX = 60
# How many of their latest requests (chat messages, a mentor's broadcasts and changes of the
# breakout time) a participant's page can send again after a lost connection without the
# request being applied twice.
SENT_MAX = 8


def clean_name(raw: str) -> str:
    """A display name trimmed and checked: 1 to 60 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidPayload("A display name is needed (1 to 60 characters).")
    if len(name) > NAME_MAX:
        raise InvalidPayload(f"A display name can be at most {NAME_MAX} characters long.")
    if any(not ch.isprintable() for ch in name):
        raise InvalidPayload("A display name cannot contain control characters.")
    return name


@dataclass(slots=True)
class Participant:
    """A participant as the session keeps them; queries hand out ``ParticipantView`` copies."""

    id: str
    name: str
    role: Role
    joined_at: float
    connection_id: str | None
    person_id: str | None = None
    presence: Presence = Presence.CONNECTED
    audio: bool = False
    video: bool = False
    room: str = MAIN_ROOM
    changed_at: float = 0.0
    reconnects: int = 0
    hand_raised_at: float | None = None
    speaking: bool = False
    check_in: CheckInView | None = None
    rated: bool = False
    board_edit_at: float | None = None  # the last board change, for edit bursts
    screen: bool = False  # sharing their screen in their room
    # Their media goes through the server, which measures their speaking itself (the page's own
    # reports are then ignored).
    speaking_by_server: bool = False
    captions: bool = False  # they see captions (a room where someone does is captioned)
    transcribed: bool = True  # their speech may be captioned (they can turn it off)
    caption_source: str = "server"  # "server": recognised there; "browser": their page sends text
    told_transcript: bool = False  # their page showed them that a transcript is kept
    # A mentor muted them (or stopped their camera): they cannot turn it back on until allowed.
    audio_locked: bool = False
    video_locked: bool = False
    # Where their room's history was as they entered the room (room, epoch, offset: the
    # position their page was handed with it): what ``replay`` hands them starts there. Kept
    # through a dropped connection; gone when they leave or are moved (``entered_at``).
    entered: tuple[str, str, int] | None = None
    # Their page's ids of their latest requests applied (``SENT_MAX``), oldest first: id -> the
    # number of the chat message it posted (a broadcast's first), 0 when it posted none; the
    # number's negative while that message must be sent to its room again (``UnsentChat``).
    sent: dict[str, int] = field(default_factory=dict)

    def sent_before(self, client_id: str | None) -> int | None:
        """What the request their page sent with this id posted (0: no message), if it is one
        of their latest applied; None if it is not (or it came without an id)."""
        return None if client_id is None else self.sent.get(client_id)

    def remember_sent(self, client_id: str | None, message_id: int = 0) -> None:
        """Keep the id of a request just applied (nothing for one without an id)."""
        if client_id is None:
            return
        sent = self.sent
        sent[client_id] = message_id
        if len(sent) > SENT_MAX:
            del sent[next(iter(sent))]

    def forget_sent(self, client_id: str) -> None:
        """The request sent with this id took effect but was not recorded: sent again, it is
        applied again (and recorded), not answered as done."""
        self.sent.pop(client_id, None)

    def move_to(self, presence: Presence, now: float) -> None:
        self.presence = check_transition(
            PRESENCE_TRANSITIONS, f"Participant {self.id}", self.presence, presence
        )
        self.changed_at = now
        if presence is Presence.LEFT:
            self.entered = None  # joining again is entering anew

    def entered_at(self, room: str, epoch: str, offset: int) -> None:
        """They entered ``room`` when its history was at ``offset`` of ``epoch``: the first
        position known of this stay in the room is kept (a page back after a dropped connection
        is handed a later one, and asks for what it missed before it); one of a room they are
        no longer in changes nothing."""
        if self.room == room and self.presence is not Presence.LEFT and (
                self.entered is None or self.entered[0] != room):
            self.entered = (room, epoch, offset)

    def off_air(self) -> None:
        """Gone from the call (left, dropped, back on a new connection): not speaking, not
        sharing, no server media any more."""
        self.speaking = False
        self.screen = False
        self.speaking_by_server = False

    @property
    def connected(self) -> bool:
        return self.presence is Presence.CONNECTED

    def view(self) -> ParticipantView:
        return ParticipantView(
            id=self.id,
            name=self.name,
            role=self.role,
            presence=self.presence,
            audio=self.audio,
            video=self.video,
            joined_at=self.joined_at,
            room=self.room,
            person_id=self.person_id,
            hand_raised_at=self.hand_raised_at,
            screen=self.screen,
            captions=self.captions,
            transcribed=self.transcribed,
            caption_source=self.caption_source,
            audio_locked=self.audio_locked,
            video_locked=self.video_locked,
        )


@dataclass(slots=True)
class Waiter:
    """Someone in the waiting room: connected, not yet let in. ``id`` is the participant id
    they get when admitted as someone new; ``resume_id`` the participant they were, if any."""

    id: str
    name: str
    role: Role
    connection_id: str
    since: float
    person_id: str | None = None
    resume_id: str | None = None
    link_name: str | None = None
    audio: bool = False
    video: bool = False
    transcript_notice: bool = False
    removed_before: bool = False

    def view(self) -> WaiterView:
        return WaiterView(self.id, self.name, self.role, self.since,
                          returning=self.resume_id is not None,
                          removed_before=self.removed_before)
