"""Exact first-come-first-served multi-server team queues with staffing that changes by hour.

Every exception is a discrete work item (arrival, handling, start, finish; hours from the
simulation start). A SimPy process per item would cost seconds per simulated year (DESIGN §5.5),
so a team is served by one recursion over the finish times of the items in service, driven by
the engine calling :meth:`TeamQueue.serve_until` once per simulated hour. The recursion and the
merge of new items into the service order are compiled loops (:mod:`sim.model.desk.team_kernels`).

Staffing semantics: in hour ``h`` the team has ``staff_by_hour[h]`` servers on duty. Service is
non-preemptive: when the staff drops below the number of items in service, the servers whose
shift ended finish their current item (overtime) and then go off duty, so a waiting item starts
only once fewer items are in service than servers on duty. Hours beyond the end of
``staff_by_hour`` have no staff, so items still queued at the horizon are never started.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.desk.team_kernels import absorb, append, serve
from sim.model.plumbing.growth import grown

SHIFTS = ("business_hours", "store_hours", "24x7")
_NO_INDEX = np.zeros(0, dtype=np.int64)


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

    Items are held in growable NumPy columns (capacity doubling) and served by the compiled
    loops of :mod:`sim.model.desk.team_kernels`, so adding and serving cost no Python per item.

    Args:
        name: Team name (for messages and results).
        staff_by_hour: Integer servers on duty per simulated hour (index ``floor(t)``). Kept by
            reference: the engine may raise entries for hours not yet served (hypercare), and
            they are read only when the queue reaches them.
        sla_hours: Target time from arrival to finish, in hours.
        capacity: Initial room for items (it doubles when full).

    """

    def __init__(self, name: str, staff_by_hour: np.ndarray, sla_hours: float,
                 capacity: int = 256) -> None:
        self.name = name
        self.staff_by_hour = staff_by_hour
        self.sla_hours = float(sla_hours)
        self._n = 0  # items added
        # Per-item columns, indexed by item (valid up to `_n`).
        self._arrival = np.empty(capacity)
        self._handling = np.empty(capacity)
        self._kind = np.empty(capacity, dtype=np.int64)
        self._ref = np.empty(capacity, dtype=np.int64)
        self._start = np.empty(capacity)
        self._finish = np.empty(capacity)
        # Service order: `_order[:_n_ordered]` holds item indices sorted by (arrival, index)
        # from `_next` on (the first item not started); `_key` their arrivals, so backlog
        # counts bisect it without a gather. Items `_n_ordered.._n` were added since the last
        # merge (see `team_kernels.absorb`).
        self._order = np.empty(capacity, dtype=np.int64)
        self._key = np.empty(capacity)
        self._n_ordered = 0
        self._next = 0
        # Heap of the finish times of items in service; finishes at or before `_clock` have
        # been popped.
        self._busy = np.empty(8)
        self._n_busy = 0
        # No item starts before `_clock` (FCFS starts are non-decreasing); always <= `_served`.
        self._clock = 0.0
        self._served = 0.0  # the `t` of the last serve_until call

    def __len__(self) -> int:
        return self._n

    def _reserve(self, extra: int) -> int:
        """Make room for ``extra`` more items; return the index of the first of them."""
        first = self._n
        for name in ("_arrival", "_handling", "_kind", "_ref", "_start", "_finish", "_order",
                     "_key"):
            setattr(self, name, grown(getattr(self, name), first, first + extra))
        return first

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
            ValueError: If the item arrives before the time already served (or is NaN).

        """
        if not arrival >= self._served:
            raise ValueError(f"{self.name}: arrival {arrival} before served time {self._served}")
        i = self._reserve(1)
        self._arrival[i] = arrival
        self._handling[i] = handling
        self._kind[i] = kind
        self._ref[i] = ref
        self._start[i] = self._finish[i] = math.nan
        self._n = i + 1
        return i

    def add_many(
        self,
        arrivals: np.ndarray,
        handlings: np.ndarray,
        kind: int,
        refs: np.ndarray | None = None,
    ) -> int:
        """Append a batch of work items of one kind (any arrival order).

        Args:
            arrivals: Arrival times in hours, none before the time already served.
            handlings: Handling times in hours, same length as ``arrivals``.
            kind: Exception type code shared by the batch.
            refs: Optional caller payloads, same length as ``arrivals`` (default -1).

        Returns:
            The index of the batch's first item (the others follow in batch order).

        Raises:
            ValueError: If lengths differ or an item arrives before the time already served
                (or is NaN).

        """
        arrivals = np.asarray(arrivals, dtype=float)
        n = arrivals.size
        if n == 0:
            return self._n
        handlings = np.asarray(handlings, dtype=float)
        if handlings.size != n or (refs is not None and len(refs) != n):
            raise ValueError(f"{self.name}: arrivals, handlings and refs differ in length")
        if not arrivals.min() >= self._served:
            raise ValueError(f"{self.name}: arrival before served time {self._served}")
        refs = np.full(n, -1, dtype=np.int64) if refs is None else np.asarray(refs, np.int64)
        return self.add_detected(arrivals, handlings, kind, refs)

    def add_detected(self, arrivals: np.ndarray, handlings: np.ndarray, kind: int,
                     refs: np.ndarray, index_of_ref: np.ndarray | None = None) -> int:
        """Append items detected by now: one arriving before :meth:`served_time` arrives then.

        The desk's way in (no checks, no conversions; one compiled pass, which also merges the
        items into the service order); otherwise as :meth:`add_many`.

        Args:
            arrivals: Arrival times (float64 array).
            handlings: Handling times (float64 array), same length.
            kind: Exception type code shared by the batch.
            refs: Caller payloads (int64 array), same length.
            index_of_ref: If given, ``index_of_ref[ref]`` is set to each new item's index.

        Returns:
            The index of the batch's first item (the others follow in batch order).

        """
        n = len(arrivals)
        first = self._n if self._n + n <= len(self._arrival) else self._reserve(n)
        merged = append(self._arrival, self._handling, self._kind, self._ref, self._start,
                        self._finish, self._order, self._key, self._next, self._n_ordered,
                        first, arrivals, handlings, kind, refs, self._served,
                        _NO_INDEX if index_of_ref is None else index_of_ref)
        self._n = first + n
        if merged:
            self._n_ordered = self._n
        else:
            self._absorb_new()
        return first

    def _absorb_new(self) -> None:
        """Merge items added since the last call into the service order (arrival, then index)."""
        if self._n > self._n_ordered:
            args = (self._order, self._key, self._arrival, self._next, self._n_ordered, self._n)
            if not absorb(*args, _NO_INDEX):  # not in arrival order: sort them (stably) first
                absorb(*args, np.argsort(self._arrival[self._n_ordered: self._n], kind="stable"))
            self._n_ordered = self._n

    def serve_positions(self, t: float) -> tuple[int, int]:
        """Serve up to ``t`` like :meth:`serve_until`, without building the list of items.

        Args:
            t: Time served up to, in hours.

        Returns:
            ``(first, end)``: the items started are ``order[first:end]`` of the service order
            (see :meth:`service_columns`).

        """
        t = float(t)
        if self._n > self._n_ordered:
            self._absorb_new()
        k = self._next
        # Skip the compiled call when the next item (if any) cannot start before `t` anyway.
        if k < self._n_ordered:
            clock = self._clock
            a = float(self._key[k])
            if (a if a > clock else clock) < t:
                self._busy, self._n_busy, self._clock, self._next = serve(
                    self._order, self._arrival, self._handling, self._start, self._finish,
                    self._busy, self._n_busy, self.staff_by_hour, clock, k, self._n_ordered, t)
        if t > self._served:
            self._served = t
        return k, self._next

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
        first, end = self.serve_positions(t)
        return self._order[first:end].tolist()

    def service_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The live ``(order, ref, finish)`` arrays, for compiled readers of started items.

        ``order[first:end]`` of a :meth:`serve_positions` range are the items it started;
        ``ref`` and ``finish`` are indexed by item. Valid until the next item is added.
        """
        return self._order, self._ref, self._finish

    def served_time(self) -> float:
        """Time the queue has been served up to; new items may not arrive before it."""
        return self._served

    def finishes(self, items: np.ndarray) -> np.ndarray:
        """Finish times of some items (NaN for items not started), without building results."""
        return self._finish[: self._n][np.asarray(items, dtype=np.int64)]

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
            arr, fin = self._arrival[: self._n], self._finish[: self._n]
            return int(np.count_nonzero((arr <= t) & ~(fin <= t)))
        # Every started item has started by `_clock` <= t; those finished by `_clock` have
        # been popped from `_busy`, so the rest of the started backlog is in `_busy`.
        in_service = int(np.count_nonzero(self._busy[: self._n_busy] > t))
        waiting = int(np.searchsorted(self._key[self._next: self._n], t, side="right"))
        return in_service + waiting

    def results(self) -> dict[str, np.ndarray]:
        """Per-item result columns, indexed by item.

        Returns:
            ``arrival``, ``start``, ``finish``, ``handling`` (hours; ``start`` and ``finish``
            are NaN for items never started), ``kind``, ``ref`` (int) and ``sla_miss``
            (bool: finished later than ``sla_hours`` after arrival, or never started).

        """
        n = self._n
        arrival = self._arrival[:n].copy()
        finish = self._finish[:n].copy()
        return {
            "arrival": arrival,
            "start": self._start[:n].copy(),
            "finish": finish,
            "handling": self._handling[:n].copy(),
            "kind": self._kind[:n].copy(),
            "ref": self._ref[:n].copy(),
            "sla_miss": ~(finish - arrival <= self.sla_hours),
        }
