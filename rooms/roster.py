"""Who a session is for and when: its roster, its schedule, and the event that announces them.

Rules of this module: a roster person's id is chosen by the programme admin and stays the same
across sessions, so one person's attendance can be followed over a whole programme. A personal
join link names a roster person by role and name (both signed into the link), so neither person
ids nor (role, name) pairs may repeat within one roster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import InvalidPayload
from rooms.participant import clean_name
from rooms.roles import Role

PERSON_ID_MAX = 64
EMAIL_MAX = 254
PROGRAMME_MAX = 100
ROSTER_MAX = 50
# A scheduled session lasts at most this long; anything longer is a typing mistake.
SCHEDULE_MAX_SECONDS = 24 * 3600.0
_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")
_EMAIL = re.compile(r"[^@\s\x1c-\x1f\x85\ufeff]+@[^@\s\x1c-\x1f\x85\ufeff]+")


def is_person_id(text: str) -> bool:
    return _PERSON_ID.fullmatch(text) is not None


# A personal link that names its person by id (``person_link``) rather than by roster name: a
# control character, which no display name may hold, keeps the two apart.
PERSON_LINK = "\x1fperson:"


def person_link(person_id: str) -> str:
    """How a personal link that carries its person's id names them to the session."""
    return PERSON_LINK + person_id


def is_email(text: str) -> bool:
    """An address a roster entry accepts (one @, no spaces or separators, at most 254)."""
    return len(text) <= EMAIL_MAX and _EMAIL.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One person a session is scheduled for."""

    person_id: str
    name: str
    role: Role
    email: str | None = None

    def __post_init__(self) -> None:
        if not _PERSON_ID.fullmatch(self.person_id):
            raise InvalidPayload(
                f"A person id is 1 to {PERSON_ID_MAX} letters, digits or . _ : @ - "
                f"(starting with a letter or digit), not {self.person_id!r}."
            )
        if clean_name(self.name) != self.name:
            raise InvalidPayload(f"The roster name {self.name!r} has extra spaces.")
        if self.email is not None and (
            len(self.email) > EMAIL_MAX or not _EMAIL.fullmatch(self.email)
        ):
            raise InvalidPayload(f"{self.email!r} is not an email address.")


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a session is meant to start and end (seconds since the epoch)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise InvalidPayload("A scheduled end must come after the scheduled start.")
        if self.end - self.start > SCHEDULE_MAX_SECONDS:
            raise InvalidPayload("A scheduled session can last at most 24 hours.")


class CaptionConsent(StrEnum):
    """What a session allows of captions, chosen by the admin when creating it."""

    OFF = "off"  # no captions at all
    LIVE = "live"  # captions shown, their text kept nowhere
    KEEP = "keep"  # a transcript is kept of the speakers who were told on joining


class WaitingRoom(StrEnum):
    """Who waits until a mentor admits them (mentors and admins never wait)."""

    ROLE_LINKS = "role_links"  # people who came by a role link; roster people go straight in
    EVERYONE = "everyone"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """What a session was created for: its programme, schedule, roster, chat keeping, captions,
    and whether its people must not see each other's network addresses (``private_addresses``:
    every room's media then goes through the server, see ``rooms.room.media_route``)."""

    programme: str = ""
    schedule: Schedule | None = None
    roster: tuple[RosterEntry, ...] = ()
    keep_chat: bool = False
    captions: CaptionConsent = CaptionConsent.LIVE
    waiting_room: WaitingRoom = WaitingRoom.OFF  # the server chooses one for new sessions
    private_addresses: bool = False

    def __post_init__(self) -> None:
        if len(self.programme) > PROGRAMME_MAX or self.programme != self.programme.strip():
            raise InvalidPayload(
                f"A programme name is at most {PROGRAMME_MAX} characters, without outer spaces."
            )
        if len(self.roster) > ROSTER_MAX:
            raise InvalidPayload(f"A roster can list at most {ROSTER_MAX} people.")
        ids = [e.person_id for e in self.roster]
        if len(set(ids)) != len(ids):
            raise InvalidPayload("Each person on a roster needs a different id.")
        keys = [(e.role, e.name.casefold()) for e in self.roster]
        if len(set(keys)) != len(keys):
            raise InvalidPayload(
                "Two people on the roster have the same role and name; give them different "
                "names, so that their personal links tell them apart."
            )

    def person_for_link(self, role: Role, link_name: str | None) -> RosterEntry | None:
        """The roster person a personal link (its signed role and name, or person id: see
        ``person_link``) was issued for."""
        if link_name is None:
            return None
        if link_name.startswith(PERSON_LINK):
            person_id = link_name[len(PERSON_LINK):]
            return next((e for e in self.roster
                         if e.person_id == person_id and e.role is role), None)
        key = link_name.casefold()
        for entry in self.roster:
            if entry.role is role and entry.name.casefold() == key:
                return entry
        return None
