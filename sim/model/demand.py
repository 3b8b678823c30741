"""Store walk-in demand, shrink and mis-scans, drawn sparsely each hour.

A store-SKU sells a fraction of a unit per hour, so instead of a Poisson draw for every cell the
hour's total is drawn once and the units are placed on cells by inverse-CDF lookups over the
(separable) store and SKU weights. Only the touched cells are updated.

Every draw that decides *which customers come* uses the ``demand`` stream and a number of
draws that does not depend on the plan, so two plans with one seed see the same customers.
"""

from __future__ import annotations

import numpy as np

from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, World


class StoreDemand:
    """Hourly store sales, lost sales, shrink and mis-scans.

    Args:
        world: The replication state.
        lift: Promotion demand multiplier ``(weeks, skus)``.
        rng: The ``demand`` stream (plan-independent draws).
        rec: The recorder.
    """

    def __init__(self, world: World, lift: np.ndarray, rng: np.random.Generator, rec: Recorder
                 ) -> None:
        self.w = world
        self.lift = lift
        self.rng = rng
        self.rec = rec
        hours_open = np.maximum(world.close_hour - world.open_hour, 1) * 7.0
        #: Share of a store's weekly demand falling in one open hour.
        self.store_hour_rate = world.store_volume / hours_open
        self.shrink_rate = world.params["shrink_rate"]
        self.misscan_rate = world.params["misscan_rate"]
        self.lost_share = world.params["downtime_lost_sale_share"]
        self._sku_cache: dict[int, tuple[np.ndarray, float]] = {}
        #: 1 for stores whose ERP view is real time (set by the engine after state changes).
        self.realtime = np.zeros(world.n_stores, dtype=np.int64)
        self.sold_units = 0
        self.shrink_units = 0
        self.sold_value = 0.0
        #: Units sold per SKU and week (for promotions and returns).
        self.on_sale: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

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
        hod = hour % 24
        open_mask = (w.open_hour <= hod) & (hod < w.close_hour)
        if not open_mask.any():
            return
        week = w.week_of(hour)
        season = w.seasonality[w.calendar_week(week)]
        store_rate = np.where(open_mask, self.store_hour_rate, 0.0)
        store_cdf = np.cumsum(store_rate)
        sku_cdf, sku_total = self.sku_cdf(week)
        total = store_cdf[-1] * sku_total * season
        rng = self.rng
        n = rng.poisson(total)
        n_shrink = rng.poisson(total * self.shrink_rate)
        u = rng.random((n + n_shrink, 4))
        stores = np.searchsorted(store_cdf, u[:, 0] * store_cdf[-1], side="right")
        skus = np.searchsorted(sku_cdf, u[:, 1] * sku_total, side="right")
        np.minimum(stores, w.n_stores - 1, out=stores)
        np.minimum(skus, w.n_skus - 1, out=skus)
        self._sales(week, stores[:n], skus[:n], u[:n, 2], u[:n, 3])
        self._shrink(stores[n:], skus[n:])

    def _sales(self, week: int, stores: np.ndarray, skus: np.ndarray, u_lost: np.ndarray,
               u_scan: np.ndarray) -> None:
        w = self.w
        k = w.n_skus
        in_cutover = w.state[stores] == CUTOVER
        walked = in_cutover & (u_lost < self.lost_share)
        lost_down = np.count_nonzero(walked)
        if lost_down:
            self.rec.add("lost_sales_units", week, w.store_region[stores[walked]])
            self.rec.add("downtime_lost_units", week, w.store_region[stores[walked]])
            stores, skus, u_scan = stores[~walked], skus[~walked], u_scan[~walked]
        cells = stores * k + skus
        phys = w.physical.reshape(-1)
        np.subtract.at(phys, cells, 1)
        # Units already promised to online orders at real-time stores are set aside for the
        # picker, so walk-in customers cannot take them.
        held = w.open_reservations.reshape(-1)[cells] * self.realtime[stores]
        after = phys[cells] - held
        sold = np.ones(len(cells), dtype=bool)
        if (after < 0).any():
            sold = self._mark_lost(cells, after < 0, phys, held)
            lost = ~sold
            self.rec.add("lost_sales_units", week, w.store_region[stores[lost]])
        s_st, s_sk = stores[sold], skus[sold]
        # Mis-scans: the unit leaves the shelf but the till records another SKU of the store.
        rate = self.misscan_rate * w.error_multiplier[s_st]
        mis = u_scan[sold] < rate
        scanned_sku = s_sk.copy()
        if mis.any() and k > 1:
            # u < rate, so u / rate is a fresh uniform that picks the wrong SKU.
            other = np.floor(u_scan[sold][mis] / rate[mis] * (k - 1)).astype(np.int64)
            scanned_sku[mis] = (s_sk[mis] + 1 + other) % k
        np.subtract.at(w.system.reshape(-1), s_st * k + scanned_sku, 1)
        n_sold = len(s_st)
        self.sold_units += n_sold
        value = w.sku_price[s_sk]
        self.sold_value += float(value.sum())
        region = w.store_region[s_st]
        self.rec.add("store_sales_units", week, region)
        self.rec.add("store_sales_value", week, region, value)
        self.on_sale.append((np.full(n_sold, week, dtype=np.int32), s_st.astype(np.int32),
                             s_sk.astype(np.int32)))

    @staticmethod
    def _mark_lost(cells: np.ndarray, neg: np.ndarray, phys: np.ndarray, held: np.ndarray
                   ) -> np.ndarray:
        """Units that found the shelf empty: the last ones to arrive in an over-drawn cell.

        Their units are put back on ``phys`` (they never left), and they are marked unsold.
        """
        short_cells, first = np.unique(cells[neg], return_index=True)
        idx = np.flatnonzero(np.isin(cells, short_cells))
        order = idx[np.argsort(cells[idx], kind="stable")]
        c = cells[order]
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        counts = np.diff(np.r_[starts, len(c)])
        deficit = np.minimum(held[neg][first] - phys[short_cells], counts)
        phys[short_cells] += deficit
        sold = np.ones(len(cells), dtype=bool)
        rank = np.arange(len(c)) - np.repeat(starts, counts)
        sold[order] = rank < np.repeat(counts - deficit, counts)
        return sold

    def _shrink(self, stores: np.ndarray, skus: np.ndarray) -> None:
        if not len(stores):
            return
        phys = self.w.physical.reshape(-1)
        cells = np.unique(stores * self.w.n_skus + skus)
        has = phys[cells] > 0
        phys[cells[has]] -= 1
        self.shrink_units += int(has.sum())

    def drain_sales(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Hand over the sales recorded since the last call (for returns and promotions)."""
        out, self.on_sale = self.on_sale, []
        return out
