"""A cohort's people from a spreadsheet (CSV) and back.

Rules of this module: an import is all or nothing. Every row is checked and every error of
every row is reported (row number, column, a stable code, what to fix); if there is any error,
no one is imported. The work is bounded: a file with more than ``max_rows`` data rows is refused
as soon as the row after the last allowed one is read, and a cell over ``CELL_MAX`` characters is
an error without being looked at further.

- Columns are named in a header row, in any order and any case (``Skills offered`` is
  ``skills_offered``); ``name``, ``email`` and ``role`` are required, an unknown column is an
  error. Cells are trimmed.
- A row with an ``id`` is that person (new or existing). A row without one updates the existing
  person with the same email (ignoring case), or is a new person with an id from ``new_id``.
  An email is needed unless the row has an id.
- Lists (goals, interests, skills, languages, never_pair) are separated by ``;``; availability
  is ``Mon 18:00-20:00; Wed 09:00-10:30`` (English weekdays, 24-hour times, the person's zone).
- ``never_pair`` names people by id or email, in the file or already in the cohort.
- A cell starting with ``=`` ``+`` ``-`` ``@`` is data. The export (``people_csv``) guards such
  cells for spreadsheets with a leading apostrophe, and the import removes that apostrophe, so
  a file exported here imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from rooms.cohort import (
    CAPACITY_MAX,
    COHORT_MAX,
    DEPARTMENT_MAX,
    FREE_TEXT_MAX,
    NEVER_PAIR_MAX,
    SLOTS_MAX,
    TERM_MAX,
    TERMS_MAX,
    Person,
    Profile,
    Slot,
    is_time_zone,
    terms,
)
from rooms.errors import InvalidPayload
from rooms.participant import NAME_MAX as DISPLAY_NAME_MAX
from rooms.participant import clean_name
from rooms.roles import Role
from rooms.roster import PERSON_ID_MAX, is_email, is_person_id

COLUMNS = ("id", "name", "email", "role", "goals", "interests", "skills_offered",
           "skills_wanted", "languages", "time_zone", "availability", "department", "capacity",
           "never_pair", "free_text")
REQUIRED_COLUMNS = ("name", "email", "role")
LIST_COLUMNS = ("goals", "interests", "skills_offered", "skills_wanted", "languages")
CELL_MAX = 2_000
NAME_MAX = 100
# What a spreadsheet takes for the start of a formula (the rule of the attendance exports, kept
# here because the domain cannot import the server; the server may import this one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SLOT = re.compile(r"([A-Za-z]{3})\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
T = TypeVar("T")
_NO_TERMS: tuple[str, ...] = ()
_NO_SLOTS: tuple[Slot, ...] = ()
_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one row: ``row`` is the data row (1 is the first after the header,
    0 the header or the file as a whole), ``code`` a stable word, ``message`` what to fix (in
    English), ``params`` the same as data for a page to say in its own language: the value at
    fault (cut to a few dozen characters), the values allowed, the limits (``ERROR_PARAMS``).
    When a code has several forms, ``params["problem"]`` says which."""

    row: int
    column: str | None
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


