"""Inventory-to-replenishment: initial records, replenishment, sync of visible stock, counts.

Physical stock moves with sales, shrink, receipts and restocks; the system record moves only
with what is recorded; the visible stock is the ecommerce channel's snapshot of the record as of
each node's last sync (DESIGN §5.1). Store and DC records start wrong and drift (DC receipts
are sometimes booked with the wrong quantity); cycle counts correct them. The feeds that
publish the views live in :mod:`sim.model.inventory.feeds`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.initial_state import InitialStock
from sim.model.component import Component
from sim.model.desk.desk import ExceptionDesk
from sim.model.inventory.feeds import Feeds
from sim.model.inventory.kernels import ship_to_stores
from sim.model.inventory.rules import (
    busier_week,
    dc_store_demand,
    error_units,
    forward_cover,
    gap_scan,
    order_up_to,
    posts_harmonized,
    record_error_factor,
    store_demand,
)
from sim.model.plumbing.grouping import cells_by_key
from sim.model.plumbing.growth import grown
from sim.model.plumbing.jit import scatter_add
from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, HOURS_PER_WEEK, LIVE, World

#: A receipt due: nodes, SKUs, units, whether from a supplier, and for supplier receipts the
#: uniform that decides a receiving error and the error's signed size (else None).
Receipt = tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray | None, np.ndarray | None]


class Inventory(Component):
    """Replenishment, sync and cycle counts.

    Args:
        world: The replication state.
        expected_store_week: Callable giving expected weekly store demand ``(stores, skus)``.
        online_sku_week: Callable giving expected weekly online units per SKU for a week.
        desk: The exception desk (``sync_failure``, ``inventory_mismatch``).
        streams: ``{"sync": Generator, "counts": Generator}`` (``counts``: count slots and
            receiving errors, the record-keeping draws).
        rec: The recorder.
    """

    name = "inventory"

    def __init__(self, world: World, expected_store_week: Callable[[int], np.ndarray],
                 online_sku_week: Callable[[int], np.ndarray], desk: ExceptionDesk,
                 streams: dict[str, np.random.Generator], rec: Recorder) -> None:
        self.w = world
        self.desk = desk
        self.expected_store_week = expected_store_week
        self.online_sku_week = online_sku_week
        self.rng_sync = streams["sync"]
        self.rng_counts = streams["counts"]
        self.rec = rec
        p = world.params
        self.p = p
        inv = world.scenario.inventory
        self.inv = inv
        s, d = world.n_stores, world.n_dcs
        self.on_order = np.zeros((s + d, world.n_skus), dtype=np.int64)
        #: hour -> receipts due then.
        self.arrivals: dict[int, list[Receipt]] = {}
        self.supplier_receipts = 0
        self.in_transit = 0
        self._target_week = -1
        self._target = np.zeros((0, world.n_skus), dtype=np.int64)
        #: (kind, week) -> a week's demand table the targets read (see _week_table).
        self._week_tables: dict[tuple[str, int], np.ndarray] = {}
        #: Reused buffers for a DC's shipment lines (store, SKU, units): room for every cell.
        self._ship = tuple(np.empty(s * world.n_skus, dtype=np.int64) for _ in range(3))
        #: Flat store-SKU cell of each open inventory_mismatch exception, by exception id
        #: (-1: none; ids are dense and increasing, so an array beats a dict).
        self._mismatch_cell = np.full(1024, -1, dtype=np.int64)
        desk.on_done_batch("inventory_mismatch", self._mismatches_fixed)
        self.coexistence = False
        self.on_profile: Callable[[np.ndarray], None] | None = None
        #: Whether every node's view was published at the last sync (see :meth:`sync`).
        self._views_current = True
        self.realtime_nodes = np.zeros(s + d, dtype=bool)
        #: Nodes posting inventory events the harmonized way (they gap-scan at reviews).
        self.posting = np.zeros(s + d, dtype=bool)
        self.feeds = Feeds(world, inv, desk, self.rng_sync, rec)
        period = max(1, int(round(inv.cycle_count_weeks * 7)))
        self.count_period_days = period
        self.count_slot = self.rng_counts.integers(0, period, size=(s, world.n_skus))
        dc_period = max(1, int(round(inv.dc_cycle_count_weeks * 7)))
        self.dc_count_period_days = dc_period
        self.dc_count_slot = self.rng_counts.integers(0, dc_period, size=(d, world.n_skus))
        #: The (node, SKU) cells of each day of the count cycles (stores, then DCs).
        self._count_cells = cells_by_key(self.count_slot, period)
        self._dc_count_cells = cells_by_key(self.dc_count_slot, dc_period)

    # --- initial state -------------------------------------------------------------------
    def stock_initial(self, rng: np.random.Generator) -> None:
        """Fill stores and DCs to their targets and seed record inaccuracy (FACTS §1).

        Store records are wrong as often as published; DC records less often (see the
        ``dc_initial_record_error_*`` parameters).
        """
        w, p = self.w, self.p
        s = w.n_stores
        target = self.store_target(0)
        w.physical[:s] = rng.poisson(target * 0.8)
        w.physical[s:] = self.dc_target(0)
        w.system[:s] = np.maximum(w.physical[:s] + self._initial_errors(
            rng, target.shape, p["initial_record_error_prob"],
            p["initial_record_error_mean_units"]), 0)
        w.system[s:] = np.maximum(w.physical[s:] + self._initial_errors(
            rng, w.physical[s:].shape, p["dc_initial_record_error_prob"],
            p["dc_initial_record_error_mean_units"]), 0)
        w.visible[:] = w.system
        self.start_units = int(w.physical.sum())

    def set_initial(self, stock: InitialStock) -> None:
        """Replace the drawn start of the cells a user listed (:mod:`sim.initial_state`)."""
        w = self.w
        for arr, values in ((w.physical, stock.on_hand), (w.system, stock.on_record),
                            (w.visible, stock.on_record)):
            arr.reshape(-1)[stock.cell] = values
        self.start_units = int(w.physical.sum())

    @staticmethod
    def _initial_errors(rng: np.random.Generator, shape: tuple[int, ...], prob: float,
                        mean_units: float) -> np.ndarray:
        """Signed record errors of cells: wrong with ``prob``, geometric size, either sign."""
        err = rng.random(shape) < prob
        size = rng.geometric(1.0 / max(mean_units, 1.0), shape)
        sign = np.where(rng.random(shape) < 0.5, -1, 1)
        return err * sign * size

    def store_target(self, week: int) -> np.ndarray:
        """Order-up-to level per store-SKU: weeks of cover of the coming days' demand.

        A review made during week ``w`` must carry the shelf until the next delivery, which
        may fall in ``w`` or ``w + 1``: the level covers the busier of the two (a store heading
        into a promotion week, or in the middle of one, does not stock for a quieter week).
        A function of the week alone, reviewed daily: the last week's levels are kept (the
        caller must not modify the array).
        """
        if self._target_week == week:
            return self._target
        self._target = self._store_target(week)
        self._target_week = week
        return self._target

    def _store_target(self, week: int) -> np.ndarray:
        w = self.w
        last = w.horizon_hours // HOURS_PER_WEEK - 1
        share = w.store_volume / w.store_volume.sum()
        on_stores = self.p["bopis_share"] + self.p["ship_from_store_share"]
        demand = busier_week(
            lambda k: self._week_table("store", k, week, lambda: store_demand(
                self.expected_store_week(k), self.online_sku_week(k), share, on_stores)),
            week, last)
        return order_up_to(demand, self.p["store_order_up_to_weeks"], self.p["store_safety_z"])

    def _week_table(self, kind: str, k: int, now: int, make: Callable[[], np.ndarray]
                    ) -> np.ndarray:
        """Week ``k``'s demand table of ``kind``, made once while the reviews read it.

        A store review reads this week's and next week's demand, a DC's the next five weeks':
        each week's table is made once (at 6,000 stores, each is a few milliseconds of
        whole-network arrays) and forgotten once the reviews (of week ``now``) have passed it.
        """
        tables = self._week_tables
        hit = tables.get((kind, k))
        if hit is None:
            for key in [key for key in tables if key[1] < now]:
                del tables[key]
            hit = tables[(kind, k)] = make()
        return hit

    def dc_target(self, week: int) -> np.ndarray:
        """Order-up-to level per DC-SKU: the forecast demand of the weeks it must cover.

        Forward cover: the demand of the stores and regions a DC serves over the next
        ``dc_order_up_to_weeks`` weeks (the calendar's seasonality and promotions included),
        so a DC builds stock ahead of a peak instead of meeting it with a week's notice.
        """
        w = self.w
        last = w.horizon_hours // HOURS_PER_WEEK - 1
        return forward_cover(
            lambda k: self._week_table("dc", k, week, lambda: dc_store_demand(
                self.expected_store_week(k), w.store_dc, w.n_dcs)),
            self.online_sku_week, week, last, self.p["dc_order_up_to_weeks"], w.store_dc,
            w.n_dcs, w.n_skus)

    # --- replenishment -------------------------------------------------------------------
    def replenish_stores(self, hour: int) -> None:
        """Order-up-to review against the *recorded* stock; DCs ship what they hold.

        Called daily; each store is reviewed every ``store_review_hours`` on its own weekdays,
        so shelves run down between deliveries as they do in stores.
        """
        w = self.w
        s = w.n_stores
        every = max(1, int(round(self.p["store_review_hours"] / 24.0)))
        reviewed = np.arange(s) % every == (hour // 24) % every
        target = self.store_target(w.week_of(hour))
        scans = np.flatnonzero(reviewed & self.posting[:s])
        if len(scans):
            rows = w.system[scans]
            fixed = gap_scan(w.physical[scans], rows, scans, hour // 24, w.error_multiplier)
            rows[fixed] = 0
            w.system[scans] = rows
            if fixed.any():
                self.rec.add("gap_scan_corrections", w.week_of(hour),
                             w.store_region[np.repeat(scans, fixed.sum(axis=1))])
        nodes, skus, qty = self._ship
        for d in range(w.n_dcs):
            mine = np.flatnonzero((w.store_dc == d) & reviewed)
            if not len(mine) or w.dc_closed[d]:
                continue  # a DC that is down ships nothing: its stores wait for the next review
            n = ship_to_stores(mine, s + d, target, w.physical, w.system, w.open_reservations,
                               self.on_order, nodes, skus, qty)
            self.in_transit += int(qty[:n].sum())
            self.arrivals.setdefault(hour + int(w.dc_lead_hours[d]), []).append(
                (nodes[:n].copy(), skus[:n].copy(), qty[:n].copy(), False, None, None))

    def replenish_dcs(self, hour: int) -> None:
        """Weekly supplier orders for DCs (receipts enter the network here).

        Three uniforms per DC-SKU each week, ordered or not (so the stream does not depend on
        the plan), decide whether the receipt will be booked with a wrong quantity and by how
        much (see :meth:`receive`).
        """
        w = self.w
        s = w.n_stores
        target = self.dc_target(w.week_of(hour))
        want = np.maximum(target - w.system[s:] - self.on_order[s:], 0)
        u = self.rng_counts.random((3,) + want.shape)
        rows, cols = np.nonzero(want)
        self.on_order[s:] += want
        due = hour + int(self.p["dc_supplier_lead_hours"])
        units = error_units(u[1, rows, cols], u[2, rows, cols],
                            self.p["dc_receiving_error_mean_units"])
        self.arrivals.setdefault(due, []).append(
            (s + rows, cols, want[rows, cols], True, u[0, rows, cols], units))

    def receive(self, hour: int) -> None:
        """Book the receipts due this hour.

        The shelf gets what arrived. A supplier receipt line is booked with a wrong quantity
        with probability ``dc_receiving_error_prob`` times the DC's record-error factor (a
        miscounted case, an advance shipping notice accepted unchecked), so DC records drift
        from their shelves until a count finds it.
        """
        k = self.w.n_skus
        w = self.w
        for nodes, skus, qty, from_supplier, err_u, err_units in self.arrivals.pop(hour, []):
            cells = nodes * k + skus
            booked = qty
            if from_supplier and err_u is not None and err_units is not None:
                prob = self.p["dc_receiving_error_prob"] * w.record_error_factor[nodes]
                booked = np.maximum(qty + np.where(err_u < prob, err_units, 0), 0)
            scatter_add(w.physical.reshape(-1), cells, qty, 1)
            scatter_add(w.system.reshape(-1), cells, booked, 1)
            scatter_add(self.on_order.reshape(-1), cells, qty, -1)
            if from_supplier:
                self.supplier_receipts += int(qty.sum())
            else:
                self.in_transit -= int(qty.sum())

    # --- sync ----------------------------------------------------------------------------
    def sync(self, hour: int) -> None:
        """Feeds that break this hour, then the snapshots of the nodes due (:class:`Feeds`).

        Real-time nodes publish every hour, but promising reads their records, not their
        views, so their view rows are copied only before a week starts, and when a node stops
        being real time (:meth:`refresh_profile`).
        """
        full = hour == 0 or (hour + 1) % HOURS_PER_WEEK == 0
        self.feeds.step(hour, full)
        self._views_current = full

    def refresh_profile(self) -> None:
        """Recompute feeds, real-time flags and record-error factors after a state or flag change.

        Views of real-time nodes are copied only before a week starts (promising reads their
        records). A node that stops being real time gets its view copied now: changes happen
        between the hourly steps, so the copy is the view the last hour's
        publish would have left.
        """
        was = self.feeds.realtime.copy()
        central_live = self.w.central_state == LIVE
        realtime = self.feeds.set_profile(central_live, self.coexistence)
        leaving = np.flatnonzero(was & ~realtime)
        if len(leaving) and not self._views_current:
            w = self.w
            w.visible[leaving] = w.system[leaving]
            w.reserved_since_sync[leaving] = 0
        self.realtime_nodes = realtime
        posting = posts_harmonized(self.w.state, self.w.harmonized["inventory_events"],
                                   central_live)
        self.posting = posting
        self.w.record_error_factor[:] = record_error_factor(
            posting, self.p["harmonized_record_error_factor"])
        if self.on_profile is not None:
            self.on_profile(self.realtime_nodes)

    # --- cycle counts --------------------------------------------------------------------
    def cycle_count(self, hour: int) -> None:
        """Count today's slices of store-SKUs and DC-SKUs.

        Small store gaps are fixed, large ones raise ``inventory_mismatch`` exceptions; DC
        inventory control recounts and adjusts every gap it finds within the shift.
        """
        w = self.w
        day = hour // 24
        stores, skus = self._count_cells[day % self.count_period_days]
        keep = w.state[stores] != CUTOVER
        stores, skus = stores[keep], skus[keep]
        gap = w.system[stores, skus] - w.physical[stores, skus]
        big = np.abs(gap) > self.inv.mismatch_threshold_units
        small = ~big & (gap != 0)
        w.system[stores[small], skus[small]] = w.physical[stores[small], skus[small]]
        week = w.week_of(hour)
        self.rec.add("counted_cells", week, w.store_region[stores])
        self.rec.add("count_gaps", week, w.store_region[stores[gap != 0]])
        self._count_dcs(day, week)
        if big.any():
            stores, skus = stores[big], skus[big]
            ids = self.desk.raise_("inventory_mismatch", np.full(len(stores), float(hour)), stores)
            held = self._mismatch_cell
            self._mismatch_cell = grown(held, len(held), int(ids.max()) + 1, -1)
            self._mismatch_cell[ids] = stores * w.n_skus + skus

    def _count_dcs(self, day: int, week: int) -> None:
        w = self.w
        dcs, skus = self._dc_count_cells[day % self.dc_count_period_days]
        if not len(dcs):
            return
        nodes = w.n_stores + dcs
        wrong = w.system[nodes, skus] != w.physical[nodes, skus]
        w.system[nodes[wrong], skus[wrong]] = w.physical[nodes[wrong], skus[wrong]]
        central = w.n_regions
        self.rec.add("dc_counted_cells", week, central, float(len(dcs)))
        if wrong.any():
            self.rec.add("dc_count_gaps", week, central, float(wrong.sum()))

    def _mismatches_fixed(self, finishes: np.ndarray, exc_ids: np.ndarray) -> None:
        """A person recounted each cell and adjusted its record (until then it stays wrong).

        The desk's hourly batch; the order of the fixes does not matter (each sets its
        record to the shelf as it is now).
        """
        held = self._mismatch_cell
        ids = exc_ids[exc_ids < len(held)]
        cells = held[ids]
        held[ids] = -1
        cells = cells[cells >= 0]  # only mismatches raised by counts name a cell
        w = self.w
        w.system.reshape(-1)[cells] = w.physical.reshape(-1)[cells]

    def report(self) -> dict[str, float]:
        """Stock totals for the conservation check, and the store records at the end.

        ``record_error_share``: the share of store-SKU records that are wrong;
        ``record_phantom_share``: the share of those wrong records that are above the shelf
        (phantom stock), against hidden stock below it (NaN when none is wrong).
        """
        w = self.w
        gap = w.system[: w.n_stores].astype(np.int64) - w.physical[: w.n_stores]
        wrong = int(np.count_nonzero(gap))
        return {"start": self.start_units, "supplier_receipts": self.supplier_receipts,
                "in_transit": self.in_transit, "end": int(w.physical.sum()),
                "record_error_share": wrong / gap.size,
                "record_phantom_share": int(np.count_nonzero(gap > 0)) / wrong if wrong
                else float("nan")}
