"""Failed order lines rerouted in one compiled call: routing, charges, bookkeeping, pick times.

A failed pick is rerouted at once where the platform's orchestration runs it, or once a person
has worked its exception (:mod:`sim.model.orders.channel`); either way every moved line is
routed (:func:`sim.model.orders.routing.route`), charged
(:func:`sim.model.orders.baskets.reroute_charges`), counted and given its pick time
(:func:`sim.model.orders.kernels.schedule`). Done line by line in NumPy, that was a few dozen
calls per reroute batch (~250 µs at 600 stores, ~6,400 batches in a year); here it is one.
The lines of worked manual reroutes come from :mod:`sim.model.orders.parked`.
"""

from __future__ import annotations

import numpy as np

from sim.model.orders.baskets import _charges
from sim.model.orders.kernels import schedule
from sim.model.orders.routing import Routing, route
from sim.model.orders.rules import BOPIS, SHIP, RouteCosts
from sim.model.plumbing.jit import kernel
from sim.model.plumbing.tally import tally_into


@kernel
def reroute_lines(b: np.ndarray, legacy_ok: bool, automatic: bool, weeks: np.ndarray,
                  t: np.ndarray, rt: Routing, c: RouteCosts, node_x: np.ndarray,
                  node_y: np.ndarray, n_nodes: int, order_status_harmonized: np.ndarray,
                  open_hour: np.ndarray, close_hour: np.ndarray, slowdown: np.ndarray,
                  dc_pick_hours: float, store_pick_hours: float, fallout: np.ndarray,
                  reroutes: np.ndarray, reroute_cost: np.ndarray, split_parcels: np.ndarray,
                  auto_reroutes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reroute failed lines ``b`` away from the node that failed them; count and cost it.

    Each line is routed (:func:`~sim.model.orders.routing.route`, as a reroute; the legacy
    rules too if ``legacy_ok``) and reserves its unit at its new node; a line no node can
    take is cancelled (``fallout``). A moved line is charged
    (:func:`~sim.model.orders.baskets.reroute_charges`; its shipping is booked on it), a
    pickup now delivered becomes a delivery with no readiness to meet, one moved to another
    pickup store is collected there, and its pick is scheduled from ``t``. The counters
    (weeks x regions) get the reroutes, their cost and split parcels (and, if
    ``automatic``, the automatic reroutes) in each line's week of ``weeks``.

    Returns the moved lines, with their new node and pick time, the hour whose step picks
    each, and which of them were pickups now delivered.
    """
    n = len(b)
    node = np.full(n, -1, dtype=np.int64)
    shipped = np.zeros(n, dtype=np.bool_)
    # The fields routing reads, copied element by element into plain arrays, as the arrival
    # kernel passes them (a copy of a field of these packed records is typed unaligned, which
    # built route and the tallies again), and values, not constants (numba types a constant
    # argument as a literal, or a global array as read-only: builds again too).
    method, region, store = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    home, sku, basket = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    failed = np.empty(n, np.int64)
    for i in range(n):
        method[i], region[i], store[i] = b[i].method, b[i].region, b[i].store
        home[i], sku[i], basket[i], failed[i] = b[i].home, b[i].sku, b[i].basket, b[i].node
    reroute, no_values = n >= 0, np.zeros(0)
    if n:
        route(node, shipped, method, region, store, home, sku, basket, failed, reroute,
              legacy_ok, rt)
    moved = node >= 0
    tally_into(fallout, weeks[~moved], region[~moved], no_values, 1.0)
    g = b[moved]
    new, ship, wk, tm = node[moved], shipped[moved], weeks[moved], t[moved]
    m = len(g)
    cost, booked, split = np.empty(m), np.empty(m), np.empty(m, dtype=np.bool_)
    _charges(g, new, ship, automatic, c, node_x, node_y, n_nodes, cost, booked, split)
    lag = np.empty(m)
    converted = np.zeros(m, dtype=np.bool_)
    for i in range(m):
        g[i].booked += booked[i]
        if g[i].method == BOPIS and ship[i]:
            converted[i] = True
            g[i].method = SHIP
            g[i].ready_by = np.inf
        if not ship[i]:
            g[i].store = new[i]
        g[i].node = new[i]
        lag[i] = g[i].lag
    g_region = region[moved]
    # The recorder's tallies (reroute_cost's sums in line order, as the recorder adds them).
    tally_into(reroutes, wk, g_region, no_values, 1.0)
    tally_into(reroute_cost, wk, g_region, cost, 0.0)
    if split.any():
        tally_into(split_parcels, wk[split], g_region[split], no_values, 1.0)
    if automatic:
        tally_into(auto_reroutes, wk, g_region, no_values, 1.0)
    pick_at = np.empty(m)
    due = np.empty(m, dtype=np.int64)
    schedule(new, lag, tm, rt.n_stores, order_status_harmonized, open_hour, close_hour,
             slowdown, dc_pick_hours, store_pick_hours, pick_at, due)
    for i in range(m):
        g[i].pick_at = pick_at[i]
    return g, due, converted
