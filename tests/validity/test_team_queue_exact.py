"""The team queue serves exactly (docs/model_validity.md, Checks).

Hand-worked cases and a Hypothesis property against a brute-force oracle for the FCFS team
queue (sim.model.desk.teams): shifts, staff changes at run time, FCFS order, backlog counts.
Its analytic check against Erlang C is in test_erlang_c.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.desk.teams import TeamQueue, shift_staff

MONDAY_9 = 9.0
DAY = 24.0


def _queue(staff: list[int] | np.ndarray, items: list[tuple[float, float]]) -> TeamQueue:
    q = TeamQueue("t", np.asarray(staff, dtype=np.int64), sla_hours=4.0)
    for a, h in items:
        q.add(a, h, kind=0)
    return q


# --- hand-computed examples -------------------------------------------------------------------


def test_single_server_fcfs_by_hand() -> None:
    q = _queue([1] * 10, [(0.0, 1.0), (0.5, 1.0), (0.6, 0.5), (3.0, 0.25)])
    assert q.serve_until(10.0) == [0, 1, 2, 3]
    r = q.results()
    np.testing.assert_array_equal(r["start"], [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(r["finish"], [1.0, 2.0, 2.5, 3.25])
    # Waits 0, 0.5, 1.4, 0 and turnaround 1, 1.5, 1.9, 0.25: all within the 4 h SLA.
    assert not r["sla_miss"].any()


def test_two_servers_take_earliest_free_server() -> None:
    q = _queue([2] * 10, [(0.0, 3.0), (0.0, 1.0), (0.5, 1.0), (1.2, 1.0)])
    q.serve_until(10.0)
    r = q.results()
    # Item 2 waits for the server freed at 1.0; item 3 for the one freed at 2.0 (not 3.0).
    np.testing.assert_array_equal(r["start"], [0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(r["finish"], [3.0, 1.0, 2.0, 3.0])


def test_equal_arrivals_served_in_insertion_order_across_batches() -> None:
    q = TeamQueue("t", np.ones(10, dtype=np.int64), 1.0)
    q.add_many(np.array([2.0, 1.0]), np.array([1.0, 1.0]), kind=1, refs=np.array([10, 11]))
    q.add(1.0, 1.0, kind=2, ref=12)
    assert q.serve_until(10.0) == [1, 2, 0]
    r = q.results()
    np.testing.assert_array_equal(r["start"], [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(r["kind"], [1, 1, 2])
    np.testing.assert_array_equal(r["ref"], [10, 11, 12])


def test_items_added_ahead_of_time_are_merged_in_arrival_order() -> None:
    q = TeamQueue("t", np.ones(20, dtype=np.int64), 1.0)
    q.add(5.0, 1.0, kind=0)  # known early, arrives later
    assert q.serve_until(1.0) == []
    q.add(3.0, 2.5, kind=0)  # arrives earlier than the queued item
    assert q.serve_until(20.0) == [1, 0]
    np.testing.assert_array_equal(q.results()["start"], [5.5, 3.0])


def test_arrival_before_served_time_is_rejected() -> None:
    q = TeamQueue("t", np.ones(10, dtype=np.int64), 1.0)
    q.serve_until(3.0)
    with pytest.raises(ValueError):
        q.add(2.5, 1.0, kind=0)
    with pytest.raises(ValueError):
        q.add_many(np.array([4.0, 2.9]), np.array([1.0, 1.0]), kind=0)


# --- shifts -----------------------------------------------------------------------------------


def test_shift_staff_patterns() -> None:
    week = 7 * 24
    bh = shift_staff(week, 3, "business_hours")
    assert bh.sum() == 3 * 8 * 5
    assert bh[9] == 3 and bh[16] == 3 and bh[8] == 0 and bh[17] == 0
    assert bh[5 * 24 + 12] == 0  # Saturday noon
    sh = shift_staff(week, 2, "store_hours", open_hour=8, close_hour=22)
    assert sh.sum() == 2 * 14 * 7 and sh[8] == 2 and sh[22] == 0
    assert (shift_staff(week, 4, "24x7") == 4).all()
    with pytest.raises(ValueError):
        shift_staff(week, 1, "nights")


def test_night_and_weekend_arrivals_wait_for_business_hours() -> None:
    staff = shift_staff(3 * 7 * 24, 1, "business_hours")
    friday_18 = 4 * DAY + 18.0
    wednesday_1230 = 2 * DAY + 12.5
    q = _queue(staff, [(2.0, 1.0), (wednesday_1230, 1.0), (friday_18, 1.0)])
    q.serve_until(len(staff))
    start = q.results()["start"]
    assert start[0] == MONDAY_9
    assert start[1] == wednesday_1230  # a free server during the shift starts at once
    assert start[2] == 7 * DAY + MONDAY_9  # Friday evening waits for next Monday 09:00


def test_item_runs_past_shift_end_non_preemptive() -> None:
    staff = shift_staff(3 * 24, 1, "business_hours")
    q = _queue(staff, [(16.5, 2.0), (16.6, 1.0)])
    q.serve_until(len(staff))
    r = q.results()
    assert r["start"][0] == 16.5 and r["finish"][0] == 18.5  # finishes at 18:30 in overtime
    assert r["start"][1] == DAY + MONDAY_9  # next item waits for Tuesday 09:00


def test_staff_cut_waits_until_fewer_busy_than_on_duty() -> None:
    # Two on duty until 10:00, one after. Both servers are busy at 10:00; the first to finish
    # (10.5) goes off duty, so the item arriving at 10.2 starts when the other frees (12.5).
    staff = [2] * 10 + [1] * 10
    q = _queue(staff, [(9.5, 1.0), (9.5, 3.0), (10.2, 1.0)])
    q.serve_until(20.0)
    np.testing.assert_array_equal(q.results()["start"], [9.5, 9.5, 12.5])


def test_staff_raised_at_run_time_for_future_hours_is_used() -> None:
    staff = np.ones(48, dtype=np.int64)
    q = _queue(staff, [(0.5, 10.0)] * 3)
    assert q.serve_until(1.0) == [0]
    staff[5:] = 3  # hypercare added from hour 5, decided at hour 1
    assert q.serve_until(5.0) == []
    assert q.serve_until(6.0) == [1, 2]
    np.testing.assert_array_equal(q.results()["start"], [0.5, 5.0, 5.0])


# --- backlog and horizon ----------------------------------------------------------------------


def _brute_open(r: dict[str, np.ndarray], t: float) -> int:
    return int(np.count_nonzero((r["arrival"] <= t) & ~(r["finish"] <= t)))


def test_open_count() -> None:
    q = _queue([1] * 10, [(0.0, 1.0), (0.5, 1.0), (0.6, 0.5), (3.0, 0.25)])
    q.serve_until(1.0)
    assert q.open_count(0.7) == 3  # all three arrived, none finished
    q.serve_until(3.0)
    assert q.open_count(2.2) == 1  # item 2 in service
    q.serve_until(4.0)
    assert q.open_count(3.1) == 1  # item 3 in service
    assert q.open_count(3.25) == 0  # finished at 3.25
    assert q.open_count(10.0) == 0
    assert q.open_count(0.7) == 3  # earlier time: slow path gives the same answer


def test_items_unserved_at_horizon_end() -> None:
    q = _queue([1, 1, 1], [(0.0, 2.0), (0.5, 2.0), (1.0, 1.0)])
    assert q.serve_until(3.0) == [0, 1]
    assert q.serve_until(100.0) == []  # no staff beyond the horizon
    r = q.results()
    assert r["start"][1] == 2.0 and r["finish"][1] == 4.0  # started in time, ends after
    assert math.isnan(r["start"][2]) and math.isnan(r["finish"][2])
    np.testing.assert_array_equal(r["sla_miss"], [False, False, True])
    assert q.open_count(3.0) == 2


# --- property: exact FCFS against a brute-force oracle -----------------------------------------


def _oracle(arrival: list[float], handling: list[float], staff: np.ndarray) -> np.ndarray:
    """Brute-force FCFS: earliest candidate time with fewer items running than staff.

    After a lower bound, capacity only appears at an arrival, a finish or an hour boundary,
    so trying those candidates in order finds the exact start.
    """
    n, hours = len(arrival), len(staff)
    start = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    lower = 0.0
    for i in sorted(range(n), key=lambda j: (arrival[j], j)):
        lo = max(arrival[i], lower)
        cands = {lo} | {f for f in finish if f > lo} | set(map(float, range(math.ceil(lo), hours)))
        for tau in sorted(c for c in cands if c < hours):
            running = np.count_nonzero((start <= tau) & (finish > tau))
            if running < staff[int(tau)]:
                start[i], finish[i], lower = tau, tau + handling[i], tau
                break
        else:
            break  # FCFS: nothing after an unstartable item starts either
    return start


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    hours = draw(st.integers(3, 30))
    staff = draw(st.lists(st.integers(0, 3), min_size=hours, max_size=hours))
    n = draw(st.integers(0, 25))
    arrival = draw(st.lists(st.integers(0, 4 * (hours + 2)), min_size=n, max_size=n))
    handling = draw(st.lists(st.integers(0, 4 * 6), min_size=n, max_size=n))
    lead = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    raises = draw(
        st.lists(st.tuples(st.integers(1, hours), st.integers(0, hours), st.integers(1, 2)))
    )
    # Quarter hours make ties (equal arrivals, finishes on hour boundaries) common.
    return staff, [a / 4 for a in arrival], [h / 4 for h in handling], lead, raises


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_property_exact_fcfs(scenario: tuple) -> None:
    staff_list, arrival, handling, lead, raises = scenario
    hours = len(staff_list)
    staff = np.asarray(staff_list, dtype=np.int64)
    q = TeamQueue("p", staff, sla_hours=2.0)
    # Items become known some hours before they arrive, in mixed add/add_many calls.
    known_at = [max(0, math.floor(a) - k) for a, k in zip(arrival, lead, strict=True)]
    opens: list[tuple[int, int]] = []
    for now in range(hours + 4):
        batch = [i for i in range(len(arrival)) if known_at[i] == now]
        half = len(batch) // 2
        for i in batch[:half]:
            q.add(arrival[i], handling[i], kind=1, ref=i)
        if batch[half:]:
            rest = batch[half:]
            q.add_many(
                np.array([arrival[i] for i in rest]),
                np.array([handling[i] for i in rest]),
                kind=2,
                refs=np.array(rest),
            )
        q.serve_until(float(now + 1))
        opens.append((now, q.open_count(float(now + 1))))
        for when, from_hour, extra in raises:  # hypercare decided now, for future hours only
            if when == now + 1:
                staff[max(from_hour, when) :] += extra

    r = q.results()
    a, s, f, h = r["arrival"], r["start"], r["finish"], r["handling"]
    started = ~np.isnan(s)
    # Same items, payloads intact.
    np.testing.assert_array_equal(a, np.asarray(arrival)[r["ref"]])
    np.testing.assert_array_equal(h, np.asarray(handling)[r["ref"]])
    # Invariants.
    assert (s[started] >= a[started]).all()
    np.testing.assert_array_equal(f[started], s[started] + h[started])
    assert np.isnan(f[~started]).all()
    order = np.lexsort((np.arange(len(a)), a))
    s_ord = s[order]
    n_started = int(started.sum())
    assert started[order][:n_started].all()  # unstarted items only at the end of the order
    assert (np.diff(s_ord[:n_started]) >= 0).all()  # FCFS: starts follow arrival order
    # Capacity: when an item starts, the items started before it and still running leave a
    # server free among those on duty in that hour.
    for k, i in enumerate(order[:n_started]):
        earlier = order[:k]
        assert np.count_nonzero(f[earlier] > s[i]) < staff[int(s[i])]
    # Exactness: the same starts as the brute-force oracle on the final staff profile.
    np.testing.assert_array_equal(s, _oracle(a.tolist(), h.tolist(), staff))
    # Backlog during the run: items known and arrived, not (started before t and finished by t).
    known = np.asarray(known_at)[r["ref"]]
    for now, count in opens:
        t = now + 1.0
        assert count == np.count_nonzero((known <= now) & (a <= t) & ~((s < t) & (f <= t)))
