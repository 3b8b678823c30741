"""Compiled loop of finance: the nightly valuation of the stock on hand (its carrying cost)."""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel


@kernel
def stock_value_by_region(physical: np.ndarray, sku_cost: np.ndarray,
                          store_region: np.ndarray, n_regions: int) -> np.ndarray:
    """Value at cost of the units on hand: per store region, DCs in the central row.

    Args:
        physical: Units on hand, ``(nodes, skus)``; stores first, then DCs.
        sku_cost: Unit cost of each SKU.
        store_region: Region of each store.
        n_regions: Regions (the central row is ``n_regions``).

    Returns:
        ``n_regions + 1`` values, summed node by node and SKU by SKU (a fixed order: the
        same bits in every process, unlike a BLAS product).
    """
    out = np.zeros(n_regions + 1)
    n_stores = len(store_region)
    for node in range(physical.shape[0]):
        v = 0.0
        for k in range(physical.shape[1]):
            v += physical[node, k] * sku_cost[k]
        out[store_region[node] if node < n_stores else n_regions] += v
    return out
