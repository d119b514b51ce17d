"""A programme's cohort and its people: who they are, what they want from mentoring and when
they are free. Matching (``rooms.matching``), the CSV import (``rooms.cohort_import``) and
scheduling (``rooms.recurrence``) all read these values.

Rules of this module: a person's id is stable for the whole programme and is what personal
links carry, so a person is recognised by their link, never by a name they type. Values
validate themselves; a wrong one raises ``InvalidPayload`` naming the field. Profiles are
for admins and for matching only: what a participant may see of another is decided elsewhere
(``mentor_view``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rooms.errors import InvalidPayload
from rooms.participant import clean_name
from rooms.roles import Role
from rooms.roster import EMAIL_MAX, PROGRAMME_MAX, RosterEntry, is_person_id

COHORT_MAX = 5_000  # people in one cohort
TERMS_MAX = 20  # goals, interests, skills, languages: at most this many each
TERM_MAX = 60  # characters in one such term
FREE_TEXT_MAX = 2_000
SLOTS_MAX = 28  # weekly availability slots, as people give them
# ... as kept, each within one day: a slot past midnight is kept as two
DAY_SLOTS_MAX = 2 * SLOTS_MAX
CAPACITY_MAX = 10  # mentees one mentor may take (a small group at most)
NEVER_PAIR_MAX = 50
DEPARTMENT_MAX = 100
MINUTES_PER_DAY = 24 * 60
MATCHED_ROLES = frozenset({Role.MENTOR, Role.MENTEE})

_zones: frozenset[str] | None = None


def is_time_zone(name: str) -> bool:
    """An IANA time zone this machine knows (``Europe/Madrid``, ``UTC``)."""
    global _zones
    if _zones is None:
        _zones = frozenset(available_timezones()) | {"UTC"}
    if name not in _zones:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def terms(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Clean terms: outer spaces trimmed, empty ones and repeats (ignoring case) dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        term = " ".join(raw.split())
        if not term or term.casefold() in seen:
            continue
        if len(term) > TERM_MAX:
            raise InvalidPayload(f"{what}: {term[:20]!r}… is over {TERM_MAX} characters.")
        seen.add(term.casefold())
        out.append(term)
    if len(out) > TERMS_MAX:
        raise InvalidPayload(f"{what}: at most {TERMS_MAX} entries.")
    return tuple(out)


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A weekly time a person is free, in their own time zone: ``weekday`` 0 is Monday,
    ``start`` and ``end`` are minutes after midnight."""

    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidPayload("availability: a weekday is 0 (Monday) to 6 (Sunday).")
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise InvalidPayload("availability: a slot starts before it ends, within one day.")


@dataclass(frozen=True, slots=True)
class Profile:
    """What a person brings to matching. Terms are compared ignoring case."""

    goals: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    skills_offered: tuple[str, ...] = ()
    skills_wanted: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    time_zone: str = "UTC"
    availability: tuple[Slot, ...] = ()
    department: str = ""
    free_text: str = ""

    def __post_init__(self) -> None:
        for name in ("goals", "interests", "skills_offered", "skills_wanted", "languages"):
            object.__setattr__(self, name, terms(getattr(self, name), name))
        if not is_time_zone(self.time_zone):
            raise InvalidPayload(f"time_zone: {self.time_zone[:40]!r} is not an IANA time zone "
                                 "(for example Europe/Madrid).")
        if len(self.availability) > DAY_SLOTS_MAX:
            raise InvalidPayload(f"availability: at most {SLOTS_MAX} weekly slots (each within "
                                 f"a day, {DAY_SLOTS_MAX}).")
        object.__setattr__(self, "availability", tuple(sorted(set(self.availability))))
        if len(self.department) > DEPARTMENT_MAX:
            raise InvalidPayload(f"department: at most {DEPARTMENT_MAX} characters.")
        object.__setattr__(self, "department", " ".join(self.department.split()))
        if len(self.free_text) > FREE_TEXT_MAX:
            raise InvalidPayload(f"free_text: at most {FREE_TEXT_MAX} characters.")


@dataclass(frozen=True, slots=True)
class Person:
    """One mentor or mentee of a cohort. ``capacity`` is how many mentees a mentor takes (more
    than one makes a small group); ``never_pair`` names people they must never be matched
    with, by id."""

    id: str
    name: str
    role: Role
    email: str | None = None
    profile: Profile = field(default_factory=Profile)
    capacity: int = 1
    never_pair: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not is_person_id(self.id):
            raise InvalidPayload(
                "id: 1 to 64 letters, digits or . _ : @ - (starting with a letter or digit)."
            )
        if self.role not in MATCHED_ROLES:
            raise InvalidPayload("role: a cohort's people are mentors or mentees.")
        if len(self.name) > 100:
            raise InvalidPayload("name: at most 100 characters.")
        name = clean_name(self.name)
        if not name:
            raise InvalidPayload("name: a name is needed.")
        object.__setattr__(self, "name", name)
        if self.email is not None:
            email = self.email.strip() or None
            if email is not None and len(email) > EMAIL_MAX:
                raise InvalidPayload(f"email: at most {EMAIL_MAX} characters.")
            object.__setattr__(self, "email", email)
        if not 1 <= self.capacity <= CAPACITY_MAX:
            raise InvalidPayload(f"capacity: 1 to {CAPACITY_MAX} mentees.")
        if self.role is Role.MENTEE and self.capacity != 1:
            raise InvalidPayload("capacity: only a mentor takes more than one.")
        if len(self.never_pair) > NEVER_PAIR_MAX:
            raise InvalidPayload(f"never_pair: at most {NEVER_PAIR_MAX} people.")
        if self.id in self.never_pair:
            raise InvalidPayload("never_pair: a person cannot be kept from themselves.")
        if any(not is_person_id(p) for p in self.never_pair):
            raise InvalidPayload("never_pair: person ids only.")
        # the email check of a roster entry, so that every person can be put on a roster
        self.roster_entry()

    def roster_entry(self) -> RosterEntry:
        """This person as a session's roster lists them (for their personal link)."""
        return RosterEntry(person_id=self.id, name=self.name, role=self.role, email=self.email)


@dataclass(frozen=True, slots=True)
class Cohort:
    """A programme's group of people who are matched and meet over the same weeks."""

    id: str
    programme: str
    name: str

    def __post_init__(self) -> None:
        if not is_person_id(self.id):  # the same alphabet as person ids
            raise InvalidPayload("A cohort id is 1 to 64 letters, digits or . _ : @ -.")
        for what, value in (("programme", self.programme), ("name", self.name)):
            if not value.strip() or len(value) > PROGRAMME_MAX or value != value.strip():
                raise InvalidPayload(
                    f"{what}: 1 to {PROGRAMME_MAX} characters, without outer spaces."
                )
