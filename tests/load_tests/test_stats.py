"""The one percentile every load-test figure uses: linear between the two nearest ranks."""

from __future__ import annotations

import math
import statistics
from array import array

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from load_tests.stats import percentile


def test_interpolates_between_the_nearest_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # sorted: 10 20 30 40; rank = 3 * q / 100
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0  # rank 1.5: halfway between 20 and 30
    assert percentile(values, 90) == pytest.approx(37.0)  # rank 2.7
    assert percentile(list(range(1, 102)), 99) == 100.0  # 101 values: rank 99 exactly


def test_one_value_and_no_values() -> None:
    assert percentile([7.5], 99) == 7.5
    assert math.isnan(percentile([], 50))
    assert percentile([], 99, empty=0.0) == 0.0


def test_takes_lists_arrays_and_numpy_arrays_alike() -> None:
    assert percentile(array("q", [3, 1, 2]), 50) == 2.0
    assert percentile(array("d", [0.5, 1.5]), 50) == 1.0
    assert percentile(np.array([1, 2, 3, 4], dtype=np.int64), 25) == 1.75


@pytest.mark.parametrize("q", [-1, 100.5])
def test_refuses_a_percentile_outside_0_to_100(q: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], q)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_the_50th_is_the_median_and_percentiles_stay_in_order(values: list[float]) -> None:
    assert percentile(values, 50) == pytest.approx(statistics.median(values), abs=1e-6)
    ps = [percentile(values, q) for q in (0, 10, 50, 90, 99, 100)]
    assert ps == sorted(ps)
    assert ps[0] == min(values) and ps[-1] == max(values)
