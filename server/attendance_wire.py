"""Attendance on the wire: report objects for REST and the socket, and the rows and columns of
the CSV and JSON exports. README.md documents every column.

JSON gives times as seconds since the epoch; CSV gives them as ISO 8601 in UTC, because that is
what spreadsheets read. Minutes have two decimals. A CSV cell that a spreadsheet would take for
a formula (starting with = + - @) is prefixed with an apostrophe. XLSX (openpyxl, write-only: rows
go to a temporary file, not memory) has real numbers and UTC date-times, and text stays text.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from rooms.attendance import PersonAttendance, SessionAttendance, SessionInfo
from rooms.participant import MAIN_ROOM
from rooms.programme import ProgrammePerson
from server.ledger import RECORD_FIELDS

Row = dict[str, Any]

SESSION_COLUMNS = ("session_id", "session_title", "programme", "scheduled_start",
                   "scheduled_end", "session_ended_at")
PEOPLE_COLUMNS = (
    *SESSION_COLUMNS,
    "person_id", "participant_ids", "name", "role", "email", "on_roster", "status",
    "first_join", "last_leave", "minutes_present", "minutes_main", "minutes_breakouts",
    "minutes_by_room", "lateness_minutes", "left_early_minutes", "reconnects",
    "speaking_minutes", "talk_share", "microphone_minutes", "camera_minutes", "chat_messages",
    "chat_characters", "reactions", "hands_raised", "help_requests", "whiteboard_edits",
    "caption_words", "check_in", "rating", "rating_comment",
)
ROOMS_COLUMNS = ("session_id", "session_title", "person_id", "participant_ids", "name", "role",
                 "room", "room_name", "minutes", "speaking_minutes")
RECORDS_COLUMNS = RECORD_FIELDS
PROGRAMME_COLUMNS = (
    "person_id", "name", "role", "email", "sessions_scheduled", "sessions_attended",
    "attendance_rate", "no_shows", "sessions_upcoming", "total_minutes",
    "average_lateness_minutes", "average_rating", "trend_minutes_per_session",
    "minutes_by_session",
)
TIME_COLUMNS = frozenset({"scheduled_start", "scheduled_end", "session_ended_at", "first_join",
                          "last_leave", "at", "created_at", "ended_at"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# One encoder for every row: json.dumps with options builds a new encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 2)


def session_fields(info: SessionInfo) -> Row:
    schedule = info.plan.schedule
    return {
        "session_id": info.session_id,
        "session_title": info.title,
        "programme": info.plan.programme,
        "scheduled_start": schedule.start if schedule else None,
        "scheduled_end": schedule.end if schedule else None,
        "session_ended_at": info.ended_at,
    }


def person_fields(p: PersonAttendance, *, with_email: bool = True) -> Row:
    main = p.seconds_in(MAIN_ROOM)
    return {
        "person_id": p.key,
        "participant_ids": list(p.participant_ids),
        "name": p.name,
        "role": p.role.value if p.role is not None else None,
        "email": p.email if with_email else None,
        "on_roster": p.on_roster,
        "status": p.status.value,
        "first_join": p.first_join,
        "last_leave": p.last_leave,
        "minutes_present": minutes(p.present_seconds),
        "minutes_main": minutes(main),
        "minutes_breakouts": minutes(sum(s for r, s in p.room_seconds if r != MAIN_ROOM)),
        "minutes_by_room": {room: minutes(s) for room, s in p.room_seconds},
        "lateness_minutes": minutes(p.lateness_seconds),
        "left_early_minutes": minutes(p.left_early_seconds),
        "reconnects": p.reconnects,
        "speaking_minutes": minutes(p.speaking_seconds),
        "talk_share": None if p.talk_share is None else round(p.talk_share, 3),
        "microphone_minutes": minutes(p.microphone_seconds),
        "camera_minutes": minutes(p.camera_seconds),
        "chat_messages": p.chat_messages,
        "chat_characters": p.chat_characters,
        "reactions": p.reactions,
        "hands_raised": p.hands_raised,
        "help_requests": p.help_requests,
        "whiteboard_edits": p.whiteboard_edits,
        "caption_words": p.caption_words,
        "check_in": p.check_in,
        "rating": p.rating,
        "rating_comment": p.rating_comment,
    }


def people_rows(a: SessionAttendance) -> Iterator[Row]:
    session = session_fields(a.info)
    for p in a.people:
        yield {**session, **person_fields(p)}


def room_rows(a: SessionAttendance) -> Iterator[Row]:
    speaking_cols = {"session_id": a.info.session_id, "session_title": a.info.title}
    for p in a.people:
        speaking = dict(p.speaking_room_seconds)
        for room, seconds in p.room_seconds:
            yield {
                **speaking_cols,
                "person_id": p.key,
                "participant_ids": list(p.participant_ids),
                "name": p.name,
                "role": p.role.value if p.role is not None else None,
                "room": room,
                "room_name": a.room_name(room),
                "minutes": minutes(seconds),
                "speaking_minutes": minutes(speaking.get(room, 0.0)),
            }


def record_row(row: Sequence[Any]) -> Row:
    return dict(zip(RECORDS_COLUMNS, row, strict=True))


def record_cells(row: Sequence[Any]) -> list[Any]:
    """A raw ledger row as CSV cells, without the general per-cell conversion (exports of
    millions of records go through here)."""
    seq, session_id, at, kind, participant_id, person_id, room, role, value, text = row
    if text is not None and text.startswith(_FORMULA_START):
        text = "'" + text
    if session_id.startswith(_FORMULA_START):
        session_id = "'" + session_id
    return [seq, session_id, _iso(at), kind, participant_id, person_id, room, role, value, text]


def programme_rows(people: Iterable[ProgrammePerson]) -> Iterator[Row]:
    for p in people:
        rate = p.attendance_rate
        yield {
            "person_id": p.person_id,
            "name": p.name,
            "role": p.role.value,
            "email": p.email,
            "sessions_scheduled": p.sessions_scheduled,
            "sessions_attended": p.sessions_attended,
            "attendance_rate": None if rate is None else round(rate, 3),
            "no_shows": p.no_shows,
            "sessions_upcoming": p.sessions_upcoming,
            "total_minutes": minutes(p.total_seconds),
            "average_lateness_minutes": minutes(p.average_lateness_seconds),
            "average_rating": None if p.average_rating is None else round(p.average_rating, 2),
            "trend_minutes_per_session": (None if p.trend_minutes_per_session is None
                                          else round(p.trend_minutes_per_session, 2)),
            "minutes_by_session": [
                {"session_id": sid, "at": at, "minutes": round(m, 2)}
                for sid, at, m in p.minutes_by_session
            ],
        }


def report_wire(a: SessionAttendance, *, only: str | None = None, admin: bool = False) -> Row:
    """A session's report. ``only``: the key of the one person the reader may see. Emails and
    anonymous feedback are for admins only."""
    people = [p for p in a.people if only is None or p.key == only]
    out: Row = {
        "session": {**session_fields(a.info), "goal": a.info.goal,
                    "created_at": a.info.created_at},
        "as_of": a.as_of,
        "started_at": a.started_at,
        "ended_at": a.ended_at,
        "rooms": [{"id": room, "name": name} for room, name in a.room_names],
        "people": [person_fields(p, with_email=admin) for p in people],
        "timeline": [
            {"person_id": p.key, "name": p.name,
             "segments": [{"room": s.room, "start": s.start, "end": s.end} for s in p.timeline]}
            for p in people
        ],
    }
    if admin:
        out["feedback"] = {
            "ratings": a.ratings,
            "average_rating": None if a.average_rating is None else round(a.average_rating, 2),
            "anonymous": [{"rating": f.rating, "comment": f.comment}
                          for f in a.anonymous_feedback],
        }
    return out


# -- CSV and JSON encoding, row by row -------------------------------------------------------------


def _iso(value: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))


def csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in TIME_COLUMNS and isinstance(value, int | float):
        return _iso(float(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        parts = [
            f"{v['session_id']}={v['minutes']}" if isinstance(v, dict) else str(v)
            for v in value
        ]
        return "; ".join(parts)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvEncoder:
    """Rows to CSV text, a chunk at a time; the header comes with the first chunk."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = columns
        self._header_sent = False

    def encode(self, rows: Iterable[Row]) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if not self._header_sent:
            writer.writerow(self.columns)
            self._header_sent = True
        for row in rows:
            writer.writerow([csv_cell(c, row.get(c)) for c in self.columns])
        return buf.getvalue().encode()

    def encode_records(self, rows: Iterable[Sequence[Any]]) -> bytes:
        """Raw ledger rows (``RECORD_FIELDS`` order) to CSV."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if not self._header_sent:
            writer.writerow(self.columns)
            self._header_sent = True
        writer.writerows(record_cells(row) for row in rows)
        return buf.getvalue().encode()

    def finish(self) -> bytes:
        return b"" if self._header_sent else self.encode([])


class XlsxWriter:
    """Rows to one XLSX sheet. Write-only: openpyxl spools the rows to a temporary file."""

    def __init__(self, columns: Sequence[str]) -> None:
        from openpyxl import Workbook

        self.columns = columns
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("attendance")
        self.sheet.append(list(columns))

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.sheet.append([self._cell(c, row.get(c)) for c in self.columns])

    def _cell(self, column: str, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if value is None or isinstance(value, bool):
            return value
        if column in TIME_COLUMNS and isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        if isinstance(value, int | float):
            return value
        text = csv_cell(column, value).removeprefix("'")
        cell = WriteOnlyCell(self.sheet, value=text)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    def save(self, path: str) -> None:
        self.book.save(path)


class JsonEncoder:
    """Rows to one JSON array, a chunk at a time."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = columns
        self._started = False

    def encode(self, rows: Iterable[Row]) -> bytes:
        parts = []
        for row in rows:
            parts.append(("[\n" if not self._started else ",\n")
                         + _JSON.encode({c: row.get(c) for c in self.columns}))
            self._started = True
        return "".join(parts).encode()

    def encode_records(self, rows: Iterable[Sequence[Any]]) -> bytes:
        encode = _JSON.encode
        parts = []
        for row in rows:
            parts.append(("[\n" if not self._started else ",\n")
                         + encode(dict(zip(RECORDS_COLUMNS, row, strict=True))))
            self._started = True
        return "".join(parts).encode()

    def finish(self) -> bytes:
        return b"\n]\n" if self._started else b"[]\n"
