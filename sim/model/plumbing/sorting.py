"""Stable sorts for kernels: a merge argsort built quickly, and a counting sort by small keys.

``np.argsort(kind="mergesort")`` inside a kernel made numba build its generic merge sort, about
two seconds of every new process's first compile for one call site. This bottom-up merge sort
gives the same permutation (a stable sort's is unique) and compiles in a fraction of that.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for keys without NaN: equal keys keep their order."""
    n = len(keys)
    idx = np.empty(n, dtype=np.int64)
    tmp = np.empty(n, dtype=np.int64)
    for i in range(n):
        idx[i] = i
    width = 1
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if keys[idx[j]] < keys[idx[i]]:  # strictly less: a tie takes the left run's
                    tmp[k] = idx[j]
                    j += 1
                else:
                    tmp[k] = idx[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = idx[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = idx[j]
                j += 1
                k += 1
            lo += 2 * width
        idx, tmp = tmp, idx
        width *= 2
    return idx


@kernel
def counting_sort(keys: np.ndarray, floor: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable sort by small integer keys (all at or above ``floor``), in two passes.

    For keys spanning a short range (the day a parcel arrives, the hour a pick is due) it is
    one pass to count and one to place, against a comparison sort's ``n log n``. Returns each
    row's position in key order (``pos[np.argsort(keys, kind="stable")]`` is ``0, 1, ...``)
    and the ``(key, lo, hi)`` bounds of the keys present, ascending: what a stable argsort and
    a split at each change of key give.
    """
    n = len(keys)
    top = floor
    for i in range(n):
        top = max(top, keys[i])
    count = np.zeros(top - floor + 2, dtype=np.int64)
    for i in range(n):
        count[keys[i] - floor + 1] += 1
    n_keys = 0
    for d in range(1, len(count)):
        if count[d] > 0:
            n_keys += 1
        count[d] += count[d - 1]
    bounds = np.empty((n_keys, 3), dtype=np.int64)
    k = 0
    for d in range(len(count) - 1):
        if count[d + 1] > count[d]:
            bounds[k, 0] = floor + d
            bounds[k, 1] = count[d]
            bounds[k, 2] = count[d + 1]
            k += 1
    pos = np.empty(n, dtype=np.int64)
    for i in range(n):
        d = keys[i] - floor
        pos[i] = count[d]
        count[d] += 1
    return pos, bounds
