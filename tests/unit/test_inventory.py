"""Unit tests of stock records and visibility (sim.model.inventory, the record-error parts of
sim.model.demand): feed outages per hour of operation, outages ended by IT's work, POS-family
cadence, the record-error factor, real-time event latency, DC receiving errors and counts.

Each test builds the inventory with a real exception desk on a small network and drives the
hours itself, without the volume model (or calls a rule or loop directly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.demand.kernels import sell_hour
from sim.model.desk.desk import ExceptionDesk
from sim.model.desk.taxonomy import KIND
from sim.model.inventory import rules
from sim.model.inventory.stock import Inventory
from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, LEGACY, LIVE, World, build_world
from sim.plan import build_plan
from sim.scenario import PathError, Scenario


@dataclass
class Rig:
    env: simpy.Environment
    w: World
    rec: Recorder
    desk: ExceptionDesk
    inv: Inventory

    def hours(self, start: int, end: int) -> None:
        """Sync each hour, letting the desk work in between (as the engine's clock does)."""
        for hour in range(start, end):
            self._run_to(hour)
            self.inv.sync(hour)
        self._run_to(end)

    def _run_to(self, hour: int) -> None:
        if self.env.now < hour + 1e-9:
            self.env.run(until=hour + 1e-9)

    def failures(self) -> np.ndarray:
        """Ids of the sync_failure exceptions raised so far."""
        return np.flatnonzero(self.desk.kind == KIND["sync_failure"])


def rig(seed: int = 1, weeks: int = 12, stores: int = 30, it_staff: int = 3,
        inventory: dict | None = None, params: dict | None = None) -> Rig:
    sc = Scenario(network={"stores": stores, "skus": 20}, horizon_weeks=weeks,
                  inventory=inventory or {}, parameters=params or {},
                  teams={"it_hypercare": {"staff": it_staff}})
    w = build_world(sc, build_plan(sc))
    env = simpy.Environment()
    rec = Recorder(weeks, w.n_regions + 1, w.n_stores)
    desk = ExceptionDesk(env, w, np.random.default_rng(seed + 100), rec)
    streams = {"sync": np.random.default_rng(seed), "counts": np.random.default_rng(seed + 1)}
    inv = Inventory(w, lambda wk: np.full((w.n_stores, w.n_skus), 2.0),
                    lambda wk: np.full(w.n_skus, 5.0), desk, streams, rec)
    inv.stock_initial(np.random.default_rng(seed + 2))
    inv.refresh_profile()
    return Rig(env, w, rec, desk, inv)


# --- feed outages: per hour of operation, until worked -------------------------------------


def test_feed_failures_do_not_depend_on_how_often_the_feed_publishes() -> None:
    """Doubling the publish rate leaves the outages (sync_failure exceptions) as they were."""
    fast, slow = (rig(inventory={"legacy_sync_hours": h, "legacy_sync_hours_by_pos_family": {},
                                 "legacy_failures_per_1000_hours": 20.0}, it_staff=10)
                  for h in (2.0, 4.0))
    for r in (fast, slow):
        r.hours(0, 1000)
    n_fast, n_slow = len(fast.failures()), len(slow.failures())
    assert n_fast == n_slow > 0
    # And the count is the rate times the hours the feeds were up (Poisson, 4 sigma).
    up = fast.w.n_nodes * 999 - fast.rec.counts("sync_outage_hours").sum()
    expected = 0.020 * up
    assert abs(n_fast - expected) < 4 * np.sqrt(expected)


def test_feed_failure_rate_is_per_hour_whatever_the_interval() -> None:
    """The profile gives a rate per hour of operation: a 2-hour feed fails no more per hour."""
    r = rig(inventory={"legacy_sync_hours": 2.0, "legacy_sync_hours_by_pos_family": {}})
    interval, rate, realtime = rules.feed_profile(
        r.w.state, r.w.harmonized["inventory_events"], False, False,
        r.inv.feeds.store_legacy_hours, 1.0, 1.25, 5.0)
    assert (rate[: r.w.n_stores] == 1.25e-3).all() and not realtime.any()
    assert (interval[: r.w.n_stores] == 2.0).all()  # the rate does not mention the interval


def _outage_everywhere(r: Rig) -> None:
    """Break every node's feed in hour 1, then no more failures."""
    r.hours(0, 1)
    r.inv.feeds.rate[:] = 1.0
    r.hours(1, 2)
    r.inv.feeds.rate[:] = 0.0


def test_an_outage_lasts_until_its_exception_is_worked() -> None:
    r = rig(it_staff=2, inventory={"legacy_sync_hours": 1.0,
                                   "legacy_sync_hours_by_pos_family": {}})
    _outage_everywhere(r)
    ids = r.failures()
    # Every feed broke; the ones whose exception was already worked within the hour are up.
    early = r.desk.finish_times(ids)
    worked = int((np.isfinite(early) & (early <= 2.0)).sum())
    assert len(ids) == r.w.n_nodes and r.inv.feeds.outage.sum() == r.w.n_nodes - worked
    r.w.system[:] += 7  # records move; stale views do not see it until the feed is back
    r.hours(2, 400)
    finish = r.desk.finish_times(ids)
    assert np.isfinite(finish).all() and not r.inv.feeds.outage.any()
    node = np.where(r.desk.store[ids] >= 0, r.desk.store[ids], -1)
    stores = node >= 0
    # Each store published again at the hour its exception was worked, not before.
    assert (r.w.last_sync[node[stores]] >= finish[stores]).all()
    assert (r.w.visible == r.w.system).all()
    out = r.rec.counts("sync_outage_hours").sum()
    assert out == pytest.approx(np.sum(np.ceil(finish) - 1), abs=r.w.n_nodes)


def test_no_it_staff_leaves_every_broken_feed_stale() -> None:
    r = rig(it_staff=0, inventory={"legacy_sync_hours": 1.0,
                                   "legacy_sync_hours_by_pos_family": {}})
    _outage_everywhere(r)
    before = r.w.visible.copy()
    r.w.system[:] += 7
    r.hours(2, 200)
    assert r.inv.feeds.outage.all()
    assert (r.w.visible == before).all() and (r.w.last_sync <= 1.0).all()


def test_real_time_feeds_do_not_fail_and_stores_in_cutover_do_not_operate() -> None:
    r = rig()
    w = r.w
    w.state[:3] = LIVE
    w.state[3:5] = CUTOVER
    w.harmonized["inventory_events"][:2] = True
    r.inv.coexistence = True
    r.inv.refresh_profile()
    f = r.inv.feeds
    # A pilot on the legacy platform: the store posts the new way (fewer record errors) but
    # the legacy ecommerce platform reads it through the integration layer.
    assert not f.realtime.any() and (f.rate[:2] == pytest.approx(5e-3))
    assert (f.interval[:2] == 1.0).all()
    assert (w.record_error_factor[:2] == 0.5).all() and (w.record_error_factor[2:] == 1).all()
    w.central_state = LIVE
    r.inv.refresh_profile()
    assert f.realtime[:2].all() and (f.rate[:2] == 0).all()
    assert (f.rate[3:5] == 0).all()
    assert f.rate[2] == pytest.approx(5e-3)  # live, not harmonized: the layer
    assert (f.rate[5: w.n_stores] == pytest.approx(5e-3))  # legacy in coexistence: the layer
    assert (f.interval[2] == 1.0) and (f.interval[5] == 4.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([LEGACY, CUTOVER, LIVE]), min_size=1, max_size=12),
       st.lists(st.booleans(), min_size=14, max_size=14), st.booleans(), st.booleans())
