"""Order-to-fulfillment: online orders, promising, routing, picks, oversell, reroute, fallout.

Orders arrive in hourly batches (vectorised). Promising uses each node's available-to-promise
(:meth:`Inventory.atp`) minus a safety buffer; routing is the legacy channel rules or one
orchestration over the harmonized nodes. At pick time the node's *physical* stock decides: a
shortfall is an oversell, rerouted automatically where routing is harmonized, otherwise through
a manual exception whose wait can make the customer cancel (DESIGN §5.2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.inventory import Inventory
from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, HOURS_PER_WEEK, World

SHIP, SFS, BOPIS = 0, 1, 2
#: One online order. Batches are structured arrays, so selecting or joining orders is one
#: numpy operation rather than one per field (this path runs every simulated hour).
ORDER = np.dtype([("node", np.int64), ("sku", np.int64), ("region", np.int64),
                  ("method", np.int64), ("store", np.int64), ("home", np.int64),
                  ("ready_by", np.float64), ("patience", np.float64), ("lag", np.float64),
                  ("tries", np.int64), ("oversold", np.bool_), ("pick_at", np.float64)])


def _rank_in_group(keys: np.ndarray) -> np.ndarray:
    """Position of each element among the earlier elements with the same key (0, 1, 2...)."""
    n = len(keys)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    pos = np.arange(n)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(k[1:], k[:-1], out=new[1:])
    # Index of each element's group start, carried forward through the sorted run.
    start = np.maximum.accumulate(np.where(new, pos, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = pos - start
    return rank


class Orders:
    """The online channel.

    Args:
        world: Replication state.
        inventory: Stock records and views.
        sku_cdf: Callable giving ``(cdf, total)`` of SKU weights for a week.
        rng: The ``orders`` stream (plan-independent customer draws).
        rec: The recorder.
    """

    def __init__(self, world: World, inventory: Inventory,
                 sku_cdf: Callable[[int], tuple[np.ndarray, float]], rng: np.random.Generator,
                 rec: Recorder) -> None:
        self.w = world
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
        self.region_dc = np.zeros(r, dtype=np.int64)
        for d, regs in enumerate(world.dc_regions):
            for i in regs:
                self.region_dc[i] = world.n_stores + d
        self.pending: dict[int, list[np.ndarray]] = {}
        self.parked: dict[int, tuple[np.ndarray, float]] = {}
        self.orchestrated = False
        self.raise_exception: Callable[..., np.ndarray] | None = None
        self.on_online_sale: Callable[[int, dict[str, np.ndarray]], None] | None = None
        self.picked_units = 0

    def _region_picker(self, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stores of each region with ``flag`` (all its stores if none), weighted by volume.

        Returns ``(stores, keys)``: region ``r``'s cumulative weights are mapped into
        ``[r, r + 1)`` and concatenated, so one ``searchsorted`` of ``region + u`` picks a
        store for every order at once.
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
        return np.concatenate(stores), np.concatenate(keys)

    def _pick_store(self, picker: tuple[np.ndarray, np.ndarray], region: np.ndarray,
                    u: np.ndarray) -> np.ndarray:
        stores, keys = picker
        # u < 1, so region + u stays inside the region's key range.
        pos = np.searchsorted(keys, region + u, side="right")
        return stores[np.minimum(pos, len(stores) - 1)]

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
        u = rng.random((n, 7))
        sku = np.minimum(np.searchsorted(cdf, u[:, 0] * total, side="right"), w.n_skus - 1)
        region = np.minimum(np.searchsorted(self.region_cdf, u[:, 1] * self.region_cdf[-1],
                                            side="right"), w.n_regions - 1)
        method = np.where(u[:, 2] < p["bopis_share"], BOPIS,
                          np.where(u[:, 2] < p["bopis_share"] + p["ship_from_store_share"],
                                   SFS, SHIP))
        b = np.zeros(n, dtype=ORDER)
        b["sku"], b["region"], b["method"] = sku, region, method
        b["store"] = self._pick_store(self.bopis_pick, region, u[:, 3])
        b["home"] = self._pick_store(self.sfs_pick, region, u[:, 4])
        b["patience"] = -np.log1p(-u[:, 5]) * p["customer_patience_hours"]
        t = hour + 0.5
        # How long a legacy store takes to see the order (order-status polling); drawn for
        # every order so the draws do not depend on which stores are live.
        b["lag"] = -np.log1p(-u[:, 6]) * p["order_status_lag_hours"]
        node = self._route(b, t)
        ok = node >= 0
        # Every order placed counts; one that no node can promise is cancelled at once
        # (fallout for lack of stock), so the count does not depend on the plan.
        self.rec.add("ecommerce_orders", week, region)
        self.rec.add("online_unpromisable_orders", week, region[~ok])
        self._fallout(week, region[~ok])
        if not ok.any():
            return
        b["node"] = node
        b = b[ok]
        stores = b["store"]
        b["ready_by"] = np.where(b["method"] == BOPIS, self._promise_ready(t, stores), np.inf)
        self.rec.add("promised_orders", week, b["region"])
        self.rec.add("bopis_orders", week, b["region"][b["method"] == BOPIS])
        stale = self.inv.staleness(t, b["node"])
        self.rec.add("sync_latency_sum", week, b["region"], stale)
        self._schedule(b, t)

    def _promise_ready(self, t: float, stores: np.ndarray) -> np.ndarray:
        """Return the ready time promised at checkout.

        Within the promise window of open hours, or that long after the next opening when
        today's hours are too short.
        """
        w, hours = self.w, self.p["bopis_promised_ready_hours"]
        start = w.next_open(np.full(len(stores), t), stores)
        ready = start + hours
        closes = np.floor(start / 24.0) * 24.0 + w.close_hour[stores]
        return np.where(ready <= closes, ready, w.next_open(closes, stores) + hours)

    def _route(self, b: np.ndarray, t: float | np.ndarray,
               exclude: np.ndarray | None = None, legacy_only: bool = False) -> np.ndarray:
        """Choose a node for each order (-1: nothing to promise) and reserve the unit."""
        n = len(b["sku"])
        node = np.full(n, -1, dtype=np.int64)
        method = b["method"]
        harm = self.w.harmonized["fulfillment_routing"]
        stages: list[np.ndarray] = []
        if self.orchestrated and not legacy_only:
            dc = self.region_dc[b["region"]]
            stages.append(np.where((method != BOPIS) & harm[dc], dc, -1))
            stages.append(np.where(method == BOPIS, np.where(harm[b["store"]], b["store"], -1),
                                   self._best_store(b, harm)))
        # Legacy channel rules: ship -> serving DC; ship-from-store -> home store, then DC;
        # BOPIS -> the customer's chosen store.
        dc = self.region_dc[b["region"]]
        stages.append(np.where(method == SHIP, dc, np.where(method == SFS, b["home"],
                                                           b["store"])))
        stages.append(np.where(method == SFS, dc, -1))
        for cand in stages:
            todo = (node < 0) & (cand >= 0)
            if exclude is not None:
                todo &= cand != exclude
            if not todo.any():
                continue
            idx = np.flatnonzero(todo)
            nodes, skus = cand[idx], b["sku"][idx]
            avail = self.inv.atp(nodes, skus) - self.buffer
            rank = _rank_in_group(nodes * self.w.n_skus + skus)
            take = rank < avail
            node[idx[take]] = nodes[take]
        got = node >= 0
        np.add.at(self.w.open_reservations, (node[got], b["sku"][got]), 1)
        np.add.at(self.w.reserved_since_sync, (node[got], b["sku"][got]), 1)
        return node

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
            order = np.argsort(d, axis=1, kind="stable")[:, :k]
            out[members, : order.shape[1]] = cands[order]
        return out

    def _best_store(self, b: np.ndarray, harm: np.ndarray) -> np.ndarray:
        """Choose a store for delivery orders under orchestration.

        Of the harmonized ship-from-store stores near the customer, the one with the most
        stock available to promise.
        """
        out = np.full(len(b), -1, dtype=np.int64)
        m = np.flatnonzero(b["method"] != BOPIS)
        if not len(m):
            return out
        cands = self.near_sfs[b["home"][m]]                       # (orders, k nearest)
        valid = cands >= 0
        valid[valid] = harm[cands[valid]]
        atp = np.where(valid, self.inv.atp(np.maximum(cands, 0), b["sku"][m][:, None]),
                       np.iinfo(np.int64).min)
        best = atp.argmax(axis=1)
        ok = valid[np.arange(len(m)), best]
        out[m[ok]] = cands[ok, best[ok]]
        return out

    def _schedule(self, b: np.ndarray, t: float | np.ndarray) -> None:
        """Queue picks: DCs pick within a shift, stores in open hours after they see the order."""
        w, p = self.w, self.p
        node = b["node"]
        at_store = node < w.n_stores
        t = np.broadcast_to(np.asarray(t, dtype=float), node.shape)
        pick = t + p["dc_pick_hours"]
        if at_store.any():
            s = node[at_store]
            lag = np.where(w.harmonized["order_status"][s], 0.0, b["lag"][at_store])
            start = w.next_open(t[at_store] + lag, s)
            done = start + p["store_pick_hours"]
            late = done - np.floor(start / 24.0) * 24.0 > w.close_hour[s]
            done = np.where(late, w.next_open(done, s) + p["store_pick_hours"], done)
            pick[at_store] = done
        b["pick_at"] = np.maximum(pick, t)
        hours = np.maximum(np.ceil(pick), np.floor(t) + 1).astype(np.int64)
        for h in np.unique(hours):
            m = hours == h
            self.pending.setdefault(int(h), []).append(b[m])

    # --- picks ---------------------------------------------------------------------------
    def _pick(self, hour: int) -> None:
        batches = self.pending.pop(hour, [])
        if not batches:
            return
        w, p = self.w, self.p
        b = batches[0] if len(batches) == 1 else np.concatenate(batches)
        node = b["node"]
        at_store = node < w.n_stores
        blocked = np.zeros(len(node), dtype=bool)
        blocked[at_store] = w.state[node[at_store]] == CUTOVER
        if blocked.any():  # no labour or system during cutover: try again next hour
            later = b[blocked]
            later["pick_at"] = np.maximum(later["pick_at"], hour + 1.0)
            self.pending.setdefault(hour + 1, []).append(later)
            b = b[~blocked]
            node = b["node"]
        week = w.week_of(hour)
        sku = b["sku"]
        np.subtract.at(w.open_reservations, (node, sku), 1)
        rank = _rank_in_group(node * w.n_skus + sku)
        ok = rank < w.physical[node, sku]
        np.subtract.at(w.physical, (node[ok], sku[ok]), 1)
        np.subtract.at(w.system, (node[ok], sku[ok]), 1)
        self.picked_units += int(ok.sum())
        bopis = b["method"] == BOPIS
        # The pick was done at its own time within the hour this step stands for.
        ready = ok & bopis & (b["pick_at"] <= b["ready_by"])
        self.rec.add("bopis_ready_orders", week, b["region"][ready])
        self.rec.add("online_fulfilled_orders", week, b["region"][ok])
        if self.on_online_sale is not None and ok.any():
            self.on_online_sale(hour, b[ok])
        fail = ~ok
        if not fail.any():
            return
        f = b[fail]
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
            self.rec.add("reroute_cost", week, g["region"],
                         self.w.scenario.costs.reroute_per_order)
            self._schedule(g, t)

    def _park(self, f: np.ndarray, t: float) -> None:
        """Legacy: a person must reroute the order; the customer waits (or gives up)."""
        if self.raise_exception is None:
            self._fallout(self.w.week_of(t), f["region"])
            return
        bopis = f["method"] == BOPIS
        store = np.where(f["node"] < self.w.n_stores, f["node"], f["store"])
        for kind, m in (("pickup_failure", bopis), ("manual_reroute", ~bopis)):
            if not m.any():
                continue
            ids = self.raise_exception(kind, np.full(m.sum(), t), store[m])
            for j, i in zip(np.flatnonzero(m).tolist(), ids.tolist(), strict=True):
                self.parked[i] = (f[j], t + float(f["patience"][j]))

    def resolve(self, finishes: np.ndarray, exc_ids: np.ndarray) -> None:
        """Apply worked manual reroutes and pickup failures (one batch per hour).

        Orders whose customers still wait are rerouted; the others are cancelled.
        """
        orders = [self.parked.pop(int(i), None) for i in exc_ids]
        keep = [j for j, o in enumerate(orders) if o is not None]
        if not keep:
            return
        fin = finishes[keep]
        b = np.array([orders[j][0] for j in keep], dtype=ORDER)
        deadline = np.array([orders[j][1] for j in keep])
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
                            self.w.scenario.costs.reroute_per_order)
            self._schedule(g, fin[moved])

    def _fallout(self, week: int, regions: np.ndarray) -> None:
        self.rec.add("fallout_orders", week, regions)

    def finish(self, end: float) -> None:
        """Orders still parked at the horizon end: cancelled if the customer's patience ran out."""
        for order, deadline in self.parked.values():
            if deadline <= end:
                self._fallout(self.w.week_of(end - 1), int(order["region"]))
        self.parked.clear()
