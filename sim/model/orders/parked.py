"""Order lines waiting for a person to reroute them, keyed by their exception's id.

A failed pick that is not rerouted automatically becomes a ``manual_reroute`` or
``pickup_failure`` exception (:mod:`sim.model.orders.channel`); its line waits here, with the
customer's deadline (when their patience runs out), until the desk works the exception.
"""

from __future__ import annotations

import numpy as np

from sim.model.orders.reroutes import take_worked
from sim.model.plumbing.growth import grown


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
        finish times and weeks (:func:`sim.model.orders.reroutes.take_worked`).
        """
        return take_worked(np.ascontiguousarray(exc_ids, dtype=np.int64),
                           np.ascontiguousarray(finishes, dtype=float), self._lines,
                           self._deadline, self._slot_of, fallout)

    def overdue(self, end: float) -> np.ndarray:
        """Lines still waiting at ``end`` whose customer's patience has run out; forget all."""
        slots = self._slot_of[self._slot_of >= 0]
        late = self._lines[slots[self._deadline[slots] <= end]]
        self._slot_of[:] = -1
        return late
