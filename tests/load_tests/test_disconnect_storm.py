"""The disconnect storm's benchmark (load_tests/disconnect_storm.py) at a tiny size: both ways
run end to end and leave nothing behind. No timing is asserted: the figures come from running it
(load_tests/README.md)."""

from __future__ import annotations

import pytest

from load_tests import disconnect_storm
from load_tests.targets import tandem_available


@pytest.mark.parametrize("together", [False, True])
async def test_the_bookkeeping_of_both_managers_is_timed(together: bool) -> None:
    rows = await disconnect_storm.bookkeeping([50, 120], repeat=1, together=together)
    assert [n for n, _, _ in rows] == [50, 120]
    assert all(library > 0 and tandem > 0 for _, library, tandem in rows)
    assert "120" in disconnect_storm.bookkeeping_table(rows)


@pytest.mark.skipif(not tandem_available(), reason="Tandem's server package is not there")
async def test_a_real_server_sees_every_connection_go() -> None:
    storm = await disconnect_storm.sockets(45)  # sessions of 20, 20 and 5
    assert storm.connections == 45
    assert 0 < storm.gauge_zero_s <= storm.settled_s
    assert storm.cpu_s >= 0
    assert "45" in disconnect_storm.sockets_table([storm])
