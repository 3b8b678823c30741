"""Compiled loop of store demand: one hour's walk-in units sold one by one, store by store.

:class:`~sim.model.demand.sales.StoreDemand` draws every random number; this loop applies
the sale, lost-sale, shrink and mis-scan rules unit by unit in arrival order.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import guide_table, inline_kernel, kernel, search_right
from sim.model.plumbing.prefetch import prefetch_span
from sim.model.rollout.adherence import adhered_factor
from sim.model.world import CUTOVER


@inline_kernel
def _rest(v: float, p: float) -> float:
    """What is left of a uniform ``v`` once ``v < p`` has been decided false: a fresh uniform.

    Given ``v >= p``, ``(v - p) / (1 - p)`` is uniform on [0, 1) and independent of the
    decision, so one draw serves several decisions in turn.
    """
    return (v - p) / (1.0 - p) if p < 1.0 else 0.0


@kernel
def sell_hour(stores: np.ndarray, per_store: np.ndarray, u: np.ndarray, store_cdf: np.ndarray,
              sku_cdf: np.ndarray, sku_total: float, n_skus: int, state: np.ndarray,
              closed: np.ndarray, lost_share: float,
              phys: np.ndarray, system: np.ndarray, open_res: np.ndarray,
              realtime: np.ndarray, misscan_rate: float, record_factor: np.ndarray,
              error_multiplier: np.ndarray, unposted_share: float, store_region: np.ndarray,
              sku_price: np.ndarray, sku_margin: np.ndarray, shrink_mark: np.ndarray,
              stamp: int, week: int, block: np.ndarray, store_sold: np.ndarray,
              sold_store: np.ndarray, sold_sku: np.ndarray, sold_at: np.ndarray,
              unposted: np.ndarray) -> tuple[int, int, int]:
    """One hour of walk-in units, ``per_store[j]`` at store ``stores[j]``, then shrink.

    The walk-in units are rows ``:n`` of ``u`` (``n = per_store.sum()``), store after store
    in the order of ``stores``, each store's in arrival order: column 0 places the unit on a
    SKU by inverse CDF, column 1 decides what it does. Units of different stores do not meet
    within the hour, so serving them store by store is serving them in arrival order. A unit
    is lost if its store is ``closed`` (a disruption: no draw read), or walks out if its store
    is in cutover (with the lost-sale share); it sells if the shelf holds a unit not set aside
    for an online pick, else it is a lost sale. A sale at a real-time store may not yet be
    seen by the channel when the hour's orders are promised (``unposted_share`` of them; its
    record cell is written to ``unposted``, and the caller makes the channel's view lag by
    it); a sold unit may be mis-scanned as another SKU of the store (the record moves on the
    wrong SKU) at ``misscan_rate`` x the store's record-error factor x its go-live error
    multiplier. Each of these decisions reads what is left of the unit's decision uniform
    once the earlier ones are made (:func:`_rest`), so they are independent.

    Shrink units are rows ``n:`` of ``u`` (column 0 the store, by inverse CDF over
    ``store_cdf``, column 1 the SKU): shrink takes one unit from each distinct drawn cell
    that still has stock after the hour's sales.

    The hour's sums per region go to ``week`` of the recorder's row block ``block``
    (counter x week x region), added once at the end as the recorder's ``add_rows`` does:
    row 0 lost sales (a closure's included), 1 downtime lost, 2 units sold, 3 the value sold,
    4 the margin (price - cost) of the units not sold; each store's units sold go to its
    column of ``store_sold`` (week x store). Returns ``(units sold, shrink units, unposted
    sales)``; the sold units' stores and SKUs are written, in arrival order, to
    ``sold_store``/``sold_sku``, and their places among the hour's walk-in units to
    ``sold_at`` (what a sale's own later draws are keyed to: the walk-in units do not depend
    on the plan, the sales do).
    """
    sku_guide = guide_table(sku_cdf, sku_total)
    n_regions = block.shape[2]
    region_out = np.zeros((3, n_regions))
    value_out = np.zeros(n_regions)
    lost_margin_out = np.zeros(n_regions)
    i = 0
    sold = 0
    n_late = 0
    for j in range(len(stores)):
        s = stores[j]
        if j + 1 < len(stores):
            # The next store's shelf and record rows, fetched while this store's units are
            # served: its units hit most of their cache lines, in an order no hardware
            # prefetcher follows (beyond the caches at thousands of stores).
            nxt = stores[j + 1]
            prefetch_span(phys, nxt * n_skus, (nxt + 1) * n_skus)
            prefetch_span(system, nxt * n_skus, (nxt + 1) * n_skus)
            if realtime[nxt]:
                prefetch_span(open_res, nxt * n_skus, (nxt + 1) * n_skus)
        r = store_region[s]
        row = s * n_skus
        is_closed = closed[s]
        in_cutover = state[s] == CUTOVER
        is_realtime = realtime[s] != 0
        em = error_multiplier[s]
        rate = misscan_rate * adhered_factor(record_factor[s], em) * em
        n_lost, n_walked, n_sold, value, lost_m = 0, 0, 0, 0.0, 0.0
        for _ in range(per_store[j]):
            k = min(search_right(sku_cdf, sku_guide, u[i, 0] * sku_total, sku_total),
                    n_skus - 1)
            if is_closed:
                n_lost += 1
                lost_m += sku_margin[k]
                i += 1
                continue
            v = u[i, 1]
            if in_cutover:
                if v < lost_share:  # walks out in the downtime
                    n_lost += 1
                    n_walked += 1
                    lost_m += sku_margin[k]
                    i += 1
                    continue
                v = _rest(v, lost_share)
            cell = row + k
            # Units promised to online orders at real-time stores are set aside for the picker.
            held = open_res[cell] if is_realtime else 0
            if phys[cell] - held <= 0:  # the shelf is empty: a lost sale
                n_lost += 1
                lost_m += sku_margin[k]
                i += 1
                continue
            late = False
            if is_realtime:
                late = v < unposted_share
                v = v / unposted_share if late else _rest(v, unposted_share)
            act = k
            if v < rate and n_skus > 1:
                # v < rate, so v / rate is a fresh uniform that picks the wrong SKU.
                other = np.int64(np.floor(v / rate * (n_skus - 1)))
                act = (k + 1 + other) % n_skus
            phys[cell] -= 1
            system[row + act] -= 1
            if late:
                unposted[n_late] = row + act
                n_late += 1
            n_sold += 1
            value += sku_price[k]
            sold_store[sold] = s
            sold_sku[sold] = k
            sold_at[sold] = i
            sold += 1
            i += 1
        # A store's sums, added once per store (in the order of ``stores``: deterministic).
        region_out[0, r] += n_lost
        region_out[1, r] += n_walked
        region_out[2, r] += n_sold
        value_out[r] += value
        lost_margin_out[r] += lost_m
        if n_sold:  # whole counts: a store's sales are one number an hour
            store_sold[week, s] += n_sold
    for r in range(n_regions):
        for c in range(3):
            block[c, week, r] += region_out[c, r]
        block[3, week, r] += value_out[r]
        block[4, week, r] += lost_margin_out[r]
    shrunk = 0
    m = u.shape[0]
    if m > i:
        n_stores = len(store_region)
        store_total = store_cdf[-1]
        store_guide = guide_table(store_cdf, store_total)
        for q in range(i, m):  # shrink: a drawn cell loses one unit once per hour if it has any
            s = min(search_right(store_cdf, store_guide, u[q, 0] * store_total, store_total),
                    n_stores - 1)
            k = min(search_right(sku_cdf, sku_guide, u[q, 1] * sku_total, sku_total),
                    n_skus - 1)
            cell = s * n_skus + k
            if shrink_mark[cell] != stamp and phys[cell] > 0:
                phys[cell] -= 1
                shrunk += 1
            shrink_mark[cell] = stamp
    return sold, shrunk, n_late
