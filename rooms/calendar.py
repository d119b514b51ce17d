"""Calendar invitations: sessions as an iCalendar file (RFC 5545) that any calendar imports.

Rules of this module: times are written in UTC (``...Z``), so no time zone definitions are
needed and every calendar shows each person the session in their own zone. Text values are
escaped (backslash, semicolon, comma, newline) and lines are folded at 75 octets without splitting
a UTF-8 character; lines end in CRLF. A session's link is both in its description (for calendars
that hide the URL property) and its ``URL``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rooms.errors import InvalidPayload

PRODID = "-//Tandem//Programme console//EN"
LINE_OCTETS = 75  # RFC 5545 3.1: content lines are folded at 75 octets
UID_DOMAIN = "tandem"
SUMMARY_MAX = 200
DESCRIPTION_MAX = 4_000
URL_MAX = 2_000
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f\"<>\\^`{|}]+")
# Control characters TEXT may not hold (RFC 5545 3.3.11 allows tab; newlines are escaped)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One session in a calendar: ``uid`` is stable for the session (the same uid updates the
    event when the file is imported again); times in seconds since the epoch."""

    uid: str
    start: float
    end: float
    summary: str
    description: str
    url: str

    def __post_init__(self) -> None:
        if not self.uid or len(self.uid) > 200 or _CONTROL.search(self.uid) or any(
                c in self.uid for c in "\r\n"):
            raise InvalidPayload("uid: 1 to 200 characters, no control characters.")
        if not self.end > self.start:
            raise InvalidPayload("An event ends after it starts.")
        if not self.summary.strip() or len(self.summary) > SUMMARY_MAX:
            raise InvalidPayload(f"summary: 1 to {SUMMARY_MAX} characters.")
        if len(self.description) > DESCRIPTION_MAX:
            raise InvalidPayload(f"description: at most {DESCRIPTION_MAX} characters.")
        if len(self.url) > URL_MAX or not _URL.fullmatch(self.url):
            raise InvalidPayload("url: an http or https link without spaces.")


def escape_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 3.3.11 (newlines of any kind become ``\\n``)."""
    value = _CONTROL.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into lines of at most 75 octets each (the leading space of a
    continuation counts), CRLF after each, never inside a multi-byte character."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        octets = len(ch.encode("utf-8"))
        if size + octets > limit:
            out.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(ch)
        size += octets
    out.append("".join(current))
    return "\r\n ".join(out) + "\r\n"


def utc_stamp(at: float) -> str:
    """An instant as an iCalendar UTC date-time, to the second: ``20260309T180000Z``."""
    return datetime.fromtimestamp(int(at // 1), UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(events: Sequence[CalendarEvent], stamp: float, name: str = "Tandem") -> str:
    """An iCalendar file publishing ``events``; ``stamp`` is when it was made (DTSTAMP)."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        description = event.description
        if event.url not in description:
            description = f"{description}\n\n{event.url}" if description else event.url
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}@{UID_DOMAIN}",
            f"DTSTAMP:{utc_stamp(stamp)}",
            f"DTSTART:{utc_stamp(event.start)}",
            f"DTEND:{utc_stamp(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(description)}",
            f"URL:{event.url}",  # a URI value: not escaped, and checked to need no escaping
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
