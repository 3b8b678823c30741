"""Order-to-fulfillment: online orders, promising, routing, picks, oversell, reroute, fallout.

Orders arrive in hourly batches, each order handled in arrival order by the compiled loops of
:mod:`sim.model.orders.kernels`. Promising uses each node's available-to-promise
minus a safety buffer; routing is the legacy channel rules or one
orchestration over the harmonized nodes. At pick time the node's *physical* stock decides: a
shortfall is an oversell, rerouted automatically where routing is harmonized, otherwise through
a manual exception whose wait can make the customer cancel (DESIGN §5.2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.component import Component
from sim.model.desk.desk import ExceptionDesk
from sim.model.inventory.stock import Inventory
from sim.model.orders import kernels as ok_
from sim.model.orders.kernels import BOPIS, ORDER
from sim.model.orders.pick_queue import PickQueue
from sim.model.orders.rules import nearest_k, reroute_cost
from sim.model.plumbing.growth import grown
from sim.model.plumbing.jit import guide_table
from sim.model.plumbing.record_bytes import select
from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, HOURS_PER_WEEK, World


class Orders(Component):
    """The online channel.

    Args:
        world: Replication state.
        inventory: Stock records and views.
        sku_cdf: Callable giving ``(cdf, total)`` of SKU weights for a week.
        desk: The exception desk (``manual_reroute``, ``pickup_failure``).
        rng: The ``orders`` stream (plan-independent customer draws).
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
        self.bopis_pick = self._region_picker(world.bopis)
        self.sfs_pick = self._region_picker(world.sfs)
        self.near_sfs = self._nearest_sfs(int(p["orchestration_candidates"]))
        self.pending = PickQueue(ORDER)
        self._channel = ok_.Channel(
            self.region_cdf, *self.bopis_pick, *self.sfs_pick, world.open_hour, world.close_hour,
            world.last_sync, world.harmonized["order_status"], world.n_stores)
        self._rules = ok_.Rules(
            p["bopis_share"], p["bopis_share"] + p["ship_from_store_share"],
            p["customer_patience_hours"], p["order_status_lag_hours"],
            p["bopis_promised_ready_hours"], inventory.inv.realtime_sync_minutes / 60.0,
            p["dc_pick_hours"], p["store_pick_hours"])
        #: Orders waiting for a person to reroute them: records, customer deadlines, and the
        #: slot of each waiting exception id (-1: none).
        self._parked = np.zeros(0, dtype=ORDER)
        self._deadline = np.zeros(0)
        self._n_parked = 0
        self._slot_of = np.zeros(0, dtype=np.int64)
        self.orchestrated = False
        self._u = np.empty((0, 7))
        self._b = np.zeros(0, dtype=ORDER)
        #: Scratch counter per (node, SKU) cell for routing (all zero between calls).
        self._seen = np.zeros(0, dtype=np.int32)
        desk.on_done_batch("manual_reroute", self.resolve)
        desk.on_done_batch("pickup_failure", self.resolve)
        self.on_online_sale: Callable[[int, dict[str, np.ndarray]], None] | None = None
        self.picked_units = 0

    def _region_picker(self, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stores of each region with ``flag`` (all its stores if none), weighted by volume.

        Returns ``(stores, keys, guide)``: region ``r``'s cumulative weights are mapped into
        ``(r, r + 1]`` and concatenated, so a search for ``region + u`` picks a store
        (``guide`` speeds the search up, see :func:`sim.model.plumbing.jit.guide_table`).
        """
        w = self.w
        stores, keys = [], []
        for r in range(w.n_regions):
            idx = np.flatnonzero((w.store_region == r) & flag)
            if not len(idx):
                idx = np.flatnonzero(w.store_region == r)
            c = np.cumsum(w.store_volume[idx])
            stores.append(idx)
            keys.append(r + c / c[-1])
        cdf = np.concatenate(keys)
        return np.concatenate(stores), cdf, guide_table(cdf, cdf[-1])

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
        w, p, rng = self.w, self.p, self.rng
        week = w.week_of(hour)
        cal = w.calendar_week(week)
        cdf, total = self.sku_cdf(week)
        hod = hour % 24
        profile = 1.0 + p["online_evening_peak"] * np.cos(2 * np.pi * (hod - 20) / 24.0)
        rate = (self.online_scale * total * w.seasonality[cal] * w.online_multiplier[cal]
                / HOURS_PER_WEEK * profile)
        n = rng.poisson(rate)
        if n == 0:
            return
        if len(self._u) < n:  # reused buffers (fresh ones every hour cost page faults)
            self._u = np.empty((2 * n, 7))
            self._b = np.zeros(2 * n, dtype=ORDER)
        u = self._u[:n]
        rng.random(out=u)
        t = hour + 0.5
        b = self._b[:n]  # queued orders are copied out of it, so it can be reused
        counts = np.zeros((4, self.rec.regions))
        latency = np.zeros(self.rec.regions)
        due = np.empty(n, dtype=np.int64)
        promised = ok_.arrive(u, t, cdf, total, b, due, counts, latency, self._channel,
                              self._rules, self._routing())
        # Every order placed counts; one that no node can promise is cancelled at once
        # (fallout for lack of stock), so the count does not depend on the plan.
        rec = self.rec
        rec.add_row("ecommerce_orders", week, counts[ok_.PLACED])
        if counts[ok_.UNPROMISABLE].any():
            rec.add_row("online_unpromisable_orders", week, counts[ok_.UNPROMISABLE])
            rec.add_row("fallout_orders", week, counts[ok_.UNPROMISABLE])
        if not counts[ok_.PROMISED].any():
            return
        rec.add_row("promised_orders", week, counts[ok_.PROMISED])
        rec.add_row("bopis_orders", week, counts[ok_.BOPIS_PROMISED])
        rec.add_row("sync_latency_sum", week, latency)
        self.pending.push(b[:promised], due[:promised])

    def _route(self, b: np.ndarray, t: float | np.ndarray,
               exclude: np.ndarray | None = None, legacy_only: bool = False) -> np.ndarray:
        """Choose a node for each order (-1: nothing to promise) and reserve the unit.

        See :func:`sim.model.orders.kernels.route` for the rules; ``exclude`` is each order's
        node to avoid (the one that just failed it).
        """
        node = np.full(len(b), -1, dtype=np.int64)
        if not len(b):
            return node
        if exclude is None:
            exclude = np.full(len(b), -1, dtype=np.int64)
        orchestrated, *rest = self._routing()
        ok_.route(node, b["method"], b["region"], b["store"], b["home"], b["sku"],
                  np.ascontiguousarray(exclude, dtype=np.int64),
                  orchestrated and not legacy_only, *rest)
        return node

    def _routing(self) -> tuple:
        """The routing state :func:`order_kernels.route` reads (flat stock views)."""
        w = self.w
        if len(self._seen) != 4 * w.n_nodes * w.n_skus:  # one counter per stage and cell
            self._seen = np.zeros(4 * w.n_nodes * w.n_skus, dtype=np.int32)
        return (self.orchestrated, w.region_dc, w.harmonized["fulfillment_routing"],
                self.near_sfs, self.inv.realtime_nodes, w.system.reshape(-1),
                w.open_reservations.reshape(-1), w.visible.reshape(-1),
                w.reserved_since_sync.reshape(-1), self.buffer, w.n_skus, self._seen)

    def _nearest_sfs(self, k: int) -> np.ndarray:
        """For each store, the ``k`` nearest ship-from-store stores of its region (-1 pads).

        Orchestration weighs distance as well as stock: it considers the stores near the
        customer, not every store of the region (which would also cost orders x stores work
        each hour and grow with the square of the network).
        """
        w = self.w
        xy = np.column_stack([w.plan.stores["x_km"].to_numpy(float),
                              w.plan.stores["y_km"].to_numpy(float)])
        out = np.full((w.n_stores, max(k, 1)), -1, dtype=np.int64)
        for r in range(w.n_regions):
            members = np.flatnonzero(w.store_region == r)
            cands = members[w.sfs[members]]
            if not len(cands):
                continue
            d = np.linalg.norm(xy[members, None, :] - xy[None, cands, :], axis=2)
            order = nearest_k(d, k)
            out[members, : order.shape[1]] = cands[order]
        return out

    def _schedule(self, b: np.ndarray, t: float | np.ndarray) -> None:
        """Queue picks: DCs pick within a shift, stores in open hours after they see the order."""
        w, p = self.w, self.p
        n = len(b)
        t = np.ascontiguousarray(np.broadcast_to(np.asarray(t, dtype=float), (n,)))
        pick_at = np.empty(n)
        due = np.empty(n, dtype=np.int64)
        ok_.schedule(b["node"], b["lag"], t, w.n_stores, w.harmonized["order_status"],
                     w.open_hour, w.close_hour, p["dc_pick_hours"], p["store_pick_hours"],
                     pick_at, due)
        b["pick_at"] = pick_at
        self.pending.push(b, due)

    # --- picks ---------------------------------------------------------------------------
    def _pick(self, hour: int) -> None:
        b = self.pending.pop(hour)
        if not len(b):
            return
        w, p = self.w, self.p
        node = b["node"]
        if (w.state == CUTOVER).any():
            at_store = node < w.n_stores
            blocked = np.zeros(len(node), dtype=bool)
            blocked[at_store] = w.state[node[at_store]] == CUTOVER
            if blocked.any():  # no labour or system during cutover: try again next hour
                later = select(b, blocked)
                later["pick_at"] = np.maximum(later["pick_at"], hour + 1.0)
                self.pending.push(later, hour + 1)
                b = select(b, ~blocked)
                node = b["node"]
        week = w.week_of(hour)
        ok = np.empty(len(b), dtype=np.bool_)
        counts = np.zeros((2, self.rec.regions))
        picked = ok_.pick(node, b["sku"], b["region"], b["method"], b["pick_at"], b["ready_by"],
                          w.n_skus, w.open_reservations.reshape(-1), w.physical.reshape(-1),
                          w.system.reshape(-1), ok, counts)
        self.picked_units += picked
        self.rec.add_row("bopis_ready_orders", week, counts[ok_.READY])
        self.rec.add_row("online_fulfilled_orders", week, counts[ok_.FULFILLED])
        if self.on_online_sale is not None and picked:
            self.on_online_sale(hour, b if picked == len(b) else select(b, ok))
        if picked == len(b):
            return
        fail = ~ok
        if not fail.any():
            return
        f = select(b, fail)
        # The short pick reveals the phantom stock: the record is set to what is there.
        w.system[f["node"], f["sku"]] = w.physical[f["node"], f["sku"]]
        first = ~f["oversold"]
        self.rec.add("oversell_orders", week, f["region"][first])
        f["oversold"][:] = True
        f["tries"] = f["tries"] + 1
        give_up = f["tries"] > p["max_reroute_attempts"]
        self._fallout(week, f["region"][give_up])
        f = f[~give_up]
        auto = w.harmonized["fulfillment_routing"][f["node"]] & self.orchestrated
        if auto.any():
            self._reroute(f[auto], hour + 1.0)
        if (~auto).any():
            self._park(f[~auto], hour + 1.0)

    def _reroute(self, f: np.ndarray, t: float) -> None:
        """Move failed orders to another node now (orchestrated: automatic)."""
        week = self.w.week_of(t)
        new = self._route(f, t, exclude=f["node"])
        moved = new >= 0
        self._fallout(week, f["region"][~moved])
        if moved.any():
            g = f[moved]
            g["node"] = new[moved]
            self.rec.add("reroute_orders", week, g["region"])
            self.rec.add("reroute_cost", week, g["region"], reroute_cost(self.w.scenario.costs))
            self._schedule(g, t)

    def _park(self, f: np.ndarray, t: float) -> None:
        """Legacy: a person must reroute the order; the customer waits (or gives up)."""
        bopis = f["method"] == BOPIS
        store = np.where(f["node"] < self.w.n_stores, f["node"], f["store"])
        for kind, m in (("pickup_failure", bopis), ("manual_reroute", ~bopis)):
            if not m.any():
                continue
            ids = self.desk.raise_(kind, np.full(m.sum(), t), store[m])
            self._hold(ids, select(f, m), t)

    def _hold(self, ids: np.ndarray, b: np.ndarray, t: float) -> None:
        """Keep orders ``b`` until their exceptions ``ids`` are worked."""
        k = len(ids)
        end = self._n_parked + k
        self._parked = grown(self._parked, self._n_parked, end)
        self._deadline = grown(self._deadline, self._n_parked, end)
        self._slot_of = grown(self._slot_of, len(self._slot_of), int(ids.max()) + 1, -1)
        self._parked[self._n_parked: end] = b
        self._deadline[self._n_parked: end] = t + b["patience"]
        self._slot_of[ids] = np.arange(self._n_parked, end)
        self._n_parked = end

    def resolve(self, finishes: np.ndarray, exc_ids: np.ndarray) -> None:
        """Apply worked manual reroutes and pickup failures (one batch per hour).

        Orders whose customers still wait are rerouted; the others are cancelled.
        """
        known = exc_ids < len(self._slot_of)
        slots = np.full(len(exc_ids), -1, dtype=np.int64)
        slots[known] = self._slot_of[exc_ids[known]]
        keep = slots >= 0
        if not keep.any():
            return
        self._slot_of[exc_ids[keep]] = -1
        fin = finishes[keep]
        b = select(self._parked, slots[keep])
        deadline = self._deadline[slots[keep]]
        weeks = np.minimum((fin // HOURS_PER_WEEK).astype(np.int64), self.rec.weeks - 1)
        late = fin > deadline
        self.rec.add_at("fallout_orders", weeks[late], b["region"][late])
        if late.all():
            return
        b = b[~late]
        fin, weeks = fin[~late], weeks[~late]
        new = self._route(b, fin, exclude=b["node"], legacy_only=True)
        if self.orchestrated and (new < 0).any():
            miss = new < 0
            new[miss] = self._route(b[miss], fin[miss],
                                    exclude=b["node"][miss])
        moved = new >= 0
        self.rec.add_at("fallout_orders", weeks[~moved], b["region"][~moved])
        if moved.any():
            g = b[moved]
            g["node"] = new[moved]
            self.rec.add_at("reroute_orders", weeks[moved], g["region"])
            self.rec.add_at("reroute_cost", weeks[moved], g["region"],
                            reroute_cost(self.w.scenario.costs))
            self._schedule(g, fin[moved])

    def _fallout(self, week: int, regions: np.ndarray) -> None:
        self.rec.add("fallout_orders", week, regions)

    def finish(self, end: float) -> None:
        """Orders still parked at the horizon end: cancelled if the customer's patience ran out."""
        slots = self._slot_of[self._slot_of >= 0]
        late = slots[self._deadline[slots] <= end]
        self._fallout(self.w.week_of(end - 1), self._parked["region"][late])
        self._slot_of[:] = -1

    def report(self) -> dict[str, int]:
        """Units picked for online orders (stock conservation)."""
        return {"online_picked": self.picked_units}

