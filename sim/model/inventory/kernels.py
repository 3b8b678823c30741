"""Compiled loops of stock: feed outages, which nodes publish, publishing them, DC shipments."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.model.world import CUTOVER


@kernel
def start_outages(u: np.ndarray, rate: np.ndarray, outage: np.ndarray, hour: int,
                  nodes: np.ndarray, times: np.ndarray) -> int:
    """Start the hour's feed outages (``u``: one uniform per node, whatever its state).

    A node whose feed is up fails this hour with probability ``rate`` (per hour of
    operation); ``u / rate`` is then a fresh uniform placing the failure within the hour.
    Writes the failed nodes and their failure times to ``nodes``/``times``; returns how many.
    """
    n = 0
    for i in range(len(u)):
        if u[i] < rate[i] and not outage[i]:
            outage[i] = True
            nodes[n] = i
            times[n] = hour + u[i] / rate[i]
            n += 1
    return n


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
def publish(due: np.ndarray, outage: np.ndarray, first: bool, hour: int, interval: np.ndarray,
             phase: np.ndarray, next_sync: np.ndarray, visible: np.ndarray, system: np.ndarray,
             reserved_since_sync: np.ndarray, last_sync: np.ndarray, realtime: np.ndarray,
             full: bool) -> int:
    """Publish the due nodes' snapshots; a node whose feed is down publishes nothing.

    A published node's view becomes its record and forgets the promises made since the last
    snapshot; the first hour's publishes start each node at a random phase of its interval.
    A batch that falls due during an outage is skipped (the schedule moves on). Real-time
    events do not pass through the failed interface, and the rows of real-time nodes are
    copied only when ``full`` (see ``Inventory.sync``). Returns the batches skipped.
    """
    skipped = 0
    for i in range(len(due)):
        if not due[i]:
            continue
        if outage[i] and not realtime[i]:
            skipped += 1
        else:
            if full or not realtime[i]:
                # Loops, not row slices: the same copies, and 2-D slice assignment took
                # numba ~2.6 s to build (most of this kernel's first compile).
                for j in range(visible.shape[1]):
                    visible[i, j] = system[i, j]
                    reserved_since_sync[i, j] = 0
            last_sync[i] = hour + 1.0
        base = phase[i] * interval[i] if first else float(hour)
        next_sync[i] = base + interval[i]
    return skipped


@kernel
def ship_to_stores(stores: np.ndarray, dc: int, target: np.ndarray, physical: np.ndarray,
                   system: np.ndarray, open_res: np.ndarray, on_order: np.ndarray,
                   nodes: np.ndarray, skus: np.ndarray, qty: np.ndarray) -> int:
    """A DC's shipments to its reviewed ``stores``: order up to ``target``, rationed.

    Each store needs its order-up-to level less its recorded position (record plus on order).
    The DC keeps the units promised to online orders for its pickers; when the rest is short
    of the stores' total need for a SKU, every store gets the same share of its need, rounded
    down. The DC's shelf and record lose what it ships, which goes on order at the stores.
    Arrays are (nodes, SKUs), the DC's row ``dc``. Writes the shipment lines (store, SKU,
    units; stores in the given order, then SKUs) to ``nodes``, ``skus`` and ``qty`` (room for
    every cell); returns how many. The same arithmetic, in the same order, as the NumPy
    expressions it replaced (int64 needs, one float64 ratio per SKU).
    """
    n_skus = target.shape[1]
    total = np.zeros(n_skus, dtype=np.int64)
    for i in stores:
        for k in range(n_skus):
            total[k] += max(target[i, k] - (np.int64(system[i, k]) + on_order[i, k]), 0)
    ratio = np.ones(n_skus)
    for k in range(n_skus):
        have = max(np.int64(physical[dc, k]) - np.int64(open_res[dc, k]), 0)
        if total[k] > have:
            ratio[k] = have / max(total[k], 1)
    sent = np.zeros(n_skus, dtype=np.int64)
    n = 0
    for i in stores:
        for k in range(n_skus):
            need = max(target[i, k] - (np.int64(system[i, k]) + on_order[i, k]), 0)
            q = np.int64(np.floor(need * ratio[k]))
            if q:
                on_order[i, k] += q
                sent[k] += q
                nodes[n], skus[n], qty[n] = i, k, q
                n += 1
    for k in range(n_skus):
        physical[dc, k] -= sent[k]
        system[dc, k] -= sent[k]
    return n
