"""Attendance reports as rows: the report object for REST and the socket, and the rows and
columns of the exports. README.md documents every column. Times are seconds since the epoch here;
``server.attendance.exports`` writes them as each format needs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rooms.attendance import PersonAttendance, SessionAttendance, SessionInfo
from rooms.programme import ProgrammePerson
from rooms.room import MAIN_ROOM
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
    "caption_words", "checked_in", "check_in", "check_in_shared", "rated", "rating",
    "rating_comment", "rating_shared",
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
                          "last_leave", "at", "created_at", "ended_at", "ends_at"})


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
        "checked_in": p.check_in is not None,
        "check_in": p.check_in,
        "check_in_shared": p.check_in_shared,
        "rated": p.rating is not None,  # a named rating (an anonymous one is nobody's)
        "rating": p.rating,
        "rating_comment": p.rating_comment,
        "rating_shared": p.rating_shared,
    }


def for_mentor(row: Row, own: bool) -> Row:
    """A person's row as their mentor sees it: that they checked in and rated, and what they
    wrote only where they chose to share it (their own row is whole)."""
    if own:
        return row
    out = dict(row)
    if not row["check_in_shared"]:
        out["check_in"] = None
    if not row["rating_shared"]:
        out["rating"] = out["rating_comment"] = None
    return out


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


def report_wire(a: SessionAttendance, *, only: str | None = None, admin: bool = False,
                mentor: str | None = None) -> Row:
    """A session's report. ``only``: the key of the one person the reader may see. ``mentor``:
    the key of the mentor reading it, who sees each person's check-in and rating only where
    they shared it, and the number and average of the ratings. Emails and anonymous feedback
    are for admins only."""
    people = [p for p in a.people if only is None or p.key == only]
    rows = [person_fields(p, with_email=admin) for p in people]
    if mentor is not None:
        rows = [for_mentor(r, own=p.key == mentor) for p, r in zip(people, rows, strict=True)]
    out: Row = {
        "session": {**session_fields(a.info), "goal": a.info.goal,
                    "created_at": a.info.created_at},
        "as_of": a.as_of,
        "started_at": a.started_at,
        "ended_at": a.ended_at,
        "rooms": [{"id": room, "name": name} for room, name in a.room_names],
        "people": rows,
        "timeline": [
            {"person_id": p.key, "name": p.name,
             "segments": [{"room": s.room, "start": s.start, "end": s.end} for s in p.timeline]}
            for p in people
        ],
    }
    if mentor is not None:
        out["feedback"] = {
            "ratings": a.ratings,
            "average_rating": None if a.average_rating is None else round(a.average_rating, 2),
        }
    if admin:
        out["feedback"] = {
            "ratings": a.ratings,
            "average_rating": None if a.average_rating is None else round(a.average_rating, 2),
            "anonymous": [{"rating": f.rating, "comment": f.comment}
                          for f in a.anonymous_feedback],
        }
    return out
