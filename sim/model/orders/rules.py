"""The order-to-fulfillment rules, one home each (DESIGN §5.2).

Small pure functions, compiled inline into the channel's loops (:mod:`sim.model.orders.kernels`)
where a kernel needs them: the legacy channel rules, which stores orchestration considers,
what a reroute costs.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import inline_kernel
from sim.scenario import Costs

#: Fulfilment methods of an online order.
SHIP, SFS, BOPIS = 0, 1, 2


@inline_kernel
def legacy_node(stage: int, method: int, dc: int, home: int, store: int) -> int:
    """The node the legacy channel rules try at a routing stage (-1: none).

    Stage 2: a ship order goes to the customer region's DC, a ship-from-store order to the
    customer's home store, a BOPIS order to the store the customer chose. Stage 3: a
    ship-from-store order the home store cannot promise falls back to the DC.
    """
    if stage == 2:
        return dc if method == SHIP else (home if method == SFS else store)
    return dc if method == SFS else -1


def reroute_cost(costs: Costs) -> float:
    """Extra shipping and labour of moving one failed order to another node."""
    return costs.reroute_per_order


def nearest_k(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` smallest values, by value then index.

    The same as ``np.argsort(d, axis=1, kind="stable")[:, :k]``, without sorting whole rows
    (a region of a 6,000-store network has ~1,000 stores): a partition finds the ``k``
    smallest, and only rows where the ``k``-th value ties the next one are sorted in full.
    """
    if d.shape[1] <= k:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    part = np.argpartition(d, k, axis=1)
    idx = part[:, :k]
    vals = np.take_along_axis(d, idx, axis=1)
    order = np.take_along_axis(idx, np.lexsort((idx, vals), axis=1), axis=1)
    nxt = np.take_along_axis(d, part[:, k:k + 1], axis=1)[:, 0]
    for row in np.flatnonzero(vals.max(axis=1) >= nxt):  # a tie at the k-th place
        order[row] = np.argsort(d[row], kind="stable")[:k]
    return order
