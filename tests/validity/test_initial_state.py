"""A run can start from today's state: open work items and stock from files (issue 20).

The done-when check: a run started with 5,000 open return lookups clears them at the rate the
customer-service team's staffing implies. The lookups are all there at hour 0 and ahead of
everything raised later, so the team works on them without a pause until the last one starts:
the staff-hours on duty until the last one finishes equal their handling hours (within the
last items in service), and on the shipped staffing that is 5,000 x the mean handling time
divided by the people on duty.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.loader import ScenarioError, parse_scenario
from sim.model.engine import Simulation
from sim.plan import build_plan
from sim.shipped import seeds_dir

LOOKUPS = 5000
BASE = {"name": "legacy", "network": {"stores": 30, "skus": 60}, "horizon_weeks": 3}


def _scenario(**initial: Path):
    return parse_scenario({**BASE, "initial": {k: str(v) for k, v in initial.items()}})


@pytest.fixture(scope="module")
def backlog_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("initial")
    f = d / "open.csv"
    f.write_text(f"type,count,age_hours\nreturn_lookup,{LOOKUPS},0\n")
    with_items = Simulation(_scenario(exceptions=f), 3)
    without = Simulation(_scenario(), 3)
    return with_items, with_items.run(), without.run()


def test_an_initial_backlog_of_return_lookups_clears_at_the_staffing_rate(backlog_run):
    s, _, _ = backlog_run
    team = s.desk.teams["customer_service"]
    finish = s.desk.finish_times(np.arange(LOOKUPS))
    assert not np.isnan(finish).any(), "every initial lookup is served in three weeks"
    r = team.results()
    initial = r["ref"] < LOOKUPS
    work = r["handling"][initial].sum()
    # 5,000 lookups of the parameter's mean handling time (lognormal draws: within 3 %).
    mean = s.world.params["handling_hours_return_lookup"]
    assert work == pytest.approx(LOOKUPS * mean, rel=0.03)
    # Queue arithmetic: the team is busy with them from hour 0 until the last one finishes,
    # so the staff-hours on duty by then are their work, up to the items still in service.
    last = float(finish.max())
    staff = team.staff_by_hour.astype(float)
    on_duty = staff[: int(last)].sum() + staff[int(last)] * (last - int(last))
    servers = int(staff[: int(last) + 1].max())
    assert abs(on_duty - work) <= servers * mean * 3, (on_duty, work)
    # And the clearing time a planner would compute: work over the people on duty.
    assert last == pytest.approx(work / staff[: int(last) + 1].mean(), rel=0.05)
    # Oldest first and ahead of everything raised later: the run's own lookups wait behind
    # the backlog, so none starts before the last initial one.
    own = (r["kind"] == r["kind"][~initial].min()) & ~initial & ~np.isnan(r["start"])
    first_new = r["arrival"][own].min()
    started_early = own & (r["start"] < np.nanmax(r["start"][initial]))
    assert first_new < last and not started_early.any()


def test_the_backlog_is_seen_in_the_weekly_outputs_and_nothing_else_moves(backlog_run):
    _, with_items, without = backlog_run
    wk, base = with_items.weekly, without.weekly
    # The hourly backlog is read at the end of each hour: the first hour's work is done.
    assert wk["exception_backlog_peak"].iloc[0] >= 0.98 * LOOKUPS
    assert base["exception_backlog_peak"].iloc[0] < LOOKUPS / 10
    # Cleared in ~107 hours: the second week is back to the run's own items.
    assert wk["exception_backlog_peak"].iloc[1] == pytest.approx(
        base["exception_backlog_peak"].iloc[1], abs=LOOKUPS / 50)
    # The items were raised before the run: not counted as the run's exceptions.
    assert with_items.metrics["exceptions_total"] == without.metrics["exceptions_total"]
    # Their handling times come from their own stream: the customers and sales are the same.
    for m in ("store_sales_units", "lost_sales_units", "ecommerce_orders"):
        assert with_items.metrics[m] == without.metrics[m], m
    # They wait their turn, so customer service misses its SLA on many of them.
    assert with_items.metrics["exception_sla_met_rate"] < without.metrics["exception_sla_met_rate"]


def test_initial_stock_replaces_the_drawn_start_of_the_listed_cells(tmp_path):
    f = tmp_path / "stock.csv"
    s0 = Simulation(_scenario(), 5)
    store, dc = s0.world.plan.stores["store_id"].iloc[2], "DC1"
    sku = s0.world.plan.skus["sku_id"].iloc[4]
    # A phantom 40 units on record at an empty shelf, and a DC cell set exactly.
    f.write_text(f"location,sku_id,on_hand,on_record\n{store},{sku},0,40\n{dc},{sku},7,7\n")
    s = Simulation(_scenario(stock=f), 5)
    w, w0 = s.world, s0.world
    assert (w.physical[2, 4], w.system[2, 4], w.visible[2, 4]) == (0, 40, 40)
    dc_node = w.n_stores + 0
    assert (w.physical[dc_node, 4], w.system[dc_node, 4]) == (7, 7)
    other = np.ones(w.physical.shape, dtype=bool)
    other[2, 4] = other[dc_node, 4] = False
    assert np.array_equal(w.physical[other], w0.physical[other])
    assert s.inventory.start_units == int(w.physical.sum())


@pytest.mark.parametrize("file, text, problem", [
    ("exceptions", "type,count,age_hours\nreturn_lookups,5,0\n",
     "row 2: type: unknown exception type 'return_lookups'"),
    ("exceptions", "type,count,age_hours\nreturn_lookup,-5,0\n", "row 2: count: must be 0"),
    ("exceptions", "type,count\nreturn_lookup,5\n", "age_hours: missing column"),
    ("exceptions", "type,count,age_hours,store_id\nreturn_lookup,5,1,S9999\n",
     "row 2: store_id: unknown store 'S9999'"),
    ("stock", "location,sku_id,on_hand\nS0001,K9999,3\n", "row 2: sku_id: unknown SKU"),
    ("stock", "location,sku_id,on_hand\nS0001,K0001,3\nS0001,K0001,4\n",
     "row 3: sku_id: 'K0001' listed twice"),
    ("stock", "location,sku_id,on_hand\nS0001,K0001,lots\n", "row 2: on_hand: must be a whole"),
    ("returns", "dc_id,sku_id,units,age_hours\nDC9,K0001,3,1\n", "row 2: dc_id: unknown DC"),
    ("returns", "dc_id,sku_id,units,age_hours\nDC1,K0001,-3,1\n", "row 2: units: must be 0"),
])
def test_initial_state_mistakes_are_one_line_naming_file_row_and_column(tmp_path, file, text,
                                                                         problem):
    data = tmp_path / f"{file}.csv"
    data.write_text(text)
    p = tmp_path / "plan.toml"
    p.write_text(f'name = "x"\n[initial]\n{file} = "{data.name}"\n')
    with pytest.raises(ScenarioError) as e:
        sim.load_scenario(p)
    msg = str(e.value)
    assert f"initial.{file}" in msg and str(data) in msg and problem in msg, msg
    assert "\n" not in msg


def test_a_network_folder_can_carry_the_initial_state(tmp_path):
    net = tmp_path / "net"
    shutil.copytree(seeds_dir(), net)
    (net / "initial_exceptions.csv").write_text(
        "type,count,age_hours,store_id\nprice_dispute,40,30,S0001\n")
    sc = parse_scenario({**BASE, "network": {**BASE["network"], "path": str(net)}})
    items = build_plan(sc).initial.exceptions
    assert len(items.kind) == 40 and (items.age_hours == 30).all()


def test_an_items_sla_runs_from_when_it_was_opened(tmp_path):
    met = []
    for age in (0, 200):  # customer service's SLA is a day: 200 hours old is already late
        f = tmp_path / f"open{age}.csv"
        f.write_text(f"type,count,age_hours\nprice_dispute,50,{age}\n")
        met.append(sim.run_replication(_scenario(exceptions=f), 4).metrics[
            "exception_sla_met_rate"])
    fresh, old = met
    assert old < fresh


def test_initial_items_change_nothing_when_finished(tmp_path):
    """The order, refund or record an initial item stood for is not in the model: no handler
    may act on it (a mismatch handler would "fix" whatever cell the id happens to index)."""
    from sim.model.desk.taxonomy import EXCEPTION_TYPES
    f = tmp_path / "open.csv"
    f.write_text("type,count,age_hours\n" + "".join(f"{t},20,5\n" for t in EXCEPTION_TYPES))
    s = Simulation(_scenario(exceptions=f), 6)
    n = 20 * len(EXCEPTION_TYPES)
    seen: list[int] = []
    desk = s.desk

    def spy(handler):
        def call(t, ids):
            seen.extend(np.atleast_1d(ids).tolist())
            return handler(t, ids)
        return call
    for kind in list(desk.handlers):
        desk.handlers[kind] = spy(desk.handlers[kind])
    for kind in list(desk.batch_handlers):
        desk.batch_handlers[kind] = spy(desk.batch_handlers[kind])
    s.run()
    assert np.isfinite(desk.finish_times(np.arange(n))).all()
    assert seen and min(seen) >= n


def test_mailed_returns_under_way_at_the_start_queue_at_the_dc_bench(tmp_path):
    """5,000 parcels on their way (3,000 to DC1 dropped a day ago, 2,000 to DC2 eight days
    ago, so at the DC already): the slice keeps its share of them (30 of 600 stores), the
    bench works them with its own parcels, and their refunds wait for it."""
    f = tmp_path / "returns.csv"
    f.write_text("dc_id,sku_id,units,age_hours\nDC1,K0001,3000,24\nDC2,K0002,2000,200\n")
    a = Simulation(_scenario(), 2)
    b = Simulation(_scenario(returns=f), 2)
    kept = b.returns.bench.waiting  # legacy parcels waiting for the bench, before the run
    assert a.returns.bench.waiting == 0
    assert 5000 * 30 / 600 * 0.7 < kept < 5000 * 30 / 600 * 1.3
    ra, rb = a.run(), b.run()
    assert rb.metrics["refunds_pending_peak"] > ra.metrics["refunds_pending_peak"]
    backlog = rb.weekly.groupby("week")["dc_inspection_backlog_peak"].max()
    assert backlog.iloc[0] > 0.3 * kept  # DC2's share is waiting at the bench from hour 0
    # Returns of before the run: not the run's returned units, and the customers are the same.
    for m in ("returns_units", "store_sales_units", "ecommerce_orders"):
        assert ra.metrics[m] == rb.metrics[m], m
    # Their refunds count from the drop-off, days before the run: the mean cycle rises, and
    # more for parcels dropped off earlier (the same parcels dropped at hour 0).
    assert rb.metrics["refund_cycle_hours_mean"] > ra.metrics["refund_cycle_hours_mean"]
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("dc_id,sku_id,units,age_hours\nDC1,K0001,3000,0\nDC2,K0002,2000,0\n")
    rc = sim.run_replication(_scenario(returns=fresh), 2)
    assert rb.metrics["refund_cycle_hours_mean"] > rc.metrics["refund_cycle_hours_mean"]
