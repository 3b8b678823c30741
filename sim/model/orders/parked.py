"""Order lines waiting for a person to reroute them, keyed by their exception's id.

A failed pick that is not rerouted automatically becomes a ``manual_reroute`` or
``pickup_failure`` exception (:mod:`sim.model.orders.channel`); its line waits here, with the
customer's deadline (when their patience runs out), until the desk works the exception.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.growth import grown
from sim.model.plumbing.jit import kernel
from sim.model.world import week_index


class Parked:
    """Lines held until their exceptions are worked.

    Args:
        dtype: The lines' record dtype (needs a ``patience`` field, hours).
    """

    def __init__(self, dtype: np.dtype) -> None:
        self._lines, self._deadline = np.zeros(0, dtype=dtype), np.zeros(0)
        self._n = 0
        #: The slot of each waiting exception id (-1: none).
        self._slot_of = np.zeros(0, dtype=np.int64)

    def hold(self, ids: np.ndarray, b: np.ndarray, t: float) -> None:
        """Keep lines ``b``, failed at ``t``, until their exceptions ``ids`` are worked."""
        k = len(ids)
        end = self._n + k
        self._lines = grown(self._lines, self._n, end)
        self._deadline = grown(self._deadline, self._n, end)
        self._slot_of = grown(self._slot_of, len(self._slot_of), int(ids.max()) + 1, -1)
        self._lines[self._n: end] = b
        self._deadline[self._n: end] = t + b["patience"]
        self._slot_of[ids] = np.arange(self._n, end)
        self._n = end

    def take_worked(self, exc_ids: np.ndarray, finishes: np.ndarray, fallout: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Release the lines of exceptions ``exc_ids`` worked at ``finishes``, in one call.

        Lines whose customer's patience ran out before their exception finished are counted
        in ``fallout`` (weeks x regions) and dropped. Returns the lines still wanted, their
        finish times and weeks (one compiled call).
        """
        return _take_worked(np.ascontiguousarray(exc_ids, dtype=np.int64),
                            np.ascontiguousarray(finishes, dtype=float), self._lines,
                            self._deadline, self._slot_of, fallout)

    def overdue(self, end: float) -> np.ndarray:
        """Lines still waiting at ``end`` whose customer's patience has run out; forget all."""
        slots = self._slot_of[self._slot_of >= 0]
        late = self._lines[slots[self._deadline[slots] <= end]]
        self._slot_of[:] = -1
        return late


@kernel
def _take_worked(exc_ids: np.ndarray, finishes: np.ndarray, lines: np.ndarray,
                 deadline: np.ndarray, slot_of: np.ndarray, fallout: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Release the parked lines of worked exceptions; count the customers who gave up.

    ``lines``, ``deadline`` and ``slot_of`` are :class:`Parked`'s storage (ids of other
    kinds hold no slot and are skipped). A line whose exception finished after its
    customer's deadline is cancelled: one ``fallout`` order (weeks x regions) in the week it
    finished. Returns the lines still wanted, when their exceptions finished and in which
    week (clipped to the horizon).
    """
    n = len(exc_ids)
    slots = np.empty(n, dtype=np.int64)
    fin = np.empty(n)
    k = 0
    for i in range(n):
        e = exc_ids[i]
        if e < len(slot_of) and slot_of[e] >= 0:
            slots[k], fin[k] = slot_of[e], finishes[i]
            slot_of[e] = -1
            k += 1
    n_weeks = fallout.shape[0]
    weeks = np.empty(k, dtype=np.int64)
    wanted = np.empty(k, dtype=np.int64)
    m = 0
    for j in range(k):
        weeks[j] = week_index(fin[j], n_weeks)
        if fin[j] > deadline[slots[j]]:
            fallout[weeks[j], lines[slots[j]].region] += 1.0  # whole counts: any order
        else:
            wanted[m] = j
            m += 1
    b = lines[slots[wanted[:m]]]
    return b, fin[wanted[:m]], weeks[wanted[:m]]
