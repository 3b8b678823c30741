"""Compiled tallies of values by (week, region), summed in row order.

The recorder's counters are added to with these: the same bits as the ``np.bincount`` they
replaced, in every process.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def tally(weeks: np.ndarray, regions: np.ndarray, values: np.ndarray, value: float,
           shape: tuple[int, int]) -> np.ndarray:
    """Per (week, region) totals of ``values`` (or of ``value`` per row if ``values`` is empty).

    Summed from zero in row order, as ``np.bincount`` does, so adding the result to a counter
    gives the same bits as the bincount it replaces. ``regions`` has one entry per row, or one
    for all rows.
    """
    out = np.zeros(shape)
    last = shape[0] - 1
    one = len(regions) == 1
    for i in range(len(weeks)):
        w = min(max(weeks[i], 0), last)
        out[w, regions[0] if one else regions[i]] += values[i] if len(values) else value
    return out


@kernel
def tally_into(arr: np.ndarray, weeks: np.ndarray, regions: np.ndarray, values: np.ndarray,
               value: float) -> None:
    """``arr += tally(weeks, regions, values, value, arr.shape)`` in one compiled call.

    The same bits: the tallies are summed from zero in row order (in a scratch array), then
    added to ``arr`` cell by cell, as NumPy's in-place add does.
    """
    out = tally(weeks, regions, values, value, (arr.shape[0], arr.shape[1]))
    for w in range(arr.shape[0]):
        for r in range(arr.shape[1]):
            arr[w, r] += out[w, r]


@kernel
def tally_regions(regions: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-region totals of ``values`` (counts if ``values`` is empty), summed in row order."""
    out = np.zeros(n)
    for i in range(len(regions)):
        out[regions[i]] += values[i] if len(values) else 1.0
    return out
