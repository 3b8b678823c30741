"""Order-exact float reductions, and quantiles of many levels from one sort.

NumPy's SIMD reductions (``sum``, ``mean``, ``std``) may group additions differently depending
on an array's memory alignment, which can change the last bits of a result between processes.
Results must be identical whatever the executor, so reported figures use these sequential
reductions instead.
"""

from __future__ import annotations

import numpy as np


def ssum(values: np.ndarray) -> float:
    """Sum in index order (a running sum: the same bits in every process)."""
    a = np.asarray(values, dtype=float).ravel()
    return float(np.cumsum(a)[-1]) if a.size else 0.0


def smean(values: np.ndarray) -> float:
    """Mean in index order (nan for an empty array)."""
    a = np.asarray(values, dtype=float).ravel()
    return ssum(a) / a.size if a.size else float("nan")


def svar(values: np.ndarray, ddof: int = 1) -> float:
    """Variance in index order."""
    a = np.asarray(values, dtype=float).ravel()
    if a.size <= ddof:
        return float("nan")
    m = smean(a)
    return ssum((a - m) ** 2) / (a.size - ddof)


def quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``np.quantile(values, levels)`` (its default linear method), to the bit, from one sort.

    NumPy partitions the samples around both order statistics of every level, which for the
    101 levels of a refund CDF costs several times one (vectorised) sort of millions of
    samples; the linear interpolation below is NumPy's own (``_lerp``: from the lower value
    when the weight is under a half, from the upper one otherwise), on the same two order
    statistics. Finite values only (NumPy's NaN handling is not reproduced).
    """
    a = np.sort(np.asarray(values, dtype=float).ravel())
    virtual = (a.size - 1) * np.asarray(levels, dtype=float)
    lower = np.floor(virtual)
    upper = lower + 1
    # A level at the last value takes it, as NumPy's bounds do (levels lie in [0, 1]).
    last = virtual >= a.size - 1
    lower[last] = upper[last] = -1
    lo, hi = a[lower.astype(np.intp)], a[upper.astype(np.intp)]
    gamma = virtual - lower
    diff = hi - lo
    out = lo + diff * gamma
    np.subtract(hi, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out
