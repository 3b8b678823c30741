"""A stable argsort for kernels, built quickly.

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
