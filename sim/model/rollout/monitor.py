"""What stage gates and fallback see of the stores already live (DESIGN §5.7).

Observations only: the decisions on them are the pure functions of
:mod:`sim.model.rollout.rules`, and the :class:`~sim.model.rollout.waves.Rollout` acts on them.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.desk import ExceptionDesk
from sim.model.desk.stand_ins import is_own
from sim.model.recorder import Recorder
from sim.model.rollout import rules as g
from sim.model.world import HOURS_PER_WEEK, LIVE, World
from sim.scenario import Gates


class LiveMonitor:
    """Gate observations and per-store open exceptions of the live stores.

    Args:
        world: Replication state (store states).
        desk: The exception desk (backlog, finish times, SLA outcomes).
        rec: The recorder (fallout and order counters by week).
        gates: The scenario's gate thresholds (only the checks set are computed).
        lookback: Complete weeks the gates look back over.
    """

    def __init__(self, world: World, desk: ExceptionDesk, rec: Recorder, gates: Gates,
                 lookback: int) -> None:
        self.w, self.desk, self.rec, self.gates, self.lookback = world, desk, rec, gates, lookback
        # Store exception ids not yet seen finished (fallback), in id order.
        self._watch = np.zeros(0, dtype=np.int64)
        self._cursor = 0
        # Daily totals so far, per region, of the counters the fallout check reads.
        self._days: list[tuple[float, np.ndarray, np.ndarray]] = []

    def snapshot(self, now: float) -> None:
        """Keep today's running totals of fallout and orders per region (rolling windows)."""
        self._days.append((now, self.rec.counts("fallout_orders").sum(axis=0),
                           self.rec.counts("ecommerce_orders").sum(axis=0)))
        horizon = now - (self.lookback + 1) * HOURS_PER_WEEK
        while len(self._days) > 1 and self._days[1][0] <= horizon:
            self._days.pop(0)

    def _recent_fallout(self, now: float, regions: np.ndarray) -> float | None:
        """Fallout rate over the last ``lookback`` weeks (rolling, by day) in ``regions``."""
        if not self._days:
            return None
        since = now - self.lookback * HOURS_PER_WEEK
        old = next((d for d in reversed(self._days) if d[0] <= since), self._days[0])
        fallout = self.rec.counts("fallout_orders").sum(axis=0) - old[1]
        orders = self.rec.counts("ecommerce_orders").sum(axis=0) - old[2]
        return g.window_rate(fallout[regions].sum(), orders[regions].sum())

    def observe(self, now: float, learning: np.ndarray) -> g.GateObservation:
        """Observe what the stage gates judge now: the stores already live.

        Only the checks the scenario sets are computed (the SLA check reads every team's
        results, the costliest part).

        Args:
            now: The time of the observation, hours.
            learning: Each store's learning multiplier now (proficiency is its inverse).
        """
        w, desk, gates = self.w, self.desk, self.gates
        live = w.state == LIVE
        backlog = desk.open_count(now)
        if not live.any():
            return g.GateObservation(None, backlog, None, None)
        fallout = sla = prof = None
        if gates.max_fallout_rate is not None:
            fallout = self._recent_fallout(now, np.unique(w.store_region[live]))
        if gates.min_sla_met_rate is not None:
            store_of = np.asarray(desk.store, dtype=np.int64)
            met = decided = 0
            for team in desk.teams.values():
                r = team.results()
                if not len(r["arrival"]):
                    continue
                st = store_of[r["ref"]]
                mine = (st >= 0) & live[np.maximum(st, 0)]
                m, d = g.sla_outcomes(r["arrival"][mine], r["finish"][mine], team.sla_hours,
                                      now, now - self.lookback * HOURS_PER_WEEK)
                met, decided = met + m, decided + d
            sla = met / decided if decided else None
        if gates.min_proficiency is not None:
            prof = float(g.proficiency(learning[live]).mean())
        return g.GateObservation(fallout, backlog, sla, prof)

    def open_by_store(self, t: float) -> np.ndarray:
        """Open (detected, unfinished) exceptions of each store at ``t`` (``t`` never decreases).

        Incremental: store items are watched from when they are raised until they are seen
        finished (finish times are fixed once an item starts), so each call costs the items
        raised since the last call plus the open ones, not the whole history.
        """
        desk = self.desk
        store = desk.store
        n = len(store)
        if n > self._cursor:
            # The store's own items (stand-ins are other stores' work, sim.model.desk.stand_ins).
            new = np.flatnonzero((store[self._cursor:n] >= 0)
                                 & is_own(desk.kind[self._cursor:n])) + self._cursor
            self._watch = np.concatenate([self._watch, new])
            self._cursor = n
        watch = self._watch
        finish = desk.finish_times(watch)
        # Not yet detected (NaN) or not finished by `t`: still watched; counted if detected.
        still = ~(finish <= t)
        counted = still & (desk.team_item[watch] >= 0)
        self._watch = watch[still]
        return np.bincount(store[watch[counted]], minlength=self.w.n_stores)

