"""The compiled routing loop: which node each order goes to (DESIGN §5.2).

The legacy channel rules, or, where the ecommerce platform runs the harmonized routing, one
orchestration by expected cost (:func:`sim.model.orders.rules.node_cost`) over the nodes live
on it. Used by :func:`sim.model.orders.kernels.arrive` for new orders and by the channel for
reroutes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.model.orders.baskets import MAX_LINES, holds
from sim.model.orders.rules import (
    BOPIS,
    RouteCosts,
    handling_cost,
    legacy_node,
    ship_cost,
    walkin_loss,
)
from sim.model.plumbing.jit import inline_kernel, kernel


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


class Routing(NamedTuple):
    """The routing state :func:`route` reads (arrays are the world's, flat per cell, live).

    ``orchestrated``: the ecommerce platform runs the harmonized routing. ``harm``: each
    node's ``fulfillment_routing`` flag (orchestration considers only these). ``near_sfs`` /
    ``near_bopis``: each store's nearest ship-from-store / BOPIS stores of its region, nearest
    first (-1 pads), and ``*_km`` their distances. ``node_x``, ``node_y``: node locations
    (km). ``seen``: zeroed scratch counters, 4 per cell (slot 0 orchestration, 2 and 3 the
    legacy stages). ``store_walkin`` x ``sku_units`` x ``season``: a store-SKU's expected
    walk-in units until its next delivery; ``sku_margin`` what a lost walk-in sale costs.
    """

    orchestrated: bool
    region_dc: np.ndarray
    harm: np.ndarray
    near_sfs: np.ndarray
    near_sfs_km: np.ndarray
    near_bopis: np.ndarray
    near_bopis_km: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    realtime: np.ndarray
    system: np.ndarray
    open_res: np.ndarray
    visible: np.ndarray
    reserved_since_sync: np.ndarray
    buffer: int
    n_skus: int
    n_stores: int
    seen: np.ndarray
    store_walkin: np.ndarray
    sku_units: np.ndarray
    sku_margin: np.ndarray
    season: float
    costs: RouteCosts


@kernel
def route(node: np.ndarray, shipped: np.ndarray, method: np.ndarray, region: np.ndarray,
          store: np.ndarray, home: np.ndarray, sku: np.ndarray, basket: np.ndarray,
          exclude: np.ndarray, reroute: bool, legacy_ok: bool, rt: Routing) -> None:
    """Route a batch of order lines; reserve what was promised.

    An order is orchestrated when the platform runs the harmonized routing and the node the
    legacy rules would give it is live on that routing (a legacy store keeps the orders the
    legacy rules send it, and its failed picks are rerouted by hand under those rules), or
    when it is rerouted automatically (``legacy_ok`` False: a failed pick at a live node).
    ``reroute``: the orders failed a pick (a pickup may then go to another pickup store or be
    delivered). Orchestration picks, among the live candidates with a unit beyond the safety
    buffer, the one of
    lowest expected cost (:func:`sim.model.orders.rules.node_cost`): the
    region's DC (delivery orders; a pickup only when rerouted, as a delivery); the chosen
    pickup store; for a rerouted pickup, the BOPIS stores near the chosen one within reach
    (collected there); the ship-from-store stores near the customer (delivery orders, or a
    rerouted pickup turned delivery). Then, when allowed
    (``legacy_ok``) and no candidate could promise, the legacy channel rules: (2) ship ->
    serving DC, ship-from-store -> home store, BOPIS -> the chosen store, (3) ship-from-store
    -> DC, skipping nodes orchestration already weighed. ``exclude`` is a node each order must
    avoid (the one that just failed it), -1 for none. ``shipped`` says whether the order will
    be delivered (rather than collected at a store).

    The lines of one order (the same ``basket``, adjacent) are routed one after the other: a
    delivered line rides free in a parcel an earlier line of its order already has, so
    orchestration keeps an order together where a node can promise its lines, and splits it
    (a parcel more) where that costs less than the alternatives
    (:mod:`sim.model.orders.baskets`).

    Every stage judges against the availability before this batch (the channel promises a
    batch from one view); within a stage the first orders for a cell take what it has beyond
    the safety buffer, and orchestration counts the units it has given away in the batch.
    """
    n = len(node)
    # Locals, not tuple fields, in the loop: passing the tuple to helpers costs reference
    # counting of every array in it on each call.
    n_skus, n_stores, buffer, c = rt.n_skus, rt.n_stores, rt.buffer, rt.costs
    harm, realtime, region_dc = rt.harm, rt.realtime, rt.region_dc
    system, open_res, visible, rsync = rt.system, rt.open_res, rt.visible, rt.reserved_since_sync
    near_sfs, near_sfs_km = rt.near_sfs, rt.near_sfs_km
    near_bopis, near_bopis_km = rt.near_bopis, rt.near_bopis_km
    node_x, node_y = rt.node_x, rt.node_y
    walkin, units, margin = rt.store_walkin * rt.season, rt.sku_units, rt.sku_margin
    n_sfs, n_bopis = near_sfs.shape[1], near_bopis.shape[1]
    cands = np.empty(2 + n_sfs + n_bopis, dtype=np.int64)
    ships = np.empty(len(cands), dtype=np.bool_)
    rides = np.empty(len(cands), dtype=np.bool_)
    kms = np.empty(len(cands))
    detours = np.empty(len(cands))
    floor = np.empty(len(cands))
    n_cells = len(system)
    seen = rt.seen
    touched = np.empty(4 * n, dtype=np.int64)
    n_touched = 0
    parcels = np.empty(MAX_LINES, dtype=np.int64)  # nodes shipping the order's lines so far
    n_parcels = 0
    for i in range(n):
        if i == 0 or basket[i] != basket[i - 1]:
            n_parcels = 0
        if node[i] >= 0:
            continue
        m = method[i]
        dc = region_dc[region[i]]
        first = legacy_node(2, m, dc, home[i], store[i])
        orch = rt.orchestrated and (harm[first] or not legacy_ok)
        if orch:
            # Gather the candidates with what they cost before stock (distance, labour): one
            # evaluation loop follows (helpers taking the arrays would cost reference counting
            # of each array on every call).
            chosen, cust, k, ex = store[i], home[i], sku[i], exclude[i]
            deliver = m != BOPIS or reroute
            n_c = 0
            if deliver:
                dx, dy = node_x[dc] - node_x[cust], node_y[dc] - node_y[cust]
                km = math.sqrt(dx * dx + dy * dy)
                cands[n_c], ships[n_c], kms[n_c], detours[n_c] = dc, True, km, 0.0
                floor[n_c] = c.ship_parcel + c.ship_per_km * km + c.dc_pick
                n_c += 1
            if m == BOPIS:
                cands[n_c], ships[n_c], kms[n_c], detours[n_c] = chosen, False, 0.0, 0.0
                floor[n_c] = c.store_pick
                n_c += 1
                for j in range(n_bopis if reroute else 0):
                    d = near_bopis_km[chosen, j]
                    if d > c.bopis_max_km:
                        break
                    if near_bopis[chosen, j] != chosen:
                        cands[n_c], ships[n_c], kms[n_c] = near_bopis[chosen, j], False, 0.0
                        detours[n_c] = d
                        floor[n_c] = c.ship_per_km * d + c.store_pick
                        n_c += 1
            for j in range(n_sfs if deliver else 0):
                if near_sfs[cust, j] < 0:
                    break
                d = near_sfs_km[cust, j]
                cands[n_c], ships[n_c], kms[n_c], detours[n_c] = near_sfs[cust, j], True, d, 0.0
                floor[n_c] = c.ship_parcel + c.ship_per_km * d + c.store_pick
                n_c += 1
            for j in range(n_c):  # a parcel the order already has carries the line free
                rides[j] = ships[j] and holds(parcels, n_parcels, cands[j])
                if rides[j]:
                    floor[j] -= ship_cost(kms[j], c)
            best, best_ship, best_cost = -1, False, np.inf
            for j in range(n_c):
                cand = cands[j]
                if floor[j] >= best_cost or cand == ex or not harm[cand]:
                    continue
                cell = cand * n_skus + k
                # One view's two loads (a branch, unlike _atp's: nearby stores share a kind).
                rt_view = realtime[cand]
                if rt_view:
                    atp = system[cell] - open_res[cell]
                else:
                    atp = visible[cell] - rsync[cell]
                head = atp - buffer - seen[cell]
                if head < 1:
                    continue
                # node_cost in its two parts: the walk-in term (an erfc) only for a candidate
                # still in the race.
                at_store = cand < n_stores
                x = handling_cost(ships[j] and not rides[j], kms[j], detours[j], at_store,
                                  float(head), rt_view, c)
                if at_store and x < best_cost:
                    x += walkin_loss(float(head + buffer - 1), walkin[cand] * units[k],
                                     margin[k])
                if x < best_cost:
                    best, best_ship, best_cost = cand, ships[j], x
            if best >= 0:
                cell = best * n_skus + sku[i]
                if seen[cell] == 0:
                    touched[n_touched] = cell
                    n_touched += 1
                seen[cell] += 1
                node[i] = best
                shipped[i] = best_ship
                if best_ship and n_parcels < MAX_LINES and not holds(parcels, n_parcels, best):
                    parcels[n_parcels] = best
                    n_parcels += 1
                continue
            if not legacy_ok:
                continue
        for stage in range(2, 4):
            cand = legacy_node(stage, m, dc, home[i], store[i])
            if cand < 0 or cand == exclude[i] or (orch and harm[cand]):
                continue
            cell = cand * n_skus + sku[i]
            avail = _atp(cell, cand, realtime, system, open_res, visible, rsync) - buffer
            key = stage * n_cells + cell
            taken = seen[key]
            if taken == 0:
                touched[n_touched] = key
                n_touched += 1
            seen[key] = taken + 1
            if taken < avail:
                node[i] = cand
                shipped[i] = m != BOPIS
                if shipped[i] and n_parcels < MAX_LINES and not holds(parcels, n_parcels, cand):
                    parcels[n_parcels] = cand
                    n_parcels += 1
                break
    for j in range(n_touched):
        seen[touched[j]] = 0
    for i in range(n):
        if node[i] >= 0:
            cell = node[i] * n_skus + sku[i]
            open_res[cell] += 1
            rsync[cell] += 1
