"""Store walk-in demand, shrink and mis-scans, drawn sparsely each hour.

Mis-scans happen at the store's record-error rate (lower where harmonized inventory events
are live, higher in a go-live dip). At real-time stores the channel sees a sale
``inventory.realtime_sync_minutes`` after the till, so the last minutes' sales are not yet in
the view the hour's orders are promised from (see :meth:`StoreDemand.step` and
:meth:`StoreDemand.post_events`).

A store-SKU sells a fraction of a unit per hour (0.125 on average in the reference network), so
instead of a Poisson draw for every cell each open store's hourly units are drawn (one Poisson
per store: the same law as a Poisson total placed on stores by their weights) and each unit
is placed on a SKU by an inverse-CDF lookup over the SKU weights. Only the touched cells are
updated. A unit has two uniforms: its SKU, and one that decides in turn whether it walks out
in a cutover, reaches the channel late and is mis-scanned
(:func:`sim.model.demand.kernels.sell_hour`).

Every draw that decides *which customers come* uses the ``demand`` stream and a number of
draws that does not depend on the plan, so two plans with one seed see the same customers.
"""

from __future__ import annotations

import numpy as np

from sim.model.component import Component
from sim.model.demand.kernels import sell_hour
from sim.model.inventory.rules import unposted_share
from sim.model.plumbing.jit import scatter_add
from sim.model.recorder import Recorder
from sim.model.world import World

#: The counters of the rows :func:`sell_hour` sums per region (lost, lost in downtime, sold,
#: the value sold, the margin of the units not sold).
SALES_COUNTERS = ("lost_sales_units", "downtime_lost_units", "store_sales_units",
                  "store_sales_value", "lost_margin")


