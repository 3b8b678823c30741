"""Compiled loops of the refund side of the returns journey: DC bench, held refunds, the book.

Companions of :mod:`sim.model.returns.kernels` (same rules: the NumPy expressions they replace,
operation for operation, so outputs are the same bits). Refunds are booked as
:data:`~sim.model.returns.records.REFUND` records in the order the journey makes them and
recorded once a day, split by channel pair.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.model.plumbing.sorting import stable_argsort
from sim.model.returns.kernels import (
    N_DISP,
    RECORDED,
    UNRECORDED,
    Rules,
    combine_codes,
    disposition,
)
from sim.model.returns.rules import ONLINE_TO_MAIL


@kernel
def enqueue(parcels: np.ndarray, now: float, queue: np.ndarray, n: int) -> tuple[int, np.ndarray]:
    """Queue the parcels arrived by ``now`` at the DC bench, by arrival time.

    They are appended to ``queue`` from ``n`` in a stable sort by arrival (ties keep their
    order in ``parcels``). Returns the queue's new length and the positions in ``parcels`` of
    those not arrived yet, in order.
    """
    arrival = parcels.arrival
    m = len(parcels)
    ready = np.empty(m, dtype=np.int64)
    waiting = np.empty(m, dtype=np.int64)
    n_ready = n_waiting = 0
    for i in range(m):
        if arrival[i] <= now:
            ready[n_ready] = i
            n_ready += 1
        else:
            waiting[n_waiting] = i
            n_waiting += 1
    ready = ready[:n_ready]
    order = stable_argsort(arrival[ready])
    for k in range(n_ready):
        queue[n + k] = parcels[ready[order[k]]]
    return n + n_ready, waiting[:n_waiting]


class Bench(NamedTuple):
    """What a run of the DC bench did (see :func:`inspect`)."""

    queued: int  #: parcels still queued (moved, in order, to the front of the queue)
    counts: np.ndarray  #: ``(counters, weeks, regions)`` units inspected, by return week
    first_week: int  #: weeks ``first_week..last_week`` hold every unit inspected
    last_week: int
    restocked: int  #: units put back on the DC's shelf
    n_refunds: int  #: new record count of the refund buffer
    legacy: int  #: refunds released by this run (legacy parcels)


@kernel
def inspect(queue: np.ndarray, n: int, n_stores: int, quota: np.ndarray, rules: Rules,
            refund_at: float, physical: np.ndarray, system: np.ndarray,
            record_factor: np.ndarray, members: np.ndarray, rec_weeks: int, rec_regions: int,
            refunds: np.ndarray, n_refunds: int) -> Bench:
    """Run the DCs' bench over the first-come-first-served queue of parcels ``queue[:n]``.

    Each DC inspects its first ``quota`` parcels in queue order. An inspected parcel gets its
    disposition (the DC's record-error factor, no go-live dip), is counted by disposition
    code, week and region (``members`` maps codes to counters), goes back on the DC's shelf
    if restocked, and a legacy parcel's refund is booked at ``refund_at`` (the next finance
    batch), appended to ``refunds`` from ``n_refunds``. The parcels left queued move up, in
    order, so the queue stays one array that is never copied whole.
    """
    node, sku, week, region = queue.node, queue.sku, queue.week, queue.region
    start, u_disp, u_unrec, harm = queue.start, queue.u_disp, queue.u_unrec, queue.harm
    f_start, f_refund, f_week = refunds.start, refunds.refund, refunds.week
    f_region, f_pair = refunds.region, refunds.pair
    taken = np.zeros(len(quota), dtype=np.int64)
    queued = 0
    by_code = np.zeros((N_DISP, rec_weeks, rec_regions), dtype=np.int64)
    # np.int64(-1), not -1: a literal reaching combine_codes built it a second time.
    first_week, last_week = rec_weeks, np.int64(-1)
    restocked = 0
    legacy = 0
    j = n_refunds
    for i in range(n):
        d = node[i] - n_stores
        taken[d] += 1
        if taken[d] > quota[d]:
            if queued != i:
                queue[queued] = queue[i]
            queued += 1
            continue
        disp = disposition(u_disp[i], u_unrec[i], harm[i], record_factor[node[i]], rules)
        cw = min(max(np.int64(week[i]), 0), rec_weeks - 1)
        first_week, last_week = min(first_week, cw), max(last_week, cw)
        by_code[disp, cw, region[i]] += 1
        if disp <= UNRECORDED:
            physical[node[i], sku[i]] += 1
            if disp == RECORDED:
                system[node[i], sku[i]] += 1
            restocked += 1
        if not harm[i]:
            f_start[j] = start[i]
            f_refund[j] = refund_at
            f_week[j] = week[i]
            f_region[j] = region[i]
            f_pair[j] = ONLINE_TO_MAIL
            j += 1
            legacy += 1
    counts = combine_codes(by_code, members, first_week, last_week)
    return Bench(queued, counts, first_week, last_week, restocked, j, legacy)


@kernel
def hold(held: np.ndarray, ids: np.ndarray, rows: np.ndarray, idx: np.ndarray,
         week: np.ndarray) -> None:
    """Hold the refunds of returns ``rows[idx]`` (of weeks ``week``) under exceptions ``ids``."""
    h_start, h_week, h_region, h_pair = held.start, held.week, held.region, held.pair
    for k in range(len(ids)):
        i, e = idx[k], ids[k]
        h_start[e] = rows.start[i]
        h_week[e] = week[k]
        h_region[e] = rows.region[i]
        h_pair[e] = rows.pair[i]


@kernel
def release(held: np.ndarray, ids: np.ndarray, finish: np.ndarray, refunds: np.ndarray,
            n_refunds: int) -> tuple[int, int]:
    """Book the refunds held by finished exceptions ``ids`` (refunded at ``finish``).

    Ids past the table or holding nothing (approvals of harmonized returns, refunded at the
    scan) are skipped. The held records are read before any is cleared, as the NumPy gather
    and scatter this replaces did. Returns the refund buffer's new count and the refunds
    released.
    """
    h_start = held.start
    m = len(ids)
    real = np.zeros(m, dtype=np.bool_)
    for k in range(m):
        real[k] = ids[k] < len(held) and not np.isnan(h_start[ids[k]])
    j = n_refunds
    for k in range(m):
        if real[k]:
            e = ids[k]
            refunds.start[j] = h_start[e]
            refunds.refund[j] = finish[k]
            refunds.week[j] = held.week[e]
            refunds.region[j] = held.region[e]
            refunds.pair[j] = held.pair[e]
            j += 1
    for k in range(m):
        if real[k]:
            h_start[ids[k]] = np.nan
    return j, j - n_refunds


class Book(NamedTuple):
    """Refund samples by channel pair (see :func:`split_refunds`)."""

    week: np.ndarray  #: pairs one after another, each in booking order
    region: np.ndarray
    cycle: np.ndarray
    bounds: np.ndarray  #: pair ``k`` is rows ``bounds[k]:bounds[k + 1]``
    late: np.ndarray  #: ``(weeks, regions)`` refunds not made by ``end``


@kernel
def split_refunds(refunds: np.ndarray, end: float, n_pairs: int, rec_weeks: int,
                  rec_regions: int) -> Book:
    """Refund cycles (refund - start; ``end - start`` if not made by ``end``) by pair."""
    n = len(refunds)
    start, refund, week, region, pair = refunds.start, refunds.refund, refunds.week, \
        refunds.region, refunds.pair
    bounds = np.zeros(n_pairs + 1, dtype=np.int64)
    for i in range(n):
        bounds[pair[i] + 1] += 1
    for k in range(n_pairs):
        bounds[k + 1] += bounds[k]
    at = bounds[:-1].copy()
    o_week = np.empty(n, dtype=np.int16)  # the recorder keeps sample weeks as int16
    o_region = np.empty(n, dtype=np.int16)
    o_cycle = np.empty(n)
    late = np.zeros((rec_weeks, rec_regions))
    for i in range(n):
        q = at[pair[i]]
        at[pair[i]] += 1
        o_week[q] = week[i]
        o_region[q] = region[i]
        if refund[i] > end:
            o_cycle[q] = end - start[i]
            late[min(max(np.int64(week[i]), 0), rec_weeks - 1), region[i]] += 1.0
        else:
            o_cycle[q] = refund[i] - start[i]
    return Book(o_week, o_region, o_cycle, bounds, late)
