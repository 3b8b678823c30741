"""Exact first-come-first-served multi-server team queues with staffing that changes by hour.

Every exception is a discrete work item (arrival, handling, start, finish; hours from the
simulation start). A SimPy process per item would cost seconds per simulated year (DESIGN §5.5),
so a team is served by one recursion over the finish times of the items in service, driven by
the engine calling :meth:`TeamQueue.serve_until` once per simulated hour.

Staffing semantics: in hour ``h`` the team has ``staff_by_hour[h]`` servers on duty. Service is
non-preemptive: when the staff drops below the number of items in service, the servers whose
shift ended finish their current item (overtime) and then go off duty, so a waiting item starts
only once fewer items are in service than servers on duty. Hours beyond the end of
``staff_by_hour`` have no staff, so items still queued at the horizon are never started.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right

import numpy as np

SHIFTS = ("business_hours", "store_hours", "24x7")


def shift_staff(
    hours: int, staff: int, shift: str, open_hour: int = 9, close_hour: int = 21
) -> np.ndarray:
    """Staff on duty in each simulated hour for a team working one shift pattern.

    Hour 0 of the simulation is Monday 00:00.

    Args:
        hours: Length of the horizon in hours.
        staff: Servers on duty whenever the shift is open.
        shift: ``"business_hours"`` (Monday to Friday, 09:00 to 17:00), ``"store_hours"``
            (every day, ``open_hour`` to ``close_hour``) or ``"24x7"``.
        open_hour: Opening hour of the day for ``store_hours``.
        close_hour: Closing hour of the day for ``store_hours`` (exclusive).

    Returns:
        Integer array of length ``hours``: servers on duty in hour ``h``.

    Raises:
        ValueError: If ``shift`` is unknown.

    """
    h = np.arange(hours)
    hour_of_day = h % 24
    if shift == "business_hours":
        weekday = (h // 24) % 7 < 5
        on = weekday & (hour_of_day >= 9) & (hour_of_day < 17)
    elif shift == "store_hours":
        on = (hour_of_day >= open_hour) & (hour_of_day < close_hour)
    elif shift == "24x7":
        on = np.ones(hours, dtype=bool)
    else:
        raise ValueError(f"unknown shift {shift!r}; expected one of {SHIFTS}")
    return np.where(on, staff, 0).astype(np.int64)


class TeamQueue:
    """One team's FCFS queue of exceptions, served by a staff that changes by hour.

    Args:
        name: Team name (for messages and results).
        staff_by_hour: Integer servers on duty per simulated hour (index ``floor(t)``). Kept by
            reference: the engine may raise entries for hours not yet served (hypercare), and
            they are read only when the queue reaches them.
        sla_hours: Target time from arrival to finish, in hours.

    """

    def __init__(self, name: str, staff_by_hour: np.ndarray, sla_hours: float) -> None:
        self.name = name
        self.staff_by_hour = staff_by_hour
        self.sla_hours = float(sla_hours)
        # Per-item columns as Python lists: appends and scalar reads are several times faster
        # than on numpy arrays, and the serving loop is pure Python.
        self._arrival: list[float] = []
        self._handling: list[float] = []
        self._kind: list[int] = []
        self._ref: list[int] = []
        self._start: list[float] = []
        self._finish: list[float] = []
        # Service order (by arrival, then insertion) of items already sorted; items added
        # since the last sort wait in `_new`. `_next` is the first item not yet started.
        self._order: list[int] = []
        self._new: list[int] = []
        self._next = 0
        # Finish times of items in service; finishes at or before `_clock` have been popped.
        self._busy: list[float] = []
        # No item starts before `_clock` (FCFS starts are non-decreasing); always <= `_served`.
        self._clock = 0.0
        self._served = 0.0  # the `t` of the last serve_until call

    def __len__(self) -> int:
        return len(self._arrival)

    def add(self, arrival: float, handling: float, kind: int, ref: int = -1) -> int:
        """Append one work item.

        Args:
            arrival: Arrival time in hours; not before the time already served.
            handling: Handling time in hours (>= 0).
            kind: Exception type code.
            ref: Caller payload, e.g. an order or stock-cell index.

        Returns:
            The item's index in the result arrays.

        Raises:
            ValueError: If the item arrives before the time already served.

        """
        if arrival < self._served:
            raise ValueError(f"{self.name}: arrival {arrival} before served time {self._served}")
        i = len(self._arrival)
        self._arrival.append(float(arrival))
        self._handling.append(float(handling))
        self._kind.append(int(kind))
        self._ref.append(int(ref))
        self._start.append(math.nan)
        self._finish.append(math.nan)
        self._new.append(i)
        return i

    def add_many(
        self,
        arrivals: np.ndarray,
        handlings: np.ndarray,
        kind: int,
        refs: np.ndarray | None = None,
    ) -> None:
        """Append a batch of work items of one kind (any arrival order).

        Args:
            arrivals: Arrival times in hours, none before the time already served.
            handlings: Handling times in hours, same length as ``arrivals``.
            kind: Exception type code shared by the batch.
            refs: Optional caller payloads, same length as ``arrivals`` (default -1).

        Raises:
            ValueError: If lengths differ or an item arrives before the time already served.

        """
        arrivals = np.asarray(arrivals, dtype=float)
        n = arrivals.size
        if n == 0:
            return
        handlings = np.asarray(handlings, dtype=float)
        if handlings.size != n or (refs is not None and len(refs) != n):
            raise ValueError(f"{self.name}: arrivals, handlings and refs differ in length")
        if arrivals.min() < self._served:
            raise ValueError(f"{self.name}: arrival before served time {self._served}")
        first = len(self._arrival)
        self._arrival.extend(arrivals.tolist())
        self._handling.extend(handlings.tolist())
        self._kind.extend([int(kind)] * n)
        self._ref.extend([-1] * n if refs is None else np.asarray(refs, dtype=np.int64).tolist())
        self._start.extend([math.nan] * n)
        self._finish.extend([math.nan] * n)
        self._new.extend(range(first, first + n))

    def _absorb_new(self) -> None:
        """Merge items added since the last call into the service order (arrival, then index).

        New items never arrive before the time served, so only the tail of queued items
        arriving at or after the earliest new arrival (usually none) needs sorting again.
        """
        if not self._new:
            return
        arrival, order = self._arrival, self._order
        key = arrival.__getitem__
        p = bisect_left(order, min(map(key, self._new)), lo=self._next, key=key)
        tail = order[p:] + self._new
        tail.sort(key=lambda i: (arrival[i], i))
        order[p:] = tail
        self._new = []

    def serve_until(self, t: float) -> list[int]:
        """Assign start and finish to every queued item that can start before ``t``.

        The next item in arrival order starts at the earliest time not before its arrival
        or the previous start at which fewer items are in service than servers on duty.
        Only staff entries for hours before ``t`` are read.

        Args:
            t: Time served up to, in hours.

        Returns:
            Indices of the items started in this call, in start order.

        """
        self._absorb_new()
        started: list[int] = []
        order, arrival, handling = self._order, self._arrival, self._handling
        start, finish, busy = self._start, self._finish, self._busy
        staff, n_hours = self.staff_by_hour, len(self.staff_by_hour)
        heappop, heappush = heapq.heappop, heapq.heappush
        clock, k, n = self._clock, self._next, len(order)
        while k < n:
            i = order[k]
            tau = arrival[i] if arrival[i] > clock else clock
            if tau >= t:
                break
            # Step through the events that can free capacity (a finish or an hour boundary)
            # until one leaves fewer items in service than servers on duty.
            while True:
                while busy and busy[0] <= tau:
                    heappop(busy)
                clock = tau
                h = int(tau)
                if h < n_hours and len(busy) < staff[h]:
                    break
                nxt = h + 1.0
                if busy and busy[0] < nxt:
                    nxt = busy[0]
                if nxt >= t or h >= n_hours:
                    tau = math.inf
                    break
                tau = nxt
            if tau == math.inf:
                break
            f = tau + handling[i]
            start[i] = tau
            finish[i] = f
            heappush(busy, f)
            started.append(i)
            k += 1
        self._clock, self._next = clock, k
        self._served = max(self._served, t)
        return started

    def served_time(self) -> float:
        """Time the queue has been served up to; new items may not arrive before it."""
        return self._served

    def finishes(self, items: np.ndarray) -> np.ndarray:
        """Finish times of some items (NaN for items not started), without building results."""
        finish = self._finish
        return np.fromiter((finish[i] for i in items.tolist()), dtype=float, count=len(items))

    def ref_and_finish(self, item: int) -> tuple[int, float]:
        """Caller payload and finish time of one item (for feedback at its finish)."""
        return self._ref[item], self._finish[item]

    def open_count(self, t: float) -> int:
        """Items arrived by ``t`` and not finished by ``t`` (waiting or in service).

        Args:
            t: Time in hours.

        Returns:
            The backlog at ``t``. When ``t`` is not before the last start assigned (how the
            engine calls it) this costs a pass over the items in service and a bisection;
            earlier times fall back to a scan of all items.

        """
        self._absorb_new()
        if t < self._clock:
            arr = np.asarray(self._arrival)
            fin = np.asarray(self._finish)
            return int(np.count_nonzero((arr <= t) & ~(fin <= t)))
        # Every started item has started by `_clock` <= t; those finished by `_clock` have
        # been popped from `_busy`, so the rest of the started backlog is in `_busy`.
        in_service = sum(1 for f in self._busy if f > t)
        arrival = self._arrival
        waiting = bisect_right(self._order, t, lo=self._next, key=arrival.__getitem__)
        return in_service + waiting - self._next

    def results(self) -> dict[str, np.ndarray]:
        """Per-item result columns, indexed by item.

        Returns:
            ``arrival``, ``start``, ``finish``, ``handling`` (hours; ``start`` and ``finish``
            are NaN for items never started), ``kind``, ``ref`` (int) and ``sla_miss``
            (bool: finished later than ``sla_hours`` after arrival, or never started).

        """
        arrival = np.asarray(self._arrival, dtype=float)
        finish = np.asarray(self._finish, dtype=float)
        return {
            "arrival": arrival,
            "start": np.asarray(self._start, dtype=float),
            "finish": finish,
            "handling": np.asarray(self._handling, dtype=float),
            "kind": np.asarray(self._kind, dtype=np.int64),
            "ref": np.asarray(self._ref, dtype=np.int64),
            "sla_miss": ~(finish - arrival <= self.sla_hours),
        }
