"""The go-live dip: each store's learning curve and its open cutover defects (DESIGN §5.7).

A store's staff make more errors after a change (a go-live, or an enterprise harmonization
that changes their processes on the old system): a learning multiplier that starts at the
change's amplitude and decays with learning time, which runs faster while hypercare floor
walkers coach the store. Open cutover defects multiply the errors further until IT fixes them.
The product, ``world.error_multiplier``, is what the operation reads: till and record errors,
pick errors and pick times, receipt-less approvals, promotion setups, reconciliation breaks and
how long the desk takes over the store's exceptions. The pure rules are in
:mod:`sim.model.rollout.rules`.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.desk import ExceptionDesk
from sim.model.rollout import rules as g
from sim.model.world import HOURS_PER_WEEK, World


class GoLiveDip:
    """Learning curves and open defects of every store.

    Args:
        world: Replication state (``error_multiplier`` is written here).
        desk: The exception desk (cutover defects raised and worked there).
        settle_weeks: Time constant of the learning curve, weeks.
        coaching: Extra learning weeks per week per hypercare floor walker per store.
        defect_impact: Error-rate increase per open cutover defect.
        elasticity: How work time follows the error multiplier (``work_slowdown``).

    Attributes:
        learning: Each store's learning multiplier (>= 1; 1 when settled).
        open_defects: Cutover defects of each store surfaced and not yet fixed.
    """

    def __init__(self, world: World, desk: ExceptionDesk, settle_weeks: float, coaching: float,
                 defect_impact: float, elasticity: float) -> None:
        self.w, self.desk = world, desk
        self.settle, self.coaching, self.impact = settle_weeks, coaching, defect_impact
        self.elasticity = elasticity
        n = world.n_stores
        self.amplitude = np.zeros(n)
        self.clock = np.zeros(n)  # learning weeks since the last change
        self.coach_staff = np.zeros(n)  # floor walkers per store while in hypercare
        self.coach_until = np.full(n, -np.inf)
        self.learning = np.ones(n)
        self.open_defects = np.zeros(n, dtype=np.int64)
        self._last = 0.0
        # Defects not yet seen fixed: exception id, store, the hour the problem surfaces.
        self._ids = np.zeros(0, dtype=np.int64)
        self._store = np.zeros(0, dtype=np.int64)
        self._at = np.zeros(0)

    def change(self, stores: np.ndarray, amplitude: float, now: float) -> None:
        """A change hits ``stores`` at ``now``: what is left of their dip plus ``amplitude``."""
        self.advance(now)
        left = self.learning[stores] - 1.0
        self.amplitude[stores] = left + amplitude
        self.clock[stores] = 0.0
        self.learning[stores] = 1.0 + self.amplitude[stores]
        self._apply(stores)

    def coach(self, stores: np.ndarray, staff_per_store: float, until: float) -> None:
        """Hypercare floor walkers coach ``stores`` until hour ``until``."""
        self.coach_staff[stores] = staff_per_store
        self.coach_until[stores] = until

    def raise_defects(self, stores: np.ndarray, rates: np.ndarray, now: float, mean_hours: float,
                      rng: np.random.Generator) -> np.ndarray:
        """Cutover defects of ``stores`` going live at ``now`` (``cutover_defect`` items).

        Poisson per store (``rates``), surfacing exponentially over the first days of trading.
        Central items (a store index of -1) are raised but do not touch a store's dip.

        Returns:
            The exception ids (what pilot learning counts once they are fixed).
        """
        n = rng.poisson(rates)
        times = now + rng.exponential(mean_hours, int(n.sum()))
        where = np.repeat(stores, n)
        keep = times < self.w.horizon_hours
        ids = self.desk.raise_("cutover_defect", times[keep], where[keep])
        mine = where[keep] >= 0
        self._ids = np.concatenate([self._ids, ids[mine]])
        self._store = np.concatenate([self._store, where[keep][mine]])
        self._at = np.concatenate([self._at, times[keep][mine]])
        return ids

    def raise_tickets(self, now: float, hours: float, per_store_week: float,
                      rng: np.random.Generator) -> None:
        """Staff incidents of the coming ``hours`` from stores on their learning curve.

        Raised as ``user_incident`` items for the IT hypercare desk (the go-live's service
        desk), Poisson per store at :func:`~sim.model.rollout.rules.ticket_rate` and uniform in
        time. They are questions and slips, not defects: they neither break transactions nor
        count as defects found for pilot learning.
        """
        rate = g.ticket_rate(per_store_week, self.w.store_volume, self.learning,
                             self.floor_walkers(now))
        on = np.flatnonzero(rate > 0)
        if not len(on):
            return
        n = rng.poisson(rate[on] * hours / HOURS_PER_WEEK)
        times = now + rng.uniform(0.0, hours, int(n.sum()))
        where = np.repeat(on, n)
        keep = times < self.w.horizon_hours
        self.desk.raise_("user_incident", times[keep], where[keep])

    def floor_walkers(self, now: float) -> np.ndarray:
        """Hypercare floor walkers per store on duty at ``now`` (0 outside hypercare)."""
        return np.where(self.coach_until >= now, self.coach_staff, 0.0)

    def advance(self, now: float) -> None:
        """Move every learning clock to ``now`` and recount open defects."""
        dt = (now - self._last) / HOURS_PER_WEEK
        if dt > 0:
            speed = g.coaching_speed(self.floor_walkers(now), self.coaching)
            self.clock += dt * speed
            self._last = now
        self.learning = g.learning(self.amplitude, self.clock, self.settle)
        self._count_open(now)
        self._apply(slice(None))

    def _count_open(self, now: float) -> None:
        """Defects surfaced by ``now`` and not finished by it; the fixed ones are dropped."""
        if not len(self._ids):
            self.open_defects[:] = 0
            return
        finish = self.desk.finish_times(self._ids)
        fixed = finish <= now
        surfaced = (self._at <= now) & ~fixed
        self.open_defects = np.bincount(self._store[surfaced], minlength=self.w.n_stores)
        keep = ~fixed
        self._ids, self._store, self._at = self._ids[keep], self._store[keep], self._at[keep]

    def _apply(self, stores: np.ndarray | slice) -> None:
        em = self.learning[stores] * g.defect_factor(self.open_defects[stores], self.impact)
        self.w.error_multiplier[stores] = em
        self.w.work_slowdown[stores] = g.work_slowdown(em, self.elasticity)
        self.w.slowed = bool(np.count_nonzero(self.w.work_slowdown != 1.0))
