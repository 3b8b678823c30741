"""Compiled loop of store demand: one hour's walk-in units placed and sold one by one.

:class:`~sim.model.demand.sales.StoreDemand` draws every random number; this loop applies
the sale, lost-sale, shrink and mis-scan rules unit by unit in arrival order.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import guide_table, kernel, search_right
from sim.model.rollout.adherence import adhered_factor
from sim.model.world import CUTOVER


@kernel
def sell_hour(n: int, u: np.ndarray, store_cdf: np.ndarray, sku_cdf: np.ndarray,
               sku_total: float, n_skus: int, state: np.ndarray, closed: np.ndarray,
               lost_share: float,
               phys: np.ndarray, system: np.ndarray, open_res: np.ndarray,
               realtime: np.ndarray, misscan_rate: float, record_factor: np.ndarray,
               error_multiplier: np.ndarray, unposted_share: float, store_region: np.ndarray,
               sku_price: np.ndarray, sku_margin: np.ndarray, shrink_mark: np.ndarray,
               stamp: int, region_out: np.ndarray, value_out: np.ndarray,
               lost_margin_out: np.ndarray, sold_store: np.ndarray, sold_sku: np.ndarray,
               sold_at: np.ndarray, unposted: np.ndarray) -> tuple[int, int, int]:
    """One hour of walk-in units (rows ``:n`` of ``u``) and shrink units (rows ``n:``).

    Each unit is placed on a store and SKU by inverse CDF. Then, in arrival order at each
    shelf: it is lost if its store is ``closed`` (a disruption: no draw read), or walks out if
    its store is in cutover (with the lost-sale share); it sells if the
    shelf holds a unit not set aside for an online pick, else it is a lost sale; a sold unit
    may be mis-scanned as another SKU of the store (the record moves on the wrong SKU), at
    ``misscan_rate`` x the store's record-error factor x its go-live error multiplier. At a
    real-time store a sale's event may not yet be seen by the channel when the hour's orders
    are promised (``u[:, 2] < unposted_share``; that column only decides walk-outs at stores
    in cutover, which are never real time): its record cell is also written to ``unposted``
    (the caller makes the channel's view lag by it). Shrink then takes one unit from each
    distinct drawn cell that still has stock.

    ``region_out`` rows accumulate per region: 0 lost sales (a closure's included), 1 downtime
    lost, 2 units sold;
    ``value_out`` the value sold; ``lost_margin_out`` the margin (price - cost) of the units
    not sold. Returns ``(units sold, shrink units, unposted sales)``; the sold units' stores
    and SKUs are written, in arrival order, to ``sold_store``/``sold_sku``, and their places
    among the hour's walk-in units to ``sold_at`` (what a sale's own later draws are keyed
    to: the walk-in units do not depend on the plan, the sales do).
    """
    n_stores = len(store_region)
    m = u.shape[0]
    store_total = store_cdf[-1]
    store_guide = guide_table(store_cdf, store_total)
    sku_guide = guide_table(sku_cdf, sku_total)
    st = np.empty(m, dtype=np.int32)
    sk = np.empty(m, dtype=np.int32)
    per_store = np.zeros(n_stores + 1, dtype=np.int64)
    for i in range(m):
        st[i] = min(search_right(store_cdf, store_guide, u[i, 0] * store_total, store_total),
                    n_stores - 1)
        sk[i] = min(search_right(sku_cdf, sku_guide, u[i, 1] * sku_total, sku_total), n_skus - 1)
        if i < n:
            per_store[st[i] + 1] += 1
    for s in range(n_stores):
        per_store[s + 1] += per_store[s]
    # Serve the units store by store: a stable counting sort keeps each shelf's arrival
    # order, and a store's cells share a few cache lines, where arrival order jumps across
    # the whole network. Units of different stores do not interact within the hour. What
    # each unit does if it finds stock (walk out in downtime, or the SKU the till records)
    # is decided here, in arrival order, so the serving loop reads only sorted arrays.
    cell_at = np.empty(n, dtype=np.int32)
    act_at = np.empty(n, dtype=np.int32)  # -1: walks out, -2: store closed; else the SKU
    unit_at = np.empty(n, dtype=np.int32)
    late_at = np.empty(n, dtype=np.bool_)
    for i in range(n):
        s, k = st[i], sk[i]
        act = k
        late_at_i = False
        if closed[s]:
            act = -2
        elif state[s] == CUTOVER and u[i, 2] < lost_share:
            act = -1
        else:
            late_at_i = realtime[s] != 0 and u[i, 2] < unposted_share
            em = error_multiplier[s]
            rate = misscan_rate * adhered_factor(record_factor[s], em) * em
            if u[i, 3] < rate and n_skus > 1:
                # u < rate, so u / rate is a fresh uniform that picks the wrong SKU.
                other = np.int64(np.floor(u[i, 3] / rate * (n_skus - 1)))
                act = (k + 1 + other) % n_skus
        j = per_store[s]
        per_store[s] += 1
        cell_at[j] = s * n_skus + k
        act_at[j] = act
        unit_at[j] = i
        late_at[j] = late_at_i
    # 0 walked out in downtime, 1 shelf empty, 2 sold, 3 store closed
    outcome = np.empty(n, dtype=np.int8)
    n_late = 0
    for j in range(n):
        i = unit_at[j]
        if act_at[j] < 0:
            outcome[i] = 0 if act_at[j] == -1 else 3
            continue
        cell = cell_at[j]
        s = cell // n_skus
        # Units promised to online orders at real-time stores are set aside for the picker.
        held = open_res[cell] if realtime[s] else 0
        if phys[cell] - held <= 0:
            outcome[i] = 1
            continue
        phys[cell] -= 1
        outcome[i] = 2
        system[s * n_skus + act_at[j]] -= 1
        if late_at[j]:
            unposted[n_late] = s * n_skus + act_at[j]
            n_late += 1
    sold = 0
    for i in range(n):  # tallies in arrival order (float sums in a fixed order)
        r = store_region[st[i]]
        if outcome[i] == 2:
            region_out[2, r] += 1.0
            value_out[r] += sku_price[sk[i]]
            sold_store[sold] = st[i]
            sold_sku[sold] = sk[i]
            sold_at[sold] = i
            sold += 1
        else:
            region_out[0, r] += 1.0
            lost_margin_out[r] += sku_margin[sk[i]]
            if outcome[i] == 0:
                region_out[1, r] += 1.0
    shrunk = 0
    for i in range(n, m):  # shrink: a drawn cell loses one unit once per hour if it has any
        cell = st[i] * n_skus + sk[i]
        if shrink_mark[cell] != stamp and phys[cell] > 0:
            phys[cell] -= 1
            shrunk += 1
        shrink_mark[cell] = stamp
    return sold, shrunk, n_late
