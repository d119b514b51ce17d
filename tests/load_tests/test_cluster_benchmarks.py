"""The benchmarks of several processes at a tiny size: the failover and the Redis outage run end
to end and their counts add up (every member of the killed process back, nothing acknowledged
lost, nobody dropped by the outage). No timing is asserted: the figures come from running them
(load_tests/README.md)."""

from __future__ import annotations

import pytest

from clients.server import redis_binary
from load_tests import failover, redis_outage
from load_tests.targets import tandem_available

pytestmark = pytest.mark.skipif(
    redis_binary() is None or not tandem_available(),
    reason="redis-server is not installed (apt-get install redis-server)",
)


@pytest.mark.parametrize("graceful", [[], ["--graceful"]], ids=["sigkill", "sigterm"])
async def test_failover_brings_everyone_back_and_loses_nothing(graceful: list[str]) -> None:
    a = failover.parse(["--clients", "8", "--room-size", "4", "--rate", "2", "--kill-after",
                        "1.5", "--after", "4", "--stay-away", "0", *graceful])
    r = await failover.run(a)
    assert r.stopped_by == ("SIGTERM" if graceful else "SIGKILL")
    assert r.killed_members == 4 and r.not_back == 0, failover.report(r)
    assert r.acked_after_kill > 0, failover.report(r)
    assert r.lost == 0 and r.expected_deliveries > 0, failover.report(r)
    assert r.left_for_returned == 0 and r.drops_elsewhere == 0, failover.report(r)
    assert r.posted_twice == 0 and r.never_resent == 0, failover.report(r)


async def test_redis_outage_drops_nobody_and_loses_nothing() -> None:
    a = redis_outage.parse(["--clients", "6", "--room-size", "3", "--rate", "2", "--before",
                            "1", "--outage", "2", "--after", "4", "--probe-every", "0.5"])
    r = await redis_outage.run(a)
    assert r.drops == 0 and r.lost == 0, redis_outage.report(r)
    assert r.acked_before > 0 and r.acked_after > 0, redis_outage.report(r)
    assert r.refused_during, redis_outage.report(r)
