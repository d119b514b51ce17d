"""The A/B command of the load tests (load_tests/ab.py): its summary of pairs, and one pair of
tiny runs against Tandem from a given checkout (here this one) and from this checkout."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from clients.server import REPO
from load_tests.ab import TANDEM_TARGETS, run_pairs, summarize
from load_tests.runner import make_scenario
from load_tests.targets import tandem_available


def test_the_summary_of_pairs() -> None:
    s = summarize([(30.0, 28.0), (32.0, 33.0), (34.0, 30.0)])
    assert (s.pairs, s.base_mean, s.change_mean, s.lower) == (3, 32.0, 30.333333333333332, 2)
    assert s.diff_mean == pytest.approx(-5 / 3)
    # The differences -2, 1, -4: standard deviation sqrt(19/3), over sqrt(3).
    assert s.diff_se == pytest.approx(math.sqrt(19 / 3) / math.sqrt(3))
    assert s.percent == pytest.approx(100 * (-5 / 3) / 32)
    assert "lower in 2 of 3" in s.line()
    one = summarize([(10.0, 9.0)])
    assert math.isnan(one.diff_se) and "+-" not in one.line()
    with pytest.raises(ValueError):
        summarize([])


async def test_a_directory_that_is_no_checkout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a checkout"):
        await run_pairs(make_scenario("many-rooms"), tmp_path, 1)


@pytest.mark.skipif(not tandem_available(), reason="Tandem's server is not there")
async def test_one_pair_of_tiny_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DIR", "/somewhere/else")
    sc = make_scenario("many-rooms", clients=8, rooms=2, rate=2.0, duration=1.0, warmup=0.3,
                       drain=10.0)
    said: list[str] = []
    pairs = await run_pairs(sc, REPO, 1, say=said.append)
    assert len(pairs) == 1
    for r in pairs[0]:
        assert r.valid and r.target == "tandem"
        assert r.delivered == r.expected > 0
    assert said and said[0].startswith("pair 1: base ")
    # What was set before is back.
    assert os.environ["TANDEM_DIR"] == "/somewhere/else"


def test_the_targets_it_takes_are_tandems() -> None:
    assert {"tandem", "tandem-redis", "tandem-redis-2", "tandem-commit-10"} <= set(TANDEM_TARGETS)
    assert "reference" not in TANDEM_TARGETS and "bare" not in TANDEM_TARGETS


@pytest.mark.skipif(not tandem_available(), reason="Tandem's server is not there")
async def test_one_pair_of_tiny_runs_of_another_tandem_target() -> None:
    sc = make_scenario("many-rooms", clients=8, rooms=2, rate=2.0, duration=1.0, warmup=0.3,
                       drain=10.0)
    pairs = await run_pairs(sc, REPO, 1, target="tandem-commit-10", say=lambda _: None)
    for r in pairs[0]:
        assert r.valid and r.target == "tandem-commit-10"
        assert r.delivered == r.expected > 0