# Each code's params (docs/PROGRAMMES.md); "problem" tells a code's forms apart.
ERROR_PARAMS = {
    "missing_value": "none: the column says what is missing (a name; an email, for a row "
                     "without an id)",
    "too_long": "max, length (characters)",
    "bad_name": "problem: too_long (max, length) | control_characters",
    "bad_email": "value",
    "bad_role": "value, allowed: [str]",
    "bad_id": "value, max",
    "bad_list": "problem: term_too_long (value: the term's start, max) | too_many (max, count)",
    "bad_time_zone": "value",
    "bad_availability": "problem: format | time_range | order (value: the time as written) | "
                        "too_many (max, count)",
    "bad_capacity": "problem: range (value, min, max) | mentee",
    "bad_never_pair": "problem: too_many (max, count) | self (value)",
    "unknown_never_pair": "value",
    "unknown_column": "position (1 is the first), value, allowed: [str]",
    "duplicate_column": "value",
    "missing_column": "value",
    "extra_cell": "position (1 is the first)",
    "duplicate_id": "value (the id), other_row",
    "duplicate_email": "problem: in_file (other_row) | in_cohort (name, id: the person who has it)",
    "too_many_rows": "max",
    "bad_csv": "line, detail (the CSV reader's own words, in English)",
    "bad_encoding": "none",
    "bad_profile": "none (the message names the field)",
    "bad_person": "none (the message names the field)",
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The people of a file, or, if anything is wrong, no one and every error."""

    people: tuple[Person, ...] = ()
    errors: tuple[RowError, ...] = ()

    def __post_init__(self) -> None:
        if self.people and self.errors:
            raise InvalidPayload("An import with errors imports no one.")


class _Bad(Exception):
    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.params = code, message, params


@dataclass(slots=True)
class _Draft:
    row: int
    id: str | None  # as written, or the existing person matched by email
    explicit_id: bool
    name: str
    email: str | None
    role: Role
    profile: Profile
    capacity: int
    never_pair: tuple[str, ...]  # as written: ids or emails


def _header_name(raw: str) -> str:
    return "_".join(raw.strip().casefold().replace("-", " ").split())


def unguard(cell: str) -> str:
    """A cell as the data it holds: the apostrophe ``people_csv`` puts before a formula-like
    cell (or a cell that starts with an apostrophe) removed."""
    if cell.startswith("'") and cell[1:].startswith((*FORMULA_START, "'")):
        return cell[1:]
    return cell


def guard(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (an apostrophe before = + - @ tab CR)."""
    return "'" + cell if cell.startswith((*FORMULA_START, "'")) else cell


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _name(cell: str) -> str:
    if not cell:
        raise _Bad("missing_value", "A name is needed.")
    if len(cell) > NAME_MAX:
        raise _Bad("too_long", f"A name is at most {NAME_MAX} characters.", max=NAME_MAX,
                   length=len(cell))
    try:
        return clean_name(cell)
    except InvalidPayload as e:
        name = " ".join(cell.split())
        params: dict[str, Any] = (
            {"problem": "too_long", "max": DISPLAY_NAME_MAX, "length": len(name)}
            if len(name) > DISPLAY_NAME_MAX else {"problem": "control_characters"})
        raise _Bad("bad_name", e.message, **params) from None


def _email(cell: str) -> str | None:
    if cell and not is_email(cell):
        raise _Bad("bad_email", f"{cell[:60]!r} is not an email address.", value=cell[:60])
    return cell or None


def _role(cell: str) -> Role:
    if cell.casefold() not in (Role.MENTOR, Role.MENTEE):
        raise _Bad("bad_role", f"The role is mentor or mentee, not {cell[:30]!r}.",
                   value=cell[:30], allowed=[Role.MENTOR.value, Role.MENTEE.value])
    return Role(cell.casefold())


def _id(cell: str) -> str | None:
    if cell and not is_person_id(cell):
        raise _Bad("bad_id", f"An id is 1 to {PERSON_ID_MAX} letters, digits or . _ : @ - "
                             "(starting with a letter or digit).", value=cell[:60],
                   max=PERSON_ID_MAX)
    return cell or None


def _terms(column: str, cell: str) -> tuple[str, ...]:
    try:
        return terms(_split(cell), column)
    except InvalidPayload as e:
        cleaned = [" ".join(raw.split()) for raw in _split(cell)]
        long = next((term for term in cleaned if len(term) > TERM_MAX), None)
        params: dict[str, Any] = (
            {"problem": "term_too_long", "value": long[:20], "max": TERM_MAX} if long else
            {"problem": "too_many", "max": TERMS_MAX,
             "count": len({term.casefold() for term in cleaned})})
        raise _Bad("bad_list", e.message, **params) from None


def _time_zone(cell: str) -> str:
    if not cell:
        return "UTC"
    if not is_time_zone(cell):
        raise _Bad("bad_time_zone", f"{cell[:40]!r} is not an IANA time zone (for example "
                                    "Europe/Madrid, America/New_York or UTC).", value=cell[:40])
    return cell


def _availability(cell: str) -> tuple[Slot, ...]:
    slots = []
    for part in _split(cell):
        m = _SLOT.fullmatch(part)
        day = m.group(1).capitalize() if m else ""
        if m is None or day not in WEEKDAYS:
            raise _Bad("bad_availability", f"{part[:40]!r}: write a weekly time as "
                                           "'Mon 18:00-20:00' (Mon to Sun, 24-hour times).",
                       problem="format", value=part[:40])
        h1, m1, h2, m2 = (int(g) for g in m.groups()[1:])
        if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2):
            raise _Bad("bad_availability", f"{part[:40]!r}: times run from 00:00 to 24:00.",
                       problem="time_range", value=part[:40])
        try:
            slots.append(Slot(WEEKDAYS.index(day), h1 * 60 + m1, h2 * 60 + m2))
        except InvalidPayload:
            raise _Bad("bad_availability",
                       f"{part[:40]!r}: a time starts before it ends, within one day.",
                       problem="order", value=part[:40]) from None
    if len(slots) > SLOTS_MAX:
        raise _Bad("bad_availability", f"At most {SLOTS_MAX} weekly times.",
                   problem="too_many", max=SLOTS_MAX, count=len(slots))
    return tuple(slots)


