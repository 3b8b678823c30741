"""Records filed under the day they are due, in chains of fixed-size blocks.

The returns journey files ~26,000 returns a day at 600 stores, each under the day it will
start (one day to several weeks ahead), and each day takes all the returns due. A day's
records are kept in a chain of blocks drawn from one shared store: filing appends to the day's
last block, taking a day walks its chain (records contiguous within a block, in filing order)
and hands its blocks back to the free list. Nothing is sorted or allocated per day, the
records of a day are read block after block, and blocks are reused all year, so their memory
stays warm.

Filing is done by the compiled loop that makes the records
(:func:`sim.model.returns.kernels.file_returns`), which appends each record to day ``d``'s
chain itself, with the arrays of :class:`Chains` hoisted (a call per record passing arrays
costs more than the record: numba counts references of array arguments)::

    b = tail[d]
    if b < 0 or fill[d] == BLOCK:         # no block yet, or the last one is full
        n_free[0] -= 1
        new = free[n_free[0]]             # pop a free block (reserve() made sure of one)
        next[new] = -1
        if b < 0: head[d] = new
        else: next[b] = new
        tail[d] = b = new
        fill[d] = 0
    position = b * BLOCK + fill[d]
    fill[d] += 1
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.plumbing.jit import kernel

#: Records per block: small enough that a day's part-filled last block wastes little, large
#: enough that a day's records are read as long runs rather than scattered rows.
BLOCK = 512


class Chains(NamedTuple):
    """The chains' bookkeeping, shared with the compiled loops (arrays updated in place)."""

    next: np.ndarray  #: per block: the next block of its day's chain (-1: the last one)
    head: np.ndarray  #: per day: its first block (-1: nothing due)
    tail: np.ndarray  #: per day: its last block
    fill: np.ndarray  #: per day: records in its last block
    free: np.ndarray  #: free blocks, a stack...
    n_free: np.ndarray  #: ...and its height (one element)


@kernel
def _take(ch: Chains, first: int, last: int) -> np.ndarray:
    """Spans ``(position, count)`` of the records due on days ``first..last``; free them."""
    n_spans = 0
    for d in range(first, last + 1):
        b = ch.head[d]
        while b >= 0:
            n_spans += 1
            b = ch.next[b]
    spans = np.empty((n_spans, 2), dtype=np.int64)
    k = 0
    for d in range(first, last + 1):
        b = ch.head[d]
        while b >= 0:
            spans[k, 0] = b * BLOCK
            spans[k, 1] = ch.fill[d] if b == ch.tail[d] else BLOCK
            k += 1
            ch.free[ch.n_free[0]] = b
            ch.n_free[0] += 1
            b = ch.next[b]
        ch.head[d] = ch.tail[d] = -1
        ch.fill[d] = 0
    return spans


class DayChains:
    """Records of one dtype filed under their due day, ``0 <= day < n_days``.

    Args:
        dtype: The records' dtype.
        n_days: Days records can be due on (see :meth:`grow_days`).
        blocks: Initial number of blocks (the store at least doubles when short).
    """

    def __init__(self, dtype: np.dtype, n_days: int, blocks: int = 16) -> None:
        self.rows = np.zeros(blocks * BLOCK, dtype=dtype)
        self.chains = Chains(next=np.full(blocks, -1, dtype=np.int64),
                             head=np.full(n_days, -1, dtype=np.int64),
                             tail=np.full(n_days, -1, dtype=np.int64),
                             fill=np.zeros(n_days, dtype=np.int64),
                             free=np.arange(blocks - 1, -1, -1, dtype=np.int64),
                             n_free=np.array([blocks], dtype=np.int64))

    @property
    def n_days(self) -> int:
        """Days records can be due on."""
        return len(self.chains.head)

    def reserve(self, k: int, first_day: int) -> tuple[np.ndarray, Chains]:
        """The record store and chains, with free blocks for ``k`` records due from ``first_day``.

        ``k`` records need at most one new block per ``BLOCK`` records plus one per day they
        fall on (each day's last block may be full).
        """
        ch = self.chains
        need = -(-k // BLOCK) + min(k, max(self.n_days - first_day, 0))
        if ch.n_free[0] < need:
            old = len(ch.next)
            grow = max(old, need - int(ch.n_free[0]))
            rows = np.zeros((old + grow) * BLOCK, dtype=self.rows.dtype)
            # Copied as bytes: NumPy copies structured records field by field.
            rows.view(np.uint8)[: self.rows.nbytes] = self.rows.view(np.uint8)
            n_free = int(ch.n_free[0])
            free = np.empty(old + grow, dtype=np.int64)
            free[:n_free] = ch.free[:n_free]
            free[n_free: n_free + grow] = np.arange(old + grow - 1, old - 1, -1)
            self.rows = rows
            self.chains = ch = ch._replace(
                next=np.concatenate([ch.next, np.full(grow, -1, dtype=np.int64)]), free=free,
                n_free=np.array([n_free + grow], dtype=np.int64))
        return self.rows, ch

    def grow_days(self, n_days: int) -> None:
        """Let records be due on days up to ``n_days - 1``."""
        ch = self.chains
        extra = n_days - self.n_days
        if extra > 0:
            self.chains = ch._replace(
                head=np.concatenate([ch.head, np.full(extra, -1, dtype=np.int64)]),
                tail=np.concatenate([ch.tail, np.full(extra, -1, dtype=np.int64)]),
                fill=np.concatenate([ch.fill, np.zeros(extra, dtype=np.int64)]))

    def take(self, first: int, last: int) -> np.ndarray:
        """Spans ``(position, count)`` of the records due on days ``first..last``.

        By day, then in filing order. Their blocks are freed: read the records before the
        next :meth:`reserve`.
        """
        last = min(last, self.n_days - 1)
        if last < first:
            return np.zeros((0, 2), dtype=np.int64)
        return _take(self.chains, first, last)
