"""When a programme's sessions happen: one-off and recurring series, and how an instant reads in
a person's own time zone.

Rules of this module: a series is planned in the organiser's local wall time and keeps that wall
time every week, whatever daylight saving does, so its instants in UTC shift by an hour across a
change (a 18:00 Madrid session is 17:00 UTC in winter and 16:00 UTC in summer). The two awkward
wall times are resolved as RFC 5545 (3.3.5) resolves them:

- a wall time that does not exist (the spring-forward gap) is read with the offset from before the
  gap, which moves it forward by the gap's length: 02:30 on the night clocks go from 02:00 to 03:00
  becomes 03:30;
- a wall time that happens twice (the autumn fold) takes the first of the two (``fold=0``).

A session lasts its ``minutes`` of real time, even when a change falls inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rooms.cohort import MINUTES_PER_DAY, is_time_zone
from rooms.errors import InvalidPayload

MINUTES_MIN = 5
SERIES_MAX = 52  # occurrences in one series: a year of weekly sessions
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Repeat(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


_STEP_DAYS = {Repeat.ONCE: 0, Repeat.WEEKLY: 7, Repeat.FORTNIGHTLY: 14}


@dataclass(frozen=True, slots=True)
class Series:
    """Sessions at the same local wall time: ``starts`` is the first one's naive wall time in
    ``time_zone`` (the organiser's IANA zone), each lasting ``minutes``; ``count`` of them
    (1 for ``Repeat.ONCE``)."""

    starts: datetime
    time_zone: str
    minutes: int
    repeat: Repeat = Repeat.ONCE
    count: int = 1

    def __post_init__(self) -> None:
        if self.starts.tzinfo is not None:
            raise InvalidPayload("starts: a local wall time, without a time zone "
                                 "(the zone is given by time_zone).")
        if not is_time_zone(self.time_zone):
            raise InvalidPayload(f"time_zone: {self.time_zone[:40]!r} is not an IANA time zone "
                                 "(for example Europe/Madrid).")
        if not MINUTES_MIN <= self.minutes <= MINUTES_PER_DAY:
            raise InvalidPayload(f"minutes: a session lasts {MINUTES_MIN} to "
                                 f"{MINUTES_PER_DAY} minutes.")
        if not isinstance(self.repeat, Repeat):
            raise InvalidPayload("repeat: once, weekly or fortnightly.")
        if self.repeat is Repeat.ONCE and self.count != 1:
            raise InvalidPayload("count: a one-off session happens once.")
        if not 1 <= self.count <= SERIES_MAX:
            raise InvalidPayload(f"count: 1 to {SERIES_MAX} sessions in a series.")

    def wall_times(self) -> tuple[datetime, ...]:
        """Each session's naive local wall time as planned (before any gap is resolved)."""
        step = timedelta(days=_STEP_DAYS[self.repeat])
        return tuple(self.starts + step * i for i in range(self.count))

    def occurrences(self) -> tuple[tuple[float, float], ...]:
        """Each session's (start, end) in seconds since the epoch, in order."""
        zone = ZoneInfo(self.time_zone)
        length = self.minutes * 60.0
        out = []
        for wall in self.wall_times():
            start = instant(wall, zone)
            out.append((start, start + length))
        return tuple(out)


def instant(wall: datetime, zone: ZoneInfo) -> float:
    """A naive local wall time in ``zone`` as seconds since the epoch: a time in a gap moves
    forward by the gap's length, a time in a fold is its first occurrence."""
    # fold=0 reads both a gap and a fold with the offset in force before the change
    return wall.replace(tzinfo=zone, fold=0).timestamp()


def exists(wall: datetime, time_zone: str) -> bool:
    """Whether a naive wall time happens at all in ``time_zone`` (False inside a gap)."""
    zone = ZoneInfo(time_zone)
    aware = wall.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def local_time(at: float, time_zone: str) -> str:
    """An instant as a person reads it in their own zone: ``Mon 9 Mar 2026, 18:00 (GMT)``.
    English names whatever the machine's locale; the zone's abbreviation as the time zone
    database gives it (some zones have only a number, ``+04``)."""
    if not is_time_zone(time_zone):
        raise InvalidPayload(f"time_zone: {time_zone[:40]!r} is not an IANA time zone.")
    moment = datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(time_zone))
    return (f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} "
            f"{moment.year}, {moment:%H:%M} ({moment.tzname()})")
