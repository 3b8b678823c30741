"""The compiled routing loop: which node each order goes to (DESIGN §5.2).

The legacy channel rules, or, where the ecommerce platform runs the harmonized routing, one
orchestration by expected cost (:func:`sim.model.orders.rules.node_cost`) over the nodes live
on it. Used by :func:`sim.model.orders.kernels.arrive` for new orders and by the channel for
reroutes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.model.orders.rules import BOPIS, RouteCosts, legacy_node, node_cost
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
    ``near_bopis``: each store's nearest ship-from-store / BOPIS stores of its region (-1
    pads). ``node_x``, ``node_y``: node locations (km). ``seen``: zeroed scratch counters, 4
    per cell (slot 0 orchestration, 2 and 3 the legacy stages). ``store_walkin`` x
    ``sku_units`` x ``season``: a store-SKU's expected walk-in units until its next delivery.
    """

    orchestrated: bool
    region_dc: np.ndarray
    harm: np.ndarray
    near_sfs: np.ndarray
    near_bopis: np.ndarray
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
    season: float
    costs: RouteCosts


@inline_kernel
def _km(a: int, b: int, x: np.ndarray, y: np.ndarray) -> float:
    return np.hypot(x[a] - x[b], y[a] - y[b])


@inline_kernel
def _candidate(j: int, m: int, reroute: bool, dc: int, chosen: int, cust: int,
               rt: Routing) -> tuple[int, bool, float]:
    """Orchestration candidate ``j`` of an order: ``(node, shipped, detour km)``.

    0: the region's DC (delivery orders; a pickup only when rerouted, as a delivery); 1: the
    chosen pickup store; then, for a rerouted pickup, the BOPIS stores near the chosen one
    (collected there, within reach); then the ship-from-store stores near the customer
    (delivery orders, or a rerouted pickup converted to a delivery). -1: no candidate.
    """
    deliver = m != BOPIS or reroute
    if j == 0:
        return (dc if deliver else -1), True, 0.0
    if j == 1:
        return (chosen if m == BOPIS else -1), False, 0.0
    j -= 2
    kb = rt.near_bopis.shape[1]
    if j < kb:
        if m != BOPIS or not reroute:
            return -1, False, 0.0
        c = rt.near_bopis[chosen, j]
        if c < 0 or c == chosen:
            return -1, False, 0.0
        d = _km(c, chosen, rt.node_x, rt.node_y)
        return (c if d <= rt.costs.bopis_max_km else -1), False, d
    c = rt.near_sfs[cust, j - kb]
    return (c if deliver else -1), True, 0.0


@kernel
def route(node: np.ndarray, shipped: np.ndarray, method: np.ndarray, region: np.ndarray,
          store: np.ndarray, home: np.ndarray, sku: np.ndarray, exclude: np.ndarray,
          reroute: bool, legacy_ok: bool, rt: Routing) -> None:
    """Route a batch of orders; reserve what was promised.

    An order is orchestrated when the platform runs the harmonized routing and the node the
    legacy rules would give it is live on that routing (a legacy store keeps the orders the
    legacy rules send it, and its failed picks are rerouted by hand under those rules), or
    when it is rerouted automatically (``legacy_ok`` False: a failed pick at a live node).
    ``reroute``: the orders failed a pick (a pickup may then go to another pickup store or be
    delivered). Orchestration picks, among the
    live candidates (:func:`_candidate`) with a unit beyond the safety buffer, the one of
    lowest expected cost (:func:`sim.model.orders.rules.node_cost`). Then, when allowed
    (``legacy_ok``) and no candidate could promise, the legacy channel rules: (2) ship ->
    serving DC, ship-from-store -> home store, BOPIS -> the chosen store, (3) ship-from-store
    -> DC, skipping nodes orchestration already weighed. ``exclude`` is a node each order must
    avoid (the one that just failed it), -1 for none. ``shipped`` says whether the order will
    be delivered (rather than collected at a store).

    Every stage judges against the availability before this batch (the channel promises a
    batch from one view); within a stage the first orders for a cell take what it has beyond
    the safety buffer, and orchestration counts the units it has given away in the batch.
    """
    n = len(node)
    n_skus = rt.n_skus
    n_cells = len(rt.system)
    n_cand = 2 + rt.near_bopis.shape[1] + rt.near_sfs.shape[1]
    seen = rt.seen
    touched = np.empty(4 * n, dtype=np.int64)
    n_touched = 0
    for i in range(n):
        if node[i] >= 0:
            continue
        m = method[i]
        dc = rt.region_dc[region[i]]
        first = legacy_node(2, m, dc, home[i], store[i])
        orch = rt.orchestrated and (rt.harm[first] or not legacy_ok)
        if orch:
            best = -1
            best_ship = False
            best_cost = np.inf
            cust = home[i]
            for j in range(n_cand):
                cand, ship, detour = _candidate(j, m, reroute, dc, store[i], cust, rt)
                if cand < 0 or cand == exclude[i] or not rt.harm[cand]:
                    continue
                cell = cand * n_skus + sku[i]
                head = _atp(cell, cand, rt.realtime, rt.system, rt.open_res, rt.visible,
                            rt.reserved_since_sync) - rt.buffer - seen[cell]
                if head < 1:
                    continue
                at_store = cand < rt.n_stores
                walkin = (rt.store_walkin[cand] * rt.sku_units[sku[i]] * rt.season
                          if at_store else 0.0)
                cost = node_cost(ship, _km(cand, cust, rt.node_x, rt.node_y), detour, at_store,
                                 float(head), rt.realtime[cand], float(head + rt.buffer - 1),
                                 walkin, rt.costs)
                if cost < best_cost:
                    best, best_ship, best_cost = cand, ship, cost
            if best >= 0:
                cell = best * n_skus + sku[i]
                if seen[cell] == 0:
                    touched[n_touched] = cell
                    n_touched += 1
                seen[cell] += 1
                node[i] = best
                shipped[i] = best_ship
                continue
            if not legacy_ok:
                continue
        for stage in range(2, 4):
            cand = legacy_node(stage, m, dc, home[i], store[i])
            if cand < 0 or cand == exclude[i] or (orch and rt.harm[cand]):
                continue
            cell = cand * n_skus + sku[i]
            avail = _atp(cell, cand, rt.realtime, rt.system, rt.open_res, rt.visible,
                         rt.reserved_since_sync) - rt.buffer
            key = stage * n_cells + cell
            taken = seen[key]
            if taken == 0:
                touched[n_touched] = key
                n_touched += 1
            seen[key] = taken + 1
            if taken < avail:
                node[i] = cand
                shipped[i] = m != BOPIS
                break
    for j in range(n_touched):
        seen[touched[j]] = 0
    for i in range(n):
        if node[i] >= 0:
            cell = node[i] * n_skus + sku[i]
            rt.open_res[cell] += 1
            rt.reserved_since_sync[cell] += 1