def test_feed_profile_properties(states, flags, central_live, coexistence) -> None:
    state = np.array(states, dtype=np.int8)
    n_stores = len(state)
    harm = np.array(flags[: n_stores + 2])
    hours = np.full(n_stores, 24.0)
    interval, rate, realtime = rules.feed_profile(state, harm, central_live, coexistence, hours,
                                                  1.0, 1.0, 4.0)
    assert (rate[realtime] == 0).all()  # real-time events bypass the layer
    assert (rate[:n_stores][state == CUTOVER] == 0).all()
    assert not realtime[:n_stores][state != LIVE].any()
    assert realtime[n_stores:].tolist() == (harm[n_stores:] & central_live).tolist()
    assert central_live or not realtime.any()  # the legacy platform reads no event stream
    legacy_only = (state == LEGACY) & ~harm[:n_stores] & (not coexistence)
    assert (interval[:n_stores][legacy_only] == 24.0).all()
    assert (rate[:n_stores][legacy_only] == 1e-3).all()
    assert (interval[n_stores:] == 1.0).all()


# --- POS families ---------------------------------------------------------------------------


def test_pos_family_sets_the_legacy_cadence() -> None:
    r = rig(inventory={"legacy_sync_hours": 4.0,
                       "legacy_sync_hours_by_pos_family": {"pos_c": 24.0},
                       "legacy_failures_per_1000_hours": 0.0})
    fam = r.w.pos_family
    assert {"pos_a", "pos_c"} <= set(fam)
    f = r.inv.feeds
    assert (f.interval[: r.w.n_stores][fam == "pos_c"] == 24.0).all()
    assert (f.interval[: r.w.n_stores][fam != "pos_c"] == 4.0).all()
    r.hours(0, 120)
    age = 120 - r.w.last_sync[: r.w.n_stores]
    assert age[fam == "pos_c"].max() > 4 and age[fam != "pos_c"].max() <= 4
    assert age[fam == "pos_c"].max() <= 24


