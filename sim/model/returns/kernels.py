"""Compiled loops of the return-to-refund journey: thinning, filing, starting returns.

:mod:`sim.model.returns.journey` owns the journey's state and draws every random number from
its stream (NumPy, in the order, sizes and dtypes the journey always drew them); these loops
apply its rules (:mod:`sim.model.returns.rules`) to an hour's sales or a day's returns one
return at a time, in order (see :mod:`sim.model.plumbing.jit`). Each replaces a chain of NumPy
expressions by the same float operations in the same order and dtypes (float32 where the
thinning compares float32), so outputs are the same bits; the kernel-equivalence tests check
each loop against its expressions.
The DC bench and the refund book are in :mod:`sim.model.returns.refund_kernels`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.plumbing.day_chains import BLOCK, Chains
from sim.model.plumbing.jit import kernel
from sim.model.plumbing.sorting import counting_sort
from sim.model.returns.rules import (
    AT_SCAN,
    ONLINE_TO_MAIL,
    ONLINE_TO_STORE,
    STORE_TO_STORE,
    harmonized_for,
    needs_approval,
    needs_lookup,
    refund_trigger,
    scan_mean_hours,
)
from sim.model.rollout.adherence import adhered_factor, process_followed
from sim.model.world import HOURS_PER_WEEK, next_open_at

#: Disposition codes (UNDECIDED: a mailed return not yet inspected at the DC).
RECORDED, UNRECORDED, DAMAGED, VENDOR, UNDECIDED = 0, 1, 2, 3, 4
N_DISP = 5
#: Returns never start on the day of the sale, which keeps the day-keyed buffer exact: a return
#: thinned during day d starts on day d+1 or later, after the buffer was filed.
MIN_DELAY_HOURS = 24.0


class Rules(NamedTuple):
    """The journey's parameters as the loops use them.

    Products and sums of parameters are formed once in Python, as the NumPy expressions the
    loops replace formed them (``a * b * array`` is ``(a * b) * array``).
    """

    delay_scale_store: float  #: Erlang-2 phase mean of the store purchase-to-return delay
    delay_scale_online: float  #: ... of the online one
    in_store_share: float  #: online returns brought to a store
    first_scan_hours: float
    refund_till_hours: float
    restock_share: float
    restock_or_damaged: float  #: restock_share + damaged_share
    unrecorded_legacy: float  #: unrecorded restock probability, legacy
    unrecorded_harmonized: float  #: ... harmonized
    unreceipted_rate: float  #: receiptless_return_share * unreceipted_escalation_prob
    lookup_share: float  #: legacy BORIS returns needing a lookup


@kernel
def thin_store(u: np.ndarray, p: np.ndarray, weeks: np.ndarray, stores: np.ndarray,
               skus: np.ndarray, n_skus: int, n_weeks: int, hour: int, out: np.ndarray,
               n: int) -> int:
    """Append the sold units that come back, ``u < p[week, sku]`` (float32), to ``out``.

    ``out`` is a :data:`~sim.model.returns.records.STAGED_STORE` buffer with room for every
    unit after its first ``n`` records; returns the new record count.
    """
    o_hour, o_store, o_sku = out.hour, out.store, out.sku
    last = n_weeks - 1
    j = n
    for i in range(len(u)):
        if u[i] < p[min(weeks[i], last) * n_skus + skus[i]]:
            o_hour[j] = hour
            o_store[j] = stores[i]
            o_sku[j] = skus[i]
            j += 1
    return j


@kernel
def thin_online(b: np.ndarray, picked: np.ndarray, p: np.ndarray, week: int, n_skus: int,
                hour: int, out: np.ndarray, n: int) -> int:
    """Append the picked lines of ``b`` that come back, ``return_u < p[week, sku]`` (float32).

    ``b`` is a batch of order lines (:data:`~sim.model.orders.kernels.ORDER`: ``return_u``,
    ``sku``, the customer's ``region`` and ``store``), of which the lines where ``picked``
    is set were picked (all of them if ``picked`` is empty): read in place, no copy of the
    batch. ``out`` is a :data:`~sim.model.returns.records.STAGED_ONLINE` buffer with room for
    every line after its first ``n`` records; returns the new record count.
    """
    o_hour, o_sku, o_region, o_store = out.hour, out.sku, out.region, out.store
    u, skus, regions, stores = b.return_u, b.sku, b.region, b.store
    every = len(picked) == 0
    base = week * n_skus
    j = n
    for i in range(len(b)):
        if (every or picked[i]) and u[i] < p[base + skus[i]]:
            o_hour[j] = hour
            o_sku[j] = skus[i]
            o_region[j] = regions[i]
            o_store[j] = stores[i]
            j += 1
    return j


@kernel
def file_returns(store: np.ndarray, e_store: np.ndarray, online: np.ndarray, u_in: np.ndarray,
                 e_online: np.ndarray, rules: Rules, open_hour: np.ndarray,
                 close_hour: np.ndarray, store_region: np.ndarray, region_dc: np.ndarray,
                 floor_day: int, rows: np.ndarray, chains: Chains, mail: np.ndarray,
                 first: int) -> tuple[int, int]:
    """Give staged returns their start times; file them under their start day.

    Purchase-to-return delay: ``MIN_DELAY_HOURS`` plus an Erlang-2, the sum of the two rows of
    ``e_store`` / ``e_online`` (standard exponentials) times the phase mean. A return starts
    half an hour into its sale's hour plus the delay; a return to a store waits for it to open.
    Online returns go to the customer's store when ``u_in < in_store_share``, else by mail to
    the region's DC. Store rows then online rows, from row ``first`` on, are appended to the
    chain of their start day (not before ``floor_day``) in ``rows``
    (:data:`~sim.model.returns.records.START`); ``mail`` counts the mailed returns per day.

    Returns ``(rows filed, -1)`` when all are filed, or ``(r, day)`` when row ``r`` falls on
    a day past the chains' table: grow it (and ``mail``) and call again from ``r``.
    """
    f_start, f_node, f_sku, f_region, f_pair = rows.start, rows.node, rows.sku, rows.region, \
        rows.pair
    # The chains' arrays, hoisted: the append below is written out here because a call
    # passing arrays costs reference counting per record.
    c_next, c_head, c_tail, c_fill = chains.next, chains.head, chains.tail, chains.fill
    c_free, c_n_free = chains.free, chains.n_free
    n_days = len(c_head)
    ns = len(store)
    s_hour, s_store, s_sku = store.hour, store.store, store.sku
    o_hour, o_store, o_sku, o_region = online.hour, online.store, online.sku, online.region
    for r in range(first, ns + len(online)):
        if r < ns:
            node = s_store[r]
            t = s_hour[r] + 0.5 + (MIN_DELAY_HOURS + (e_store[0, r] + e_store[1, r])
                                   * rules.delay_scale_store)
            t = next_open_at(t, open_hour[node], close_hour[node])
            pair, sku, region = STORE_TO_STORE, s_sku[r], store_region[node]
        else:
            k = r - ns
            t = o_hour[k] + 0.5 + (MIN_DELAY_HOURS + (e_online[0, k] + e_online[1, k])
                                   * rules.delay_scale_online)
            sku, region = o_sku[k], o_region[k]
            if u_in[k] < rules.in_store_share:
                node, pair = o_store[k], ONLINE_TO_STORE
                t = next_open_at(t, open_hour[node], close_hour[node])
            else:
                node, pair = region_dc[region], ONLINE_TO_MAIL
        # Times are positive: truncation is floor.
        d = max(np.int64(t / 24.0), floor_day)
        if d >= n_days:
            return r, d
        # Append to day d's chain (see sim.model.plumbing.day_chains), opening a block if need be.
        b = c_tail[d]
        if b < 0 or c_fill[d] == BLOCK:
            c_n_free[0] -= 1
            new = c_free[c_n_free[0]]
            c_next[new] = -1
            if b < 0:
                c_head[d] = new
            else:
                c_next[b] = new
            c_tail[d] = b = new
            c_fill[d] = 0
        j = b * BLOCK + c_fill[d]
        c_fill[d] += 1
        f_start[j] = t
        f_node[j] = node
        f_sku[j] = sku
        f_region[j] = region
        f_pair[j] = pair
        if pair == ONLINE_TO_MAIL:
            mail[d] += 1
    return ns + len(online), -1


@kernel
def disposition(u_disp: float, u_unrec: float, harm: bool, em: float, rules: Rules) -> int:
    """Disposition code of a unit: restocked (recorded or not), damaged, vendor return.

    An unrecorded restock (a legacy return system not posting to stock) puts the unit on the
    shelf but not on the record; ``em`` multiplies its probability: the node's record-error
    factor (lower where harmonized inventory events are live) times its go-live error
    multiplier.
    """
    p_unrec = (rules.unrecorded_harmonized if harm else rules.unrecorded_legacy) * em
    if u_disp < rules.restock_share:
        return UNRECORDED if u_unrec < p_unrec else RECORDED
    return DAMAGED if u_disp < rules.restock_or_damaged else VENDOR


@kernel
def combine_codes(by_code: np.ndarray, members: np.ndarray, first_week: int,
                  last_week: int) -> np.ndarray:
    """Counter totals ``(counters, weeks, regions)`` from per-code counts.

    ``members[code, c]`` says whether counter ``c`` counts ``code``; only weeks
    ``first_week..last_week`` can be non-zero. Counts are whole numbers, so sums are exact.
    """
    n_codes, n_weeks, n_regions = by_code.shape
    out = np.zeros((members.shape[1], n_weeks, n_regions))
    for c in range(members.shape[1]):
        for code in range(n_codes):
            if members[code, c]:
                for w in range(first_week, last_week + 1):
                    for r in range(n_regions):
                        out[c, w, r] += by_code[code, w, r]
    return out


class Day(NamedTuple):
    """What starting a day's returns books (see :func:`start_returns`)."""

    counts: np.ndarray  #: ``(counters, weeks, regions)`` units started
    value: np.ndarray  #: ``(weeks, regions)`` value of the units started
    first_week: int  #: weeks ``first_week..last_week`` hold every return started
    last_week: int
    unreceipted: np.ndarray  #: positions of the returns raising ``unreceipted_return``...
    unreceipted_week: np.ndarray  #: ...their weeks...
    unreceipted_waits: np.ndarray  #: ...and whether their refund waits for the approval
    lookup: np.ndarray  #: positions of the returns raising ``return_lookup`` (refunds wait)...
    lookup_week: np.ndarray  #: ...and their weeks
    n_restock: int  #: records written to the restock buffer
    n_refunds: int  #: new record count of the refund buffer
    parcel_bounds: np.ndarray  #: days of the parcels (see ``counting_sort``)
    mail_legacy: int  #: parcels whose refund waits for the bench


@kernel
def start_returns(rows: np.ndarray, spans: np.ndarray, u: np.ndarray, e_scan: np.ndarray,
                  transit: np.ndarray, harmonized: np.ndarray, central_harmonized: bool,
                  error_multiplier: np.ndarray, record_factor: np.ndarray, price: np.ndarray,
                  rules: Rules, n_weeks: int, members: np.ndarray, rec_weeks: int,
                  rec_regions: int, restock: np.ndarray, refunds: np.ndarray, n_refunds: int,
                  parcels: np.ndarray, parcel_floor_day: int) -> Day:
    """Start a day's returns: dispositions, counts, refund triggers, exceptions, parcels.

    The returns are the :data:`~sim.model.returns.records.START` records of ``rows`` in the
    ``(position, count)`` ``spans``, in order; the ``k``-th has draws ``u[:, k]`` and
    ``e_scan[k]``. Per return: the disposition (``u[0]``, ``u[1]``; mailed returns are decided
    at the DC bench); counted by ``(pair * N_DISP + disposition)`` code, week and region
    (``members`` maps codes to counters; ``value`` sums the prices in row order from zero, as
    the recorder's tally does); a store restock appended to ``restock``; a receipt-less return
    raising ``unreceipted_return`` or a legacy BORIS return raising ``return_lookup``
    (``u[2]``); a refund made at the scan (``e_scan`` times the till or first-scan mean)
    appended to ``refunds`` from ``n_refunds``; a mailed return written to ``parcels`` (one
    record per mailed return) with its arrival (start plus its ``transit`` draw, in order),
    the parcels stably sorted by arrival day (not before ``parcel_floor_day``).
    """
    r_start, r_node, r_sku = rows.start, rows.node, rows.sku
    r_region, r_pair = rows.region, rows.pair
    # Parcels go to their place in arrival-day order as they are met.
    parcel_day = np.empty(len(parcels), dtype=np.int64)
    m = 0
    for s in range(len(spans)):
        for i in range(spans[s, 0], spans[s, 0] + spans[s, 1]):
            if r_pair[i] == ONLINE_TO_MAIL:
                parcel_day[m] = max(np.int64((r_start[i] + transit[m]) / 24.0),
                                    parcel_floor_day)
                m += 1
    pos, bounds = counting_sort(parcel_day, parcel_floor_day)
    p_start, p_arrival, p_u_disp, p_u_unrec = parcels.start, parcels.arrival, parcels.u_disp, \
        parcels.u_unrec
    p_week, p_node, p_sku, p_region, p_harm = parcels.week, parcels.node, parcels.sku, \
        parcels.region, parcels.harm
    f_start, f_refund, f_week = refunds.start, refunds.refund, refunds.week
    f_region, f_pair = refunds.region, refunds.pair
    s_node, s_sku, s_recorded = restock.node, restock.sku, restock.recorded
    n = len(e_scan)
    by_code = np.zeros((3 * N_DISP, rec_weeks, rec_regions), dtype=np.int64)
    value = np.zeros((rec_weeks, rec_regions))
    unrec = np.empty(n, dtype=np.int64)
    unrec_week = np.empty(n, dtype=np.int32)
    unrec_waits = np.empty(n, dtype=np.bool_)
    lookup = np.empty(n, dtype=np.int64)
    lookup_week = np.empty(n, dtype=np.int32)
    n_unrec = 0
    n_lookup = 0
    n_restock = 0
    n_mail = 0
    mail_legacy = 0
    # np.int64(-1), not -1: a literal reaching combine_codes built it a second time.
    first_week, last_week = rec_weeks, np.int64(-1)
    j = n_refunds
    k = 0
    for s in range(len(spans)):
        for i in range(spans[s, 0], spans[s, 0] + spans[s, 1]):
            t = r_start[i]
            wk = min(np.int64(t / HOURS_PER_WEEK), n_weeks - 1)
            node, pair, reg = r_node[i], r_pair[i], r_region[i]
            harm = harmonized_for(pair, harmonized[node], central_harmonized)
            mail = pair == ONLINE_TO_MAIL
            em = 1.0 if mail else error_multiplier[node]
            harm = process_followed(harm, u[3, k], em)
            disp = UNDECIDED if mail else disposition(
                u[0, k], u[1, k], harm, em * adhered_factor(record_factor[node], em), rules)
            # Counters clip late weeks as the recorder does.
            cw = min(max(wk, 0), rec_weeks - 1)
            first_week, last_week = min(first_week, cw), max(last_week, cw)
            by_code[pair * N_DISP + disp, cw, reg] += 1
            value[cw, reg] += price[r_sku[i]]
            if not mail and disp <= UNRECORDED:
                s_node[n_restock] = node
                s_sku[n_restock] = r_sku[i]
                s_recorded[n_restock] = disp == RECORDED
                n_restock += 1
            # A receipt-less return the till cannot settle goes to store operations; more of
            # them at newly live stores. Legacy refunds wait for the approval; the harmonized
            # trigger refunds at the scan and the item is checked afterwards.
            unreceipted = needs_approval(pair, u[2, k], rules.unreceipted_rate, em)
            looked_up = needs_lookup(pair, harm, u[2, k], rules.lookup_share)
            if unreceipted:
                unrec[n_unrec] = i
                unrec_week[n_unrec] = wk
                unrec_waits[n_unrec] = not harm
                n_unrec += 1
            if looked_up:
                lookup[n_lookup] = i
                lookup_week[n_lookup] = wk
                n_lookup += 1
            if refund_trigger(pair, harm, unreceipted, looked_up) == AT_SCAN:
                scan = scan_mean_hours(pair, rules.refund_till_hours, rules.first_scan_hours)
                f_start[j] = t
                f_refund[j] = t + e_scan[k] * scan
                f_week[j] = wk
                f_region[j] = reg
                f_pair[j] = pair
                j += 1
            if mail:
                q = pos[n_mail]
                p_start[q] = t
                p_arrival[q] = t + transit[n_mail]
                p_u_disp[q] = u[0, k]
                p_u_unrec[q] = u[1, k]
                p_week[q] = wk
                p_node[q] = node
                p_sku[q] = r_sku[i]
                p_region[q] = reg
                p_harm[q] = harm
                if not harm:
                    mail_legacy += 1
                n_mail += 1
            k += 1
    counts = combine_codes(by_code, members, first_week, last_week)
    return Day(counts, value, first_week, last_week, unrec[:n_unrec], unrec_week[:n_unrec],
               unrec_waits[:n_unrec], lookup[:n_lookup], lookup_week[:n_lookup], n_restock, j,
               bounds, mail_legacy)


@kernel
def put_back(restock: np.ndarray, physical: np.ndarray, system: np.ndarray) -> int:
    """Put restocked units on the shelf (``physical``); recorded ones on the record too."""
    node, sku, recorded = restock.node, restock.sku, restock.recorded
    for i in range(len(restock)):
        physical[node[i], sku[i]] += 1
        if recorded[i]:
            system[node[i], sku[i]] += 1
    return len(restock)
