"""The compiled team queue and work heaps against the pure-Python code they replaced.

The engine's outputs stay the same bits only if the compiled queue starts the same items at the
same times (same float operations, same tie-breaking) as the pure-Python queue it replaced, and
the heaps hand back pairs in the order :mod:`heapq` gives tuples. ``ReferenceQueue`` below is
that pure-Python queue, kept verbatim in its serving logic.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.desk.heap_kernels import float_heap_pop, float_heap_push
from sim.model.desk.teams import TeamQueue
from sim.model.desk.work_heap import WorkHeap


class ReferenceQueue:
    """The pure-Python FCFS team queue (lists, heapq, bisect) the compiled one replaced."""

    def __init__(self, staff_by_hour: np.ndarray) -> None:
        self.staff_by_hour = staff_by_hour
        self.arrival: list[float] = []
        self.handling: list[float] = []
        self.ref: list[int] = []
        self.start: list[float] = []
        self.finish: list[float] = []
        self.order: list[int] = []
        self.new: list[int] = []
        self.next = 0
        self.busy: list[float] = []
        self.clock = 0.0
        self.served = 0.0

    def add(self, arrival: float, handling: float, ref: int) -> int:
        assert arrival >= self.served
        i = len(self.arrival)
        self.arrival.append(float(arrival))
        self.handling.append(float(handling))
        self.ref.append(ref)
        self.start.append(math.nan)
        self.finish.append(math.nan)
        self.new.append(i)
        return i

    def absorb(self) -> None:
        if not self.new:
            return
        arrival, order = self.arrival, self.order
        key = arrival.__getitem__
        p = bisect_left(order, min(map(key, self.new)), lo=self.next, key=key)
        tail = order[p:] + self.new
        tail.sort(key=lambda i: (arrival[i], i))
        order[p:] = tail
        self.new = []

    def serve_until(self, t: float) -> list[int]:
        self.absorb()
        started: list[int] = []
        order, arrival, handling = self.order, self.arrival, self.handling
        start, finish, busy = self.start, self.finish, self.busy
        staff, n_hours = self.staff_by_hour, len(self.staff_by_hour)
        clock, k, n = self.clock, self.next, len(order)
        while k < n:
            i = order[k]
            tau = arrival[i] if arrival[i] > clock else clock
            if tau >= t:
                break
            while True:
                while busy and busy[0] <= tau:
                    heapq.heappop(busy)
                clock = tau
                h = int(tau)
                if h < n_hours and len(busy) < staff[h]:
                    break
                nxt = h + 1.0
                if busy and busy[0] < nxt:
                    nxt = busy[0]
                if nxt >= t or h >= n_hours:
                    tau = math.inf
                    break
                tau = nxt
            if tau == math.inf:
                break
            f = tau + handling[i]
            start[i] = tau
            finish[i] = f
            heapq.heappush(busy, f)
            started.append(i)
            k += 1
        self.clock, self.next = clock, k
        self.served = max(self.served, t)
        return started

    def open_count(self, t: float) -> int:
        self.absorb()
        arr, fin = np.asarray(self.arrival), np.asarray(self.finish)
        return int(np.count_nonzero((arr <= t) & ~(fin <= t)))


# --- the queue ---------------------------------------------------------------------------------


@st.composite
def runs(draw: st.DrawFn) -> tuple:
    """Hourly runs: items known some hours before they arrive, staff raised at run time."""
    hours = draw(st.integers(2, 40))
    staff = draw(st.lists(st.integers(0, 4), min_size=hours, max_size=hours))
    n = draw(st.integers(0, 60))
    # Quarter hours make ties (equal arrivals, finishes on hour boundaries) common; arbitrary
    # floats exercise the arithmetic.
    time = st.one_of(st.integers(0, 4 * (hours + 2)).map(lambda q: q / 4),
                     st.floats(0, hours + 2, allow_nan=False))
    arrival = draw(st.lists(time, min_size=n, max_size=n))
    handling = draw(st.lists(st.one_of(st.integers(0, 24).map(lambda q: q / 4),
                                       st.floats(0, 8, allow_nan=False)),
                             min_size=n, max_size=n))
    lead = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    how = draw(st.lists(st.sampled_from(["add", "many", "detected"]), min_size=n, max_size=n))
    raises = draw(st.lists(st.tuples(st.integers(1, hours), st.integers(0, hours),
                                     st.integers(1, 3))))
    return staff, arrival, handling, lead, how, raises


@settings(max_examples=400, deadline=None)
@given(runs())
def test_compiled_queue_is_the_pure_python_queue(run: tuple) -> None:
    staff_list, arrival, handling, lead, how, raises = run
    hours = len(staff_list)
    staff = np.asarray(staff_list, dtype=np.int64)
    ref_staff = staff.copy()
    q = TeamQueue("k", staff, sla_hours=3.0, capacity=2)  # tiny: growth is exercised
    ref = ReferenceQueue(ref_staff)
    known = [max(0, math.floor(a) - k) for a, k in zip(arrival, lead, strict=True)]
    index_of = np.full(len(arrival), -1, dtype=np.int64)
    for now in range(hours + 4):
        batch = [i for i in range(len(arrival)) if known[i] == now]
        for mode in ("add", "many", "detected"):
            mine = [i for i in batch if how[i] == mode]
            if not mine:
                continue
            a = np.array([arrival[i] for i in mine])
            h = np.array([handling[i] for i in mine])
            if mode == "detected":
                # The desk's way in: an item detected late arrives at the time served.
                first = q.add_detected(a - 1.5, h, 7, np.array(mine), index_of)
                expected = [ref.add(max(x - 1.5, ref.served), y, i)
                            for x, y, i in zip(a.tolist(), h.tolist(), mine, strict=True)]
                assert index_of[mine].tolist() == expected
            elif mode == "many":
                first = q.add_many(a, h, kind=7, refs=np.array(mine))
                expected = [ref.add(x, y, i) for x, y, i in zip(a.tolist(), h.tolist(), mine,
                                                                  strict=True)]
            else:
                expected = [q.add(x, y, 7, i) for x, y, i in zip(a.tolist(), h.tolist(), mine,
                                                                   strict=True)]
                assert expected == [ref.add(x, y, i) for x, y, i in zip(a.tolist(), h.tolist(),
                                                                         mine, strict=True)]
                first = expected[0]
            assert first == expected[0]
        t = float(now + 1)
        if now % 2:
            first, end = q.serve_positions(t)
            started = q.service_columns()[0][first:end].tolist()
        else:
            started = q.serve_until(t)
        assert started == ref.serve_until(t)
        assert q.served_time() == ref.served
        for at in (t, t - 0.5, t + 0.25, 0.0):
            assert q.open_count(at) == ref.open_count(at)
        for when, from_hour, extra in raises:  # hypercare decided now, for future hours only
            if when == now + 1:
                staff[max(from_hour, when):] += extra
                ref_staff[max(from_hour, when):] += extra

    r = q.results()
    assert len(q) == len(ref.arrival)
    np.testing.assert_array_equal(r["arrival"], ref.arrival)
    np.testing.assert_array_equal(r["handling"], ref.handling)
    np.testing.assert_array_equal(r["start"], ref.start)  # NaN where never started
    np.testing.assert_array_equal(r["finish"], ref.finish)
    np.testing.assert_array_equal(r["ref"], ref.ref)
    assert (r["kind"] == 7).all()
    items = np.arange(len(q))
    np.testing.assert_array_equal(q.finishes(items), ref.finish)


def test_compiled_queue_by_hand_overtime_and_ties() -> None:
    # Two on duty in hour 0, none in hour 1, one from hour 2. Item 0 runs into hour 1
    # (overtime); items 1 and 2 tie on arrival and go in insertion order; item 3, detected
    # late, arrives at the time served.
    q = TeamQueue("k", np.array([2, 0, 1, 1, 1], dtype=np.int64), 1.0)
    q.add_many(np.array([0.5, 0.75, 0.75]), np.array([1.5, 0.25, 0.5]), kind=1)
    assert q.serve_until(1.0) == [0, 1]
    assert q.add_detected(np.array([0.2]), np.array([0.5]), 2, np.array([9])) == 3
    assert q.serve_until(5.0) == [2, 3]
    r = q.results()
    np.testing.assert_array_equal(r["arrival"], [0.5, 0.75, 0.75, 1.0])
    np.testing.assert_array_equal(r["start"], [0.5, 0.75, 2.0, 2.5])
    np.testing.assert_array_equal(r["finish"], [2.0, 1.0, 2.5, 3.0])


# --- the heaps ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=200))
def test_float_heap_pops_in_order(values: list[float]) -> None:
    heap, size = np.empty(1), 0  # grows
    for v in values:
        heap = float_heap_push(heap, size, v)
        size += 1
    out = []
    while size:
        out.append(heap[0])
        size = float_heap_pop(heap, size)
    assert out == sorted(values)


pairs = st.lists(st.tuples(st.integers(0, 40).map(lambda q: q / 4), st.integers(0, 8)),
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(pairs, st.floats(0, 12, allow_nan=False), st.booleans()),
                max_size=12))
def test_work_heap_is_heapq_on_tuples(steps: list) -> None:
    heap = WorkHeap(capacity=1)  # tiny: growth is exercised
    ref: list[tuple[float, int]] = []
    code_of = np.zeros(0, dtype=np.int64)
    next_id = 0
    for batch, limit, inclusive in steps:
        times = np.array([t for t, _ in batch], dtype=float)
        ids = np.arange(next_id, next_id + len(batch))
        code_of = np.concatenate([code_of, [c for _, c in batch]]).astype(np.int64)
        next_id += len(batch)
        # Ids pushed out of order, as a desk would after a handler raises more.
        heap.push(times[::-1], ids[::-1])
        for t, i in zip(times[::-1].tolist(), ids[::-1].tolist(), strict=True):
            heapq.heappush(ref, (t, i))
        assert heap.head() == (ref[0][0] if ref else math.inf)
        expected = []
        while ref and (ref[0][0] < limit or (inclusive and ref[0][0] == limit)):
            expected.append(heapq.heappop(ref))
        if inclusive:
            got_t, got_i = heap.pop_until(limit, inclusive=True)
            assert list(zip(got_t.tolist(), got_i.tolist(), strict=True)) == expected
        else:
            got_t, got_i, codes, bounds = heap.pop_grouped(limit, code_of, 9)
            # Grouped by code, codes in order of first appearance, pop order within a code.
            order = list(dict.fromkeys(int(code_of[i]) for _, i in expected))
            assert codes == order
            regrouped = [p for c in order for p in expected if code_of[p[1]] == c]
            assert list(zip(got_t.tolist(), got_i.tolist(), strict=True)) == regrouped
            for g, c in enumerate(codes):
                assert (code_of[got_i[bounds[g]:bounds[g + 1]]] == c).all()
        assert len(heap) == len(ref)


def test_push_started_keeps_wanted_codes_in_finish_order() -> None:
    q = TeamQueue("k", np.full(10, 3, dtype=np.int64), 1.0)
    code_of = np.array([0, 2, 1, 0], dtype=np.int64)  # code of each ref; code 2 unwanted
    q.add_many(np.array([0.0, 0.1, 0.2, 0.3]), np.array([4.0, 1.0, 1.0, 0.5]), kind=0,
               refs=np.array([0, 1, 2, 3]))
    first, end = q.serve_positions(1.0)
    assert (first, end) == (0, 3)  # three servers
    heap = WorkHeap(capacity=1)
    heap.push_started(q.service_columns(), first, end, code_of, np.array([True, True, False]))
    times, ids = heap.pop_until(10.0, inclusive=True)
    assert ids.tolist() == [2, 0]  # by finish: 1.2, 4.0 (ref 1, finishing at 1.1, unwanted)
    np.testing.assert_array_equal(times, [0.2 + 1.0, 4.0])