def _department(cell: str) -> str:
    if len(cell) > DEPARTMENT_MAX:
        raise _Bad("too_long", f"A department is at most {DEPARTMENT_MAX} characters.",
                   max=DEPARTMENT_MAX, length=len(cell))
    return cell


def _capacity(cell: str) -> int:
    if not cell:
        return 1
    if not cell.isdigit() or not 1 <= int(cell) <= CAPACITY_MAX:
        raise _Bad("bad_capacity", f"Capacity is a whole number of mentees, 1 to {CAPACITY_MAX}.",
                   problem="range", value=cell[:20], min=1, max=CAPACITY_MAX)
    return int(cell)


def _never_pair(cell: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(_split(cell)))
    if len(names) > NEVER_PAIR_MAX:
        raise _Bad("bad_never_pair", f"At most {NEVER_PAIR_MAX} people.", problem="too_many",
                   max=NEVER_PAIR_MAX, count=len(names))
    return names


def _free_text(cell: str) -> str:
    if len(cell) > FREE_TEXT_MAX:
        raise _Bad("too_long", f"Free text is at most {FREE_TEXT_MAX} characters.",
                   max=FREE_TEXT_MAX, length=len(cell))
    return cell


def _draft(number: int, cells: dict[str, str], errors: list[RowError]) -> _Draft | None:
    """One row checked column by column; its errors appended to ``errors``."""
    found = len(errors)

    def cell(column: str, parse: Callable[[str], T], fallback: T) -> T:
        raw = cells.get(column, "")
        if len(raw) > CELL_MAX:
            errors.append(RowError(number, column, "too_long",
                                   f"A cell is at most {CELL_MAX} characters.",
                                   {"max": CELL_MAX, "length": len(raw)}))
            return fallback
        try:
            return parse(raw)
        except _Bad as e:
            errors.append(RowError(number, column, e.code, e.message, e.params))
            return fallback

    person_id = cell("id", _id, None)
    name = cell("name", _name, "")
    email = cell("email", _email, None)
    role = cell("role", _role, None)
    lists = {c: cell(c, partial(_terms, c), _NO_TERMS) for c in LIST_COLUMNS}
    time_zone = cell("time_zone", _time_zone, "UTC")
    availability = cell("availability", _availability, _NO_SLOTS)
    department = cell("department", _department, "")
    capacity = cell("capacity", _capacity, 1)
    never_pair = cell("never_pair", _never_pair, _NO_TERMS)
    free_text = cell("free_text", _free_text, "")
    if not cells.get("email") and not cells.get("id"):
        errors.append(RowError(number, "email", "missing_value",
                               "An email is needed when the row has no id."))
    if role is Role.MENTEE and capacity != 1:
        errors.append(RowError(number, "capacity", "bad_capacity",
                               "Only a mentor takes more than one mentee.",
                               {"problem": "mentee"}))
    if len(errors) > found or role is None:
        return None
    try:
        profile = Profile(
            goals=lists["goals"], interests=lists["interests"],
            skills_offered=lists["skills_offered"], skills_wanted=lists["skills_wanted"],
            languages=lists["languages"], time_zone=time_zone, availability=availability,
            department=department, free_text=free_text,
        )
    except InvalidPayload as e:
        errors.append(RowError(number, None, "bad_profile", e.message))
        return None
    return _Draft(number, person_id, person_id is not None, name, email, role, profile,
                  capacity, never_pair)


