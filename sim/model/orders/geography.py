"""Where the channel's nodes are: pickers of a region's stores, nearest stores, locations.

Set up once per replication from the network (``stores.csv`` / ``dcs.csv`` coordinates).
"""

from __future__ import annotations

import numpy as np

from sim.model.orders.rules import nearest_k
from sim.model.plumbing.jit import guide_table
from sim.model.world import World


def region_picker(w: World, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stores of each region with ``flag`` (all its stores if none), weighted by volume.

    Returns ``(stores, keys, guide)``: region ``r``'s cumulative weights are mapped into
    ``(r, r + 1]`` and concatenated, so a search for ``region + u`` picks a store
    (``guide`` speeds the search up, see :func:`sim.model.plumbing.jit.guide_table`).
    """
    stores, keys = [], []
    for r in range(w.n_regions):
        idx = np.flatnonzero((w.store_region == r) & flag)
        if not len(idx):
            idx = np.flatnonzero(w.store_region == r)
        c = np.cumsum(w.store_volume[idx])
        stores.append(idx)
        keys.append(r + c / c[-1])
    cdf = np.concatenate(keys)
    return np.concatenate(stores), cdf, guide_table(cdf, cdf[-1])


def nearest_stores(w: World, flag: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each store, the ``k`` nearest stores of its region with ``flag``, nearest first.

    Returns the stores (-1 pads) and their distances in km (``inf`` pads). Orchestration
    weighs distance as well as stock: it considers the stores near the customer (or near a
    pickup store), not every store of the region (which would also cost orders x stores work
    each hour and grow with the square of the network).
    """
    xy = np.column_stack([w.plan.stores["x_km"].to_numpy(float),
                          w.plan.stores["y_km"].to_numpy(float)])
    out = np.full((w.n_stores, max(k, 1)), -1, dtype=np.int64)
    km = np.full(out.shape, np.inf)
    for r in range(w.n_regions):
        members = np.flatnonzero(w.store_region == r)
        cands = members[flag[members]]
        if not len(cands):
            continue
        # What np.linalg.norm over the last axis computes (the same bits), without its
        # members x candidates x 2 temporary: a 6,000-store network spent ~0.3 s here.
        dx = xy[members, 0, None] - xy[None, cands, 0]
        dy = xy[members, 1, None] - xy[None, cands, 1]
        d = np.sqrt(dx * dx + dy * dy)
        order = nearest_k(d, k)
        out[members, : order.shape[1]] = cands[order]
        km[members, : order.shape[1]] = np.take_along_axis(d, order, axis=1)
    return out, km


def node_locations(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Each node's ``(x_km, y_km)``: stores, then DCs in the world's DC order."""
    stores, dcs = w.plan.stores, w.plan.network.dcs
    x = np.r_[stores["x_km"].to_numpy(float), dcs["x_km"].to_numpy(float)]
    y = np.r_[stores["y_km"].to_numpy(float), dcs["y_km"].to_numpy(float)]
    return x, y
