"""The returns journey's volume as structured records: their dtypes and containers.

Millions of returns a year wait between steps (thinned sales until their start day, parcels in
transit or queued at a DC, refunds until they are recorded). Each waits as one record of a
structured array, so moving a batch is one copy of bytes, not one per column, and the compiled
loops of :mod:`sim.model.returns.kernels` read and write the fields in place. Field types are
the smallest that hold the values exactly (the times stay float64).
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.growth import grown
from sim.model.plumbing.record_bytes import join as join  # re-exported
from sim.model.plumbing.record_bytes import select

#: A store sale that will come back: the hour it was thinned in, the store, the SKU.
STAGED_STORE = np.dtype([("hour", np.int32), ("store", np.int32), ("sku", np.int32)])
#: A picked online unit that will come back: hour, SKU, customer region, customer's store.
STAGED_ONLINE = np.dtype([("hour", np.int32), ("sku", np.int32), ("region", np.int32),
                          ("store", np.int32)])
#: A return filed under its start day: start time, node taking it, SKU, customer region, pair.
START = np.dtype([("start", np.float64), ("node", np.int32), ("sku", np.int32),
                  ("region", np.int16), ("pair", np.int8)], align=True)
#: A mailed parcel, from drop-off to the DC bench, with the draws that decide its disposition.
PARCEL = np.dtype([("start", np.float64), ("arrival", np.float64), ("u_disp", np.float64),
                   ("u_unrec", np.float64), ("week", np.int32), ("node", np.int32),
                   ("sku", np.int32), ("region", np.int16), ("harm", np.bool_)], align=True)
#: A refund booked but not yet recorded: return start, refund time, week, region, pair.
REFUND = np.dtype([("start", np.float64), ("refund", np.float64), ("week", np.int32),
                   ("region", np.int16), ("pair", np.int8)], align=True)
#: A refund held by an exception (start is nan when the id holds none).
HELD = np.dtype([("start", np.float64), ("week", np.int32), ("region", np.int16),
                 ("pair", np.int8)], align=True)
#: A unit restocked at a store, put on the shelf at the end of the day.
RESTOCK = np.dtype([("node", np.int32), ("sku", np.int32), ("recorded", np.bool_)], align=True)


#: ``records[which]`` copied as bytes (see :mod:`sim.model.plumbing.record_bytes`).
take = select


class Records:
    """A growable array of records, appended in order and taken all at once.

    Compiled loops append in place: they write from ``n`` into :meth:`room` and return the new
    count, which the caller stores in ``n``.

    Args:
        dtype: The records' dtype.
        capacity: Initial size (it at least doubles when full).
    """

    def __init__(self, dtype: np.dtype, capacity: int = 1024) -> None:
        self.data = np.zeros(capacity, dtype=dtype)
        self.n = 0

    def room(self, k: int) -> np.ndarray:
        """The whole buffer, grown if needed so that ``k`` more records fit after ``n``."""
        self.data = grown(self.data, self.n, self.n + k, 0)
        return self.data

    def view(self) -> np.ndarray:
        """The records appended so far (a view: copy it before appending again)."""
        return self.data[: self.n]


class DayFile:
    """Record batches filed under the day they are due.

    A filed batch arrives sorted by day with ``bounds`` rows ``(day, lo, hi)``; each day keeps
    its slices in filing order, so a day's records come back in the order they were filed.
    """

    def __init__(self) -> None:
        self.days: dict[int, list[np.ndarray]] = {}

    def file(self, records: np.ndarray, bounds: np.ndarray) -> None:
        """File ``records[lo:hi]`` under ``day`` for every row of ``bounds``."""
        days = self.days
        for day, lo, hi in bounds.tolist():
            days.setdefault(day, []).append(records[lo:hi])

    def pop(self, first: int, last: int) -> list[np.ndarray]:
        """Remove and return the batches due on days ``first..last``, day by day."""
        return [r for d in range(first, last + 1) for r in self.days.pop(d, [])]

    def remaining(self) -> list[np.ndarray]:
        """The batches still filed, by day in the order each day was first filed."""
        return [r for rs in self.days.values() for r in rs]
