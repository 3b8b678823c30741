"""Compiled loop of the desk: writing the columns of newly raised exceptions."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def record_raised(kind: np.ndarray, store: np.ndarray, team_item: np.ndarray, first: int,
                   code: int, stores: np.ndarray, store_region: np.ndarray,
                   central: int) -> np.ndarray:
    """Write the columns of exceptions ``first, first + 1, ...`` (they have room).

    Returns:
        The region of each (``central`` for a central item, store -1), for the counters.

    """
    region = np.empty(len(stores), dtype=np.int64)
    for j in range(len(stores)):
        i = first + j
        s = stores[j]
        kind[i] = code
        store[i] = s
        team_item[i] = -1
        region[j] = store_region[s] if s >= 0 else central
    return region