def _read_header(header: list[str] | None) -> tuple[list[str], list[RowError]]:
    columns = [_header_name(unguard(h.strip().lstrip("\ufeff"))) for h in header or []]
    errors = []
    for i, column in enumerate(columns):
        if column and column not in COLUMNS:
            errors.append(RowError(0, column, "unknown_column",
                                   f"Column {i + 1} ({column[:40]!r}) is not one of: "
                                   f"{', '.join(COLUMNS)}.",
                                   {"position": i + 1, "value": column[:40],
                                    "allowed": list(COLUMNS)}))
        elif column and column in columns[:i]:
            errors.append(RowError(0, column, "duplicate_column",
                                   f"The column {column!r} appears twice.", {"value": column}))
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            errors.append(RowError(0, column, "missing_column",
                                   f"The header row needs a {column!r} column.",
                                   {"value": column}))
    return columns, errors


def parse_people_csv(text: str, existing: Mapping[str, Person], new_id: Callable[[], str],
                     max_rows: int = COHORT_MAX) -> ImportResult:
    """The people of a CSV file, or every error in it and no one. ``existing`` is the cohort's
    people by id (rows update them by id or email); ``new_id`` makes an id for a new person
    (called only when the whole file is good). An adapter decodes the uploaded bytes with
    ``data.decode("utf-8", "surrogateescape")``: bytes that are not UTF-8 then become a
    ``bad_encoding`` error here."""
    if _BAD_TEXT.search(text):
        return ImportResult((), (RowError(0, None, "bad_encoding",
                                          "The file is not UTF-8 text; save it as CSV UTF-8."),))
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    errors: list[RowError] = []
    drafts: list[_Draft] = []
    number = -1  # the row being read: the header is row 0
    try:
        columns, errors = _read_header(next(reader, None))
        if errors:
            return ImportResult((), tuple(errors))
        for number, row in enumerate(reader, start=1):
            if number > max_rows:
                return ImportResult((), (RowError(number, None, "too_many_rows",
                                                  f"A file holds at most {max_rows} people; "
                                                  "split it and import each part.",
                                                  {"max": max_rows}),))
            if not any(c.strip() for c in row):
                continue
            cells: dict[str, str] = {}
            for i, raw in enumerate(row):
                column = columns[i] if i < len(columns) else ""
                if column:
                    cells[column] = unguard(raw.strip())
                elif raw.strip():
                    errors.append(RowError(number, None, "extra_cell",
                                           f"Cell {i + 1} has no column name in the header.",
                                           {"position": i + 1}))
            draft = _draft(number, cells, errors)
            if draft is not None:
                drafts.append(draft)
    except csv.Error as e:
        # the row after the last one read (or the header) could not be read
        errors.append(RowError(number + 1, None, "bad_csv",
                               f"Unreadable CSV (line {reader.line_num}): {e}.",
                               {"line": reader.line_num, "detail": str(e)}))
        return ImportResult((), tuple(errors))
    errors += _check_together(drafts, existing)
    if errors:
        return ImportResult((), tuple(sorted(errors, key=lambda e: e.row)))
    return _people(drafts, existing, new_id)


