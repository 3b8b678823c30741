"""Compiled loop of promotions at the tills: promoted units counted, mismatched ones found."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def promoted(weeks: np.ndarray, stores: np.ndarray, skus: np.ndarray, n_weeks: int,
              n_skus: int, discount: np.ndarray, event: np.ndarray, until: np.ndarray,
              hour: float, check: bool, store_region: np.ndarray,
              counts: np.ndarray) -> np.ndarray:
    """Tally promoted units sold per region; return those sold where the event is set up wrong.

    A unit is promoted if its SKU is discounted in its (clipped) week of the calendar;
    ``check`` is False when no store is set up wrong now. Returned indices are in batch order.
    """
    wrong = np.empty(len(skus), dtype=np.int64)
    k = 0
    for i in range(len(skus)):
        flat = min(weeks[i], n_weeks - 1) * n_skus + skus[i]
        if discount[flat] > 0:
            s = stores[i]
            counts[store_region[s]] += 1.0
            if check and until[event[flat], s] > hour:
                wrong[k] = i
                k += 1
    return wrong[:k]
