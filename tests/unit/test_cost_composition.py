"""Unit tests of total_risk_cost's composition and of the rules behind its components (issue 15).

The composition (:mod:`sim.model.costs`) is checked on synthetic counter totals; the finance
rules (month-end surge, capped close delay), the nightly stock valuation, the lost-margin tally
of the demand kernel and the desk's staff-hours on a small world (tests/unit/journey_rig.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journey_rig import Rig

from sim.metrics import REGISTRY
from sim.model.costs import (
    COMPONENTS,
    COMPOSITES,
    COST_INPUTS,
    DAYS_PER_YEAR,
    ENABLEMENT_PARTS,
    TOTAL_OF,
    cost_columns,
)
from sim.model.demand.sales import StoreDemand
from sim.model.desk.taxonomy import ADDED_STAFF_PURPOSES
from sim.model.finance.kernels import stock_value_by_region
from sim.model.finance.rules import close_delay_days, close_surge_staff
from sim.scenario import Scenario

START = np.datetime64("2026-02-02")  # a Monday, the default start date
FEB_END = 27  # day index of 2026-03-01, the first day after February


def _totals(size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = {k: rng.random(size) * rng.choice([1.0, 1e3, 1e6]) for k in COST_INPUTS}
    t["added_staff_handling_hours"] = t["handling_hours"] * rng.random(size)
    return t


def _costs(sc: Scenario, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    size = len(t["go_lives"])
    keys = (np.arange(size) % size,)
    hours = (np.linspace(0.0, 300.0, size),)
    return cost_columns(sc, t, keys, hours, size)


# --- the composition ------------------------------------------------------------------------


@settings(deadline=None, max_examples=30)
@given(st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_components_add_up_to_the_total_exactly(size, seed):
    cols = _costs(Scenario(), _totals(size, np.random.default_rng(seed)))
    assert set(cols) == set(COMPONENTS) | {"total_risk_cost"}
    for name, parts in COMPOSITES.items():
        again = np.zeros(size)
        for p in parts:  # re-added by a reader, in the declared order: the same bits
            again = again + cols[p]
        assert np.array_equal(again, cols[name]), name
    assert np.allclose(sum(cols[k] for k in TOTAL_OF), cols["total_risk_cost"], rtol=1e-12)


def test_every_component_is_a_registered_cost_metric():
    for name in [*COMPONENTS, "total_risk_cost"]:
        assert REGISTRY[name].agg == "cost" and REGISTRY[name].unit == "currency", name
    assert set(TOTAL_OF) | set(ENABLEMENT_PARTS) == set(COMPONENTS)
    assert "cost.enablement" in TOTAL_OF and not set(ENABLEMENT_PARTS) & set(TOTAL_OF)


def test_enablement_follows_staff_hours_training_and_cleansing():
    t = _totals(5, np.random.default_rng(1))
    base = _costs(Scenario(), t)
    more_staff = _costs(Scenario(), {**t, "hypercare_staff_hours": 2 * t["hypercare_staff_hours"]})
    assert np.allclose(more_staff["cost.enablement.hypercare"],
                       2 * base["cost.enablement.hypercare"])
    assert (more_staff["cost.enablement"] > base["cost.enablement"]).all()
    trained = _costs(Scenario(training={"completion": 1.0}), t)
    half = _costs(Scenario(training={"completion": 0.5}), t)
    assert np.allclose(trained["cost.enablement.training"], 2 * half["cost.enablement.training"])
    cleansed = _costs(Scenario(master_data={"cleansing": 0.8}), t)
    less = _costs(Scenario(master_data={"cleansing": 0.2}), t)
    assert np.allclose(cleansed["cost.enablement.cleansing"],
                       4 * less["cost.enablement.cleansing"])
    c = Scenario().costs
    assert np.allclose(base["cost.enablement.cutover_it"], c.cutover_it_per_store * t["go_lives"])


def test_exception_labour_leaves_the_added_staffs_hours_to_them():
    t = _totals(4, np.random.default_rng(2))
    c = Scenario().costs
    cols = _costs(Scenario(), t)
    want = c.exception_handling_hour * (t["handling_hours"] - t["added_staff_handling_hours"])
    assert np.allclose(cols["cost.exception_labour"], want)
    assert np.array_equal(cols["cost.reroutes"], t["reroute_cost"])  # shipping only


def test_holding_is_the_daily_stock_value_at_the_yearly_rate():
    t = {k: np.zeros(1) for k in COST_INPUTS}
    t["stock_value_days"] = np.array([DAYS_PER_YEAR * 1e6])  # a year of 1 M on hand
    cols = _costs(Scenario(costs={"holding_rate_per_year": 0.25}), t)
    assert cols["cost.holding"][0] == pytest.approx(0.25e6)


# --- finance rules --------------------------------------------------------------------------


def test_close_delay_is_capped_at_the_following_month():
    # Open past the end of March: capped at March's 22 business days less the 3-day window.
    assert np.busday_count("2026-03-01", "2026-04-01") == 22
    assert close_delay_days(START, FEB_END, (FEB_END + 200) * 24.0, 3) == 19.0
    assert close_delay_days(START, FEB_END, (FEB_END + 31) * 24.0, 3) == 19.0


@given(st.floats(0.0, 24.0 * 400), st.floats(0.0, 24.0 * 400))
def test_close_delay_grows_with_the_last_fix_up_to_the_cap(a, b):
    lo, hi = sorted((a, b))
    d_lo = close_delay_days(START, FEB_END, lo, 3)
    d_hi = close_delay_days(START, FEB_END, hi, 3)
    assert 0.0 <= d_lo <= d_hi <= 19.0


@given(st.integers(0, 500), st.floats(0.1, 3.0), st.integers(0, 10), st.integers(1, 10),
       st.integers(0, 20))
def test_close_surge_adds_just_enough_staff_within_its_cap(open_breaks, mean, team, days, cap):
    staff = close_surge_staff(open_breaks, mean, team, days, cap)
    assert 0 <= staff <= cap
    work, per_person = open_breaks * mean, days * 8.0
    if staff < cap:  # not capped: the team and the surge clear the open work in the surge
        assert (team + staff) * per_person >= work - 1e-9
    if team * per_person >= work:
        assert staff == 0
    if staff > 0:  # one fewer would not have been enough
        assert (team + staff - 1) * per_person < work


# --- valuation, lost margin, staff-hours on a small world -----------------------------------


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_stock_value_by_region_matches_numpy(stores, dcs, skus, seed):
    rng = np.random.default_rng(seed)
    phys = rng.integers(0, 50, (stores + dcs, skus)).astype(np.int32)
    cost = rng.random(skus) * 80
    region = rng.integers(0, 3, stores)
    value = phys @ cost
    want = np.append(np.bincount(region, weights=value[:stores], minlength=3),
                     value[stores:].sum())
    assert np.allclose(stock_value_by_region(phys, cost, region, 3), want, rtol=1e-12)


def test_lost_sales_cost_their_skus_margin():
    rig = Rig(stores=10, skus=2)
    w = rig.w
    w.sku_price = np.array([50.0, 30.0])
    w.sku_cost = np.array([20.0, 12.5])  # margins 30 and 17.5
    w.physical[: w.n_stores, 0] = 10**6  # SKU 0 never runs out; SKU 1 is never on the shelf
    demand = StoreDemand(w, np.ones((8, w.n_skus)), np.random.default_rng(3), rig.rec)
    for h in range(14, 14 + 24 * 3):
        demand.step(h)
    lost = rig.total("lost_sales_units")
    assert lost > 20
    assert rig.total("lost_margin") == pytest.approx(17.5 * lost)


def test_added_staff_hours_are_booked_by_purpose():
    rig = Rig(stores=10)
    with pytest.raises(ValueError, match="purpose"):
        rig.desk.add_staff("store_ops", 0, 168, 1, purpose="goodwill")
    rig.desk.add_staff("finance", 0, 2 * 168, 2, "business_hours", purpose="close_surge")
    rig.desk.add_staff("it_hypercare", 168, 3 * 168, 3, "24x7", purpose="hypercare")
    assert rig.total("close_surge_staff_hours") == 2 * 8 * 5 * 2  # two weeks of office hours
    assert rig.total("hypercare_staff_hours") == 3 * 2 * 168
    by_week = rig.rec.counts("hypercare_staff_hours")
    assert by_week[1, -1] == by_week[2, -1] == 3 * 168  # central row, weeks 2 and 3
    assert set(ADDED_STAFF_PURPOSES) == {"hypercare", "command_center", "close_surge"}


@pytest.mark.parametrize("added", [0, 1])
def test_handling_by_added_staff_is_their_share_of_the_team(added):
    rig = Rig(stores=30, teams={"store_ops": {"staff": 1}})
    if added:
        rig.desk.add_staff("store_ops", 0, 8 * 168, added, "store_hours", purpose="hypercare")
    g = np.random.default_rng(4)
    times = np.sort(g.uniform(0, 6 * 168, 400))
    rig.desk.raise_("inventory_mismatch", times, g.integers(0, rig.w.n_stores, 400))
    rig.run(lambda h: None)
    handled = rig.total("handling_hours")
    assert handled > 0
    # Store ops work store hours, so every item starts while the hypercare person is on
    # duty too: half of the team on duty is added.
    assert rig.total("added_staff_handling_hours") == pytest.approx(0.5 * added * handled)
