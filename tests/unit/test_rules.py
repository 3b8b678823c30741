"""Unit tests of the business rules kept in each mechanism's rules module (one home each)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.desk.rules import season_hours, sla_due, sla_met
from sim.model.desk.taxonomy import EXCEPTION_TYPES, OWNER
from sim.model.finance.rules import break_probabilities, close_delay_days
from sim.model.orders.rules import BOPIS, SFS, SHIP, legacy_node
from sim.model.returns.rules import (
    AFTER_EXCEPTION,
    AFTER_INSPECTION,
    AT_SCAN,
    ONLINE_TO_MAIL,
    ONLINE_TO_STORE,
    STORE_TO_STORE,
    goodwill_days,
    needs_approval,
    needs_lookup,
    refund_trigger,
    scan_mean_hours,
)
from sim.model.schedule import DAY, HOURLY, WEEK, Task, hourly_plan
from sim.model.world import region_dc_nodes
from sim.scenario import TEAMS

# --- returns --------------------------------------------------------------------------------


@pytest.mark.parametrize(("pair", "harm", "unreceipted", "looked_up", "want"), [
    (STORE_TO_STORE, False, False, False, AT_SCAN),       # legacy till refund
    (STORE_TO_STORE, False, True, False, AFTER_EXCEPTION),  # waits for store-ops approval
    (STORE_TO_STORE, True, True, False, AT_SCAN),         # harmonized: refund, check later
    (ONLINE_TO_STORE, False, False, True, AFTER_EXCEPTION),  # legacy BORIS lookup
    (ONLINE_TO_STORE, False, False, False, AT_SCAN),
    (ONLINE_TO_STORE, True, False, False, AT_SCAN),
    (ONLINE_TO_MAIL, False, False, False, AFTER_INSPECTION),
    (ONLINE_TO_MAIL, True, False, False, AT_SCAN),        # refund at the carrier's scan
])
def test_refund_trigger_by_channel_pair_and_harmonization(pair, harm, unreceipted, looked_up,
                                                          want):
    assert refund_trigger(pair, harm, unreceipted, looked_up) == want


def test_scan_hours_lookup_and_approval_rules():
    assert scan_mean_hours(ONLINE_TO_MAIL, 0.1, 6.0) == 6.0
    assert scan_mean_hours(STORE_TO_STORE, 0.1, 6.0) == 0.1
    assert needs_lookup(ONLINE_TO_STORE, False, 0.05, 0.1)
    assert not needs_lookup(ONLINE_TO_STORE, True, 0.05, 0.1)
    assert not needs_lookup(STORE_TO_STORE, False, 0.05, 0.1)
    assert needs_approval(STORE_TO_STORE, 0.015, 0.008, 2.0)  # the dip doubles the rate
    assert not needs_approval(STORE_TO_STORE, 0.015, 0.008, 1.0)


@settings(deadline=None)
@given(st.floats(0, 2000))
def test_goodwill_starts_after_two_days(hours):
    days = goodwill_days(hours)
    assert days >= 0
    assert days == pytest.approx(max(hours / 24 - 2, 0))


# --- orders ---------------------------------------------------------------------------------


def test_legacy_channel_rules():
    dc, home, store = 100, 7, 9
    assert legacy_node(2, SHIP, dc, home, store) == dc
    assert legacy_node(2, SFS, dc, home, store) == home
    assert legacy_node(2, BOPIS, dc, home, store) == store
    assert legacy_node(3, SFS, dc, home, store) == dc
    assert legacy_node(3, SHIP, dc, home, store) == -1
    assert legacy_node(3, BOPIS, dc, home, store) == -1


def test_region_dc_map_falls_back_to_the_stores_dc():
    # Region 2 is listed by no DC: most of its stores are served by DC 1.
    out = region_dc_nodes(5, 3, [[0], [1]], np.array([0, 1, 2, 2, 2]), np.array([0, 1, 1, 1, 0]))
    assert out.tolist() == [5, 6, 6]


# --- desk and finance -----------------------------------------------------------------------


def test_sla_met_and_due():
    arrival = np.array([0.0, 0.0, 10.0, 10.0])
    finish = np.array([5.0, 30.0, np.nan, 12.0])
    assert sla_met(arrival, finish, 24.0).tolist() == [True, False, False, True]
    assert sla_due(arrival, 24.0, 30.0).tolist() == [True, True, False, False]


def test_every_exception_type_has_a_team():
    assert set(OWNER) == set(EXCEPTION_TYPES) and set(OWNER.values()) <= set(TEAMS)


def test_close_delay_counts_business_days_beyond_the_window():
    start = np.datetime64("2026-02-02")  # a Monday
    month_end = 27  # day index of 2026-03-01, a Sunday
    assert close_delay_days(start, month_end, month_end * 24.0 - 1, 3) == 0.0
    # Resolved on Friday 2026-03-06: five business days, two beyond a three-day window.
    assert close_delay_days(start, month_end, (month_end + 5) * 24.0 + 10, 3) == 2.0


def test_break_probabilities_coexistence_and_harmonized_posting():
    p = {"recon_error_prob_live": 0.005, "recon_error_prob_legacy": 0.02,
         "bridge_error_prob": 0.06, "posting_harmonized_factor": 0.15}
    live = np.array([True, False])
    ch, br = break_probabilities(live, np.array([False, False]), np.ones(2), p)
    assert ch.tolist() == [0.005, 0.02] and br.tolist() == [0.0, 0.06]
    ch2, br2 = break_probabilities(live, np.array([True, True]), np.ones(2), p)
    assert np.allclose(ch2, ch * 0.15) and np.allclose(br2, br * 0.15)
    _, none = break_probabilities(np.array([False, False]), np.zeros(2, bool), np.ones(2), p)
    assert not none.any()  # no coexistence before the first go-live


# --- the schedule ---------------------------------------------------------------------------


class _Probe:
    def __init__(self, log: list, name: str) -> None:
        self.log, self.name = log, name

    def __getattr__(self, action: str):
        return lambda hour: self.log.append((hour, self.name, action))


def test_hourly_plan_runs_tasks_at_their_period_in_declared_order():
    log: list = []
    comps = {n: _Probe(log, n) for n in {t.component for t in HOURLY}}
    plan = hourly_plan(HOURLY, comps)
    for hour in (0, 6, 30):
        for call in plan[hour % WEEK]:
            call(hour)
    at0 = [(c, a) for h, c, a in log if h == 0]
    # Disruptions first: the hour's closures and carrier pace are in force for every task.
    assert at0[0] == ("disruptions", "step") and at0[1] == ("rollout", "start_week")
    assert at0[-1] == ("inventory", "sync")
    assert ("inventory", "cycle_count") in [(c, a) for h, c, a in log if h == 6]
    assert ("finance", "step") not in [(c, a) for h, c, a in log if h == 30]
    declared = [(t.component, t.action) for t in HOURLY if 0 % t.every == t.at]
    assert at0 == declared


def test_schedule_rejects_a_period_that_does_not_fit_a_week():
    with pytest.raises(ValueError, match="does not fit"):
        hourly_plan([Task("demand", every=5)], {"demand": object()})
    with pytest.raises(ValueError, match="does not fit"):
        hourly_plan([Task("demand", every=DAY, at=24)], {"demand": object()})


def test_seasonal_staff_cover_the_peak_and_the_returns_weeks_after_it():
    peak = np.zeros(10, dtype=bool)
    peak[[2, 3, 7]] = True
    on = season_hours(peak, 2, 10 * 168).reshape(10, 168)
    assert on.all(axis=1).tolist() == [False, False, True, True, True, True, False,
                                       True, True, True]
    assert not on.any(axis=1)[[0, 1, 6]].any()
    # No weeks after: exactly the peak; a horizon cut mid-week keeps its length.
    assert (season_hours(peak, 0, 10 * 168).reshape(10, 168).all(axis=1) == peak).all()
    assert season_hours(peak, 5, 1000).shape == (1000,)


@given(st.floats(0.0, 3.0), st.floats(0.1, 3.0), st.floats(0.0, 2.0))
def test_staff_incidents_follow_the_learning_curve_and_floor_walkers_absorb_them(
        excess, volume, walkers):
    from sim.model.rollout.rules import ticket_rate

    rate = float(ticket_rate(12.0, np.array([volume]), np.array([1.0 + excess]),
                             np.array([walkers]))[0])
    # In proportion to how far from proficient and to the store's trade...
    assert rate == pytest.approx(12.0 * volume * excess * (1.0 - min(walkers, 1.0)))
    # ...none once settled, none reaching the desk with a walker in the store all the time.
    assert float(ticket_rate(12.0, np.array([volume]), np.array([1.0]), np.array([0.0]))[0]) == 0
    assert float(ticket_rate(12.0, np.array([volume]), np.array([1.0 + excess]),
                             np.array([1.0]))[0]) == 0
