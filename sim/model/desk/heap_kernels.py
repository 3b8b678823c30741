"""Compiled binary min-heaps in arrays: of floats, and of ``(time, id)`` pairs.

The team queues keep the finish times of the items in service in a float heap; the exception
desk keeps its waiting lines (items not yet detected, finished items not yet applied) in pair
heaps (:class:`~sim.model.desk.work_heap.WorkHeap`). Pairs are ordered lexicographically, as Python
compares tuples, so with distinct ids pairs pop in the same sequence as :mod:`heapq` gives
tuples ``(time, id)``. The caller owns the arrays and their sizes; the arrays must have room
for what is pushed, except the float heap, which grows itself.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel

# --- a min-heap of floats (the finish times of the items in service) --------------------------


@kernel
def float_heap_push(heap: np.ndarray, size: int, value: float) -> np.ndarray:
    """Push ``value`` onto the heap ``heap[:size]``, doubling the array when it is full.

    Returns:
        The heap array (a new one if it had to grow); its size is now ``size + 1``.

    """
    if size == len(heap):
        grown = np.empty(max(2 * size, 8))
        for i in range(size):  # a loop compiles much faster than a slice copy
            grown[i] = heap[i]
        heap = grown
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= value:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = value
    return heap


@kernel
def float_heap_pop(heap: np.ndarray, size: int) -> int:
    """Remove the smallest value of the heap ``heap[:size]`` (``size > 0``).

    Returns:
        The new size.

    """
    size -= 1
    last = heap[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if last <= heap[child]:
            break
        heap[i] = heap[child]
        i = child
    if size > 0:
        heap[i] = last
    return size


# --- a min-heap of (time, id) pairs (items waiting for detection or for their effects) --------


@kernel
def _pair_less(t1: float, i1: int, t2: float, i2: int) -> bool:
    """``(t1, i1) < (t2, i2)`` as Python compares tuples."""
    return t1 < t2 or (t1 == t2 and i1 < i2)


@kernel
def _pair_heap_push_one(times: np.ndarray, ids: np.ndarray, size: int, t: float,
                        d: int) -> int:
    """Push ``(t, d)`` onto the heap ``[:size]`` (the arrays have room); return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if not _pair_less(t, d, times[parent], ids[parent]):
            break
        times[i] = times[parent]
        ids[i] = ids[parent]
        i = parent
    times[i] = t
    ids[i] = d
    return size + 1


@kernel
def pair_heap_push(times: np.ndarray, ids: np.ndarray, size: int, new_times: np.ndarray,
                   new_ids: np.ndarray) -> int:
    """Push pairs ``(new_times[j], new_ids[j])`` in turn (the arrays have room for them).

    Returns:
        The new size.

    """
    for j in range(len(new_times)):
        size = _pair_heap_push_one(times, ids, size, new_times[j], new_ids[j])
    return size


@kernel
def _pair_heap_pop(times: np.ndarray, ids: np.ndarray, size: int) -> int:
    """Remove the smallest pair of the heap ``[:size]`` (``size > 0``); return the new size."""
    size -= 1
    t, d = times[size], ids[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _pair_less(times[child + 1], ids[child + 1],
                                           times[child], ids[child]):
            child += 1
        if not _pair_less(times[child], ids[child], t, d):
            break
        times[i] = times[child]
        ids[i] = ids[child]
        i = child
    if size > 0:
        times[i] = t
        ids[i] = d
    return size


@kernel
def pair_heap_pop_until(times: np.ndarray, ids: np.ndarray, size: int, limit: float,
                        inclusive: bool, out_t: np.ndarray, out_i: np.ndarray) -> tuple[int, int]:
    """Pop, smallest first, every pair whose time is before ``limit`` (or at it if inclusive).

    The pairs popped are written to ``out_t`` and ``out_i`` (as long as the heap).

    Returns:
        The heap's new size and the number of pairs popped.

    """
    k = 0
    while size > 0 and (times[0] < limit or (inclusive and times[0] == limit)):
        out_t[k] = times[0]
        out_i[k] = ids[0]
        k += 1
        size = _pair_heap_pop(times, ids, size)
    return size, k


@kernel
def pair_heap_pop_grouped(times: np.ndarray, ids: np.ndarray, size: int, limit: float,
                          code_of: np.ndarray, out_t: np.ndarray, out_i: np.ndarray,
                          codes: np.ndarray, bounds: np.ndarray) -> tuple[int, int]:
    """Pop every pair with time before ``limit``, grouped by the code of its id.

    Groups are in order of the first appearance of their code in pop order, and pairs in
    pop order within a group: group ``g`` of code ``codes[g]`` is written to
    ``out_t[bounds[g]:bounds[g + 1]]`` and ``out_i`` likewise.

    Args:
        times: Heap times.
        ids: Heap ids.
        size: Heap size.
        limit: Pop times strictly before it.
        code_of: Code (``0..len(codes)-1``) of each id.
        out_t: Times popped (as long as the heap).
        out_i: Ids popped.
        codes: Code of each group (one slot per code).
        bounds: Group bounds (one slot more than ``codes``).

    Returns:
        The heap's new size and the number of groups.

    """
    # A plain bool, not the constant False: a literal argument built pair_heap_pop_until a
    # second time (the desk's work heap calls it with a bool).
    inclusive = size < 0
    size, k = pair_heap_pop_until(times, ids, size, limit, inclusive, out_t, out_i)
    n_codes = len(codes)
    # Loops rather than np.full / np.zeros / slice copies: they compile several times faster.
    rank = np.empty(n_codes, dtype=np.int64)
    fill = np.empty(n_codes, dtype=np.int64)
    for c in range(n_codes):
        rank[c] = -1
        fill[c] = 0
    n_groups = 0
    for j in range(k):
        c = code_of[out_i[j]]
        if not 0 <= c < n_codes:  # no bounds checks in compiled code: refuse to write wild
            raise IndexError("code out of range")
        if rank[c] < 0:
            rank[c] = n_groups
            codes[n_groups] = c
            n_groups += 1
        fill[rank[c]] += 1
    # Turn counts into each group's next slot; regroup in place through a copy.
    bounds[0] = 0
    for g in range(n_groups):
        bounds[g + 1] = bounds[g] + fill[g]
        fill[g] = bounds[g]
    popped_t = np.empty(k, dtype=np.float64)
    popped_i = np.empty(k, dtype=np.int64)
    for j in range(k):
        popped_t[j] = out_t[j]
        popped_i[j] = out_i[j]
    for j in range(k):
        g = rank[code_of[popped_i[j]]]
        out_t[fill[g]] = popped_t[j]
        out_i[fill[g]] = popped_i[j]
        fill[g] += 1
    return size, n_groups


@kernel
def push_started(order: np.ndarray, first: int, end: int, ref: np.ndarray, finish: np.ndarray,
                 code_of: np.ndarray, wanted: np.ndarray, times: np.ndarray, ids: np.ndarray,
                 size: int) -> int:
    """Push ``(finish, ref)`` of the items ``order[first:end]`` whose code is wanted.

    The heap arrays must have room for ``end - first`` more pairs.

    Returns:
        The heap's new size.

    """
    for k in range(first, end):
        item = order[k]
        r = ref[item]
        if wanted[code_of[r]]:
            size = _pair_heap_push_one(times, ids, size, finish[item], r)
    return size
