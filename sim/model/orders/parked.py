"""Order lines waiting for a person to reroute them, keyed by their exception's id.

A failed pick that is not rerouted automatically becomes a ``manual_reroute`` or
``pickup_failure`` exception (:mod:`sim.model.orders.channel`); its line waits here, with the
customer's deadline (when their patience runs out), until the desk works the exception.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.growth import grown
from sim.model.plumbing.record_bytes import select


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

    def take(self, exc_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Release the lines of worked exceptions ``exc_ids`` (ids of other kinds are skipped).

        Returns:
            Which of ``exc_ids`` held a line, those lines, and their customers' deadlines.
        """
        known = exc_ids < len(self._slot_of)
        slots = np.full(len(exc_ids), -1, dtype=np.int64)
        slots[known] = self._slot_of[exc_ids[known]]
        keep = slots >= 0
        self._slot_of[exc_ids[keep]] = -1
        return keep, select(self._lines, slots[keep]), self._deadline[slots[keep]]

    def overdue(self, end: float) -> np.ndarray:
        """Lines still waiting at ``end`` whose customer's patience has run out; forget all."""
        slots = self._slot_of[self._slot_of >= 0]
        late = self._lines[slots[self._deadline[slots] <= end]]
        self._slot_of[:] = -1
        return late
