"""Online orders of several lines: how many lines, and which parcels a split or a reroute adds.

An online order is one or more **lines**, each one unit of a SKU; the lines share the
customer (region, home store, chosen pickup store, method, patience, how long a legacy store
takes to see the order) and are placed together. A line is what is promised, picked and
rerouted, so the channel's order counters count lines (``ecommerce_orders`` of an order of
three lines is 3); ``customer_orders`` counts the orders as customers place them. The lines
of one order sent to one node travel in one parcel; a line sent elsewhere, at promise
(orchestration or the legacy DC fallback found no single node) or by a reroute while the
other lines still ship from the node that failed it, is a **split shipment**: a parcel of its
own (DESIGN §5.2, "cost: split or expedited shipment"; the seed article: orders split across
locations). Orchestration weighs that parcel (:func:`sim.model.orders.routing.route`: a line
rides free in a parcel its order already has).
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.orders.rules import (
    BOPIS,
    RouteCosts,
    line_reroute_cost,
    line_reroute_shipping,
)
from sim.model.plumbing.jit import inline_kernel, kernel
from sim.model.plumbing.sorting import stable_argsort

#: Most lines an order may have (the geometric tail beyond it is cut off; at the default
#: mean of 1.6 lines, one order in 80,000 would have more).
MAX_LINES = 12


def mean_lines(mean: float) -> float:
    """Lines per order of :func:`line_counts` (the geometric law with ``mean``, cut at the cap).

    ``E[min(G, M)] = sum_{k<M} P(G > k) = (1 - q^M) / (1 - q)`` with ``q = 1 - 1/mean``.
    """
    if mean <= 1.0:
        return 1.0
    q = 1.0 - 1.0 / mean
    return (1.0 - q ** MAX_LINES) / (1.0 - q)


def line_counts(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Lines of ``n`` orders: geometric with ``mean`` (most orders have one), at most the cap."""
    if mean <= 1.0:
        return np.ones(n, dtype=np.int64)
    return np.minimum(rng.geometric(1.0 / mean, size=n), MAX_LINES).astype(np.int64)


@inline_kernel
def holds(nodes: np.ndarray, n: int, node: int) -> bool:
    """Whether ``node`` is among the first ``n`` of ``nodes`` (an order's parcels so far)."""
    for j in range(n):
        if nodes[j] == node:
            return True
    return False


@inline_kernel
def _parcels(basket: np.ndarray, lines: np.ndarray, new: np.ndarray, shipped: np.ndarray,
             n_nodes: int, replaces: np.ndarray, rides: np.ndarray) -> None:
    """:func:`reroute_parcels` into ``replaces`` and ``rides``."""
    n = len(basket)
    i = 0
    while i < n:  # runs of adjacent lines of one order: the lines of it that moved together
        end = i + 1
        while end < n and basket[end] == basket[i]:
            end += 1
        for j in range(i, end):
            replaces[j] = lines[j] == 1 or (j == i and end - i == lines[j])
        i = end
    # A shipped line rides when an earlier shipped line of its order goes to the same node
    # (anywhere in the batch: a line rerouted alone may meet its order's others later).
    idx = np.empty(n, dtype=np.int64)
    m = 0
    for j in range(n):
        rides[j] = False
        if shipped[j]:
            idx[m] = j
            m += 1
    keys = np.empty(m, dtype=np.int64)
    for q in range(m):
        keys[q] = basket[idx[q]] * n_nodes + new[idx[q]]
    order = stable_argsort(keys)
    for q in range(1, m):
        if keys[order[q]] == keys[order[q - 1]]:
            rides[idx[order[q]]] = True


@kernel
def _reroute_parcels(basket: np.ndarray, lines: np.ndarray, new: np.ndarray,
                     shipped: np.ndarray, n_nodes: int, replaces: np.ndarray,
                     rides: np.ndarray) -> None:
    """:func:`_parcels` for Python callers (the charges kernel inlines it)."""
    _parcels(basket, lines, new, shipped, n_nodes, replaces, rides)


def reroute_parcels(basket: np.ndarray, lines: np.ndarray, new: np.ndarray,
                    shipped: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Which moved lines replace their failed node's parcel, and which ride in another's.

    Args:
        basket: Order id of each moved line (lines of one order moved together are adjacent).
        lines: Lines of each line's order.
        new: Each line's new node.
        shipped: Whether each line is now delivered.
        n_nodes: Nodes in the network.

    Returns:
        ``replaces``: the line's new parcel replaces the failed node's (a one-line order, or
        the first line of an order all of whose lines moved together), and ``rides``: the line
        goes in the parcel of an earlier line of its order moved to the same node. A delivered
        line that does neither is a split shipment.
    """
    replaces = np.empty(len(basket), dtype=np.bool_)
    rides = np.empty(len(basket), dtype=np.bool_)
    _reroute_parcels(*(np.ascontiguousarray(a, dtype=np.int64) for a in (basket, lines, new)),
                     np.ascontiguousarray(shipped, dtype=np.bool_), n_nodes, replaces, rides)
    return replaces, rides


@kernel
def _charges(g: np.ndarray, new: np.ndarray, shipped: np.ndarray, automatic: bool,
             c: RouteCosts, node_x: np.ndarray, node_y: np.ndarray, n_nodes: int,
             cost: np.ndarray, booked: np.ndarray, split: np.ndarray) -> None:
    """:func:`reroute_charges` into ``cost``, ``booked`` and ``split``."""
    n = len(new)
    replaces = np.empty(n, dtype=np.bool_)
    rides = np.empty(n, dtype=np.bool_)
    _parcels(g.basket, g.lines, new, shipped, n_nodes, replaces, rides)
    node, home, method = g.node, g.home, g.method
    for i in range(n):
        cust, old, to = home[i], node[i], new[i]
        old_km = math.hypot(node_x[old] - node_x[cust], node_y[old] - node_y[cust])
        new_km = math.hypot(node_x[to] - node_x[cust], node_y[to] - node_y[cust])
        ship = line_reroute_shipping(old_km, new_km, method[i] != BOPIS, shipped[i],
                                     replaces[i], rides[i], c)
        booked[i] = ship
        cost[i] = line_reroute_cost(ship, shipped[i], rides[i], automatic, c)
        split[i] = shipped[i] and not rides[i] and not replaces[i]


def reroute_charges(g: np.ndarray, new: np.ndarray, shipped: np.ndarray, automatic: bool,
                    c: RouteCosts, node_x: np.ndarray, node_y: np.ndarray, n_nodes: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What moving failed lines ``g`` (order records) to nodes ``new`` costs.

    Distances are to the customer's home store. Returns, per line, the reroute cost
    (:func:`sim.model.orders.rules.line_reroute_cost`), the part of it that is shipping
    (booked on the line, so its pick does not count that parcel again) and whether it is a
    split shipment (delivered in a parcel of its own while its order's other lines ship from
    the node that failed it). One compiled call: this runs for every hour's reroutes.
    """
    n = len(g)
    cost, booked, split = np.empty(n), np.empty(n), np.empty(n, dtype=np.bool_)
    _charges(np.ascontiguousarray(g), np.ascontiguousarray(new, dtype=np.int64),
             np.ascontiguousarray(shipped, dtype=np.bool_), bool(automatic), c, node_x, node_y,
             n_nodes, cost, booked, split)
    return cost, booked, split
