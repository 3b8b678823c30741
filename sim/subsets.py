"""Deterministic, proportional subsets of a network (``network.stores = N``, ``network.skus``).

Small test runs keep the shape of the full network: regions, volume classes and velocity
classes in proportion, the same stores for the same N whatever the file order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.network import FILES, NetworkError


def apportion(n: int, weights: Sequence[float], minimum: int = 0) -> np.ndarray:
    """Split ``n`` into integer parts proportional to ``weights`` (largest remainder).

    Ties in the remainder go to the earlier weight. With ``minimum=1`` and
    ``n >= len(weights)``, every positive weight gets at least one; the units are taken
    from the parts that gained the most by rounding, so each part stays within one of
    its exact quota whenever that is possible.

    Args:
        n: Total to split (>= 0).
        weights: Non-negative weights, at least one positive.
        minimum: Lower bound per positive weight, applied only when it is feasible.

    Returns:
        Integer array of parts summing to ``n``.

    """
    w = np.asarray(weights, dtype=np.float64)
    quota = n * w / w.sum()
    parts = np.floor(quota).astype(np.int64)
    order = np.lexsort((np.arange(len(w)), -(quota - parts)))
    parts[order[: n - int(parts.sum())]] += 1
    eligible = w > 0
    if minimum > 0 and n >= minimum * int(eligible.sum()):
        while (short := np.flatnonzero(eligible & (parts < minimum))).size:
            donors = np.flatnonzero(parts > np.where(eligible, minimum, 0))
            parts[donors[np.argmax((parts - quota)[donors])]] -= 1
            parts[short[0]] += 1
    return parts


def _proportional_subset(df: pd.DataFrame, n: int, group_col: str, strata_col: str,
                         id_col: str, what: str, key: str) -> pd.DataFrame:
    """Pick ``n`` rows: groups apportioned by size, each group spread over its strata.

    Within a group, the j-th row (by id) of a stratum of size m gets priority
    ``(2j + 1) / m``: taking rows in that order is the Sainte-Lague sequence, so every
    prefix mixes the strata in proportion.
    """
    if not 1 <= n <= len(df):
        raise NetworkError(FILES[what][0], key,
                           f"requested {n} {what} but between 1 and {len(df)} are available")
    df = df.sort_values(id_col, kind="stable").reset_index(drop=True)
    sizes = df[group_col].value_counts().sort_index()
    parts = pd.Series(apportion(n, sizes.to_numpy(), minimum=1), index=sizes.index)
    cells = df.groupby([group_col, strata_col], sort=False)[id_col]
    priority = (2 * cells.cumcount() + 1) / cells.transform("size")
    ranked = df.assign(_p=priority.to_numpy(), _s=df[strata_col].to_numpy())
    ranked = ranked.sort_values([group_col, "_p", "_s", id_col], kind="stable")
    rank = ranked.groupby(group_col, sort=False).cumcount()
    chosen = ranked.index[(rank < ranked[group_col].map(parts)).to_numpy()]
    return df.loc[np.sort(chosen)].reset_index(drop=True)


def select_stores(stores: pd.DataFrame, n: int) -> pd.DataFrame:
    """Deterministic subset of ``n`` stores keeping every region in proportion.

    Regions get largest-remainder shares of ``n`` (at least one each when ``n`` is at
    least the number of regions). Within a region, stores are taken in an order that
    interleaves the volume classes in proportion, by ``store_id`` within a class, so the
    subset keeps the volume mix too. The result does not depend on the input row order.

    Args:
        stores: A stores frame (as in ``Network.stores``).
        n: Number of stores to keep.

    Returns:
        The selected rows, sorted by ``store_id``, with a fresh index.

    Raises:
        NetworkError: If ``n`` is below 1 or above the number of stores.

    """
    return _proportional_subset(stores, n, "region", "volume_class", "store_id",
                                "stores", "network.stores")


def select_skus(skus: pd.DataFrame, n: int) -> pd.DataFrame:
    """Deterministic subset of ``n`` SKUs keeping velocity classes in proportion.

    Velocity classes get largest-remainder shares of ``n`` (at least one each when
    possible); within a class SKUs are taken interleaving categories in proportion.

    Args:
        skus: A SKU frame (as in ``Network.skus``).
        n: Number of SKUs to keep.

    Returns:
        The selected rows, sorted by ``sku_id``, with a fresh index.

    Raises:
        NetworkError: If ``n`` is below 1 or above the number of SKUs.

    """
    return _proportional_subset(skus, n, "velocity_class", "category", "sku_id",
                                "skus", "network.skus")
