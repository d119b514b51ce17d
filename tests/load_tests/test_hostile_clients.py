"""The hostile-clients benchmark at a tiny size: every case runs, the members' chats are all
answered, and each hostile client gets the answers its case is about. No timing is asserted:
the figures come from ``python -m load_tests.hostile_clients``."""

from __future__ import annotations

import pytest

from load_tests.hostile_clients import CASES, parse_args, run, table
from load_tests.targets import tandem_available

EXPECTED = {
    "unknown-keys": "connection closed",
    "deep-nesting": "invalid_payload",
    "oversized": "payload_too_large",
    "flood": "rate_limited",
    "pending-board": "ok",
}


@pytest.mark.skipif(not tandem_available(), reason="Tandem's server package is not there")
async def test_every_case_runs_at_a_tiny_size() -> None:
    results = await run(parse_args(["--clients", "2", "--seconds", "0.6", "--rate", "4"]))
    assert [r.case for r in results] == list(CASES)
    for r in results:
        assert r.samples > 0 and r.member_errors == {}, r
        if r.case == "none":
            assert r.hostile_sent == 0
        else:
            assert r.hostile_sent > 0 and r.hostile_connections >= 1, r
        if r.case in EXPECTED:
            assert r.hostile_answers.get(EXPECTED[r.case], 0) > 0, r
    assert table(results).count("\n") == len(CASES) + 1
