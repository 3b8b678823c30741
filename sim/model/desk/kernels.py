"""Compiled loop of the desk: writing the columns of newly raised exceptions."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def record_raised(kind: np.ndarray, store: np.ndarray, team_item: np.ndarray, first: int,
                  code: int, stores: np.ndarray, store_region: np.ndarray, central: int,
                  week: np.ndarray, raised: np.ndarray, by_store: np.ndarray) -> None:
    """Write the columns of exceptions ``first, first + 1, ...`` (they have room); count them.

    Each is counted in ``week`` (clipped to the horizon) in ``raised`` (week x region: the
    store's region, ``central`` for a central item, store -1) and, at a store, in
    ``by_store`` (week x store). Whole counts, so adding them one by one gives the same bits
    as a tally added at once.
    """
    last = raised.shape[0] - 1
    for j in range(len(stores)):
        i = first + j
        s = stores[j]
        kind[i] = code
        store[i] = s
        team_item[i] = -1
        w = min(max(week[j], 0), last)
        if s >= 0:
            raised[w, store_region[s]] += 1.0
            by_store[w, s] += 1.0
        else:
            raised[w, central] += 1.0
