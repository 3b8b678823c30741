"""A per-order reference model of the legacy operation: slow, small and obviously right.

Every store sale, every shrink loss and every online order is its own SimPy event (an order is
its own SimPy process, from promise to pick, through a manual reroute and back), so each
mechanism reads as the sentence of DESIGN §5.1/§5.2 it implements. It is the "per-order SimPy
model" of DESIGN §10: the yardstick the fast engine is timed against, and the model whose
statistics the fast engine must reproduce on small networks (``test_reference_model.py``,
next to this file; ``benchmarks/bench_replication.py`` imports it from here).

It reads the same network and parameters as the engine (:func:`sim.plan.build_plan`,
:func:`sim.model.world.build_world`) and implements, for the **legacy baseline** (no store
live, no area harmonized; waves and harmonization in the scenario are ignored):

* store walk-in demand in open hours, Poisson per store x SKU at the engine's rates
  (store volume / open hours per week x SKU weekly units x promotion lift x seasonality);
  demand beyond the physical stock is a lost sale;
* shrink (a Poisson stream at ``shrink_rate`` x the sales rate, on cells drawn like sales,
  physical stock only) and mis-scans (the till records another SKU of the store);
* order-up-to replenishment of stores against the *recorded* stock every
  ``store_review_hours`` (staggered weekdays), DCs rationing what they hold less open
  reservations, one delivery event per store shipment after the DC lead time; weekly
  supplier orders for DCs;
* legacy batch sync of the visible stock, per node, every ``inventory.legacy_sync_hours``
  (stores; their POS family's own cadence where
  ``inventory.legacy_sync_hours_by_pos_family`` names it) or
  ``inventory.integration_sync_hours`` (DCs, as in the engine), staggered by a random phase;
* feed outages: each node's point-to-point feed breaks as a Poisson process of
  ``inventory.legacy_failures_per_1000_hours`` per 1,000 hours while it is up; a break raises
  a ``sync_failure`` for IT (24x7) and the node publishes nothing until it is worked, then
  publishes at once;
* DC records: wrong at the start (``dc_initial_record_error_*``), supplier receipts booked
  with a wrong quantity (``dc_receiving_error_*``);
* cycle counts: each store-SKU on its own day every ``cycle_count_weeks``; small gaps are
  corrected, larger ones raise an ``inventory_mismatch`` that stays wrong until a person fixes
  it; each DC-SKU every ``dc_cycle_count_weeks``, every gap corrected;
* online orders (Poisson by hour: seasonality, promotions, evening peak) for ship, BOPIS and
  ship-from-store, each of a geometric number of lines (``order_lines_mean``) that share the
  customer and are promised, picked and rerouted one by one (the order counters count lines);
  promised from the visible stock less what was promised since the last snapshot, less the
  safety buffer, with the legacy channel rules (ship -> the region's DC;
  ship-from-store -> home store, then DC; BOPIS -> the chosen store); picks at the DC after
  ``dc_pick_hours``, at a store once it sees the order (order-status lag) in open hours;
* at pick the *physical* stock decides: a shortfall is an oversell, reveals the phantom stock
  (record := physical); a store's picker also misses a unit on the shelf with probability
  ``store_pick_error_prob`` (no record change, no oversell count); either failed pick
  becomes a manual ``manual_reroute`` (customer service, 24x7) or
  ``pickup_failure`` (store operations, store hours) exception; when it is worked, the order
  is rerouted by the legacy rules (not to the failed node) unless the customer's patience ran
  out; more than ``max_reroute_attempts`` failed picks cancel it.

Simplifications (documented, not hidden): no returns (so no restocks: compare with the engine
run with ``parameters.restock_share = 0``), no promotions setup, finance or rollout; the three
exception teams see only the exceptions raised here (the engine's teams also serve returns and
promotions work, so its manual reroutes wait longer), each team is a ``simpy.Resource`` whose
servers start work only on shift (non-preemptive). Feed outages start as a Poisson process in
continuous time; the engine draws one uniform per node and hour (the same rate to first
order: at most a few per 1,000 hours).

Times are continuous (hours); the engine works in hourly batches, so a pick due at 10.2 h
happens in the engine's hour 11 step, here at 10.2 h.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from bisect import bisect_right
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.model.inventory.rules import (
    busier_week,
    dc_store_demand,
    forward_cover,
    legacy_intervals,
    order_up_to,
    store_demand,
)
from sim.model.orders.baskets import MAX_LINES, mean_lines
from sim.model.promotions.calendar import promo_tables
from sim.model.world import HOURS_PER_WEEK, World, build_world
from sim.plan import build_plan
from sim.scenario import Scenario

SHIP, SFS, BOPIS = 0, 1, 2


def _events_scheduled(env: simpy.Environment) -> int:
    """Events the environment has scheduled so far (SimPy numbers them in ``_eid``)."""
    eid = getattr(env, "_eid", None)
    return next(eid) if eid is not None else -1


class _Uniforms:
    """Uniform(0, 1) draws handed out one at a time from blocks of a numpy Generator."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        def stream() -> Generator[float, None, None]:
            while True:
                yield from rng.random(block).tolist()

        self.next = functools.partial(next, stream())

    def __call__(self) -> float:
        return self.next()

    def exp(self, mean: float) -> float:
        """Exponential draw with the given mean."""
        return -math.log1p(-self.next()) * mean


