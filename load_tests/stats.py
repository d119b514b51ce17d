"""The one definition of a percentile behind every figure the load tests print.

``percentile(values, q)`` is the value below which ``q`` per cent of the values lie, interpolated
linearly between the two nearest ranks: sort the ``n`` values, take the (0-based) rank
``(n - 1) * q / 100``, and when that rank falls between two values, go the same fraction of the
way from the lower to the upper one. So the 0th percentile is the smallest value, the 100th the
largest and the 50th the median (the mean of the middle two for an even count). This is numpy's
default (``method="linear"``, type 7 of Hyndman and Fan, as in R and spreadsheets'
``PERCENTILE.INC``), which computes it.

A percentile of no values is ``empty`` (NaN unless the caller says otherwise).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Values: TypeAlias = "Sequence[float] | array[int] | array[float] | npt.NDArray[np.number]"


def percentile(values: Values, q: float, *, empty: float = math.nan) -> float:
    """The ``q``-th percentile (0 <= q <= 100) of ``values``, as the module describes."""
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return empty
    return float(np.percentile(a, q))
