"""What a failed pick does: the record corrected, the oversell and give-ups counted, the next step.

A pick fails *short* (the shelf lacked the unit: an oversell; the record, now seen to be
wrong, is set to what is there) or *missed* (the picker did not find a unit that was there;
the picker reports the order, not a count, so the record stays). The order is tried again
unless it has used its reroutes (then the customer's order is cancelled: fallout). Where the
ecommerce platform runs the harmonized routing and the node is live on it, the failed order
is rerouted automatically, unless staff in their go-live dip phone it through the old way
(:func:`sim.model.rollout.adherence.followed_at_node`); otherwise a person must reroute it.
"""

from __future__ import annotations

import numpy as np

from sim.model.orders.kernels import SHORT
from sim.model.orders.rules import report_uniform
from sim.model.plumbing.jit import kernel
from sim.model.rollout.adherence import followed_at_node


@kernel
def settle_failures(b: np.ndarray, outcome: np.ndarray, week: int, n_skus: int, n_stores: int,
                    max_tries: float, physical: np.ndarray, system: np.ndarray,
                    routing_harmonized: np.ndarray, orchestrated: bool,
                    error_multiplier: np.ndarray, oversell: np.ndarray, fallout: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Settle the failed picks of a batch ``b`` of order lines after :func:`~.kernels.pick`.

    For each line whose ``outcome`` is a failure, in batch order: a short pick sets its
    cell's record (flat ``system``) to the shelf (flat ``physical``) and counts an oversold
    order in ``oversell`` (week x region) the first time the order meets one; the line's
    ``tries`` and ``oversold`` fields are updated in ``b``; a line past ``max_tries`` counts in
    ``fallout`` (week x region) and goes no further. Whole counts, so the order of these
    additions changes no bit.

    Returns:
        The positions in ``b`` of the lines rerouted automatically, then of those a person
        must reroute, each in batch order.
    """
    n = len(outcome)
    auto = np.empty(n, dtype=np.int64)
    manual = np.empty(n, dtype=np.int64)
    n_auto = n_manual = 0
    for i in range(n):
        if outcome[i] < SHORT:
            continue
        node, region = b.node[i], b.region[i]
        if outcome[i] == SHORT:
            cell = node * n_skus + b.sku[i]
            system[cell] = physical[cell]
            if not b.oversold[i]:
                oversell[week, region] += 1.0
            b.oversold[i] = True
        b.tries[i] += 1
        if b.tries[i] > max_tries:
            fallout[week, region] += 1.0
            continue
        if followed_at_node(routing_harmonized[node] and orchestrated,
                            report_uniform(b.pick_u[i], b.tries[i] - 1), node, n_stores,
                            error_multiplier):
            auto[n_auto] = i
            n_auto += 1
        else:
            manual[n_manual] = i
            n_manual += 1
    return auto[:n_auto], manual[:n_manual]
