"""Exceptions and teams: the taxonomy, routing to teams, staffing, feedback (DESIGN §5.5).

Every exception is a work item with its own arrival, start and finish. Items are raised in
batches by the volume code, held until their detection time, then released in arrival order to
their team's :class:`~sim.model.desk.teams.TeamQueue`; the desk's one SimPy process serves every
team each hour. Items whose resolution changes the world (a mismatch fixed, an order rerouted,
a refund released) call back their handler once the clock passes their finish time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from sim.initial_state import OUTSIDE, InitialExceptions
from sim.model.component import Component
from sim.model.desk.kernels import record_raised
from sim.model.desk.outcomes import book_outcomes
from sim.model.desk.rules import season_hours
from sim.model.desk.stand_ins import INITIAL, STAND_IN, StandIns, network_stores
from sim.model.desk.taxonomy import ADDED_STAFF_PURPOSES, EXCEPTION_TYPES, KIND, OWNER
from sim.model.desk.teams import TeamQueue, shift_staff
from sim.model.desk.work_heap import WorkHeap
from sim.model.disruptions import short_staffed
from sim.model.plumbing.growth import grown
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World
from sim.scenario import TEAMS

Handler = Callable[[float, int], None]
BatchHandler = Callable[[np.ndarray, np.ndarray], None]


class ExceptionDesk(Component):
    """Raises exceptions, staffs the teams and runs their queues.

    Per-exception columns and both waiting lines (items not yet detected, finished items not
    yet applied) are NumPy arrays worked by compiled loops, so the ~230 k exceptions of a
    600-store year cost Python per batch and per hour, not per item; only the handlers that
    take one item at a time are called per item.

    Args:
        env: The SimPy environment.
        world: Replication state.
        rng: The ``exceptions`` stream. Each exception type draws its detection delays and
            its handling times from two child streams of its own (spawning draws nothing),
            so a plan that raises more items of one type never shifts another type's draws:
            a change reaches another type's items only through a queue they share.
        rec: The recorder.
    """

    name = "desk"

    def __init__(self, env: simpy.Environment, world: World, rng: np.random.Generator,
                 rec: Recorder) -> None:
        self.env = env
        self.w = world
        n_types = len(EXCEPTION_TYPES)
        children = rng.spawn(2 * n_types)
        self._detect_rng, self._handle_rng = children[:n_types], children[n_types:]
        share = world.plan.store_share
        self.stand_ins = StandIns(world.scenario, share, world.plan.volume_share,
                                  rng.spawn(1)[0])
        #: Stores of the whole network (the teams' size; a slice's teams are the network's).
        self.network_stores = network_stores(world.n_stores, share)
        self.rec = rec
        p = world.params
        self.cv = p["handling_cv"]
        self.mean_hours = {t: p[f"handling_hours_{t}"] for t in EXCEPTION_TYPES}
        # Lognormal (mu, sigma) of each type's handling time, computed once (same expressions,
        # so the same values, as computing them for every draw).
        sigma2 = np.log1p(self.cv**2)
        self._lognormal = [(np.log(self.mean_hours[t]) - sigma2 / 2, np.sqrt(sigma2))
                           for t in EXCEPTION_TYPES]
        sc = world.scenario
        h = world.horizon_hours
        open_h = int(np.median(world.open_hour)) if world.n_stores else 9
        close_h = int(np.median(world.close_hour)) if world.n_stores else 21
        self.teams: dict[str, TeamQueue] = {}
        for name in TEAMS:
            team = getattr(sc.teams, name)
            # The whole network's team for the whole assortment (stand-ins bring its work).
            n = team.staff_for(self.network_stores)
            staff = shift_staff(h, n, team.shift, open_h, close_h)
            seasonal = int(round(n * team.seasonal_staff_factor))
            if seasonal > n:
                hours = season_hours(world.peak_week, sc.teams.season_weeks_after_peak, h)
                staff[hours] = shift_staff(h, seasonal, team.shift, open_h, close_h)[hours]
            staff = short_staffed(staff, world.disruptions, name)
            self.teams[name] = TeamQueue(name, staff, team.sla_hours)
        self._team_of_kind = [self.teams[OWNER[k]] for k in EXCEPTION_TYPES]
        self.store_hours = shift_staff(h, 1, "store_hours", open_h, close_h)
        self.all_hours = np.ones(h, dtype=np.int64)
        self._patterns = {"store_hours": self.store_hours, "24x7": self.all_hours,
                          "business_hours": shift_staff(h, 1, "business_hours")}
        #: Per team, the staff added on top of its shift (hypercare, command center, surge).
        self.added_by_hour = {name: np.zeros(h) for name in TEAMS}
        self._pending = WorkHeap()  # (arrival, exception id): raised, not yet detected
        #: Where raised exceptions are counted: per type (week x region), per store.
        self._raised = [rec.counter(f"exceptions.{t}") for t in EXCEPTION_TYPES]
        self._store_raised = rec.store_block("store_exceptions")
        self._due = WorkHeap()  # (finish, exception id): started, effects not yet applied
        # Register handlers through on_done / on_done_batch: they keep these lookups in step.
        self.handlers: dict[str, Handler] = {}
        self.batch_handlers: dict[str, BatchHandler] = {}
        # Codes from STAND_IN on are stand-ins, from INITIAL on items open at the start: no
        # handler, never counted as raised.
        self._has_handler = np.zeros(INITIAL + STAND_IN, dtype=bool)
        self._is_batch = np.zeros(INITIAL + STAND_IN, dtype=bool)
        #: Age at the start of the items open then (ids ``0 .. len - 1``; their SLA runs
        #: from when they were opened).
        self.initial_age = np.zeros(0)
        # Per exception id (valid up to `_n`): type, store (-1: central), team item index (-1
        # until released to the team).
        self._n = 0
        self._kind = np.empty(1024, dtype=np.int64)
        self._store = np.empty(1024, dtype=np.int64)
        self._team_item = np.empty(1024, dtype=np.int64)
        self.detection_factor = np.ones(world.horizon_hours // HOURS_PER_WEEK + 1)
        env.process(self._serve())

    # Read-only views of the per-exception columns, indexed by exception id (they do not
    # follow later growth: take them again after raising more).
    @property
    def kind(self) -> np.ndarray:
        """Type code (:data:`KIND`) of each exception; stand-ins carry ``STAND_IN`` + it."""
        return _read_only(self._kind[: self._n])

    @property
    def store(self) -> np.ndarray:
        """Store index of each exception (-1: a central item such as a DC or the ledger)."""
        return _read_only(self._store[: self._n])

    @property
    def team_item(self) -> np.ndarray:
        """Index of each exception in its team's queue (-1 while not yet detected)."""
        return _read_only(self._team_item[: self._n])

    def add_staff(self, team: str, start_hour: int, end_hour: int, staff: int,
                  pattern: str = "store_hours", *, purpose: str,
                  paid: float | None = None) -> None:
        """Add staff to a team for future hours, and book the staff-hours added.

        Args:
            team: The team reinforced.
            start_hour: First hour (hours already served are skipped).
            end_hour: Hour after the last (clipped to the horizon).
            staff: Servers added whenever the pattern is on duty.
            pattern: Shift pattern of the added staff (``store_hours``, ``24x7`` or
                ``business_hours``).
            purpose: Why (one of :data:`~sim.model.desk.taxonomy.ADDED_STAFF_PURPOSES`): the
                hours added are booked as ``<purpose>_staff_hours`` (central, by week), which
                the enablement and close-surge costs pay for.
            paid: People paid for, when the plan's staffing ratio gives a fraction that the
                queue rounds to ``staff`` whole servers (a slice's wave of 8 stores at 4 per
                100 stores pays for 0.32 people, not the one person who serves it); default
                ``staff``.
        """
        if purpose not in ADDED_STAFF_PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}; expected one of "
                             f"{ADDED_STAFF_PURPOSES}")
        if staff <= 0:
            return
        start = max(start_hour, int(self.env.now) + 1)
        end = min(end_hour, self.w.horizon_hours)
        if end <= start:
            return
        if pattern not in self._patterns:
            raise ValueError(f"unknown pattern {pattern!r}; expected one of "
                             f"{tuple(self._patterns)}")
        hours = staff * self._patterns[pattern][start:end]
        self.teams[team].staff_by_hour[start:end] += hours
        booked = hours.astype(float) * ((staff if paid is None else paid) / staff)
        # The labour the paid people do is theirs (not exception labour): their share only.
        self.added_by_hour[team][start:end] += booked
        weeks = np.arange(start, end) // HOURS_PER_WEEK
        self.rec.add_at(f"{purpose}_staff_hours", weeks, np.array([self.w.n_regions]), booked)

    def on_done(self, kind: str, handler: Handler) -> None:
        """Call ``handler(finish_time, exception_id)`` when an exception of ``kind`` is done."""
        self.handlers[kind] = handler
        self._has_handler[KIND[kind]] = True

    def on_done_batch(self, kind: str, handler: BatchHandler) -> None:
        """Call ``handler(finish_times, exception_ids)`` once an hour for finished items."""
        self.handlers[kind] = lambda t, i: handler(np.array([t]), np.array([i]))
        self.batch_handlers[kind] = handler
        self._has_handler[KIND[kind]] = self._is_batch[KIND[kind]] = True

    def raise_(self, kind: str, times: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """Raise a batch of exceptions.

        Args:
            kind: One of the taxonomy's types.
            times: When each problem occurs (hours); it is detected after a random delay.
            stores: Store index of each (-1 for a central item such as a DC or ledger).

        Returns:
            The exception ids, for callers that wait on them.
        """
        n = len(times)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        w = self.w
        week, arrival, first, end = self._detected(times, self._detect_rng[KIND[kind]])
        record_raised(self._kind, self._store, self._team_item, first, KIND[kind],
                      np.asarray(stores, np.int64), w.store_region, w.n_regions, week,
                      self._raised[KIND[kind]], self._store_raised)
        self._n = end
        ids = np.arange(first, end)
        self._pending.push(arrival, ids)
        self.stand_ins.note(KIND[kind], times, stores)
        return ids

    def open_initial(self, items: InitialExceptions, rng: np.random.Generator) -> None:
        """Put the work items open when the run starts in their teams' queues (hour 0).

        They arrive at hour 0, oldest first, ahead of anything raised later, with their
        type's handling times (drawn from ``rng``, the ``initial`` stream, so the run's other
        draws are those of a run without them). Items of stores a slice leaves out are
        served as stand-ins. Call before the first hour is served.
        """
        n = len(items.kind)
        if n == 0:
            return
        if self._n:
            raise RuntimeError("initial items must be opened before any other item")
        outside = items.store == OUTSIDE
        codes = items.kind + np.where(outside, STAND_IN, INITIAL)
        self._kind, self._store, self._team_item = (
            grown(a, 0, n) for a in (self._kind, self._store, self._team_item))
        self._kind[:n] = codes
        self._store[:n] = np.where(outside, -1, items.store)
        self._team_item[:n] = -1
        self._n = n
        self.initial_age = items.age_hours.astype(float)
        handling = np.empty(n)
        for k in np.unique(items.kind):
            mine = items.kind == k
            mu, sigma = self._lognormal[k]
            handling[mine] = rng.lognormal(mu, sigma, int(mine.sum()))
        # A team takes a batch of one code at a time; runs of one code keep the items' order
        # (oldest first), since items arriving together are served in the order added.
        cuts = np.flatnonzero(np.diff(codes)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, n], strict=True):
            team = self._team_of_kind[int(items.kind[lo])]
            team.add_detected(np.zeros(hi - lo), handling[lo:hi], int(codes[lo]),
                              np.arange(lo, hi, dtype=np.int64), self._team_item)

    def _detected(self, times: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Week, detection time and new id range of items occurring at ``times``.

        Detection follows after an exponential delay (faster in command-center weeks); the
        per-id columns grow to hold the new ids ``first .. end - 1``.
        """
        week = np.minimum((np.asarray(times) // HOURS_PER_WEEK).astype(np.int64),
                          len(self.detection_factor) - 1)
        delay = rng.exponential(self.w.params["detection_hours"], len(times)) * \
            self.detection_factor[week]
        arrival = np.asarray(times, float) + delay
        first, end = self._n, self._n + len(times)
        self._kind, self._store, self._team_item = (
            grown(a, first, end) for a in (self._kind, self._store, self._team_item))
        return week, arrival, first, end

    def _raise_stand_ins(self) -> None:
        """Queue the stand-ins of the items raised since the last hour for detection.

        (:mod:`~sim.model.desk.stand_ins`; they are later than their items, so queueing them
        at the next hour's release is as if at their items' raising.)
        """
        drawn = self.stand_ins.draw()
        if drawn is None:
            return
        code, times, stores = drawn
        _, arrival, first, end = self._detected(times, self.stand_ins.rng)
        self._kind[first:end] = STAND_IN + code
        self._store[first:end] = stores
        self._team_item[first:end] = -1
        self._n = end
        self._pending.push(arrival, np.arange(first, end))

    def _release(self, until: float) -> None:
        """Hand the items detected before ``until`` to their teams, in arrival order.

        Items are taken by (arrival, id); each type's handling times are drawn as one batch,
        types in order of first appearance, and the type's items are appended to its team in
        that order (an item detected before the time its team has served arrives then).
        """
        if not self._pending.head() < until:
            return
        arrival, ids, codes, bounds = self._pending.pop_grouped(until, self._kind,
                                                                   2 * STAND_IN)
        rngs, lognormal, team_of_kind = self._handle_rng, self._lognormal, self._team_of_kind
        slow = self.w.work_slowdown_or_one if self.w.slowed else None  # [-1] (central): 1.0
        store = self._store
        for g, code in enumerate(codes):
            lo, hi = bounds[g], bounds[g + 1]
            own = code % STAND_IN  # a stand-in is served as its type, from its own stream
            rng = rngs[code] if code < STAND_IN else self.stand_ins.rng
            mu, sigma = lognormal[own]  # handling times: lognormal, the type's mean and cv
            handling = rng.lognormal(mu, sigma, hi - lo)
            # A store's exceptions take longer while its staff are in the go-live dip.
            if slow is not None:
                handling *= slow[store[ids[lo:hi]]]
            team_of_kind[own].add_detected(arrival[lo:hi], handling, code, ids[lo:hi],
                                           self._team_item)

    def _serve(self):
        """Run the desk's SimPy process: release, serve, apply effects, every hour.

        Each hour: release detected items, serve every team in turn (exact FCFS up to the
        clock), then queue the effects of the items started (those with a handler) by finish
        time and apply the effects of items finished by the clock.
        """
        teams = list(self.teams.values())
        while True:
            yield self.env.timeout(1)
            now = self.env.now
            self._raise_stand_ins()
            self._release(now)
            for team in teams:
                first, end = team.serve_positions(now)
                if end > first:
                    self._due.push_started(team.service_columns(), first, end, self._kind,
                                           self._has_handler)
            self._dispatch(now)

    def _dispatch(self, now: float) -> None:
        """Apply the effects of items finished by ``now``, in finish order.

        Kinds with a batch handler get one call per hour with arrays (orders rerouted
        together), in order of first appearance; the others are called item by item, in
        (finish, id) order, before them.
        """
        if not self._due.head() <= now:
            return
        finishes, refs = self._due.pop_until(now, inclusive=True)
        kinds = self._kind[refs]
        batch = self._is_batch[kinds]
        if not batch.all():
            call = [self.handlers.get(name) for name in EXCEPTION_TYPES]
            one = ~batch
            for fin, ref, code in zip(finishes[one].tolist(), refs[one].tolist(),
                                      kinds[one].tolist(), strict=True):
                call[code](fin, ref)
        if batch.any():
            for code in dict.fromkeys(kinds[batch].tolist()):
                mine = kinds == code
                self.batch_handlers[EXCEPTION_TYPES[code]](finishes[mine], refs[mine])

    def finish(self, end: float) -> None:
        """Apply the effects of items finished by ``end``; book SLA outcomes and labour."""
        self._dispatch(end)
        self._outcomes = book_outcomes(self.w, self.rec, self.teams,
                                       np.asarray(self.store, dtype=np.int64),
                                       self.added_by_hour, self.stand_ins.share_by_team(),
                                       self.initial_age)

    def report(self) -> dict[str, np.ndarray]:
        """Weekly backlog peaks (see :func:`~sim.model.desk.outcomes.book_outcomes`)."""
        return self._outcomes

    def finish_times(self, ids: np.ndarray) -> np.ndarray:
        """Finish time of each exception id (NaN while not detected or not started)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), np.nan)
        item = self.team_item[ids]
        kind = self.kind[ids]
        for team in self.teams.values():
            codes = [c + s for c, k in enumerate(EXCEPTION_TYPES)
                     if self.teams[OWNER[k]] is team for s in (0, STAND_IN, INITIAL)]
            mine = np.isin(kind, codes) & (item >= 0)
            out[mine] = team.finishes(item[mine])
        return out

    def open_count(self, t: float) -> int:
        """Open items across all teams (the gate's backlog check)."""
        return sum(q.open_count(t) for q in self.teams.values())


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
