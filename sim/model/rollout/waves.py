"""The rollout plan: harmonization, waves, the central cutover, gates, hypercare, fallback.

DESIGN §5.7. One SimPy process per wave waits for its go-live week (moved out of freeze
windows under the ``defer`` policy), checks the stage gates, a day at a time while they fail,
then cuts its stores over; one more process cuts the central systems (DCs, ecommerce) over at
the plan's ``central.go_live_week``. The pure decisions (freeze, gates, learning curves, defect
rates) live in :mod:`sim.model.rollout.rules`, the go-live dip in :mod:`sim.model.rollout.dip`,
the observations gates and fallback judge in :mod:`sim.model.rollout.monitor`.

Modelling choices (each an assumption, documented here once):

- **Adoption is per node.** A store adopts its ``at_go_live`` areas when it goes live; the DCs
  and the ecommerce platform adopt theirs at the central cutover; an ``enterprise`` area
  reaches every node at its ``from_week``. Nothing central changes when a store goes live.
- **Cutover timing.** A wave's stores are shuffled and dealt over ``cutover_stagger_days``
  nights from its go-live day; a store's cutover starts at midnight and its POS is down for
  the wave's ``cutover_downtime_hours``, so the default 12 h overnight cutover runs into
  opening hours.
- **Migration errors** are applied to the stock records when the cutover starts; **cutover
  defects** surface over the first days of trading (mean ``cutover_defect_mean_days``), more
  at busier stores and where more process areas change; while open they deepen the store's
  dip (:class:`~sim.model.rollout.dip.GoLiveDip`).
- **Hypercare** staff join from the wave's go-live day for ``hypercare_weeks`` weeks: IT fixes
  defects sooner, floor walkers work the stores' exceptions and coach their staff faster.
- **Coexistence** stays on from the first go-live (a store or the central systems): any store
  still (or again) on legacy is bridged through the integration layer.
- **Gates** judge only what the stores already live show (nothing live: the gate passes).
  Backlog is the whole desk's (teams are shared; on a slice, stand-ins included), fallout is
  over the regions with a live store, SLA over the live stores' exceptions, both over the last
  ``gate_lookback_weeks`` (rolling, checked daily). After ``max_deferral_weeks`` of deferral
  the wave proceeds anyway (the cap is a programme deadline).
- **Fallback** (checked daily) reverts a store to legacy (its ``at_go_live`` areas revert too)
  and retries its cutover ``fallback_retry_weeks`` weeks later, without gates or extra
  hypercare; the rollout is complete only when every planned store is live at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from sim.model.component import Component
from sim.model.desk.desk import ExceptionDesk
from sim.model.desk.stand_ins import network_stores
from sim.model.inventory.stock import Inventory
from sim.model.orders.channel import Orders
from sim.model.recorder import Recorder
from sim.model.rollout import rules as g
from sim.model.rollout.command_center import staff_command_center
from sim.model.rollout.cutover import migrate
from sim.model.rollout.dip import GoLiveDip
from sim.model.rollout.monitor import LiveMonitor
from sim.model.rollout.timeline import timeline
from sim.model.world import CUTOVER, HOURS_PER_WEEK, LEGACY, LIVE, World
from sim.scenario import AREAS

#: Per-store counters the timeline totals per wave and week (the dip of a wave's stores).
BY_STORE = ("store_exceptions", "store_picks", "store_pick_failures", "store_pick_misses")


class Rollout(Component):
    """Moves stores and the central systems from legacy to the ERP according to the plan.

    Args:
        env: The SimPy environment.
        world: Replication state (store states, harmonization, error multipliers).
        inventory: Stock records and sync (``coexistence``, ``refresh_profile``).
        orders: Online orders (``orchestrated``).
        desk: The exception desk (defects, hypercare staff, backlog).
        rng: The ``rollout`` stream.
        rec: The recorder.
        ticket_rng: The ``learning`` stream (staff incidents of the learning curve: their own
            stream, so how many a plan raises shifts no other draw).

    Attributes:
        waves: Per wave: planned week, actual go-live week, deferrals, learning multiplier.
        dip: Each store's learning curve and open defects.
    """

    name = "rollout"

    def __init__(self, env: simpy.Environment, world: World, inventory: Inventory,
                 orders: Orders, desk: ExceptionDesk, rng: np.random.Generator,
                 rec: Recorder, ticket_rng: np.random.Generator) -> None:
        self.env, self.w, self.inv, self.orders, self.desk = env, world, inventory, orders, desk
        self.rng, self.rec, self.ticket_rng = rng, rec, ticket_rng
        self.sc = sc = world.scenario
        self.p = p = world.params
        self.n_weeks = sc.horizon_weeks
        self.windows = [(f.start_week, f.end_week) for f in sc.peak.freeze_windows]
        modes = {a: getattr(sc.harmonization, a) for a in AREAS}
        self.at_go_live = [a for a, m in modes.items() if m.mode == "at_go_live"]
        self.enterprise = {a: int(m.from_week) for a, m in modes.items()
                           if m.mode == "enterprise"}
        self._enterprise_done: set[str] = set()
        tr = sc.training
        self.reduction = p["training_dip_reduction"]
        self.lookback = int(p["gate_lookback_weeks"])
        self.train_factor = g.training_factor(tr.completion, tr.dip_multiplier, self.reduction)
        self.first_live_hour = np.full(world.n_stores, np.nan)
        self.last_live_hour = np.full(world.n_stores, np.nan)
        self.central_go_live_hour = math.nan
        self.waves: list[dict[str, Any]] = [
            {"wave": i, "name": wv.name or f"wave {i + 1}", "planned_week": wv.go_live_week,
             "go_live_week": math.nan, "freeze_deferral_weeks": 0, "gate_deferrals": 0,
             "learning_multiplier": math.nan}
            for i, wv in enumerate(sc.waves)]
        self._log: list[tuple[float, np.ndarray, int]] = []
        self._defect_ids: list[np.ndarray] = []
        self.monitor = LiveMonitor(world, desk, rec, sc.gates, self.lookback)
        self.dip = GoLiveDip(world, desk, tr.settle_weeks, p["hypercare_coaching"],
                             p["defect_impact"], p["dip_handling_elasticity"])

    # --- engine interface ----------------------------------------------------------------
    def start(self) -> None:
        """Harmonization in force at hour 0, command center, the wave and central processes."""
        self._enterprise(1, dip=False)  # in place before the run: its dip is history
        staff_command_center(self.w, self.desk, self.n_weeks)
        for i in range(len(self.sc.waves)):
            self.env.process(self._wave(i))
        if self.sc.central.go_live_week is not None:
            week = g.freeze_adjust(self.sc.central.go_live_week, self.windows,
                                   self.sc.peak.freeze_policy)
            if week <= self.n_weeks:
                self.env.process(self._central(self._hour(week)))
        self._sync_flags()

    def start_week(self, hour: int) -> None:
        """Week start: enterprise harmonization, and the proficiency of live stores.

        Proficiency is recorded for the stores live at the week's start (a store going live
        during the week counts from the next week).
        """
        w = self.w
        week = int(hour // HOURS_PER_WEEK)
        if self._enterprise(week + 1, dip=True):
            self._sync_flags()
        self.dip.advance(float(hour))
        live = w.state == LIVE
        regions = w.store_region[live]
        self.rec.add("proficiency_sum", week, regions, g.proficiency(self.dip.learning[live]))
        self.rec.add("live_store_weeks", week, regions)

    def start_day(self, hour: int) -> None:
        """Day start: learning clocks, open defects, the day's staff incidents, fallback, gates."""
        self.dip.advance(float(hour))
        self.dip.raise_tickets(float(hour), 24.0, self.p["learning_tickets_per_store_week"],
                               self.ticket_rng)
        self.monitor.snapshot(float(hour))
        if self.sc.fallback.enabled and self._fallback(hour):
            self._sync_flags()

    @property
    def completion_week(self) -> float:
        """1-based week the last planned store went live; nan if any is not live, or no waves."""
        planned = self.w.plan.wave_of_store >= 0
        if not planned.any() or (self.w.state[planned] != LIVE).any():
            return math.nan
        return float(np.nanmax(self.last_live_hour[planned]) // HOURS_PER_WEEK + 1)

    # --- waves ---------------------------------------------------------------------------
    def _hour(self, week: int) -> float:
        """First hour of a 1-based week."""
        return float((week - 1) * HOURS_PER_WEEK)

    def _freeze(self, week: int, info: dict[str, Any]) -> int:
        adjusted = g.freeze_adjust(week, self.windows, self.sc.peak.freeze_policy)
        info["freeze_deferral_weeks"] += adjusted - week
        return adjusted

    def _wave(self, i: int):
        """Run one wave: wait for its week, pass the gates (re-checked daily), cut over."""
        info = self.waves[i]
        gates = self.sc.gates
        week = self._freeze(self.sc.waves[i].go_live_week, info)
        if week > self.n_weeks:
            return
        yield self.env.timeout(self._hour(week) - self.env.now)
        cap = gates.max_deferral_weeks * 7
        while gates.enabled and info["gate_deferrals"] < cap and g.gate_failures(
                gates, self.observe()):
            info["gate_deferrals"] += 1  # days
            self.rec.add("gate_deferrals", self.w.week_of(self.env.now), self.w.n_regions)
            nxt = self.env.now + 24.0
            day_week = int(nxt // HOURS_PER_WEEK) + 1
            moved = self._freeze(day_week, info)
            if moved != day_week:
                nxt = self._hour(moved)
            if nxt >= self.w.horizon_hours:
                return  # deferred beyond the horizon
            yield self.env.timeout(nxt - self.env.now)
        info["go_live_week"] = int(self.env.now // HOURS_PER_WEEK) + 1
        self._start_wave(i, float(self.env.now))

    def _start_wave(self, i: int, start: float) -> None:
        """Staff hypercare and schedule the cutover of the wave's stores over the first nights."""
        wave = self.sc.waves[i]
        stores = np.flatnonzero(self.w.plan.wave_of_store == i)
        mult = self._learning()
        self.waves[i]["learning_multiplier"] = mult
        end = start + wave.hypercare_weeks * HOURS_PER_WEEK
        n = len(stores)
        # Whole people (>= 1) join the whole network's teams (a slice's wave stands for
        # 1 / store_share as many stores); the plan pays its ratio for its own stores.
        whole = network_stores(n, self.w.plan.store_share)
        floor = wave.staff_for(wave.hypercare_staff_per_100_stores, whole)
        share = n / 100 * self.w.plan.volume_share
        self.desk.add_staff("store_ops", int(start), int(end), floor, purpose="hypercare",
                            paid=wave.hypercare_staff_per_100_stores * share)
        self.desk.add_staff("it_hypercare", int(start), int(end),
                            wave.staff_for(wave.hypercare_it_staff_per_100_stores, whole),
                            pattern="24x7", purpose="hypercare",
                            paid=wave.hypercare_it_staff_per_100_stores * share)
        # Coaching per store follows the wave's staffing ratio, not the desk's whole people.
        self.dip.coach(stores, wave.hypercare_staff_per_100_stores / 100, end)
        if self.sc.central.with_wave == i:
            self.env.process(self._central(start))
        night = g.stagger_days(len(stores), int(self.p["cutover_stagger_days"]), self.rng)
        for d in np.unique(night):
            self.env.process(self._cutover(stores[night == d], start + 24.0 * d, mult,
                                           wave.cutover_downtime_hours))

    def _cutover(self, stores: np.ndarray, at: float, mult: float, downtime: float):
        """Cut a group of stores over at hour ``at``: records migrated, POS down, then live."""
        if at >= self.w.horizon_hours:
            return
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        self.w.state[stores] = CUTOVER
        self._log.append((self.env.now, stores, CUTOVER))
        migrate(self.w, stores, self.sc.master_data.cleansing, self.rng, self.rec,
                float(self.env.now))
        self.inv.refresh_profile()
        yield self.env.timeout(downtime)
        self._go_live(stores, mult)

    def _go_live(self, stores: np.ndarray, mult: float) -> None:
        w, now, p, tr = self.w, float(self.env.now), self.p, self.sc.training
        if now >= w.horizon_hours:
            return
        w.state[stores] = LIVE
        w.live_since[stores] = now
        self.last_live_hour[stores] = now
        first = np.isnan(self.first_live_hour[stores])
        self.first_live_hour[stores[first]] = now
        changing = [a for a in self.at_go_live if not w.harmonized[a][stores].all()]
        for area in self.at_go_live:
            w.harmonized[area][stores] = True
        self.inv.coexistence = True
        share = g.change_share(len(changing), len(AREAS), p["golive_system_share"], True)
        self.dip.change(stores, g.dip_amplitude(tr.completion, tr.dip_multiplier,
                                                self.reduction, share), now)
        self._sync_flags()
        week = w.week_of(now)
        regions = w.store_region[stores]
        self.rec.add("go_lives", week, regions)
        self._add_live(week, regions, 1.0)
        self._log.append((now, stores, LIVE))
        rates = g.defect_rate(p["cutover_defects_per_store"], w.store_volume[stores], share,
                              mult, self.train_factor)
        self._defect_ids.append(self.dip.raise_defects(
            stores, rates, now, p["cutover_defect_mean_days"] * 24.0, self.rng))

    def _retry(self, stores: np.ndarray, week: int):
        """Cut reverted stores over again from a later week (no gates: a remediation)."""
        week = g.freeze_adjust(week, self.windows, self.sc.peak.freeze_policy)
        if week > self.n_weeks:
            return
        yield self.env.timeout(self._hour(week) - self.env.now)
        waves = self.sc.waves
        downtime = max(waves[k].cutover_downtime_hours
                       for k in np.unique(self.w.plan.wave_of_store[stores]))
        yield from self._cutover(stores, self.env.now, self._learning(), downtime)

    def _central(self, at: float):
        """Cut the DCs and the ecommerce platform over at hour ``at`` (the plan's step)."""
        c, w = self.sc.central, self.w
        if at >= w.horizon_hours:
            return
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        w.central_state = CUTOVER
        self.inv.refresh_profile()
        yield self.env.timeout(c.cutover_downtime_hours)
        now = float(self.env.now)
        if now >= w.horizon_hours:
            return
        w.central_state = LIVE
        self.central_go_live_hour = now
        for area in self.at_go_live:
            w.harmonized[area][w.n_stores:] = True
        self.inv.coexistence = True
        self._sync_flags()
        self._defect_ids.append(self.dip.raise_defects(
            np.array([-1]), np.array([c.defects * self._learning() * self.train_factor]), now,
            self.p["cutover_defect_mean_days"] * 24.0, self.rng))

    # --- cutover effects -----------------------------------------------------------------
    def defects_found(self, t: float) -> int:
        """Cutover defects raised so far and resolved by ``t`` (what the programme learnt)."""
        if not self._defect_ids:
            return 0
        ids = np.concatenate(self._defect_ids)
        if not len(ids):
            return 0
        return int(np.count_nonzero(self.desk.finish_times(ids) <= t))

    def _learning(self) -> float:
        # On a slice, each defect found stands for 1 / store_share of the full network's (its
        # pilot is that share of the full pilot): the programme learns as it would at scale.
        return g.learning_multiplier(self.defects_found(self.env.now) / self.w.plan.store_share,
                                     self.p["pilot_learning_floor"],
                                     self.p["pilot_learning_defects"])

    # --- harmonization, staffing ---------------------------------------------------------
    def _enterprise(self, week: int, dip: bool) -> bool:
        """Switch on enterprise-wide areas whose week has come; True if any changed.

        Every store's staff change their processes then (on whatever system they run): a dip
        of the process share of the areas switched, unless the switch predates the run.
        """
        switched = [a for a, from_week in self.enterprise.items()
                    if a not in self._enterprise_done and week >= from_week]
        for area in switched:
            self.w.harmonized[area][:] = True
            self._enterprise_done.add(area)
        if switched and dip:
            tr = self.sc.training
            share = g.change_share(len(switched), len(AREAS), self.p["golive_system_share"],
                                   False)
            self.dip.change(np.arange(self.w.n_stores), g.dip_amplitude(
                tr.completion, tr.dip_multiplier, self.reduction, share),
                float(self._hour(week)))
        return bool(switched)

    def _sync_flags(self) -> None:
        # Orders read whether routing is orchestrated from the world's flags themselves.
        self.inv.refresh_profile()

    def _add_live(self, week: int, regions: np.ndarray, sign: float) -> None:
        """``stores_live`` counts stores live at each week's end: change it from ``week`` on."""
        weeks = np.arange(week, self.rec.weeks)
        self.rec.add_at("stores_live", np.repeat(weeks, len(regions)),
                        np.tile(regions, len(weeks)), sign)

    def observe(self) -> g.GateObservation:
        """What the stage gates judge now (see :meth:`LiveMonitor.observe`)."""
        self.dip.advance(float(self.env.now))
        return self.monitor.observe(float(self.env.now), self.dip.learning)

    # --- fallback ------------------------------------------------------------------------
    def _fallback(self, hour: int) -> bool:
        """Revert live stores whose open exceptions exceed the threshold; True if any did."""
        w = self.w
        limit = self.sc.fallback.backlog_threshold
        live = w.state == LIVE
        # No store can be over the limit if the whole desk is not: skip the per-store count.
        if not live.any() or self.desk.open_count(hour) <= limit:
            return False
        back = np.flatnonzero(live & (self.monitor.open_by_store(hour) > limit))
        if not len(back):
            return False
        w.state[back] = LEGACY
        w.live_since[back] = np.nan
        for area in self.at_go_live:
            w.harmonized[area][back] = False
        week = int(hour // HOURS_PER_WEEK)
        regions = w.store_region[back]
        self.rec.add("fallbacks", week, regions)
        self._add_live(week, regions, -1.0)
        self._log.append((float(hour), back, LEGACY))
        self.env.process(self._retry(back, week + 1 + int(self.p["fallback_retry_weeks"])))
        return True

    # --- results -------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """Completion weeks and the rollout timeline (per week and wave, for the Gantt chart)."""
        central = self.central_go_live_hour
        return {"rollout_completion_week": self.completion_week,
                "central_go_live_week": (math.nan if math.isnan(central)
                                         else float(central // HOURS_PER_WEEK + 1)),
                "timeline": timeline(self._log, self.w, self.waves, self.windows,
                                     self.first_live_hour, len(self.sc.waves), self.n_weeks,
                                     {n: self.rec.by_store(n) for n in BY_STORE})}