class StoreDemand(Component):
    """Hourly store sales, lost sales, shrink and mis-scans.

    Args:
        world: The replication state.
        lift: Promotion demand multiplier ``(weeks, skus)``.
        rng: The ``demand`` stream (plan-independent draws).
        rec: The recorder.
    """

    name = "demand"

    def __init__(self, world: World, lift: np.ndarray, rng: np.random.Generator, rec: Recorder
                 ) -> None:
        self.w = world
        self.lift = lift
        self.rng = rng
        self.rec = rec
        hours_open = np.maximum(world.close_hour - world.open_hour, 1) * 7.0
        #: Share of a store's weekly demand falling in one open hour.
        self.store_hour_rate = world.store_volume / hours_open
        #: Per hour of the day: the stores' cumulative hourly rates then (closed stores weigh
        #: 0; shrink is placed by it), the open stores and their rates (walk-in units are drawn
        #: per open store). Opening hours do not change during a run.
        self._by_hod: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for hod in range(24):
            open_mask = (world.open_hour <= hod) & (hod < world.close_hour)
            self._by_hod.append((np.cumsum(np.where(open_mask, self.store_hour_rate, 0.0)),
                                 np.flatnonzero(open_mask).astype(np.int64),
                                 self.store_hour_rate[open_mask]))
        self.shrink_rate = world.params["shrink_rate"]
        self.misscan_rate = world.params["misscan_rate"]
        self.lost_share = world.params["downtime_lost_sale_share"]
        self.unposted_share = unposted_share(world.scenario.inventory.realtime_sync_minutes)
        #: Record cells of this hour's real-time sales the channel has not seen yet.
        self._unposted = np.empty(0, dtype=np.int64)
        self._n_unposted = 0
        #: Margin of each SKU: what a walk-in unit not served costs (cost.lost_margin).
        self.sku_margin = world.sku_price - world.sku_cost
        self._sku_cache: dict[int, tuple[np.ndarray, float]] = {}
        #: 1 for stores whose ERP view is real time (set by the engine after state changes).
        self.realtime = np.zeros(world.n_stores, dtype=np.int64)
        self.sold_units = 0
        self.shrink_units = 0
        #: Hour stamp per cell of the last shrink draw (a cell shrinks once per hour).
        self._shrink_mark = np.zeros(world.n_nodes * world.n_skus, dtype=np.int32)
        self._stamp = 0
        self._u = np.empty((0, 4))
        #: This hour's sales as ``(weeks, stores, skus)`` batches (promotions and returns
        #: read them after :meth:`step`).
        self.hour_sales: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        #: This hour's walk-in units (the same under every plan) and each sale's place among
        #: them, so a draw about a sale (will it come back?) can be keyed to its customer.
        self.hour_walkins = 0
        self.hour_sold_at = np.zeros(0, dtype=np.int32)
        self._rows = rec.row_block(SALES_COUNTERS)
        #: Units sold by store too (one count per store and hour): a history to calibrate from.
        self._store_sold = rec.store_block("store_units_sold")

    def sku_cdf(self, week: int) -> tuple[np.ndarray, float]:
        """Cumulative SKU weights of a week (weekly units x promotion lift) and their total."""
        hit = self._sku_cache.get(week)
        if hit is None:
            weights = self.w.sku_weekly_units * self.lift[week]
            cdf = np.cumsum(weights)
            hit = (cdf, float(cdf[-1]))
            self._sku_cache = {week: hit}
        return hit

    def expected_units(self, week: int) -> np.ndarray:
        """Expected weekly store demand ``(stores, skus)`` for replenishment targets."""
        cal = self.w.calendar_week(week)
        sku = self.w.sku_weekly_units * self.lift[min(week, len(self.lift) - 1)]
        return np.outer(self.w.store_volume, sku) * self.w.seasonality[cal]

    def step(self, hour: int) -> None:
        """Draw and apply one hour of store demand and shrink."""
        w = self.w
        store_cdf, open_stores, open_rates = self._by_hod[hour % 24]
        self.hour_sales = []
        self.hour_walkins = 0
        if not len(open_stores):
            return
        week = w.week_of(hour)
        season = w.seasonality[w.calendar_week(week)]
        sku_cdf, sku_total = self.sku_cdf(week)
        total = store_cdf[-1] * sku_total * season
        rng = self.rng
        per_store = rng.poisson(open_rates * (sku_total * season))
        n = int(per_store.sum())
        n_shrink = rng.poisson(total * self.shrink_rate)
        m = n + n_shrink
        if len(self._u) < m:  # reuse one buffer: a fresh one per hour costs page faults
            self._u = np.empty((2 * m, 2))
        u = self._u[:m]
        rng.random(out=u)
        sold_store = np.empty(n, dtype=np.int32)
        sold_sku = np.empty(n, dtype=np.int32)
        sold_at = np.empty(n, dtype=np.int32)
        if len(self._unposted) < n:
            self._unposted = np.empty(2 * n, dtype=np.int64)
        self._stamp += 1
        sold, shrunk, self._n_unposted = sell_hour(
            open_stores, per_store, u, store_cdf, sku_cdf, sku_total, w.n_skus, w.state,
            w.closed, self.lost_share,
            w.physical.reshape(-1), w.system.reshape(-1), w.open_reservations.reshape(-1),
            self.realtime, self.misscan_rate, w.record_error_factor, w.error_multiplier,
            self.unposted_share, w.store_region, w.sku_price, self.sku_margin,
            self._shrink_mark, self._stamp, week, self._rows, self._store_sold, sold_store,
            sold_sku, sold_at, self._unposted)
        self.shrink_units += shrunk
        self.sold_units += sold
        rec = self.rec
        self.hour_sales = [(np.full(sold, week, dtype=np.int32), sold_store[:sold],
                            sold_sku[:sold])]
        self.hour_walkins, self.hour_sold_at = n, sold_at[:sold]
        if self._n_unposted:
            # A real-time node's available to promise is its record less its open
            # reservations; until the orders are promised, the sales still in flight are
            # lent to that expression (one fewer reservation each), so the channel promises
            # from the record as it was before them. The record itself stays exact, so a
            # short pick meanwhile corrects it to the shelf without double counting.
            n_late = self._n_unposted
            scatter_add(w.open_reservations.reshape(-1), self._unposted[:n_late],
                        np.ones(n_late, dtype=np.int64), -1)
            rec.add("unposted_sales_units", week, w.store_region[self._unposted[:n_late]
                                                                 // w.n_skus])

    def post_events(self, hour: int) -> None:
        """The channel has seen the hour's real-time sales: give back what :meth:`step` lent.

        Runs after the orders (see :mod:`sim.model.schedule`), so the hour's promises were
        made from a view lagging the record by the sales of the last
        ``inventory.realtime_sync_minutes``.
        """
        n = self._n_unposted
        if not n:
            return
        self._n_unposted = 0
        scatter_add(self.w.open_reservations.reshape(-1), self._unposted[:n],
                    np.ones(n, dtype=np.int64), 1)

    def set_realtime(self, realtime_nodes: np.ndarray) -> None:
        """Take the nodes whose ERP view is real time (after a state or harmonization change)."""
        self.realtime = realtime_nodes[: self.w.n_stores].astype(np.int64)

    def report(self) -> dict[str, int]:
        """Units sold and shrunk over the run (stock conservation)."""
        return {"store_sales": self.sold_units, "shrink": self.shrink_units}
