"""One replication: build the components, run the declared schedule, collect the results.

The volume (sales, orders, syncs, counts) advances in one hourly SimPy process that calls the
components in the order :mod:`sim.model.schedule` declares, their per-unit rules in compiled
loops over the cells they touch (:mod:`sim.model.plumbing.jit`); the contention (team
queues, go-lives, cutovers, waits on exceptions) lives in the desk's and the rollout's own
SimPy processes (DESIGN §5, §10). Results come from the recorder's counters and each
component's report (:mod:`sim.model.results`).
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.model.component import Component
from sim.model.demand.sales import StoreDemand
from sim.model.desk.desk import ExceptionDesk
from sim.model.disruptions import Disruptions
from sim.model.finance.reconciliation import Finance
from sim.model.inventory.stock import Inventory
from sim.model.orders.channel import Orders
from sim.model.promotions.calendar import promo_tables
from sim.model.promotions.setup import Promotions
from sim.model.recorder import Recorder
from sim.model.results import ReplicationResult, collect
from sim.model.returns.initial import file_initial_returns
from sim.model.returns.journey import Returns
from sim.model.rollout.waves import Rollout
from sim.model.schedule import FINISH, HOURLY, START, WEEK, bind, hourly_plan
from sim.model.world import World, build_world
from sim.plan import Plan, build_plan
from sim.scenario import PathError, Scenario
from sim.scenario_disruptions import realized
from sim.streams import Streams


class Simulation:
    """One scenario, one seed.

    Args:
        scenario: The plan to simulate.
        seed: The replication seed (all randomness derives from it).
        plan: The scenario resolved against its network (built if not given).

    Attributes:
        components: The mechanisms by name (the names the schedule uses).
    """

    def __init__(self, scenario: Scenario, seed: int, plan: Plan | None = None) -> None:
        if plan is None:
            try:
                plan = build_plan(scenario)
            except PathError as e:
                raise ValueError(f"{e.path}: {e.problem}") from None
        self.scenario = scenario
        self.seed = int(seed)
        #: Called with each week reached (progress only; reads no state, draws nothing).
        self.on_week: Callable[[int], None] | None = None
        self.streams = s = Streams(self.seed)
        self.world: World = build_world(scenario, plan)
        w = self.world
        w.disruptions = realized(scenario.disruptions, scenario.horizon_weeks, w.region_names,
                                 list(plan.network.dcs["dc_id"]), s["disruptions"])
        self.env = simpy.Environment()
        weeks = scenario.horizon_weeks
        self.rec = rec = Recorder(weeks, w.n_regions + 1, w.n_stores)
        lift, discount, event = promo_tables(plan.network.promotions, plan.skus, weeks)
        # Each component draws from its own named stream, so building order changes no draw.
        self.desk = desk = ExceptionDesk(self.env, w, s["exceptions"], rec)
        initial = plan.initial
        if initial is not None and initial.exceptions is not None:
            desk.open_initial(initial.exceptions, s["initial"])
        self.demand = StoreDemand(w, lift, s["demand"], rec)
        self.inventory = Inventory(w, self.demand.expected_units,
                                   lambda wk: self.orders.online_units_week(wk), desk,
                                   {"sync": s["sync"], "counts": s["counts"]}, rec)
        self.orders = Orders(w, self.inventory, self.demand.sku_cdf, desk, s["orders"], rec)
        self.returns = Returns(w, self.demand, desk, s["returns"], rec)
        if initial is not None and initial.returns is not None:
            file_initial_returns(self.returns, initial.returns, s["initial_returns"])
        self.promotions = Promotions(w, self.demand, discount, event, desk, s["promotions"],
                                     rec)
        self.finance = Finance(w, desk, s["finance"], rec)
        self.rollout = Rollout(self.env, w, self.inventory, self.orders, desk, s["rollout"], rec,
                               s["learning"])
        self.disruptions = Disruptions(w, rec)
        self.components: dict[str, Component] = {
            c.name: c for c in (desk, self.demand, self.inventory, self.orders, self.returns,
                                self.promotions, self.finance, self.rollout, self.disruptions)}
        # Who hears of whose events (the only connections not made through the desk).
        self.inventory.on_profile = self.demand.set_realtime
        self.orders.on_online_sale = self.returns.online_sold
        self.inventory.stock_initial(s["stock"])
        if initial is not None and initial.stock is not None:
            self.inventory.set_initial(initial.stock)

    def _clock(self):
        """The hourly SimPy process: each hour, the schedule's tasks due then, in order."""
        plan = hourly_plan(HOURLY, self.components)
        for hour in range(self.world.horizon_hours):
            if hour and hour % WEEK == 0 and self.on_week is not None:
                self.on_week(hour // WEEK)
            for call in plan[hour % WEEK]:
                call(hour)
            yield self.env.timeout(1)

    def run(self) -> ReplicationResult:
        """Simulate the horizon and return the replication's results."""
        for call in bind(START, self.components):
            call()
        self.env.process(self._clock())
        end = float(self.world.horizon_hours)
        self.env.run(until=end + 1e-9)
        for name in FINISH:
            self.components[name].finish(end)
        reports = {name: c.report() for name, c in self.components.items()}
        return collect(self.rec, reports, self.scenario, self.world.region_names,
                       self.seed, self.world.plan.volume_share, self.world.plan.store_share)


def run_replication(scenario: Scenario, seed: int) -> ReplicationResult:
    """Run one replication of a scenario.

    Args:
        scenario: A validated scenario (see :func:`sim.load_scenario`).
        seed: The replication's seed.

    Returns:
        The replication's metrics (dict keyed by the contract names), weekly and by-region
        tables, and the rollout timeline.
    """
    from sim.executors import collected

    return collected(scenario, seed)
