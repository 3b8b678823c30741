"""Orders waiting for their pick, by the simulated hour whose step performs it.

Orders are kept in buckets by due hour: queuing a batch sorts it by due hour (stably, so
each hour's orders keep their queue order) into one copy, whose runs are appended to their
hours' buckets; taking an hour's picks is taking its bucket. A batch's due hours span a few
hours (3 distinct ones on average at 600 stores, 12 at most), so a push costs a few list
appends, while the pool of every waiting order (~22,000 at 600 stores, ~220,000 at 6,000) is
never scanned. Records are moved as opaque bytes (a ``void`` view): NumPy copies structured
records field by field, which costs ten times more.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.record_bytes import select as select  # re-exported
from sim.model.plumbing.sorting import counting_sort


class PickQueue:
    """Queued records of one structured dtype, each due at an hour.

    Args:
        dtype: The records' dtype.
    """

    def __init__(self, dtype: np.dtype) -> None:
        self._dtype = np.dtype(dtype)
        self._raw = np.dtype((np.void, self._dtype.itemsize))
        #: Due hour -> the runs of records due then, in the order they were queued.
        self._buckets: dict[int, list[np.ndarray]] = {}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def push(self, records: np.ndarray, due: np.ndarray | int) -> None:
        """Queue records, each due at its hour (an array, or one hour for all).

        The records are copied: the caller may reuse ``records`` and ``due``.
        """
        k = len(records)
        if not k:
            return
        buckets = self._buckets
        self._n += k
        if np.ndim(due) == 0 or k == 1:  # one run: a copy of the records as they are
            run = np.array(records, dtype=self._dtype).view(self._raw)
            buckets.setdefault(int(np.ravel(due)[0]), []).append(run)
            return
        raw = np.ascontiguousarray(records, dtype=self._dtype).view(self._raw)
        due = np.asarray(due, dtype=np.int64)
        # A batch's due hours span a few hours: a counting sort is two passes (a comparison
        # sort cost more than the rest of a push).
        pos, bounds = counting_sort(due, int(due.min()))
        runs = np.empty_like(raw)
        runs[pos] = raw
        for hour, lo, hi in bounds.tolist():
            buckets.setdefault(hour, []).append(runs[lo:hi])

    def pop(self, hour: int) -> np.ndarray:
        """Take the records due at ``hour``, in the order they were queued."""
        runs = self._buckets.pop(hour, None)
        if runs is None:
            return np.zeros(0, dtype=self._dtype)
        # A run is a slice of its push's own copy that nothing else reads: no copy needed.
        out = runs[0] if len(runs) == 1 else np.concatenate(runs)
        self._n -= len(out)
        return out.view(self._dtype)