def _check_together(drafts: list[_Draft], existing: Mapping[str, Person]) -> list[RowError]:
    """Duplicates within the file and against the cohort; never_pair names resolved."""
    errors = []
    existing_by_email = {p.email.casefold(): p for p in existing.values() if p.email}
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    for d in drafts:
        key = d.email.casefold() if d.email else None
        if d.id is None and key in existing_by_email:
            d.id = existing_by_email[key].id  # an update of the person with this email
        if d.id is not None:
            if d.id in ids:
                errors.append(RowError(d.row, "id" if d.explicit_id else "email", "duplicate_id",
                                       f"Row {ids[d.id]} is the same person ({d.id}).",
                                       {"value": d.id, "other_row": ids[d.id]}))
            ids.setdefault(d.id, d.row)
        if key is not None:
            if key in emails:
                errors.append(RowError(d.row, "email", "duplicate_email",
                                       f"Row {emails[key]} has the same email.",
                                       {"problem": "in_file", "other_row": emails[key]}))
            emails.setdefault(key, d.row)
    file_ids = set(ids)
    for d in drafts:
        key = d.email.casefold() if d.email else None
        owner = existing_by_email.get(key) if key else None
        if owner is not None and owner.id != d.id and owner.id not in file_ids:
            errors.append(RowError(d.row, "email", "duplicate_email",
                                   f"The email belongs to {owner.name} ({owner.id}) already.",
                                   {"problem": "in_cohort", "name": owner.name, "id": owner.id}))
        for name in d.never_pair:
            known = (name in file_ids or name in existing or name.casefold() in emails
                     or name.casefold() in existing_by_email)
            if not known:
                errors.append(RowError(d.row, "never_pair", "unknown_never_pair",
                                       f"{name[:60]!r} is no one in this file or the cohort "
                                       "(give an id or an email).", {"value": name[:60]}))
            elif name == d.id or (key is not None and name.casefold() == key):
                errors.append(RowError(d.row, "never_pair", "bad_never_pair",
                                       "A person cannot be kept from themselves.",
                                       {"problem": "self", "value": name[:60]}))
    return errors


def _people(drafts: list[_Draft], existing: Mapping[str, Person],
            new_id: Callable[[], str]) -> ImportResult:
    for d in drafts:
        if d.id is None:
            d.id = new_id()
    known_ids = set(existing) | {d.id for d in drafts if d.id}
    by_email = {p.email.casefold(): p.id for p in existing.values() if p.email}
    by_email.update({d.email.casefold(): d.id for d in drafts if d.email and d.id})
    people, errors = [], []
    for d in drafts:
        assert d.id is not None
        # an id first (ids may hold an @), then an email: as _check_together found them
        never = tuple(dict.fromkeys(n if n in known_ids else by_email[n.casefold()]
                                    for n in d.never_pair))
        try:
            people.append(Person(d.id, d.name, d.role, d.email, d.profile, d.capacity, never))
        except InvalidPayload as e:
            errors.append(RowError(d.row, None, "bad_person", e.message))
    if errors:
        return ImportResult((), tuple(errors))
    return ImportResult(tuple(people), ())


def _slot_text(slot: Slot) -> str:
    return (f"{WEEKDAYS[slot.weekday]} {slot.start // 60:02d}:{slot.start % 60:02d}-"
            f"{slot.end // 60:02d}:{slot.end % 60:02d}")


def people_csv(people: Sequence[Person]) -> str:
    """People as a CSV file with the import's columns (CRLF line ends, a header row), each cell
    guarded against being run as a spreadsheet formula. Raises ``InvalidPayload`` for a term
    holding ``;``, which the file could not tell from two terms."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for p in people:
        pr = p.profile
        lists = []
        for column in LIST_COLUMNS:
            values: tuple[str, ...] = getattr(pr, column)
            if any(";" in v for v in values):
                raise InvalidPayload(f"{column} of {p.id}: a term cannot hold ';'.")
            lists.append(";".join(values))
        row = [p.id, p.name, p.email or "", p.role.value, *lists, pr.time_zone,
               "; ".join(_slot_text(s) for s in pr.availability), pr.department,
               str(p.capacity), ";".join(p.never_pair), pr.free_text]
        writer.writerow([guard(cell) for cell in row])
    return out.getvalue()
