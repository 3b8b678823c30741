"""A min-heap of ``(time, id)`` pairs in growable arrays, popped a simulated hour at a time.

The exception desk keeps two: items waiting to be detected (by arrival) and started items
waiting for their effects (by finish). Pushing and popping run in compiled loops
(:mod:`sim.model.desk.heap_kernels`), and pairs come out in the order :mod:`heapq` gives tuples
``(time, id)``: by time, then by id.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.desk.heap_kernels import (
    pair_heap_pop_grouped,
    pair_heap_pop_until,
    pair_heap_push,
    push_started,
)
from sim.model.plumbing.growth import grown


class WorkHeap:
    """Pairs ``(time, id)``, smallest first.

    Arrays returned by the ``pop`` methods are views of buffers reused by the next pop.

    Args:
        capacity: Initial room for pairs (it doubles when full).

    """

    def __init__(self, capacity: int = 1024) -> None:
        self._times = np.empty(capacity)
        self._ids = np.empty(capacity, dtype=np.int64)
        self._size = 0
        self._out_t = np.empty(capacity)
        self._out_i = np.empty(capacity, dtype=np.int64)
        self._codes = np.empty(0, dtype=np.int64)
        self._bounds = np.empty(1, dtype=np.int64)

    def __len__(self) -> int:
        return self._size

    def head(self) -> float:
        """The smallest time held (``inf`` when empty)."""
        return float(self._times[0]) if self._size else math.inf

    def _reserve(self, extra: int) -> None:
        """Make room for ``extra`` more pairs (the pop buffers follow the heap's capacity)."""
        need = self._size + extra
        if need > len(self._times):
            self._times = grown(self._times, self._size, need)
            self._ids = grown(self._ids, self._size, need)
            cap = len(self._times)
            self._out_t, self._out_i = np.empty(cap), np.empty(cap, dtype=np.int64)

    def push(self, times: np.ndarray, ids: np.ndarray) -> None:
        """Push the pairs ``(times[j], ids[j])``, in turn.

        Args:
            times: Float times.
            ids: Integer ids, same length.

        """
        self._reserve(len(times))
        self._size = pair_heap_push(self._times, self._ids, self._size,
                                    np.asarray(times, dtype=float),
                                    np.asarray(ids, dtype=np.int64))

    def push_started(self, columns: tuple[np.ndarray, np.ndarray, np.ndarray], first: int,
                     end: int, code_of: np.ndarray, wanted: np.ndarray) -> None:
        """Push ``(finish, ref)`` of items a team started, in start order, if their code is wanted.

        Args:
            columns: The team's ``(order, ref, finish)`` (:meth:`TeamQueue.service_columns`).
            first: Start of the range of ``order`` started (:meth:`TeamQueue.serve_positions`).
            end: Its end.
            code_of: Code of each ``ref``.
            wanted: Bool by code.

        """
        self._reserve(end - first)
        order, ref, finish = columns
        self._size = push_started(order, first, end, ref, finish, code_of, wanted,
                                  self._times, self._ids, self._size)

    def pop_until(self, limit: float, inclusive: bool) -> tuple[np.ndarray, np.ndarray]:
        """Pop every pair with time before ``limit`` (or equal to it, if ``inclusive``).

        Returns:
            ``(times, ids)`` of the pairs popped, smallest first.

        """
        self._size, k = pair_heap_pop_until(self._times, self._ids, self._size, float(limit),
                                            inclusive, self._out_t, self._out_i)
        return self._out_t[:k], self._out_i[:k]

    def pop_grouped(self, limit: float, code_of: np.ndarray, n_codes: int
                    ) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
        """Pop every pair with time before ``limit``, grouped by the code of its id.

        Args:
            limit: Pop times strictly before it.
            code_of: Code of each id, below ``n_codes``.
            n_codes: Number of codes.

        Returns:
            ``(times, ids, codes, bounds)``: group ``g`` holds the pairs of code ``codes[g]``,
            ``times[bounds[g]:bounds[g + 1]]`` and ``ids`` likewise, smallest first; groups
            are in order of their first pair.

        """
        if len(self._codes) != n_codes:
            self._codes = np.empty(n_codes, dtype=np.int64)
            self._bounds = np.empty(n_codes + 1, dtype=np.int64)
        self._size, n = pair_heap_pop_grouped(self._times, self._ids, self._size, float(limit),
                                              code_of, self._out_t, self._out_i, self._codes,
                                              self._bounds)
        bounds = self._bounds[: n + 1].tolist()
        k = bounds[-1]
        return self._out_t[:k], self._out_i[:k], self._codes[:n].tolist(), bounds