@dataclass
class _Order:
    """One online order (its own SimPy process)."""

    sku: int
    region: int
    method: int
    store: int
    home: int
    patience: float
    lag: float
    placed: float
    tries: int = 0
    oversold: bool = False


class _Team:
    """An exception team: ``staff`` servers who start items only on shift."""

    def __init__(self, env: simpy.Environment, staff: int, shift: str, open_h: int,
                 close_h: int) -> None:
        self.staff = staff
        self.res = simpy.Resource(env, capacity=max(staff, 1))
        self.shift = shift
        self.open_h = open_h
        self.close_h = close_h

    def wait_for_shift(self, t: float) -> float:
        """Hours from ``t`` until the team is on shift (0 if it is)."""
        if self.shift == "24x7":
            return 0.0
        day = math.floor(t / 24.0) * 24.0
        for d in range(9):
            start = day + 24.0 * d
            if self.shift == "business_hours":
                if int(start // 24) % 7 >= 5:
                    continue
                lo, hi = start + 9.0, start + 17.0
            else:
                lo, hi = start + self.open_h, start + self.close_h
            if t < hi:
                return max(lo - t, 0.0)
        raise AssertionError("no shift within a week")  # pragma: no cover


class ReferenceModel:
    """One replication of the per-order reference model.

    Args:
        scenario: The scenario (its network, inventory settings, parameters and teams are
            used; waves and harmonization are ignored: every store stays legacy).
        seed: Seed of the model's numpy Generator.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        plan = build_plan(scenario)
        w: World = build_world(scenario, plan)
        self.w = w
        self.sc = scenario
        p = w.params
        self.p = p
        self.rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed),
                                                                              0x5EFE])))
        self.u = _Uniforms(self.rng)
        self.env = simpy.Environment()
        s, d, k = w.n_stores, w.n_dcs, w.n_skus
        self.S, self.D, self.K = s, d, k
        self.weeks = scenario.horizon_weeks
        self.lift = promo_tables(plan.network.promotions, plan.skus, self.weeks)[0]
        shape = (s + d, k)
        self.physical = np.zeros(shape, dtype=np.int64)
        self.system = np.zeros(shape, dtype=np.int64)
        self.visible = np.zeros(shape, dtype=np.int64)
        self.reserved = np.zeros(shape, dtype=np.int64)  # promised since the last snapshot
        self.open_res = np.zeros(shape, dtype=np.int64)  # promised, not yet picked
        self.on_order = np.zeros(shape, dtype=np.int64)
        self.last_sync = np.zeros(s + d)
        self.down = np.zeros(s + d, dtype=bool)  # feed broken, waiting for IT
        self.buffer = scenario.inventory.safety_buffer_units
        # --- per-week rate tables ------------------------------------------------------
        season = [float(w.seasonality[w.calendar_week(wk)]) for wk in range(self.weeks)]
        online_mult = [float(w.online_multiplier[w.calendar_week(wk)])
                       for wk in range(self.weeks)]
        weights = w.sku_weekly_units[None, :] * self.lift  # (weeks, skus)
        self.sku_cdf = [np.cumsum(weights[wk]).tolist() for wk in range(self.weeks)]
        sku_total = [c[-1] for c in self.sku_cdf]
        hours_open = np.maximum(w.close_hour - w.open_hour, 1) * 7.0
        self.store_hour_rate = (w.store_volume / hours_open).tolist()
        self.shrink_rate = p["shrink_rate"]
        # Sales and shrink of a store are one Poisson stream split by a coin.
        self.store_week_factor = [sku_total[wk] * season[wk] * (1.0 + self.shrink_rate)
                                  for wk in range(self.weeks)]
        share = p["ecommerce_share"]
        self.online_scale = share / (1.0 - share) * float(w.store_volume.sum())
        self.online_week_rate = [self.online_scale * sku_total[wk] * season[wk] * online_mult[wk]
                                 / HOURS_PER_WEEK for wk in range(self.weeks)]
        self._season, self._online_mult = season, online_mult
        # --- order geography -----------------------------------------------------------
        r = w.n_regions
        self.region_cdf = np.cumsum(np.bincount(w.store_region, w.store_volume,
                                                minlength=r)).tolist()
        self.bopis_pick = [self._store_choice(w.store_region == i, w.bopis) for i in range(r)]
        self.sfs_pick = [self._store_choice(w.store_region == i, w.sfs) for i in range(r)]
        self.region_dc = [0] * r
        for di, regs in enumerate(w.dc_regions):
            for i in regs:
                self.region_dc[i] = s + di
        self.open_h = w.open_hour.tolist()
        self.close_h = w.close_hour.tolist()
        # --- teams (only the two that serve this model's exceptions) --------------------
        open_med = int(np.median(w.open_hour)) if s else 9
        close_med = int(np.median(w.close_hour)) if s else 21
        self.teams = {}
        for name in ("store_ops", "customer_service", "it_hypercare"):
            team = getattr(scenario.teams, name)
            staff = team.staff_for(s, getattr(plan, "volume_share", 1.0))
            self.teams[name] = _Team(self.env, staff, team.shift, open_med, close_med)
        # --- counters ------------------------------------------------------------------
        self.c: dict[str, float] = dict.fromkeys(
            ("store_sales_units", "lost_sales_units", "shrink_units", "misscans",
             "ecommerce_orders", "customer_orders", "promised_orders", "oversell_orders",
             "fallout_orders", "reroute_orders", "online_picked", "bopis_orders",
             "bopis_ready_orders",
             "sync_latency_sum", "sync_batches", "sync_failures", "sync_outage_hours",
             "counted_cells", "count_gaps", "dc_counted_cells", "dc_count_gaps",
             "inventory_mismatch", "manual_reroute", "pickup_failure", "supplier_receipts",
             "in_transit"), 0.0)
        self.waiting: dict[int, float] = {}  # orders waiting on a person: id -> deadline
        self.start_units = 0

    # --- set-up ----------------------------------------------------------------------
    def _store_choice(self, in_region: np.ndarray, flag: np.ndarray
                      ) -> tuple[list[int], list[float]]:
        idx = np.flatnonzero(in_region & flag)
        if not len(idx):
            idx = np.flatnonzero(in_region)
        return idx.tolist(), np.cumsum(self.w.store_volume[idx]).tolist()

    def _expected_store_week(self, week: int) -> np.ndarray:
        w = self.w
        sku = w.sku_weekly_units * self.lift[min(week, self.weeks - 1)]
        return np.outer(w.store_volume, sku) * w.seasonality[w.calendar_week(week)]

    def _online_week(self, week: int) -> np.ndarray:
        w = self.w
        cal = w.calendar_week(week)
        sku = w.sku_weekly_units * self.lift[min(week, self.weeks - 1)]
        return self.online_scale * sku * w.seasonality[cal] * w.online_multiplier[cal]

    def _store_target(self, week: int) -> np.ndarray:
        """Order-up-to level per store-SKU: cover of the busier of this and next week."""
        w, p = self.w, self.p
        share = w.store_volume / w.store_volume.sum()
        on_stores = p["bopis_share"] + p["ship_from_store_share"]
        demand = busier_week(lambda k: store_demand(self._expected_store_week(k),
                                                    self._online_week(k), share, on_stores),
                             week, self.weeks - 1)
        return order_up_to(demand, p["store_order_up_to_weeks"], p["store_safety_z"])

    def _dc_target(self, week: int) -> np.ndarray:
        """Forward cover: the demand of the next ``dc_order_up_to_weeks`` weeks."""
        return forward_cover(lambda k: dc_store_demand(self._expected_store_week(k),
                                                       self.w.store_dc, self.D),
                             self._online_week, week,
                             self.weeks - 1, self.p["dc_order_up_to_weeks"], self.w.store_dc,
                             self.D, self.K)

    def _stock_initial(self) -> None:
        p, s = self.p, self.S
        rng = self.rng
        target = self._store_target(0)
        self.physical[:s] = rng.poisson(target * 0.8)
        self.physical[s:] = self._dc_target(0)
        for rows, prob, mean in ((slice(None, s), p["initial_record_error_prob"],
                                  p["initial_record_error_mean_units"]),
                                 (slice(s, None), p["dc_initial_record_error_prob"],
                                  p["dc_initial_record_error_mean_units"])):
            shape = self.physical[rows].shape
            err = rng.random(shape) < prob
            size = rng.geometric(1.0 / max(mean, 1.0), shape)
            sign = np.where(rng.random(shape) < 0.5, -1, 1)
            self.system[rows] = np.maximum(self.physical[rows] + err * sign * size, 0)
        self.visible[:] = self.system
        self.start_units = int(self.physical.sum())

    # --- helpers ---------------------------------------------------------------------
    def _week(self, t: float) -> int:
        return min(int(t // HOURS_PER_WEEK), self.weeks - 1)

    def _next_open(self, t: float, store: int) -> float:
        day = math.floor(t / 24.0) * 24.0
        hod = t - day
        o, c = self.open_h[store], self.close_h[store]
        if hod < o:
            return day + o
        if hod >= c:
            return day + 24.0 + o
        return t

    def _draw_sku(self, week: int) -> int:
        cdf = self.sku_cdf[week]
        return min(bisect_right(cdf, self.u.next() * cdf[-1]), self.K - 1)

    # --- store walk-in demand and shrink -----------------------------------------------
    def _store_demand(self, s: int) -> Generator[simpy.Event, None, None]:
        """Customers of one store: a Poisson stream in open hours (rate fixed within a day)."""
        env, timeout, u = self.env, self.env.timeout, self.u.next
        o, c = float(self.open_h[s]), float(self.close_h[s])
        rates = [self.store_hour_rate[s] * f for f in self.store_week_factor]
        last_week = self.weeks - 1
        p_shrink = self.shrink_rate / (1.0 + self.shrink_rate)
        sale, shrink = self._sale, self._shrink
        while True:
            now = env.now
            day = (now // 24.0) * 24.0
            hod = now - day
            if hod < o:
                yield timeout(day + o - now)
                continue
            if hod >= c:
                yield timeout(day + 24.0 + o - now)
                continue
            wk = min(int(now // HOURS_PER_WEEK), last_week)
            end = min(day + c, (wk + 1) * HOURS_PER_WEEK)
            rate = rates[wk]
            dt = -math.log1p(-u()) / rate if rate > 0 else math.inf
            if now + dt >= end:  # memoryless: restart at the closing time or the new week
                yield timeout(end - now)
                continue
            yield timeout(dt)
            if u() < p_shrink:
                shrink(s, wk)
            else:
                sale(s, wk)

    def _sale(self, s: int, wk: int) -> None:
        k = self._draw_sku(wk)
        phys = self.physical
        if phys[s, k] <= 0:  # legacy stores hold nothing back for online pickers
            self.c["lost_sales_units"] += 1
            return
        phys[s, k] -= 1
        scanned = k
        if self.K > 1:
            rate = self.p["misscan_rate"]
            v = self.u.next()
            if v < rate:
                scanned = (k + 1 + int(v / rate * (self.K - 1))) % self.K
                self.c["misscans"] += 1
        self.system[s, scanned] -= 1
        self.c["store_sales_units"] += 1

    def _shrink(self, s: int, wk: int) -> None:
        k = self._draw_sku(wk)
        if self.physical[s, k] > 0:
            self.physical[s, k] -= 1
            self.c["shrink_units"] += 1

    # --- replenishment and counts ------------------------------------------------------
    def _daily(self) -> Generator[simpy.Event, None, None]:
        """Each midnight: weekly supplier orders (Mondays), store reviews; 06:00 counts."""
        env = self.env
        every = max(1, int(round(self.p["store_review_hours"] / 24.0)))
        inv = self.sc.inventory
        period, cells_of_slot = self._count_slots(inv.cycle_count_weeks, self.S)
        dc_period, dc_cells_of_slot = self._count_slots(inv.dc_cycle_count_weeks, self.D)
        day = 0
        while True:
            hour = day * 24
            if hour % HOURS_PER_WEEK == 0:
                self._order_dcs(hour)
            self._review_stores(hour, day, every)
            yield env.timeout(6)
            self._cycle_count(cells_of_slot[day % period])
            self._count_dcs(dc_cells_of_slot[day % dc_period])
            yield env.timeout(18)
            day += 1

    def _count_slots(self, weeks: float, rows: int) -> tuple[int, list[np.ndarray]]:
        """Each of ``rows`` x SKUs cells on its own day of a ``weeks`` count cycle."""
        period = max(1, int(round(weeks * 7)))
        slot = self.rng.integers(0, period, size=(rows, self.K)).ravel()
        order = np.argsort(slot, kind="stable")
        bounds = np.searchsorted(slot[order], np.arange(period + 1))
        return period, [order[bounds[i]:bounds[i + 1]] for i in range(period)]

    def _order_dcs(self, hour: int) -> None:
        s = self.S
        want = np.maximum(self._dc_target(self._week(hour)) - self.system[s:]
                          - self.on_order[s:], 0)
        self.on_order[s:] += want
        lead = float(self.p["dc_supplier_lead_hours"])
        p = self.p
        for d in range(self.D):
            # A receipt line is booked with a wrong quantity now and then (about a case).
            err = self.rng.random(self.K) < p["dc_receiving_error_prob"]
            size = self.rng.geometric(1.0 / max(p["dc_receiving_error_mean_units"], 1.0), self.K)
            sign = np.where(self.rng.random(self.K) < 0.5, -1, 1)
            booked = np.maximum(want[d] + (err & (want[d] > 0)) * sign * size, 0)
            self._deliver(lead, np.full(self.K, s + d), np.arange(self.K), want[d], True,
                          booked)

    def _review_stores(self, hour: int, day: int, every: int) -> None:
        """Order-up-to against the recorded stock; a short DC rations what it holds."""
        w, s = self.w, self.S
        reviewed = np.arange(s) % every == day % every
        target = self._store_target(self._week(hour))
        for d in range(self.D):
            mine = np.flatnonzero((w.store_dc == d) & reviewed)
            if not len(mine):
                continue
            need = np.maximum(target[mine] - self.system[mine] - self.on_order[mine], 0)
            total = need.sum(axis=0)
            have = np.maximum(self.physical[s + d] - self.open_res[s + d], 0)
            ratio = np.where(total > have, have / np.maximum(total, 1), 1.0)
            qty = np.floor(need * ratio).astype(np.int64)
            sent = qty.sum(axis=0)
            self.physical[s + d] -= sent
            self.system[s + d] -= sent
            self.on_order[mine] += qty
            self.c["in_transit"] += int(sent.sum())
            lead = float(int(w.dc_lead_hours[d]))
            for j, store in enumerate(mine.tolist()):
                ks = np.flatnonzero(qty[j])
                if len(ks):
                    self._deliver(lead, np.full(len(ks), store), ks, qty[j, ks], False)

    def _deliver(self, lead: float, nodes: np.ndarray, skus: np.ndarray, qty: np.ndarray,
                 supplier: bool, booked: np.ndarray | None = None) -> None:
        """One shipment: ``qty`` arrives ``lead`` hours from now, ``booked`` (or ``qty``) is
        recorded."""
        rec = qty if booked is None else booked

        def arrive(_: simpy.Event) -> None:
            self.physical[nodes, skus] += qty
            self.system[nodes, skus] += rec
            self.on_order[nodes, skus] -= qty
            key = "supplier_receipts" if supplier else "in_transit"
            self.c[key] += int(qty.sum()) * (1 if supplier else -1)

        self.env.timeout(lead).callbacks.append(arrive)

    def _cycle_count(self, cells: np.ndarray) -> None:
        sys_f, phys_f = self.system.reshape(-1), self.physical.reshape(-1)
        gap = sys_f[cells] - phys_f[cells]
        big = np.abs(gap) > self.sc.inventory.mismatch_threshold_units
        small = ~big & (gap != 0)
        sys_f[cells[small]] = phys_f[cells[small]]
        self.c["counted_cells"] += len(cells)
        self.c["count_gaps"] += int(np.count_nonzero(gap))
        for cell in cells[big].tolist():
            self.env.process(self._mismatch(cell))

    def _count_dcs(self, cells: np.ndarray) -> None:
        """DC inventory control recounts and adjusts every gap it finds."""
        off = self.S * self.K
        sys_f, phys_f = self.system.reshape(-1)[off:], self.physical.reshape(-1)[off:]
        wrong = cells[sys_f[cells] != phys_f[cells]]
        sys_f[wrong] = phys_f[wrong]
        self.c["dc_counted_cells"] += len(cells)
        self.c["dc_count_gaps"] += len(wrong)

    def _mismatch(self, cell: int) -> Generator[simpy.Event, None, None]:
        """A large count gap: the record stays wrong until a person recounts it."""
        self.c["inventory_mismatch"] += 1
        yield from self._work("inventory_mismatch", "store_ops")
        self.system.reshape(-1)[cell] = self.physical.reshape(-1)[cell]

    def _work(self, kind: str, team_name: str) -> Generator[simpy.Event, None, None]:
        """An exception: noticed after a detection delay, then served FCFS by its team."""
        env, p = self.env, self.p
        yield env.timeout(self.u.exp(p["detection_hours"]))
        team = self.teams[team_name]
        if team.staff <= 0:
            yield env.event()  # nobody to work it: it never finishes
        with team.res.request() as req:
            yield req
            wait = team.wait_for_shift(env.now)
            if wait > 0:
                yield env.timeout(wait)
            mean, cv = p[f"handling_hours_{kind}"], p["handling_cv"]
            sigma2 = math.log1p(cv * cv)
            yield env.timeout(float(self.rng.lognormal(math.log(mean) - sigma2 / 2,
                                                       math.sqrt(sigma2))))

    # --- sync of the visible stock ------------------------------------------------------
    def _sync(self, node: int, interval: float, phase: float
              ) -> Generator[simpy.Event, None, None]:
        """A node's batch feed: snapshot the record every ``interval`` hours (staggered)."""
        env = self.env
        yield env.timeout(phase * interval)
        while True:
            self.c["sync_batches"] += 1
            if not self.down[node]:
                self._publish(node)
            yield env.timeout(interval)

    def _publish(self, node: int) -> None:
        self.visible[node] = self.system[node]
        self.reserved[node] = 0
        self.last_sync[node] = self.env.now

    def _outages(self, node: int, per_hour: float) -> Generator[simpy.Event, None, None]:
        """A node's feed breaks (Poisson, while up); IT's work restores it and publishes."""
        env = self.env
        if per_hour <= 0:
            return
        while True:
            yield env.timeout(self.u.exp(1.0 / per_hour))
            self.down[node] = True
            self.c["sync_failures"] += 1
            start = env.now
            yield from self._work("sync_failure", "it_hypercare")
            self.c["sync_outage_hours"] += env.now - start
            self.down[node] = False
            self._publish(node)

    # --- online orders ------------------------------------------------------------------
    def _online_arrivals(self) -> Generator[simpy.Event, None, None]:
        """Online customers: a Poisson stream whose rate changes every hour.

        Each customer's order has a geometric number of lines (mean ``order_lines_mean``, at
        most ``MAX_LINES``), so orders arrive at the unit rate over the lines per order; each
        line is its own process, sharing its order's customer.
        """
        env, u, p = self.env, self.u, self.p
        peak = p["online_evening_peak"]
        profile = [1.0 + peak * math.cos(2 * math.pi * (h - 20) / 24.0) for h in range(24)]
        mean = p["order_lines_mean"]
        per_order = mean_lines(mean)
        n = 0
        while True:
            now = env.now
            h = math.floor(now)
            rate = self.online_week_rate[self._week(now)] * profile[h % 24] / per_order
            dt = -math.log1p(-u()) / rate if rate > 0 else math.inf
            if now + dt >= h + 1:
                yield env.timeout(h + 1 - now)
                continue
            yield env.timeout(dt)
            lines = 1
            if mean > 1.0:  # geometric by inversion: P(lines > k) = q^k
                lines = min(1 + int(math.log1p(-u()) / math.log(1.0 - 1.0 / mean)), MAX_LINES)
            customer = self._new_order()
            self.c["customer_orders"] += 1
            for k in range(lines):
                sku = customer.sku if k == 0 else self._draw_sku(self._week(env.now))
                env.process(self._order(dataclasses.replace(customer, sku=sku), n))
                n += 1

    def _new_order(self) -> _Order:
        """A customer's first line; the order's other lines share all but the SKU."""
        u, p, env = self.u, self.p, self.env
        wk = self._week(env.now)
        sku = self._draw_sku(wk)
        rc = self.region_cdf
        region = min(bisect_right(rc, u() * rc[-1]), len(rc) - 1)
        v = u()
        method = (BOPIS if v < p["bopis_share"] else
                  SFS if v < p["bopis_share"] + p["ship_from_store_share"] else SHIP)
        idx, c = self.bopis_pick[region]
        store = idx[min(bisect_right(c, u() * c[-1]), len(idx) - 1)]
        idx, c = self.sfs_pick[region]
        home = idx[min(bisect_right(c, u() * c[-1]), len(idx) - 1)]
        return _Order(sku=sku, region=region, method=method, store=store, home=home,
                      patience=u.exp(p["customer_patience_hours"]),
                      lag=u.exp(p["order_status_lag_hours"]), placed=env.now)

    def _atp(self, node: int, sku: int) -> int:
        """Legacy view: last snapshot less what was promised since it."""
        return int(self.visible[node, sku] - self.reserved[node, sku])

    def _route(self, o: _Order, exclude: int = -1) -> int:
        """Legacy channel rules; reserve the unit at the node chosen (-1: none can promise)."""
        dc = self.region_dc[o.region]
        if o.method == SHIP:
            cands = (dc,)
        elif o.method == SFS:
            cands = (o.home, dc)
        else:
            cands = (o.store,)
        for node in cands:
            if node != exclude and self._atp(node, o.sku) - self.buffer > 0:
                self.open_res[node, o.sku] += 1
                self.reserved[node, o.sku] += 1
                return node
        return -1

    def _pick_time(self, o: _Order, node: int, t: float) -> float:
        p = self.p
        if node >= self.S:
            return t + p["dc_pick_hours"]
        start = self._next_open(t + o.lag, node)  # a legacy store sees the order after a poll
        done = start + p["store_pick_hours"]
        if done - math.floor(start / 24.0) * 24.0 > self.close_h[node]:
            done = self._next_open(done, node) + p["store_pick_hours"]
        return done

    def _ready_by(self, o: _Order) -> float:
        hours = self.p["bopis_promised_ready_hours"]
        start = self._next_open(o.placed, o.store)
        ready = start + hours
        closes = math.floor(start / 24.0) * 24.0 + self.close_h[o.store]
        return ready if ready <= closes else self._next_open(closes, o.store) + hours

    def _order(self, o: _Order, oid: int) -> Generator[simpy.Event, None, None]:
        """One order from promise to pick (or cancellation)."""
        env, c = self.env, self.c
        c["ecommerce_orders"] += 1
        node = self._route(o)
        if node < 0:
            c["fallout_orders"] += 1
            return
        c["promised_orders"] += 1
        c["sync_latency_sum"] += env.now - self.last_sync[node]
        ready_by = math.inf
        if o.method == BOPIS:
            c["bopis_orders"] += 1
            ready_by = self._ready_by(o)
        while True:
            yield env.timeout(self._pick_time(o, node, env.now) - env.now)
            self.open_res[node, o.sku] -= 1
            # A store's picker misses a unit on the shelf now and then (legacy: settled rate).
            missed = node < self.S and self.u() < self.p["store_pick_error_prob"]
            if self.physical[node, o.sku] > 0 and not missed:
                self.physical[node, o.sku] -= 1
                self.system[node, o.sku] -= 1
                c["online_picked"] += 1
                if o.method == BOPIS and env.now <= ready_by:
                    c["bopis_ready_orders"] += 1
                return
            if self.physical[node, o.sku] <= 0:  # oversell: the short pick reveals phantom stock
                self.system[node, o.sku] = self.physical[node, o.sku]
                if not o.oversold:
                    o.oversold = True
                    c["oversell_orders"] += 1
            o.tries += 1
            if o.tries > self.p["max_reroute_attempts"]:
                c["fallout_orders"] += 1
                return
            failed_at = env.now
            kind = "pickup_failure" if o.method == BOPIS else "manual_reroute"
            c[kind] += 1
            self.waiting[oid] = failed_at + o.patience
            yield from self._work(kind, "store_ops" if o.method == BOPIS else "customer_service")
            del self.waiting[oid]
            if env.now > failed_at + o.patience:  # the customer gave up
                c["fallout_orders"] += 1
                return
            new = self._route(o, exclude=node)
            if new < 0:
                c["fallout_orders"] += 1
                return
            c["reroute_orders"] += 1
            node = new

    # --- run --------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        """Simulate the horizon and return the counters and headline metrics."""
        t0 = time.perf_counter()
        env, inv, s = self.env, self.sc.inventory, self.S
        self._stock_initial()
        for st in range(s):
            env.process(self._store_demand(st))
        phase = self.rng.random(s + self.D)
        store_hours = legacy_intervals(self.w.pos_family, inv.legacy_sync_hours,
                                       inv.legacy_sync_hours_by_pos_family)
        for node in range(s + self.D):
            interval = store_hours[node] if node < s else inv.integration_sync_hours
            env.process(self._sync(node, float(interval), phase[node]))
            env.process(self._outages(node, inv.legacy_failures_per_1000_hours / 1000.0))
        env.process(self._daily())
        env.process(self._online_arrivals())
        end = float(self.weeks * HOURS_PER_WEEK)
        env.run(until=end)
        c = self.c
        c["fallout_orders"] += sum(1 for dl in self.waiting.values() if dl <= end)
        out = dict(c)
        demanded = c["store_sales_units"] + c["lost_sales_units"]
        out.update({
            "oversell_rate": c["oversell_orders"] / max(c["ecommerce_orders"], 1),
            "order_fallout_rate": c["fallout_orders"] / max(c["ecommerce_orders"], 1),
            "fill_rate": c["store_sales_units"] / demanded if demanded else float("nan"),
            "pickup_ready_rate": c["bopis_ready_orders"] / max(c["bopis_orders"], 1),
            "inventory_sync_latency_hours": c["sync_latency_sum"] / max(c["promised_orders"], 1),
            "dc_count_gap_rate": c["dc_count_gaps"] / max(c["dc_counted_cells"], 1),
            "start_units": float(self.start_units),
            "end_units": float(self.physical.sum()),
            "events": float(_events_scheduled(env)),
            "seconds": time.perf_counter() - t0,
            "weeks": float(self.weeks),
            "stores": float(s),
        })
        return out


def run_reference(scenario: Scenario, seed: int) -> dict[str, float]:
    """Run the per-order reference model for one scenario and seed.

    Args:
        scenario: A validated scenario (network, horizon, inventory, parameters, teams).
        seed: Seed of the replication's random numbers.

    Returns:
        Counters and metrics: ``ecommerce_orders``, ``oversell_orders``, ``oversell_rate``,
        ``store_sales_units``, ``lost_sales_units``, ``fill_rate`` (store units sold /
        demanded), ``order_fallout_rate``, ``reroute_orders``, ``pickup_ready_rate``,
        ``inventory_sync_latency_hours``, ``sync_failures`` (feed outages),
        ``sync_outage_hours``, ``dc_count_gap_rate``, stock totals (``start_units``, ``end_units``,
        ``supplier_receipts``, ``in_transit``, ``shrink_units``, ``online_picked``),
        ``events`` (SimPy events scheduled) and ``seconds`` (wall time of the run).
    """
    return ReferenceModel(scenario, seed).run()


def fast_fill_rate(metrics: dict[str, float], extras: dict[str, Any]) -> float:
    """Store fill rate of a fast-engine replication (units sold / units demanded)."""
    sold = float(extras["store_sales_units"])
    return sold / (sold + float(metrics["lost_sales_units"]))


__all__ = ["ReferenceModel", "fast_fill_rate", "run_reference"]
