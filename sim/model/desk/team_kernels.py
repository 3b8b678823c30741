"""Compiled loops of the team queue: appending items, the service order, the FCFS recursion.

:class:`~sim.model.desk.teams.TeamQueue` keeps its items in growable NumPy columns and calls these
loops on them, so the ~230 k work items of a 600-store year cost no Python per item. They do
the same comparisons and the same float operations as the pure-Python queue they replaced (no
fastmath, see :mod:`sim.model.plumbing.jit`), so starts and finishes are the same bits.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.heap_kernels import float_heap_pop, float_heap_push
from sim.model.plumbing.jit import kernel


@kernel
def append(arrival: np.ndarray, handling: np.ndarray, kind: np.ndarray, ref: np.ndarray,
           start: np.ndarray, finish: np.ndarray, order: np.ndarray, key: np.ndarray,
           first_waiting: int, n_ordered: int, first: int, new_arrival: np.ndarray,
           new_handling: np.ndarray, code: int, new_ref: np.ndarray, floor: float,
           index_of_ref: np.ndarray) -> bool:
    """Write new items of one kind from index ``first`` on and merge them into the order.

    The columns have room. An arrival before ``floor`` becomes ``floor`` (``max(arrival,
    floor)`` as Python takes it: an item detected before the time its team has served arrives
    then). Items ``n_ordered..first-1`` not yet merged are merged too (see :func:`absorb`).
    If ``index_of_ref`` is not empty, ``index_of_ref[ref]`` is set to each new item's index.

    Returns:
        Whether the items could be merged (False: not in arrival order, see :func:`absorb`).

    """
    for j in range(len(new_arrival)):
        i = first + j
        a = new_arrival[j]
        arrival[i] = floor if a < floor else a
        handling[i] = new_handling[j]
        kind[i] = code
        ref[i] = new_ref[j]
        start[i] = np.nan
        finish[i] = np.nan
        if len(index_of_ref):
            index_of_ref[new_ref[j]] = i
    in_order = new_ref[:0]  # an empty permutation: the new items should be in arrival order
    return absorb(order, key, arrival, first_waiting, n_ordered, first + len(new_arrival),
                  in_order)


@kernel
def absorb(order: np.ndarray, key: np.ndarray, arrival: np.ndarray, first_waiting: int,
           n_ordered: int, n: int, perm: np.ndarray) -> bool:
    """Merge items ``n_ordered..n-1`` (added since the last merge) into the service order.

    ``order[first_waiting:n_ordered]`` holds the waiting items sorted by (arrival, index) and
    ``key`` their arrivals (the same positions). The new items are put in that order too:
    their indices are larger than every queued one, so on equal arrivals they go after the
    queued items, and after each other by index. Only queued items arriving at or after the
    earliest new arrival move (usually none: new items arrive after the queued ones).

    Args:
        order: Service order (room for ``n`` items).
        key: Arrival of each entry of ``order``.
        arrival: Arrival of each item.
        first_waiting: Position in ``order`` of the first item not started.
        n_ordered: Items already in ``order``.
        n: Items in all.
        perm: ``np.argsort(arrival[n_ordered:n], kind="stable")``, or empty when the new
            items are in arrival order (sorting is left to NumPy: the desk's items always
            come in order, and a compiled sort costs seconds of compilation).

    Returns:
        False, changing nothing, if ``perm`` is empty and the new items are not in order.

    """
    m = n - n_ordered
    if m == 0:
        return True
    given = len(perm) > 0
    if not given:
        for i in range(n_ordered + 1, n):
            if arrival[i] < arrival[i - 1]:
                return False
    first_key = arrival[n_ordered + perm[0]] if given else arrival[n_ordered]
    # p: first waiting item arriving at or after the earliest new arrival (bisect_left).
    lo, hi = first_waiting, n_ordered
    while lo < hi:
        mid = (lo + hi) >> 1
        if key[mid] < first_key:
            lo = mid + 1
        else:
            hi = mid
    p = lo
    n_old = n_ordered - p
    old_idx = np.empty(n_old, dtype=np.int64)
    old_key = np.empty(n_old, dtype=np.float64)
    for j in range(n_old):  # a loop compiles faster than a slice copy
        old_idx[j] = order[p + j]
        old_key[j] = key[p + j]
    a = b = 0
    new_i, new_k = n_ordered, 0.0
    for out in range(p, n):
        if b < m:
            new_i = n_ordered + (perm[b] if given else b)
            new_k = arrival[new_i]
        if b == m or (a < n_old and old_key[a] <= new_k):
            order[out] = old_idx[a]
            key[out] = old_key[a]
            a += 1
        else:
            order[out] = new_i
            key[out] = new_k
            b += 1
    return True


@kernel
def serve(order: np.ndarray, arrival: np.ndarray, handling: np.ndarray, start: np.ndarray,
          finish: np.ndarray, busy: np.ndarray, n_busy: int, staff: np.ndarray, clock: float,
          k: int, n: int, t: float) -> tuple[np.ndarray, int, float, int]:
    """Start, in service order, every item ``order[k:n]`` that can start before ``t``.

    Exact FCFS over server-free times: the next item starts at the earliest time, not
    before its arrival or the previous start (``clock``), at which fewer items are in service
    (``busy[:n_busy]``, a heap of finish times) than servers on duty (``staff[floor(time)]``;
    none beyond the end of ``staff``). Capacity can only appear at a finish or an hour
    boundary, so those are the times stepped through.

    Returns:
        The busy heap (a new array if it grew), its size, the new clock and the position in
        ``order`` of the first item not started. ``start`` and ``finish`` are filled in.

    """
    n_hours = len(staff)
    while k < n:
        i = order[k]
        tau = arrival[i] if arrival[i] > clock else clock
        if tau >= t:
            break
        free = False
        while True:
            while n_busy > 0 and busy[0] <= tau:
                n_busy = float_heap_pop(busy, n_busy)
            clock = tau
            h = int(tau)
            if h < n_hours and n_busy < staff[h]:
                free = True
                break
            nxt = h + 1.0
            if n_busy > 0 and busy[0] < nxt:
                nxt = busy[0]
            if nxt >= t or h >= n_hours:
                break
            tau = nxt
        if not free:
            break
        f = tau + handling[i]
        start[i] = tau
        finish[i] = f
        busy = float_heap_push(busy, n_busy, f)
        n_busy += 1
        k += 1
    return busy, n_busy, clock, k
