"""One replication: build the world and its components, run the SimPy clock, collect results.

The volume (sales, orders, syncs, counts) advances in one hourly SimPy process, its per-unit
rules in compiled loops over the cells it touches (:mod:`sim.model.plumbing.jit`); the contention (team
queues, go-lives, cutovers, waits on exceptions) lives in the desk's and the rollout's own SimPy
processes (DESIGN §5, §10).
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.demand.sales import StoreDemand
from sim.model.desk.desk import ExceptionDesk
from sim.model.finance.reconciliation import Finance
from sim.model.inventory.stock import Inventory
from sim.model.orders.channel import Orders
from sim.model.promotions.calendar import promo_tables
from sim.model.promotions.setup import Promotions
from sim.model.recorder import Recorder
from sim.model.results import ReplicationResult, collect
from sim.model.returns.journey import Returns
from sim.model.rollout.waves import Rollout
from sim.model.world import HOURS_PER_WEEK, World, build_world
from sim.plan import Plan, build_plan
from sim.scenario import PathError, Scenario
from sim.streams import Streams


class Simulation:
    """One scenario, one seed.

    Args:
        scenario: The plan to simulate.
        seed: The replication seed (all randomness derives from it).
        plan: The scenario resolved against its network (built if not given).
    """

    def __init__(self, scenario: Scenario, seed: int, plan: Plan | None = None) -> None:
        if plan is None:
            try:
                plan = build_plan(scenario)
            except PathError as e:
                raise ValueError(f"{e.path}: {e.problem}") from None
        self.scenario = scenario
        self.seed = int(seed)
        self.streams = Streams(self.seed)
        self.world: World = build_world(scenario, plan)
        w = self.world
        self.env = simpy.Environment()
        weeks = scenario.horizon_weeks
        self.rec = Recorder(weeks, w.n_regions + 1)
        s = self.streams
        lift, discount, event = promo_tables(plan.network.promotions, plan.skus, weeks)
        self.demand = StoreDemand(w, lift, s["demand"], self.rec)
        self.inventory = Inventory(w, self.demand.expected_units,
                                   lambda wk: self.orders.online_units_week(wk),
                                   {"sync": s["sync"], "counts": s["counts"]}, self.rec)
        self.orders = Orders(w, self.inventory, self.demand.sku_cdf, s["orders"], self.rec)
        self.desk = ExceptionDesk(self.env, w, s["exceptions"], self.rec)
        self.returns = Returns(w, self.inventory, self.desk, s["returns"], self.rec)
        self.promotions = Promotions(w, discount, event, self.desk, s["promotions"], self.rec)
        self.finance = Finance(w, self.desk, s["finance"], self.rec)
        self.rollout = Rollout(self.env, w, self.inventory, self.orders, self.desk,
                               self.finance, s["rollout"], self.rec)
        self._wire()
        self.inventory.stock_initial(s["stock"])

    def _wire(self) -> None:
        """Connect the components' callbacks (who raises what, who waits on what)."""
        desk, inv, orders = self.desk, self.inventory, self.orders
        w = self.world

        def sync_failed(hour: float, nodes: np.ndarray) -> None:
            desk.raise_("sync_failure", np.full(len(nodes), hour),
                        np.where(nodes < w.n_stores, nodes, -1))

        mismatch_cells: dict[int, tuple[int, int]] = {}

        def mismatch(hour: float, stores: np.ndarray, skus: np.ndarray) -> None:
            ids = desk.raise_("inventory_mismatch", np.full(len(stores), hour), stores)
            for i, s_, k in zip(ids.tolist(), stores.tolist(), skus.tolist(), strict=True):
                mismatch_cells[i] = (s_, k)

        def mismatch_fixed(finish: float, exc_id: int) -> None:
            # The record stays wrong until a person recounts and adjusts it.
            s_, k = mismatch_cells.pop(exc_id)
            w.system[s_, k] = w.physical[s_, k]

        def profile_changed(realtime: np.ndarray) -> None:
            self.demand.realtime = realtime[: w.n_stores].astype(np.int64)

        inv.on_profile = profile_changed
        inv.on_sync_failure = sync_failed
        inv.on_mismatch = mismatch
        desk.on_done("inventory_mismatch", mismatch_fixed)
        orders.raise_exception = desk.raise_
        desk.on_done_batch("manual_reroute", orders.resolve)
        desk.on_done_batch("pickup_failure", orders.resolve)
        orders.on_online_sale = self.returns.online_sold

    def _hourly(self):
        w = self.world
        inv = self.inventory
        for hour in range(w.horizon_hours):
            if hour % HOURS_PER_WEEK == 0:
                self.rollout.weekly(hour)
                inv.replenish_dcs(hour)
            if hour % 24 == 0:
                inv.replenish_stores(hour)
                self.finance.daily(hour)
            if hour % 24 == 6:
                inv.cycle_count(hour)
            inv.receive(hour)
            self.demand.step(hour)
            sales = self.demand.drain_sales()
            self.returns.store_sold(hour, sales)
            self.promotions.step(hour, sales)
            self.orders.step(hour)
            self.returns.step(hour)
            inv.sync(hour)
            yield self.env.timeout(1)

    def run(self) -> ReplicationResult:
        """Simulate the horizon and return the replication's results."""
        w = self.world
        self.rollout.start()
        self.inventory.refresh_profile()
        self.env.process(self._hourly())
        end = float(w.horizon_hours)
        self.env.run(until=end + 1e-9)
        self.desk.dispatch_until(end)
        self.orders.finish(end)
        self.returns.finish(end)
        self.finance.finish(end)
        return collect(self)


def run_replication(scenario: Scenario, seed: int) -> ReplicationResult:
    """Run one replication of a scenario.

    Args:
        scenario: A validated scenario (see :func:`sim.load_scenario`).
        seed: The replication's seed.

    Returns:
        The replication's metrics (dict keyed by the contract names), weekly and by-region
        tables, and the rollout timeline.
    """
    return Simulation(scenario, seed).run()
