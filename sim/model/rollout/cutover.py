"""What a store's cutover does to its stock records: migration errors (DESIGN §5.1, §5.7)."""

from __future__ import annotations

import numpy as np

from sim.model.recorder import Recorder
from sim.model.world import World


def migrate(w: World, stores: np.ndarray, cleansing: float, rng: np.random.Generator,
            rec: Recorder, now: float) -> None:
    """Migrate ``stores``' stock records to the ERP, with errors (fewer with cleansing).

    Each store-SKU record is migrated wrong with ``migration_error_prob`` less the share
    master-data cleansing removes; a wrong record is off by a geometric number of units, up or
    down (never below zero). Target Canada's product data was ~30 % accurate (FACTS §7): a
    disciplined migration does far better, but not perfectly.

    Args:
        w: The replication's world (records are changed in place).
        stores: The stores whose cutover starts.
        cleansing: Share of migration errors removed before cutover.
        rng: The rollout stream.
        rec: The recorder (``migration_errors``).
        now: The cutover time, hours.
    """
    p = w.params
    prob = p["migration_error_prob"] * (1.0 - cleansing)
    if prob <= 0 or not len(stores):
        return
    rows, skus = np.nonzero(rng.random((len(stores), w.n_skus)) < prob)
    n = len(rows)
    if not n:
        return
    size = rng.geometric(1.0 / max(p["migration_error_mean_units"], 1.0), n)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    nodes = stores[rows]
    w.system[nodes, skus] = np.maximum(w.system[nodes, skus] + sign * size, 0)
    rec.add("migration_errors", w.week_of(now), w.store_region[nodes])
