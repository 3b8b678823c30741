"""Order-to-fulfillment: online orders, promising, routing, picks, oversell, reroute, fallout.

Orders arrive in hourly batches, each of one or more lines (:mod:`sim.model.orders.baskets`),
each line handled in arrival order by the compiled loops of :mod:`sim.model.orders.kernels`.
Promising uses each node's available-to-promise minus a safety buffer; routing is the legacy
channel rules or, once the ecommerce platform runs the harmonized routing, one orchestration by
expected cost over the nodes live on it (legacy stores keep the orders the legacy rules send
them). At pick time the node's *physical* stock decides (a shortfall is an oversell), and a
store's picker can miss a unit that is there (more often in its go-live dip). A failed pick at
a node live on orchestrated routing is rerouted automatically (unless staff in their dip phone
it through the old way), otherwise through a manual exception whose wait can make the customer
cancel (DESIGN §5.2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.component import Component
from sim.model.desk.desk import ExceptionDesk
from sim.model.inventory.stock import Inventory
from sim.model.orders import kernels as ok_
from sim.model.orders.baskets import line_counts, mean_lines
from sim.model.orders.failures import settle_failures
from sim.model.orders.geography import nearest_stores, node_locations, region_picker
from sim.model.orders.kernels import ORDER, SHORT
from sim.model.orders.parked import Parked
from sim.model.orders.pick_queue import PickQueue
from sim.model.orders.reroutes import reroute_lines
from sim.model.orders.rules import BOPIS, blocked_picks, route_costs
from sim.model.plumbing.record_bytes import select
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World


class Orders(Component):
    """The online channel.

    Args:
        world: Replication state.
        inventory: Stock records and views.
        sku_cdf: Callable giving ``(cdf, total)`` of SKU weights for a week.
        desk: The exception desk (``manual_reroute``, ``pickup_failure``).
        rng: The ``orders`` stream (plan-independent customer draws); the pick-error draws
            and whether the customer will send the unit back come from child streams spawned
            from it (spawning draws nothing from it), one of each per order placed.
        rec: The recorder.
    """

    name = "orders"

    def __init__(self, world: World, inventory: Inventory,
                 sku_cdf: Callable[[int], tuple[np.ndarray, float]], desk: ExceptionDesk,
                 rng: np.random.Generator, rec: Recorder) -> None:
        self.w = world
        self.desk = desk
        self.inv = inventory
        self.sku_cdf = sku_cdf
        self.rng = rng
        self.pick_rng, self.return_rng = rng.spawn(2)
        self.rec = rec
        p = world.params
        self.p = p
        self.buffer = world.scenario.inventory.safety_buffer_units
        store_units = world.store_volume.sum()
        share = p["ecommerce_share"]
        #: Online units per week per unit of (season x SKU weight total), so that online is
        #: ``ecommerce_share`` of all units.
        self.online_scale = share / (1.0 - share) * store_units
        regions = world.store_region
        r = world.n_regions
        self.region_cdf = np.cumsum(np.bincount(regions, world.store_volume, minlength=r))
        self.bopis_pick = region_picker(world, world.bopis)
        self.sfs_pick = region_picker(world, world.sfs)
        k = int(p["orchestration_candidates"])
        self.near_sfs, self.near_sfs_km = nearest_stores(world, world.sfs, k)
        self.near_bopis, self.near_bopis_km = nearest_stores(world, world.bopis, k)
        #: Node locations (km): stores, then DCs.
        self.node_x, self.node_y = node_locations(world)
        self.costs = route_costs(world.scenario.costs, p)
        # Walk-in units per unit of SKU weekly rate until a store's next delivery: half a
        # review period to the next order on average, plus its DC's lead time.
        cover = (p["store_review_hours"] / 2 + world.dc_lead_hours[world.store_dc]) / HOURS_PER_WEEK
        self.store_walkin = world.store_volume * cover
        #: What a walk-in sale lost costs, per SKU (cost.lost_margin's price - cost).
        self.sku_margin = world.sku_price - world.sku_cost
        self.pending = PickQueue(ORDER)
        #: Lines per order: the parameter, and the mean of the capped law it gives.
        self.lines_mean = p["order_lines_mean"]
        self.lines_per_order = mean_lines(self.lines_mean)
        self._orders_placed = 0  # order ids so far (an order's lines share one)
        #: The evening peak's factor on the hourly order rate, by hour of the day.
        self._profile = [1.0 + p["online_evening_peak"] * np.cos(2 * np.pi * (hod - 20) / 24.0)
                         for hod in range(24)]
        # The world's arrays it holds are changed in place, never replaced.
        self._channel = ok_.Channel(
            self.region_cdf, *self.bopis_pick, *self.sfs_pick, world.open_hour, world.close_hour,
            world.last_sync, world.harmonized["order_status"], world.work_slowdown,
            world.n_stores)
        self._rules = ok_.Rules(
            p["bopis_share"], p["bopis_share"] + p["ship_from_store_share"],
            p["customer_patience_hours"], p["order_status_lag_hours"],
            p["bopis_promised_ready_hours"], inventory.inv.realtime_sync_minutes / 60.0,
            p["dc_pick_hours"], p["store_pick_hours"])
        self._parked = Parked(ORDER)  # lines waiting for a person to reroute them
        self._u, self._pu = np.empty((0, 7)), np.empty(0)  # scratch of the hour's draws
        self._ru, self._b = np.empty(0, dtype=np.float32), np.zeros(0, dtype=ORDER)
        self._due = np.empty(0, dtype=np.int64)
        #: Scratch counter per stage and (node, SKU) cell for routing (zero between calls).
        self._seen = np.zeros(4 * world.n_nodes * world.n_skus, dtype=np.int32)
        self._kept_routing: tuple | None = None
        desk.on_done_batch("manual_reroute", self.resolve)
        desk.on_done_batch("pickup_failure", self.resolve)
        #: Told the hour's picked lines: ``(hour, batch, picked)``, ``picked`` a mask of the
        #: batch's lines picked (None: all were).
        self.on_online_sale: Callable[[int, np.ndarray, np.ndarray | None], None] | None = None
        self.picked_units = 0
        #: Where the rows of the arrival and pick kernels' counts are recorded.
        self._arrive_rows = rec.row_block(ok_.ARRIVE_COUNTERS)
        self._pick_rows = rec.row_block(ok_.PICK_COUNTERS)
        #: Picks at each store, their failures, and the picker's misses among them (the dip
        #: of a wave's own stores: failures per pick as well as counts, since a go-live
        #: changes how many orders a store is sent; the misses are the staff's own share).
        self._store_pick_counts = tuple(rec.store_block(name) for name in (
            "store_picks", "store_pick_failures", "store_pick_misses"))
        #: Where reroutes are counted (:func:`reroute_lines`' counters, in its order).
        self._reroute_counts = tuple(rec.counter(name) for name in (
            "fallout_orders", "reroute_orders", "reroute_cost", "split_parcels",
            "auto_reroute_orders"))
        self._fallout_counts = self._reroute_counts[0]  # orders cancelled (week x region)
        self._oversell_counts = rec.counter("oversell_orders")  # orders that met a short pick

    @property
    def orchestrated(self) -> bool:
        """Whether the ecommerce platform runs the harmonized routing (its central row)."""
        return bool(self.w.harmonized["fulfillment_routing"][self.w.n_stores])

    def online_units_week(self, week: int) -> np.ndarray:
        """Expected online units per SKU in a week (for stocking targets)."""
        w = self.w
        cal = w.calendar_week(week)
        cdf, total = self.sku_cdf(min(week, w.horizon_hours // HOURS_PER_WEEK - 1))
        weights = np.diff(np.r_[0.0, cdf])
        return self.online_scale * weights * w.seasonality[cal] * w.online_multiplier[cal]

    # --- arrivals and promising ----------------------------------------------------------
    def step(self, hour: int) -> None:
        """Take the hour's new orders, then pick what is due."""
        self._arrive(hour)
        self._pick(hour)

    def _arrive(self, hour: int) -> None:
        w, rng = self.w, self.rng
        week = w.week_of(hour)
        cal = w.calendar_week(week)
        cdf, total = self.sku_cdf(week)
        rate = (self.online_scale * total * w.seasonality[cal] * w.online_multiplier[cal]
                / HOURS_PER_WEEK * self._profile[hour % 24])
        # Orders, then their lines: the online units stay ecommerce_share of all units.
        lines = line_counts(rng, rng.poisson(rate / self.lines_per_order), self.lines_mean)
        n = int(lines.sum())
        if n == 0:
            return
        if len(self._u) < n:  # reused buffers (fresh ones every hour cost page faults)
            self._u = np.empty((2 * n, 7))
            self._pu = np.empty(2 * n)
            self._ru = np.empty(2 * n, dtype=np.float32)
            self._b = np.zeros(2 * n, dtype=ORDER)
            self._due = np.empty(2 * n, dtype=np.int64)
        u = self._u[:n]
        rng.random(out=u)
        pu = self._pu[:n]
        self.pick_rng.random(out=pu)
        ru = self._ru[:n]
        self.return_rng.random(out=ru, dtype=np.float32)
        t = hour + 0.5
        # Queued orders and due hours are copied out of these, so they can be reused.
        b, due = self._b[:n], self._due[:n]
        # Every order placed counts; one that no node can promise is cancelled at once
        # (fallout for lack of stock), so the count does not depend on the plan. The kernel
        # adds its counts to the recorder's storage itself.
        promised = ok_.arrive(u, pu, ru, lines, self._orders_placed, t, cdf, total, b, due,
                              week, self._arrive_rows, self._fallout_counts,
                              self._channel, self._rules, self._routing(hour))
        self._orders_placed += len(lines)
        if promised:
            self.pending.push(b[:promised], due[:promised])

    def _routing(self, hour: float) -> ok_.Routing:
        """The routing state the kernels read at ``hour`` (flat stock views).

        Its arrays change in place; it is rebuilt when the orchestration flag, the week (its
        season) or the real-time nodes (a new array at each change) do.
        """
        w = self.w
        key = (self.orchestrated, w.week_of(hour))
        kept = self._kept_routing
        if kept is not None and kept[0] == key and kept[1] is self.inv.realtime_nodes:
            return kept[2]
        routing = ok_.Routing(
            self.orchestrated, w.region_dc, w.harmonized["fulfillment_routing"], self.near_sfs,
            self.near_sfs_km, self.near_bopis, self.near_bopis_km, self.node_x, self.node_y,
            self.inv.realtime_nodes,
            w.system.reshape(-1), w.open_reservations.reshape(-1), w.visible.reshape(-1),
            w.reserved_since_sync.reshape(-1), int(self.buffer), w.n_skus, w.n_stores,
            self._seen, self.store_walkin, w.sku_weekly_units, self.sku_margin,
            float(w.seasonality[w.calendar_week(w.week_of(hour))]), self.costs)
        self._kept_routing = (key, self.inv.realtime_nodes, routing)
        return routing

    # --- picks ---------------------------------------------------------------------------
    def _pick(self, hour: int) -> None:
        b = self.pending.pop(hour)
        if not len(b):
            return
        w, p = self.w, self.p
        blocked = blocked_picks(b["node"], w.n_stores, w.state, w.closed, w.dc_closed)
        if blocked is not None:  # they wait for the next hour
            later = select(b, blocked)
            later["pick_at"] = np.maximum(later["pick_at"], hour + 1.0)
            self.pending.push(later, hour + 1)
            b = select(b, ~blocked)
        week = w.week_of(hour)
        outcome = np.empty(len(b), dtype=np.int8)
        # The kernel adds its counts to the recorder's storage itself (one call an hour).
        picked, failed = ok_.pick(b, week, w.n_stores, w.error_multiplier,
                                  p["store_pick_error_prob"], w.n_skus,
                                  w.open_reservations.reshape(-1), w.physical.reshape(-1),
                                  w.system.reshape(-1), self.node_x, self.node_y, self.costs,
                                  outcome, self._pick_rows, *self._store_pick_counts)
        self.picked_units += picked
        if self.on_online_sale is not None and picked:
            self.on_online_sale(hour, b, outcome < SHORT if failed else None)
        if not failed:
            return
        auto, manual = settle_failures(
            b, outcome, week, w.n_skus, w.n_stores, float(p["max_reroute_attempts"]),
            w.physical.reshape(-1), w.system.reshape(-1), w.harmonized["fulfillment_routing"],
            self.orchestrated, w.error_multiplier, self._oversell_counts, self._fallout_counts)
        if len(auto):
            self._reroute(select(b, auto), hour + 1.0)
        if len(manual):
            self._park(select(b, manual), hour + 1.0)

    def _reroute(self, f: np.ndarray, t: float) -> None:
        """Orchestrated: move failed orders now to the cheapest other live node that can promise.

        No legacy fallback: the platform releases orders only to nodes live on its routing.
        """
        n = len(f)
        self._reroute_lines(f, False, True, np.full(n, self.w.week_of(t), dtype=np.int64),
                            np.full(n, t), t)

    def _reroute_lines(self, b: np.ndarray, legacy_ok: bool, automatic: bool,
                       weeks: np.ndarray, t: np.ndarray, hour: float
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Route failed lines ``b`` again from times ``t``; count, cost and queue their picks.

        See :func:`sim.model.orders.reroutes.reroute_lines` (the routing state is the one at
        ``hour``). A delivered line whose order's other lines still ship from the failed node
        is a split shipment (a parcel of its own,
        :func:`sim.model.orders.baskets.reroute_charges`). Returns the moved lines and which
        of them were pickups now delivered.
        """
        w, p = self.w, self.p
        g, due, converted = reroute_lines(
            np.ascontiguousarray(b), legacy_ok, automatic, weeks, t, self._routing(hour),
            self.costs, self.node_x, self.node_y, w.n_nodes, w.harmonized["order_status"],
            w.open_hour, w.close_hour, w.work_slowdown, p["dc_pick_hours"],
            p["store_pick_hours"], *self._reroute_counts)
        self.pending.push(g, due)
        return g, converted

    def _park(self, f: np.ndarray, t: float) -> None:
        """Legacy: a person must reroute the order; the customer waits (or gives up)."""
        bopis = f["method"] == BOPIS
        store = np.where(f["node"] < self.w.n_stores, f["node"], f["store"])
        for kind, m in (("pickup_failure", bopis), ("manual_reroute", ~bopis)):
            if not m.any():
                continue
            ids = self.desk.raise_(kind, np.full(m.sum(), t), store[m])
            self._parked.hold(ids, select(f, m), t)

    def resolve(self, finishes: np.ndarray, exc_ids: np.ndarray) -> None:
        """Apply worked manual reroutes and pickup failures (one batch per hour).

        Orders whose customers still wait are rerouted; the others are cancelled. A person
        finds another node: by the legacy rules, or through the platform's orchestration
        where it runs the harmonized routing for the order's channel.
        """
        b, fin, weeks = self._parked.take_worked(exc_ids, finishes, self._fallout_counts)
        if len(b):
            self._reroute_lines(b, True, False, weeks, fin, float(fin.min()))

    def _fallout(self, week: int, regions: np.ndarray) -> None:
        self.rec.add("fallout_orders", week, regions)

    def finish(self, end: float) -> None:
        """Orders still parked at the horizon end: cancelled if the customer's patience ran out."""
        self._fallout(self.w.week_of(end - 1), self._parked.overdue(end)["region"])

    def report(self) -> dict[str, int]:
        """Units picked for online orders (stock conservation)."""
        return {"online_picked": self.picked_units}

