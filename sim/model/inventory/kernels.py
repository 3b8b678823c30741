"""Compiled loops of the stock views: which nodes publish this hour, and publishing them."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.model.world import CUTOVER


@kernel
def due_nodes(next_sync: np.ndarray, realtime: np.ndarray, state: np.ndarray, first: bool,
               hour: int, due: np.ndarray) -> int:
    """Mark the nodes whose snapshot is due this hour; return how many.

    Real-time nodes publish every hour; batch nodes when their interval has passed; a store
    in cutover publishes nothing.
    """
    n = 0
    n_stores = len(state)
    for i in range(len(due)):
        due[i] = (next_sync[i] <= hour or realtime[i] or first) and not (
            i < n_stores and state[i] == CUTOVER)
        n += due[i]
    return n


@kernel
def publish(due: np.ndarray, u: np.ndarray, fail: np.ndarray, first: bool, hour: int,
             interval: np.ndarray, phase: np.ndarray, next_sync: np.ndarray,
             visible: np.ndarray, system: np.ndarray, reserved_since_sync: np.ndarray,
             last_sync: np.ndarray, failed: np.ndarray, realtime: np.ndarray,
             full: bool) -> None:
    """Publish the due nodes' snapshots (``u``: one uniform per due node decides failure).

    A published node's view becomes its record and forgets the promises made since the last
    snapshot; the first hour's syncs never fail and start each node at a random phase of its
    interval. Rows of real-time nodes are copied only when ``full`` (see ``Inventory.sync``).
    """
    j = 0
    for i in range(len(due)):
        if not due[i]:
            continue
        failed[j] = u[j] < fail[i] and not first
        if not failed[j]:
            if full or not realtime[i]:
                visible[i, :] = system[i, :]
                reserved_since_sync[i, :] = 0
            last_sync[i] = hour + 1.0
        base = phase[i] * interval[i] if first else float(hour)
        next_sync[i] = base + interval[i]
        j += 1
