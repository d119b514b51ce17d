"""Recurring sessions keep their local wall time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rooms.errors import InvalidPayload
from rooms.recurrence import Repeat, Series, exists, local_time


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None)


def test_weekly_across_madrid_spring_change_keeps_the_wall_time() -> None:
    # Europe/Madrid moves from CET (+1) to CEST (+2) on Sunday 29 March 2026
    series = Series(datetime(2026, 3, 18, 18, 0), "Europe/Madrid", 60, Repeat.WEEKLY, 4)
    starts = [utc(s) for s, _ in series.occurrences()]
    assert starts == [datetime(2026, 3, 18, 17), datetime(2026, 3, 25, 17),
                      datetime(2026, 4, 1, 16), datetime(2026, 4, 8, 16)]
    assert all(end - start == 3600 for start, end in series.occurrences())
    assert {local_time(s, "Europe/Madrid").split(", ")[1] for s, _ in series.occurrences()} == {
        "18:00 (CET)", "18:00 (CEST)"}


def test_weekly_across_new_york_autumn_change_keeps_the_wall_time() -> None:
    # America/New_York moves from EDT (-4) to EST (-5) on Sunday 1 November 2026
    series = Series(datetime(2026, 10, 26, 9, 30), "America/New_York", 45, Repeat.WEEKLY, 3)
    starts = [utc(s) for s, _ in series.occurrences()]
    assert starts == [datetime(2026, 10, 26, 13, 30), datetime(2026, 11, 2, 14, 30),
                      datetime(2026, 11, 9, 14, 30)]
    assert [local_time(s, "America/New_York") for s, _ in series.occurrences()] == [
        "Mon 26 Oct 2026, 09:30 (EDT)", "Mon 2 Nov 2026, 09:30 (EST)",
        "Mon 9 Nov 2026, 09:30 (EST)"]


def test_a_wall_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    gap = datetime(2026, 3, 29, 2, 30)  # Madrid clocks go from 02:00 straight to 03:00
    assert not exists(gap, "Europe/Madrid") and exists(gap.replace(hour=3), "Europe/Madrid")
    (start, end), = Series(gap, "Europe/Madrid", 30).occurrences()
    assert local_time(start, "Europe/Madrid") == "Sun 29 Mar 2026, 03:30 (CEST)"
    assert utc(start) == datetime(2026, 3, 29, 1, 30) and end - start == 1800
    # a weekly series through the gap keeps 02:30 on the other weeks
    weekly = Series(datetime(2026, 3, 22, 2, 30), "Europe/Madrid", 30, Repeat.WEEKLY, 3)
    assert [local_time(s, "Europe/Madrid").split(", ")[1] for s, _ in weekly.occurrences()] == [
        "02:30 (CET)", "03:30 (CEST)", "02:30 (CEST)"]


def test_an_ambiguous_wall_time_takes_the_first_occurrence() -> None:
    # New York's 01:30 happens twice on 1 November 2026: first in EDT, then in EST
    (start, _), = Series(datetime(2026, 11, 1, 1, 30), "America/New_York", 30).occurrences()
    assert utc(start) == datetime(2026, 11, 1, 5, 30)
    assert local_time(start, "America/New_York") == "Sun 1 Nov 2026, 01:30 (EDT)"


def test_fortnightly_and_once() -> None:
    series = Series(datetime(2026, 1, 5, 12), "UTC", 90, Repeat.FORTNIGHTLY, 3)
    assert [utc(s) for s, _ in series.occurrences()] == [
        datetime(2026, 1, 5, 12), datetime(2026, 1, 19, 12), datetime(2026, 2, 2, 12)]
    assert [e - s for s, e in series.occurrences()] == [5400.0] * 3
    once = Series(datetime(2026, 1, 5, 12), "UTC", 5)
    assert once.repeat is Repeat.ONCE and len(once.occurrences()) == 1


@pytest.mark.parametrize("kwargs", [
    {"repeat": Repeat.WEEKLY, "count": 0},
    {"repeat": Repeat.WEEKLY, "count": 53},
    {"repeat": Repeat.ONCE, "count": 2},
    {"minutes": 4},
    {"minutes": 24 * 60 + 1},
    {"time_zone": "Mars/Olympus"},
    {"starts": datetime(2026, 1, 5, 12, tzinfo=UTC)},
])
def test_series_bounds(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"starts": datetime(2026, 1, 5, 12), "time_zone": "UTC",
                               "minutes": 60, "repeat": Repeat.WEEKLY, "count": 4}
    with pytest.raises(InvalidPayload):
        Series(**{**base, **kwargs})  # type: ignore[arg-type]


def test_series_count_limits_are_accepted() -> None:
    assert len(Series(datetime(2026, 1, 5), "UTC", 24 * 60, Repeat.WEEKLY, 52)
               .occurrences()) == 52


def test_local_time_shows_one_instant_in_each_persons_zone() -> None:
    at = datetime(2026, 3, 9, 18, tzinfo=UTC).timestamp()
    assert local_time(at, "Europe/London") == "Mon 9 Mar 2026, 18:00 (GMT)"
    assert local_time(at, "Asia/Tokyo") == "Tue 10 Mar 2026, 03:00 (JST)"
    assert local_time(at, "America/New_York") == "Mon 9 Mar 2026, 14:00 (EDT)"
    with pytest.raises(InvalidPayload):
        local_time(at, "Nowhere/Town")