def test_legacy_intervals_rule() -> None:
    fam = np.array(["pos_a", "pos_c", "pos_b", "pos_c"])
    got = rules.legacy_intervals(fam, 4.0, {"pos_c": 24.0, "pos_b": 8.0})
    assert got.tolist() == [4.0, 24.0, 8.0, 24.0]
    assert rules.legacy_intervals(fam, 6.0, {}).tolist() == [6.0] * 4


def test_unknown_pos_family_is_a_plan_error() -> None:
    sc = Scenario(inventory={"legacy_sync_hours_by_pos_family": {"pos_cc": 24.0}})
    with pytest.raises(PathError) as e:
        build_plan(sc)
    assert e.value.path == "inventory.legacy_sync_hours_by_pos_family.pos_cc"
    assert "did you mean 'pos_c'" in e.value.problem


def test_the_shipped_default_has_one_family_syncing_nightly() -> None:
    assert Scenario().inventory.legacy_sync_hours_by_pos_family == {"pos_c": 24.0}


# --- the record-error factor ----------------------------------------------------------------


def test_record_error_factor_follows_harmonized_live_nodes() -> None:
    r = rig(params={"harmonized_record_error_factor": 0.4})
    w = r.w
    assert (w.record_error_factor == 1.0).all()
    w.state[:4] = LIVE
    w.harmonized["inventory_events"][[0, 1, 5]] = True  # store 5 is legacy: no change there
    r.inv.coexistence = True
    r.inv.refresh_profile()
    f = w.record_error_factor
    assert f[0] == f[1] == 0.4 and f[2] == f[3] == f[5] == 1.0
    w.harmonized["inventory_events"][w.n_stores:] = True  # the central systems cut over
    w.central_state = LIVE
    r.inv.refresh_profile()
    assert (f[w.n_stores:] == 0.4).all()


def _sell(decision: np.ndarray, *, realtime: int = 0, record_factor: float = 1.0,
          em: float = 1.0, misscan: float = 0.0, unposted_share: float = 0.0, skus: int = 4,
          state: int = LIVE) -> dict:
    """One store, a walk-in unit on SKU 0 (well stocked) per ``decision`` uniform, through the
    compiled loop."""
    n = len(decision)
    u = np.zeros((n, 2))  # column 0: 0.0 is SKU 0
    u[:, 1] = decision
    phys = np.full(skus, 10 * n, dtype=np.int32)
    system = phys.copy()
    unposted = np.zeros(n, dtype=np.int64)
    block = np.zeros((5, 1, 1))  # counter x week x region
    sold, shrunk, late = sell_hour(
        np.array([0]), np.array([n]), u, np.array([1.0]), np.arange(1.0, skus + 1),
        float(skus), skus, np.array([state], dtype=np.int8), np.zeros(1, dtype=np.bool_), 0.5,
        phys, system, np.zeros(skus, dtype=np.int32),
        np.array([realtime], dtype=np.int64), misscan, np.array([record_factor]),
        np.array([em]), unposted_share, np.array([0]), np.ones(skus), np.ones(skus),
        np.zeros(skus, dtype=np.int32), 1, 0, block, np.zeros((1, 1)),
        np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32),
        unposted)
    assert shrunk == 0
    return {"sold": sold, "late": late, "system": system, "phys": phys,
            "unposted": unposted[:late], "counts": block[:3, 0, 0]}


