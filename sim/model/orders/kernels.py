"""Compiled per-order loops of the online channel: arrival, routing, promising, scheduling, picks.

:mod:`sim.model.orders.channel` owns the channel's state and rules; these loops apply the rules to a
batch of orders one order at a time, in arrival order (see :mod:`sim.model.plumbing.jit`). The order
arrays are the fields of an :data:`ORDER` batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.orders.rules import BOPIS, SFS, SHIP, legacy_node
from sim.model.plumbing.jit import guide_table, inline_kernel, kernel, search_right
from sim.model.world import next_open_at

#: One online order. Batches are structured arrays, so selecting or joining orders is one
#: numpy operation rather than one per field.
ORDER = np.dtype([("node", np.int64), ("sku", np.int64), ("region", np.int64),
                  ("method", np.int64), ("store", np.int64), ("home", np.int64),
                  ("ready_by", np.float64), ("patience", np.float64), ("lag", np.float64),
                  ("tries", np.int64), ("oversold", np.bool_), ("pick_at", np.float64)])

#: Rows of the per-region counts :func:`arrive` returns.
PLACED, UNPROMISABLE, PROMISED, BOPIS_PROMISED = 0, 1, 2, 3
#: Rows of the per-region counts :func:`pick` returns.
FULFILLED, READY = 0, 1


@inline_kernel
def _atp(cell: int, node: int, realtime: np.ndarray, system: np.ndarray, open_res: np.ndarray,
         visible: np.ndarray, reserved_since_sync: np.ndarray) -> int:
    """Available to promise at a cell, before the safety buffer.

    Real-time nodes see the record less every open reservation; batch nodes see the last
    snapshot less what was promised since it (earlier promises not yet picked are forgotten
    at the next snapshot, which is how batch views double-promise). Both views are read and
    one is kept without a branch: whether a node is real time varies from order to order,
    and mispredicted branches would serialise the loads.
    """
    live = system[cell] - open_res[cell]
    batch = visible[cell] - reserved_since_sync[cell]
    return live if realtime[node] else batch


@kernel
def route(node: np.ndarray, method: np.ndarray, region: np.ndarray, store: np.ndarray,
          home: np.ndarray, sku: np.ndarray, exclude: np.ndarray, orchestrated: bool,
          region_dc: np.ndarray, harm: np.ndarray, near_sfs: np.ndarray, realtime: np.ndarray,
          system: np.ndarray, open_res: np.ndarray, visible: np.ndarray,
          reserved_since_sync: np.ndarray, buffer: int, n_skus: int, seen: np.ndarray) -> None:
    """Route a batch of orders through the candidate stages; reserve what was promised.

    Stages, each tried for the orders still without a node (``node < 0``): under
    orchestration (1) the serving DC if its routing is harmonized (delivery orders), (2) the
    BOPIS store if harmonized, else of the harmonized ship-from-store stores near the customer
    the one with the most stock available to promise; then the legacy channel rules: (3) ship
    -> serving DC, ship-from-store -> home store, BOPIS -> the chosen store, (4)
    ship-from-store -> DC. ``exclude`` is a node each order must avoid (the one that just
    failed it), -1 for none.

    Every stage judges against the availability before this batch (the channel promises a
    batch from one view); within a stage the first orders for a cell take what it has beyond
    the safety buffer. Orders are taken one at a time through the stages: which orders reach
    a stage, and in what order, is the same as stage-by-stage passes would give, and the
    nearby stores are compared only for orders that reach that stage. ``seen`` is a zeroed
    scratch counter per stage and cell (4 x cells), left zeroed.
    """
    n = len(node)
    k_near = near_sfs.shape[1]
    n_cells = len(system)
    touched = np.empty(4 * n, dtype=np.int64)
    n_touched = 0
    for i in range(n):
        if node[i] >= 0:
            continue
        m = method[i]
        dc = region_dc[region[i]]
        for stage in range(0 if orchestrated else 2, 4):
            if stage == 0:
                cand = dc if (m != BOPIS and harm[dc]) else -1
            elif stage == 1:
                if m == BOPIS:
                    cand = store[i] if harm[store[i]] else -1
                else:  # the harmonized nearby store with the most available to promise
                    h = home[i]
                    cand = -1
                    top_atp = 0
                    for j in range(k_near):
                        c = near_sfs[h, j]
                        if c < 0 or not harm[c]:
                            continue
                        a = _atp(c * n_skus + sku[i], c, realtime, system, open_res, visible,
                                 reserved_since_sync)
                        if cand < 0 or a > top_atp:
                            cand, top_atp = c, a
            else:
                cand = legacy_node(stage, m, dc, home[i], store[i])
            if cand < 0 or cand == exclude[i]:
                continue
            cell = cand * n_skus + sku[i]
            avail = _atp(cell, cand, realtime, system, open_res, visible,
                         reserved_since_sync) - buffer
            key = stage * n_cells + cell
            taken = seen[key]
            if taken == 0:
                touched[n_touched] = key
                n_touched += 1
            seen[key] = taken + 1
            if taken < avail:
                node[i] = cand
                break
    for j in range(n_touched):
        seen[touched[j]] = 0
    for i in range(n):
        if node[i] >= 0:
            cell = node[i] * n_skus + sku[i]
            open_res[cell] += 1
            reserved_since_sync[cell] += 1


@inline_kernel
def _pick_store(stores: np.ndarray, keys: np.ndarray, guide: np.ndarray, region: int,
                u: float) -> int:
    # u < 1, so region + u stays inside the region's key range (see Orders._region_picker).
    pos = search_right(keys, guide, region + u, keys[-1])
    return stores[min(pos, len(stores) - 1)]


class Channel(NamedTuple):
    """Per-replication tables the arrival kernel reads (arrays are the world's, live)."""

    region_cdf: np.ndarray
    bopis_stores: np.ndarray
    bopis_keys: np.ndarray
    bopis_guide: np.ndarray
    sfs_stores: np.ndarray
    sfs_keys: np.ndarray
    sfs_guide: np.ndarray
    open_hour: np.ndarray
    close_hour: np.ndarray
    last_sync: np.ndarray
    order_status_harmonized: np.ndarray
    n_stores: int


class Rules(NamedTuple):
    """The channel's parameters (hours, shares) for the arrival kernel."""

    bopis_share: float
    bopis_or_sfs_share: float
    patience_hours: float
    lag_hours: float
    promised_ready_hours: float
    realtime_latency: float
    dc_pick_hours: float
    store_pick_hours: float


@kernel
def arrive(u: np.ndarray, t: float, sku_cdf: np.ndarray, sku_total: float, b: np.ndarray,
           due: np.ndarray, counts: np.ndarray, latency: np.ndarray, ch: Channel, rules: Rules,
           routing: tuple) -> int:
    """Turn an hour's customer draws ``u`` (orders x 7) into orders ``b``; route, promise them.

    Each order's SKU, customer region, method, BOPIS store, nearby store, patience and
    order-status lag come from its row of ``u``; then the batch is routed (:func:`route`,
    with ``routing`` its state), and each promised BOPIS order gets the ready time promised at
    checkout: within the promise window of open hours, or that long after the next opening
    when today's hours are too short. ``counts`` rows (see the module constants) and
    ``latency`` (age of the view each promise was made from, hours) accumulate per customer
    region.

    Every field of ``b[:len(u)]`` is written (``b`` is a reused buffer). Returns the number of
    promised orders, moved (in arrival order) to the front of ``b`` with their pick times, and
    their due hours in ``due`` (:func:`schedule`).
    """
    (orchestrated, region_dc, harm, near_sfs, realtime, system, open_res, visible,
     reserved_since_sync, buffer, n_skus, seen) = routing
    region_cdf, open_hour, close_hour = ch.region_cdf, ch.open_hour, ch.close_hour
    b_node, b_sku, b_region, b_method = b.node, b.sku, b.region, b.method
    b_store, b_home, b_ready_by, b_patience, b_lag = b.store, b.home, b.ready_by, b.patience, b.lag
    n = u.shape[0]
    n_regions = len(region_cdf)
    guide = guide_table(sku_cdf, sku_total)
    region_total = region_cdf[-1]
    for i in range(n):
        b_sku[i] = min(search_right(sku_cdf, guide, u[i, 0] * sku_total, sku_total), n_skus - 1)
        x = u[i, 1] * region_total
        r = 0
        for j in range(n_regions):  # searchsorted(side="right"), branch-free for a few regions
            r += region_cdf[j] <= x
        r = min(r, n_regions - 1)
        b_region[i] = r
        if u[i, 2] < rules.bopis_share:
            b_method[i] = BOPIS
        elif u[i, 2] < rules.bopis_or_sfs_share:
            b_method[i] = SFS
        else:
            b_method[i] = SHIP
        b_store[i] = _pick_store(ch.bopis_stores, ch.bopis_keys, ch.bopis_guide, r, u[i, 3])
        b_home[i] = _pick_store(ch.sfs_stores, ch.sfs_keys, ch.sfs_guide, r, u[i, 4])
        b_patience[i] = -np.log1p(-u[i, 5]) * rules.patience_hours
        # How long a legacy store takes to see the order (order-status polling); drawn for
        # every order so the draws do not depend on which stores are live.
        b_lag[i] = -np.log1p(-u[i, 6]) * rules.lag_hours
        b_node[i] = -1
        b.tries[i] = 0
        b.oversold[i] = False
    exclude = np.full(n, -1, dtype=np.int64)
    route(b_node, b_method, b_region, b_store, b_home, b_sku, exclude, orchestrated,
          region_dc, harm, near_sfs, realtime, system, open_res, visible, reserved_since_sync,
          buffer, n_skus, seen)
    for i in range(n):
        r = b_region[i]
        counts[PLACED, r] += 1.0
        node = b_node[i]
        if node < 0:
            counts[UNPROMISABLE, r] += 1.0
            continue
        counts[PROMISED, r] += 1.0
        if b_method[i] == BOPIS:
            counts[BOPIS_PROMISED, r] += 1.0
            s = b_store[i]
            start = next_open_at(t, open_hour[s], close_hour[s])
            ready = start + rules.promised_ready_hours
            closes = np.floor(start / 24.0) * 24.0 + close_hour[s]
            if ready > closes:
                ready = (next_open_at(closes, open_hour[s], close_hour[s])
                         + rules.promised_ready_hours)
            b_ready_by[i] = ready
        else:
            b_ready_by[i] = np.inf
        if realtime[node]:
            latency[r] += rules.realtime_latency
        else:
            latency[r] += max(t - ch.last_sync[node], 0.0)
    kept = 0
    for i in range(n):
        if b_node[i] < 0:
            continue
        if kept != i:
            b_node[kept], b_sku[kept], b_region[kept] = b_node[i], b_sku[i], b_region[i]
            b_method[kept], b_store[kept], b_home[kept] = b_method[i], b_store[i], b_home[i]
            b_ready_by[kept], b_patience[kept] = b_ready_by[i], b_patience[i]
            b_lag[kept] = b_lag[i]
        kept += 1
    schedule(b_node[:kept], b_lag[:kept], np.full(kept, t), ch.n_stores,
             ch.order_status_harmonized, open_hour, close_hour, rules.dc_pick_hours,
             rules.store_pick_hours, b.pick_at[:kept], due[:kept])
    return kept


@kernel
def schedule(node: np.ndarray, lag: np.ndarray, t: np.ndarray, n_stores: int,
             order_status_harmonized: np.ndarray, open_hour: np.ndarray,
             close_hour: np.ndarray, dc_pick_hours: float, store_pick_hours: float,
             pick_at: np.ndarray, due: np.ndarray) -> None:
    """Pick times: DCs pick within a shift, stores in open hours after they see the order.

    A store's pick that would run past closing is done after the next opening. ``due`` is the
    simulated hour whose step performs the pick (never the hour the order was placed in).
    """
    for i in range(len(node)):
        s = node[i]
        if s < n_stores:
            seen_at = t[i] + (0.0 if order_status_harmonized[s] else lag[i])
            start = next_open_at(seen_at, open_hour[s], close_hour[s])
            pick = start + store_pick_hours
            if pick - np.floor(start / 24.0) * 24.0 > close_hour[s]:
                pick = next_open_at(pick, open_hour[s], close_hour[s]) + store_pick_hours
        else:
            pick = t[i] + dc_pick_hours
        pick_at[i] = max(pick, t[i])
        due[i] = np.int64(max(np.ceil(pick), np.floor(t[i]) + 1))


@kernel
def pick(node: np.ndarray, sku: np.ndarray, region: np.ndarray, method: np.ndarray,
         pick_at: np.ndarray, ready_by: np.ndarray, n_skus: int, open_res: np.ndarray,
         physical: np.ndarray, system: np.ndarray, ok: np.ndarray, counts: np.ndarray) -> int:
    """Pick a batch in order; return the number of units picked.

    Each order releases its reservation and takes a unit if the shelf still has one (``ok``).
    ``counts`` rows accumulate per region the orders fulfilled and the BOPIS orders ready by
    the promised time (the pick is done at its own time within the hour the step stands for).
    """
    picked = 0
    for i in range(len(node)):
        cell = node[i] * n_skus + sku[i]
        open_res[cell] -= 1
        ok[i] = physical[cell] > 0
        if ok[i]:
            physical[cell] -= 1
            system[cell] -= 1
            picked += 1
            counts[FULFILLED, region[i]] += 1.0
            if method[i] == BOPIS and pick_at[i] <= ready_by[i]:
                counts[READY, region[i]] += 1.0
    return picked
