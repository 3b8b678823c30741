"""A small world driven hour by hour, for unit tests of the journeys' mechanisms.

The returns, promotions and finance components are driven directly on it with synthetic sales
(their own generator), without the rest of the engine (tests/unit/test_returns.py,
test_promotions.py, test_finance.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from sim.model.desk.desk import ExceptionDesk
from sim.model.orders.kernels import ORDER
from sim.model.recorder import Recorder
from sim.model.returns.journey import Returns
from sim.model.world import World, build_world
from sim.plan import build_plan
from sim.scenario import Scenario

WEEKS = 8
HOURS = WEEKS * 168


class SalesFeed:
    """Stands in for StoreDemand: the hour's store sales the journeys read."""

    def __init__(self) -> None:
        self.hour_sales: list = []


class Rig:
    """A small world, its recorder and exception desk, driven hour by hour."""

    def __init__(self, stores: int = 30, skus: int = 40, teams: dict | None = None,
                 params: dict[str, float] | None = None, seed: int = 0,
                 weeks: int = WEEKS) -> None:
        sc = Scenario(network={"stores": stores, "skus": skus}, horizon_weeks=weeks,
                      teams=teams or {})
        self.w: World = build_world(sc, build_plan(sc))
        self.w.params = {**self.w.params, **(params or {})}
        self.hours = weeks * 168
        self.env = simpy.Environment()
        self.rec = Recorder(weeks, self.w.n_regions + 1, self.w.n_stores)
        self.desk = ExceptionDesk(self.env, self.w, np.random.default_rng(seed), self.rec)

    def returns(self, seed: int = 1) -> Returns:
        return Returns(self.w, SalesFeed(), self.desk, np.random.default_rng(seed), self.rec)

    def harmonize(self, area: str) -> None:
        self.w.harmonized[area][:] = True

    def run(self, hourly: Callable[[int], None], hours: int | None = None) -> None:
        """Call ``hourly(h)`` for every hour, letting the desk serve its queues in between."""
        hours = self.hours if hours is None else hours
        for h in range(hours):
            hourly(h)
            self.env.run(until=h + 1)
        self.desk.finish(float(hours))

    def total(self, name: str) -> float:
        return float(self.rec.counts(name).sum())

    def samples(self, name: str) -> np.ndarray:
        return self.rec.samples(name)[2]


def store_sales(w: World, units: int, seed: int = 7, hours: int = HOURS):
    """Synthetic store sales: ``units`` per hour on random stores and SKUs (fixed per seed)."""
    g = np.random.default_rng(seed)
    table = []
    for h in range(hours):
        stores = g.integers(0, w.n_stores, units)
        skus = g.integers(0, w.n_skus, units)
        table.append([(np.full(units, w.week_of(h), np.int32), stores.astype(np.int32),
                       skus.astype(np.int32))])
    return table


def online_batch(w: World, units: int, g: np.random.Generator) -> np.ndarray:
    """Synthetic picked online order lines: customer region, their store, the SKU."""
    store = g.integers(0, w.n_stores, units)
    b = np.zeros(units, dtype=ORDER)
    b["sku"], b["region"] = g.integers(0, w.n_skus, units), w.store_region[store]
    b["store"], b["node"], b["method"] = store, store, 2
    b["return_u"] = g.random(units, dtype=np.float32)
    return b