def _misscanned(got: dict, n: int) -> int:
    return int((10 * n - got["system"][1:]).sum())  # units recorded on other SKUs


def test_misscans_run_at_the_rate_times_record_factor_times_dip() -> None:
    n = 400
    d = np.linspace(0.0, 0.999, n)
    # In the dip (x2) staff follow the harmonized posting half the time: factor
    # 0.5 * 0.5 + 0.5 * 1 = 0.75, times the dip: 0.1 * 0.75 * 2 = 0.15 of units mis-scanned.
    got = _sell(d, misscan=0.1, record_factor=0.5, em=2.0)
    assert _misscanned(got, n) == np.count_nonzero(d < 0.15)
    settled = _sell(d, misscan=0.1, record_factor=0.5, em=1.0)
    assert _misscanned(settled, n) == np.count_nonzero(d < 0.05)
    legacy = _sell(d, misscan=0.1, record_factor=1.0, em=2.0)
    assert _misscanned(legacy, n) == np.count_nonzero(d < 0.2)


def test_real_time_sales_in_flight_are_marked_for_the_view_and_on_the_record() -> None:
    n = 200
    d = np.linspace(0.0, 0.999, n)
    rt = _sell(d, realtime=1, unposted_share=0.25)
    assert rt["sold"] == n and rt["late"] == np.count_nonzero(d < 0.25)
    assert 10 * n - rt["system"][0] == n  # the record is exact at once
    assert (rt["unposted"] == 0).all()  # the cell of store 0, SKU 0: the view lags by these
    batch = _sell(d, realtime=0, unposted_share=0.25)
    assert batch["late"] == 0 and 10 * n - batch["system"][0] == n


def test_one_uniform_decides_walk_out_posting_and_misscan_independently() -> None:
    """A unit's decision uniform is read in turn (walk out in cutover, late posting, mis-scan),
    each decision on what is left of it, so each happens at its own rate whatever the others
    decided: mis-scans among late sales and among sales on time both run at the rate."""
    n = 200_000
    d = np.random.default_rng(5).random(n)
    got = _sell(d, realtime=1, unposted_share=0.3, misscan=0.2)
    late = got["late"]
    late_wrong = int(np.count_nonzero(got["unposted"] != 0))  # posted on another SKU's cell
    on_time_wrong = _misscanned(got, n) - late_wrong
    assert late / n == pytest.approx(0.3, abs=0.005)
    assert late_wrong / late == pytest.approx(0.2, abs=0.01)
    assert on_time_wrong / (n - late) == pytest.approx(0.2, abs=0.01)
    # In cutover: half walk out; of the units that stay, the rate's share is mis-scanned.
    cut = _sell(d, misscan=0.2, state=CUTOVER)
    walked = cut["counts"][1]
    assert walked / n == pytest.approx(0.5, abs=0.005)
    assert _misscanned(cut, n) / cut["sold"] == pytest.approx(0.2, abs=0.01)


def test_the_view_lags_only_while_the_hours_orders_are_promised() -> None:
    """StoreDemand lends the in-flight sales to the channel's view until post_events."""
    from sim.model.demand.sales import StoreDemand

    sc = Scenario(network={"stores": 10, "skus": 5}, horizon_weeks=2,
                  inventory={"realtime_sync_minutes": 60})
    w = build_world(sc, build_plan(sc))
    w.physical[:] = 1000
    w.system[:] = 1000
    rec = Recorder(2, w.n_regions + 1, w.n_stores)
    d = StoreDemand(w, np.ones((2, w.n_skus)), np.random.default_rng(3), rec)
    d.set_realtime(np.ones(w.n_nodes, dtype=bool))
    hour = int(w.open_hour.max()) + 1  # every store open
    d.step(hour)
    sold = 1000 - w.system[: w.n_stores]
    assert sold.sum() > 0
    # The view (record less reservations) is the record before the hour's sales.
    assert ((w.system - w.open_reservations)[: w.n_stores] == 1000).all()
    d.post_events(hour)
    assert not w.open_reservations.any()
    assert rec.counts("unposted_sales_units").sum() == sold.sum()


