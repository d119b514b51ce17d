"""The split of CPU into per event and per delivery (load_tests/split.py)."""

from __future__ import annotations

import math

import pytest

from load_tests.runner import RunResult
from load_tests.split import fit, fit_runs, sizes_of, table


def _run(events: float, deliveries: float, main: float, other: float,
         valid: bool = True) -> RunResult:
    r = RunResult(target="t", scenario="many-rooms", params={}, valid=valid)
    r.events_in_per_s, r.deliveries_per_s = events, deliveries
    r.server_cpu_pct = main + other
    r.extra["server_cpu_split_pct"] = {"main_user": main * 0.6, "main_system": main * 0.4,
                                       "other_user": other, "other_system": 0.0}
    return r


def test_the_fit_finds_the_costs_that_made_the_cpu() -> None:
    # 140 us an event and 9 us a delivery: rooms of 20, then of 10, at 9,500 deliveries/s
    points = [(e, d, 140 * e + 9 * d) for e, d in [(475, 9500), (950, 9500), (470, 9400)]]
    e, d, rms = fit(points)
    assert e == pytest.approx(140)
    assert d == pytest.approx(9)
    assert rms == pytest.approx(0, abs=1e-6)


def test_runs_at_one_room_size_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="two sizes"):
        fit([(475, 9500, 1e5), (950, 19000, 2e5)])
    with pytest.raises(ValueError):
        fit([(475, 9500, 1e5)])


def test_the_parts_add_up_and_invalid_runs_are_left_out() -> None:
    # main thread: 100 us an event, 8 a delivery; other threads: 40 and 1 (in % of a core)
    def pct(e: float, d: float, per_e: float, per_d: float) -> float:
        return (per_e * e + per_d * d) / 1e4

    runs = [_run(e, d, pct(e, d, 100, 8), pct(e, d, 40, 1)) for e, d in [(475, 9500),
                                                                         (950, 9500)]]
    runs.append(_run(2000, 9500, 99.0, 50.0, valid=False))  # would spoil the fit
    f = fit_runs(runs)
    assert f.runs == 2
    assert f.per_event == pytest.approx(140)
    assert f.per_delivery == pytest.approx(9)
    assert f.by_part["main"] == pytest.approx((100, 8))
    assert f.by_part["other"] == pytest.approx((40, 1))
    lines = table({"tandem": f, "reference": f})
    assert "| tandem | 140.0 | 100.0 | 40.0 | 9.00 | 8.00 | 1.00 | 2 |" in lines[2]
    assert lines[-1] == "- tandem / reference: per event x1.00, per delivery x1.00"
    assert not math.isnan(f.residual_pct)


def test_room_sizes_are_read_largest_first() -> None:
    assert sizes_of("10,20") == [20, 10]
    with pytest.raises(SystemExit):
        sizes_of("20")
