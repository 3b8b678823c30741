"""Order-exact float reductions.

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