def test_unposted_share_rule() -> None:
    assert rules.unposted_share(0) == 0.0
    assert rules.unposted_share(5) == pytest.approx(5 / 60)
    assert rules.unposted_share(90) == 1.0


# --- DC records -----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.floats(1.0, 30.0), st.integers(0, 2**31 - 1))
def test_error_units_are_geometric_of_either_sign(mean, seed) -> None:
    g = np.random.default_rng(seed)
    v = rules.error_units(g.random(4000), g.random(4000), mean)
    assert (np.abs(v) >= 1).all()
    assert abs(np.abs(v).mean() - mean) < 6 * mean / np.sqrt(4000) + 0.5
    assert 0.4 < (v > 0).mean() < 0.6


def test_dc_records_start_wrong_and_receipts_can_be_booked_wrong() -> None:
    r = rig(params={"dc_initial_record_error_prob": 0.5, "dc_receiving_error_prob": 1.0})
    w, s = r.w, r.w.n_stores
    assert (w.system[s:] != w.physical[s:]).mean() > 0.3
    phys_before, sys_before = w.physical[s:].copy(), w.system[s:].copy()
    r.inv.replenish_dcs(0)
    due = int(r.inv.p["dc_supplier_lead_hours"])
    (nodes, skus, qty, supplier, err_u, err_units), = r.inv.arrivals[due]
    assert supplier and len(qty)
    r.inv.receive(due)
    got_phys = w.physical[s:] - phys_before
    got_sys = w.system[s:] - sys_before
    assert got_phys.sum() == qty.sum()  # the shelf gets what arrived
    booked = np.maximum(qty + err_units, 0)
    assert got_sys[nodes - s, skus].tolist() == booked.tolist()  # every line booked wrong


def test_dc_counts_correct_every_gap_on_their_day() -> None:
    r = rig(params={"dc_initial_record_error_prob": 1.0})
    w, s = r.w, r.w.n_stores
    slot = r.inv.dc_count_slot
    day = int(slot.flat[0])
    r.inv.cycle_count(24 * day + 6)
    today = slot == day
    assert (w.system[s:][today] == w.physical[s:][today]).all()
    assert (w.system[s:][~today] != w.physical[s:][~today]).mean() > 0.8
    assert r.rec.counts("dc_counted_cells").sum() == today.sum()
    assert r.rec.counts("dc_count_gaps").sum() > 0


def test_a_gap_scan_zeroes_only_empty_shelves_the_record_says_are_stocked():
    from sim.model.inventory.rules import gap_scan

    physical = np.array([[0, 0, 2, -1], [3, 0, 0, 1]])
    system = np.array([[4, 0, 5, 2], [3, -2, 1, 0]])
    settled = np.ones(2)
    got = gap_scan(physical, system, np.array([0, 1]), 7, settled)
    assert got.tolist() == [[True, False, False, True], [False, False, True, False]]


def test_staff_in_their_dip_gap_scan_one_spot_in_multiplier():
    from sim.model.inventory.rules import gap_scan, scan_uniform

    n_stores, n_skus = 50, 200
    phantom = np.zeros((n_stores, n_skus)), np.ones((n_stores, n_skus))
    stores = np.arange(n_stores)
    share = np.mean([gap_scan(*phantom, stores, day, np.full(n_stores, 4.0)).mean()
                     for day in range(20)])
    assert abs(share - 0.25) < 0.01
    # The uniforms are even and change from day to day.
    cells = stores[:, None] * n_skus + np.arange(n_skus)
    u0, u1 = scan_uniform(cells, 0), scan_uniform(cells, 1)
    assert abs(u0.mean() - 0.5) < 0.01 and (u0 != u1).all()
