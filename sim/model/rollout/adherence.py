"""Whether staff in their go-live dip run the new process or fall back to the old way.

One rule for every area a go-live changes: early on the learning curve, staff get the
harmonized flow right with probability ``1 / multiplier`` (the store's go-live dip multiplier,
:attr:`sim.model.world.World.error_multiplier`) and otherwise work the way they did before
(a return keyed as a lookup, a failed pick phoned through to customer service). So a store's
structural gains arrive as its staff settle, not at the first hour of its go-live. Compiled
inline into the journeys' loops; :func:`followed_at_node` applies it at a node.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import inline_kernel


@inline_kernel
def process_followed(harmonized: bool, u: float, error_multiplier: float) -> bool:
    """Whether staff run the harmonized process right (else they fall back to the old way).

    A store in its go-live dip gets the new flow right with probability ``1 / multiplier``:
    early on, many transactions still go the legacy way, fewer as staff settle. Settled staff
    (multiplier 1) always follow it.
    """
    return harmonized and u * error_multiplier < 1.0


@inline_kernel
def adhered_factor(factor: float, error_multiplier: float) -> float:
    """The error-rate factor of a harmonized process that staff in their dip follow in part.

    The new process's ``factor`` for the ``1 / multiplier`` of transactions run the new way,
    the old way's 1 for the rest: the mean of :func:`process_followed` applied to each
    transaction, exact for a Bernoulli error per transaction (the two draws multiply). Equal to
    ``factor`` for settled staff.
    """
    follow = 1.0 / max(error_multiplier, 1.0)
    return follow * factor + (1.0 - follow)


@inline_kernel
def followed_at_node(harmonized: bool, u: float, node: int, n_stores: int,
                     error_multiplier: np.ndarray) -> bool:
    """:func:`process_followed` at a node; nodes from ``n_stores`` on (DCs) have no dip."""
    em = error_multiplier[node] if node < n_stores else 1.0
    return process_followed(harmonized, u, em)
