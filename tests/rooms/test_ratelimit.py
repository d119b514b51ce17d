from __future__ import annotations

import pytest

from rooms.ratelimit import TokenBucket


def test_burst_then_refill_at_rate() -> None:
    bucket = TokenBucket(rate=5, burst=10)
    assert [bucket.take(0.0) for _ in range(11)] == [True] * 10 + [False]
    assert bucket.take(0.1) is False  # half a token so far
    assert bucket.take(0.2) is True  # one token after 0.2 s at 5/s
    assert bucket.take(0.2) is False
    # never more than the burst, however long the pause
    assert sum(bucket.take(1000.0) for _ in range(20)) == 10


def test_time_going_backwards_grants_nothing() -> None:
    bucket = TokenBucket(rate=1, burst=1)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert not bucket.take(10.5)
    assert bucket.take(11.0)


def test_invalid_bucket() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
