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

import numpy as np

from sim.model.orders.rules import BOPIS, RouteCosts, reroute_cost, reroute_shipping
from sim.model.plumbing.jit import inline_kernel

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


def reroute_parcels(basket: np.ndarray, lines: np.ndarray, new: np.ndarray,
                    shipped: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Which moved lines replace their failed node's parcel, and which ride in another's.

    Args:
        basket: Order id of each moved line (lines of one order are adjacent).
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
    # (np.concatenate, not np.r_: ~10 us less a call, and this runs per reroute.)
    first_of_order = np.empty(len(basket), dtype=bool)
    first_of_order[:1] = True
    np.not_equal(basket[1:], basket[:-1], out=first_of_order[1:])
    moved = np.diff(np.concatenate([np.flatnonzero(first_of_order), [len(basket)]]))
    whole = np.repeat(moved, moved) == lines
    replaces = (lines == 1) | (whole & first_of_order)
    key = basket * n_nodes + new
    rides = np.zeros(len(basket), dtype=bool)
    if shipped.any():
        idx = np.flatnonzero(shipped)
        _, first = np.unique(key[idx], return_index=True)
        rides[idx] = True
        rides[idx[first]] = False
    return replaces, rides


def reroute_charges(g: np.ndarray, new: np.ndarray, shipped: np.ndarray, automatic: bool,
                    c: RouteCosts, node_x: np.ndarray, node_y: np.ndarray, n_nodes: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What moving failed lines ``g`` (order records) to nodes ``new`` costs.

    Distances are to the customer's home store. Returns, per line, the reroute cost
    (:func:`sim.model.orders.rules.reroute_cost`), the part of it that is shipping (booked
    on the line, so its pick does not count that parcel again) and whether it is a split
    shipment (delivered in a parcel of its own while its order's other lines ship from the
    node that failed it).
    """
    cust = g["home"]
    old_km = np.hypot(node_x[g["node"]] - node_x[cust], node_y[g["node"]] - node_y[cust])
    new_km = np.hypot(node_x[new] - node_x[cust], node_y[new] - node_y[cust])
    was = g["method"] != BOPIS
    replaces, rides = reroute_parcels(g["basket"], g["lines"], new, shipped, n_nodes)
    booked = reroute_shipping(old_km, new_km, was, shipped, c, replaces, rides)
    cost = reroute_cost(old_km, new_km, was, shipped, automatic, c, replaces, rides, booked)
    return cost, booked, shipped & ~rides & ~replaces
