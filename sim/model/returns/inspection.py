"""The DCs' returns bench: mailed parcels in transit, arrived, queued, inspected (§5.3).

Parcels wait as :data:`~sim.model.returns.records.PARCEL` records filed by the day they arrive
at the DC. Once a day each DC inspects, first come first served, as many queued parcels as
its daily capacity allows (a fraction of a unit carries over); what it cannot inspect stays
queued, which is how the holiday surge builds a backlog.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.record_bytes import join
from sim.model.plumbing.record_bytes import select as take
from sim.model.returns.kernels import Rules
from sim.model.returns.records import PARCEL, DayFile, Records
from sim.model.returns.refund_kernels import Bench, enqueue, inspect


class DcBench:
    """Mailed parcels from drop-off to inspection.

    Args:
        capacity: Units each DC inspects per day.
        n_stores: Stores in the network (DC ``d`` is node ``n_stores + d``).
        rules: The journey's parameters (dispositions).
        members: ``(codes, counters)`` table of the counters the bench books.

    Attributes:
        waiting: Legacy parcels not inspected yet (their refunds wait for the bench).
    """

    def __init__(self, capacity: np.ndarray, n_stores: int, rules: Rules, members: np.ndarray
                 ) -> None:
        self.capacity, self.n_stores, self.rules, self.members = capacity, n_stores, rules, \
            members
        # Parcels by day of arrival; arrived after the last bench run; queued.
        self._arrivals = DayFile()
        self.next_day = 0  # the first day whose arrivals the bench has not looked at
        self._carry: list[np.ndarray] = []
        self._queue = Records(PARCEL)
        self._frac = np.zeros(len(capacity))  # bench time carried over, units
        self.waiting = 0

    @property
    def backlog(self) -> int:
        """Parcels arrived and queued."""
        return self._queue.n

    def file(self, parcels: np.ndarray, bounds: np.ndarray, legacy: int) -> None:
        """File parcels sorted by arrival day (``bounds``: see ``counting_sort``).

        ``legacy`` of them wait for the bench to be refunded.
        """
        self.waiting += legacy
        self._arrivals.file(parcels, bounds)

    def run(self, hour: int, refund_at: float, physical: np.ndarray, system: np.ndarray,
            record_factor: np.ndarray, rec_weeks: int, rec_regions: int, refunds: Records
            ) -> Bench | None:
        """Run the day's bench at ``hour``: queue what has arrived, inspect up to capacity.

        Inspected units are put back on the DCs' shelves (``physical``, ``system``; a restock
        goes unrecorded at the DC's ``record_factor`` times the disposition's rate) and legacy
        refunds booked in ``refunds`` at ``refund_at``. Returns what was inspected, or None
        when nothing was queued.
        """
        now, day = hour + 1.0, hour // 24
        parts = self._carry + self._arrivals.pop(self.next_day, day)
        self._carry = []
        self.next_day = day + 1
        q = self._queue
        if parts:
            c = join(parts)
            # Queued parcels arrived before the last bench run: appending keeps FCFS order.
            q.n, late = enqueue(c, now, q.room(len(c)), q.n)
            if len(late):
                self._carry = [take(c, late)]
        budget = self._frac + self.capacity
        quota = np.floor(budget)
        self._frac = budget - quota  # a fraction of a unit of bench time carries over
        if not q.n:
            return None
        run = inspect(q.data, q.n, self.n_stores, quota, self.rules, refund_at, physical,
                      system, record_factor, self.members, rec_weeks, rec_regions,
                      refunds.room(q.n), refunds.n)
        refunds.n = run.n_refunds
        q.n = run.queued
        return run

    def outstanding(self) -> list[np.ndarray]:
        """Parcels not inspected: in transit (by day filed), arrived late, queued."""
        return self._arrivals.remaining() + self._carry + [self._queue.view()]
