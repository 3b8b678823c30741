"""Exceptions and teams: the taxonomy, routing to teams, staffing, feedback (DESIGN §5.5).

Every exception is a work item with its own arrival, start and finish. Items are raised in
batches by the volume code, held until their detection time, then released in arrival order to
their team's :class:`~sim.model.teams.TeamQueue`, which one SimPy process per team serves each
hour. Items whose resolution changes the world (a mismatch fixed, an order rerouted, a refund
released) call back their handler at their finish time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import simpy

from sim.metrics import EXCEPTION_TYPES
from sim.model.recorder import Recorder
from sim.model.teams import TeamQueue, shift_staff
from sim.model.world import HOURS_PER_WEEK, World
from sim.scenario import TEAMS

#: Which team owns each exception type.
OWNER = {
    "inventory_mismatch": "store_ops",
    "manual_reroute": "customer_service",
    "pickup_failure": "store_ops",
    "return_lookup": "customer_service",
    "unreceipted_return": "store_ops",
    "price_dispute": "customer_service",
    "sync_failure": "it_hypercare",
    "reconciliation": "finance",
    "cutover_defect": "it_hypercare",
}
KIND = {name: i for i, name in enumerate(EXCEPTION_TYPES)}
Handler = Callable[[float, int], None]
BatchHandler = Callable[[np.ndarray, np.ndarray], None]


class ExceptionDesk:
    """Raises exceptions, staffs the teams and runs their queues.

    Args:
        env: The SimPy environment.
        world: Replication state.
        rng: The ``exceptions`` stream.
        rec: The recorder.
    """

    def __init__(self, env: simpy.Environment, world: World, rng: np.random.Generator,
                 rec: Recorder) -> None:
        self.env = env
        self.w = world
        self.rng = rng
        self.rec = rec
        p = world.params
        self.cv = p["handling_cv"]
        self.mean_hours = {t: p[f"handling_hours_{t}"] for t in EXCEPTION_TYPES}
        sc = world.scenario
        h = world.horizon_hours
        open_h = int(np.median(world.open_hour)) if world.n_stores else 9
        close_h = int(np.median(world.close_hour)) if world.n_stores else 21
        self.teams: dict[str, TeamQueue] = {}
        for name in TEAMS:
            team = getattr(sc.teams, name)
            n = team.staff_for(world.n_stores, world.plan.volume_share)
            staff = shift_staff(h, n, team.shift, open_h, close_h)
            self.teams[name] = TeamQueue(name, staff, team.sla_hours)
        self.store_hours = shift_staff(h, 1, "store_hours", open_h, close_h)
        self.all_hours = np.ones(h, dtype=np.int64)
        self._pending: list[tuple[float, int, str, int]] = []
        self._due: list[tuple[float, int, int]] = []
        self._seq = 0
        self.handlers: dict[str, Handler] = {}
        self.batch_handlers: dict[str, BatchHandler] = {}
        # Per exception id: type, team item index, store (-1: central) and region.
        self.kind: list[int] = []
        self.store: list[int] = []
        self.team_item: list[int] = []
        self.detection_factor = np.ones(world.horizon_hours // HOURS_PER_WEEK + 1)
        env.process(self._serve())

    def add_staff(self, team: str, start_hour: int, end_hour: int, staff: int,
                  pattern: str = "store_hours") -> None:
        """Add staff to a team for future hours (hypercare, command center)."""
        if staff <= 0:
            return
        start = max(start_hour, int(self.env.now) + 1)
        end = min(end_hour, self.w.horizon_hours)
        if end <= start:
            return
        mask = self.store_hours if pattern == "store_hours" else self.all_hours
        self.teams[team].staff_by_hour[start:end] += staff * mask[start:end]

    def on_done(self, kind: str, handler: Handler) -> None:
        """Call ``handler(finish_time, exception_id)`` when an exception of ``kind`` is done."""
        self.handlers[kind] = handler

    def on_done_batch(self, kind: str, handler: BatchHandler) -> None:
        """Call ``handler(finish_times, exception_ids)`` once an hour for finished items."""
        self.handlers[kind] = lambda t, i: handler(np.array([t]), np.array([i]))
        self.batch_handlers[kind] = handler

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
        week = np.minimum((np.asarray(times) // HOURS_PER_WEEK).astype(np.int64),
                          len(self.detection_factor) - 1)
        delay = self.rng.exponential(w.params["detection_hours"], n) * \
            self.detection_factor[week]
        arrival = np.asarray(times, float) + delay
        first = len(self.kind)
        ids = np.arange(first, first + n)
        self.kind.extend([KIND[kind]] * n)
        self.store.extend(np.asarray(stores, np.int64).tolist())
        self.team_item.extend([-1] * n)
        for a, i in zip(arrival.tolist(), ids.tolist(), strict=True):
            heapq.heappush(self._pending, (a, i, kind, 0))
        stores = np.asarray(stores, np.int64)
        region = np.where(stores >= 0, w.store_region[np.maximum(stores, 0)], w.n_regions)
        self.rec.add_at(f"exceptions.{kind}", week, region)
        return ids

    def _handling(self, kind: str, n: int) -> np.ndarray:
        mean = self.mean_hours[kind]
        sigma2 = np.log1p(self.cv**2)
        return self.rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)

    def _release(self, until: float) -> None:
        """Hand detected items to their teams in arrival order."""
        batch: dict[str, list[tuple[float, int]]] = {}
        while self._pending and self._pending[0][0] < until:
            a, i, kind, _ = heapq.heappop(self._pending)
            batch.setdefault(kind, []).append((a, i))
        for kind, items in batch.items():
            team = self.teams[OWNER[kind]]
            handling = self._handling(kind, len(items))
            floor = team.served_time()
            for (a, i), hd in zip(items, handling.tolist(), strict=True):
                self.team_item[i] = team.add(max(a, floor), hd, KIND[kind], i)

    def _serve(self):
        """Run the desk's SimPy process: release, serve, apply effects, every hour.

        Each hour: release detected items, serve every team in turn (exact FCFS up to the
        clock), then apply the effects of finished items.
        """
        while True:
            yield self.env.timeout(1)
            now = self.env.now
            self._release(now)
            for team in self.teams.values():
                for item in team.serve_until(now):
                    ref, fin = team.ref_and_finish(item)
                    if EXCEPTION_TYPES[self.kind[ref]] in self.handlers:
                        heapq.heappush(self._due, (fin, ref, 0))
            self._dispatch(now)

    def _dispatch(self, now: float) -> None:
        """Apply the effects of items finished by ``now``, in finish order.

        Kinds with a batch handler get one call per hour with arrays (orders rerouted
        together); the others are called item by item.
        """
        batches: dict[str, tuple[list[float], list[int]]] = {}
        while self._due and self._due[0][0] <= now:
            fin, ref, _ = heapq.heappop(self._due)
            kind = EXCEPTION_TYPES[self.kind[ref]]
            if kind in self.batch_handlers:
                fins, refs = batches.setdefault(kind, ([], []))
                fins.append(fin)
                refs.append(ref)
            else:
                self.handlers[kind](fin, ref)
        for kind, (fins, refs) in batches.items():
            self.batch_handlers[kind](np.asarray(fins), np.asarray(refs, dtype=np.int64))

    def dispatch_until(self, t: float) -> None:
        """Run handlers of items finished by ``t`` (used at the end of the horizon)."""
        self._dispatch(t)

    def open_count(self, t: float) -> int:
        """Open items across all teams (the gate's backlog check)."""
        return sum(q.open_count(t) for q in self.teams.values())
