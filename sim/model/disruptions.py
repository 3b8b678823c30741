"""Disruptions of the world around the plan, through the model's own mechanisms (issue 20).

The scenario declares them (:mod:`sim.scenario_disruptions`); the engine draws the random
ones' windows for the replication into ``world.disruptions``. Each hour, first in the
schedule, this component says which stores are closed (``world.closed``: the sales kernel
turns their walk-in customers away as lost sales, picks at them wait for the reopening),
which DCs are down (``world.dc_closed``: their picks wait, they ship no replenishment), whether
the batch feeds' middleware is down (``world.feeds_down``: no batch snapshot is published) and
how slow the carrier is (``world.carrier_factor``: mailed returns started then spend that
much longer in transit). A labour shortage changes a team's staff on duty, once, when the
desk is built (:func:`short_staffed`). Nothing here draws a random number (random windows
come from their own stream): a plan with disruptions stays paired with the same plan
without them.
"""

from __future__ import annotations

import numpy as np

from sim.model.component import Component
from sim.model.recorder import Recorder
from sim.model.world import World
from sim.scenario_disruptions import Disruption


def short_staffed(staff: np.ndarray, disruptions: list[Disruption], team: str) -> np.ndarray:
    """``team``'s staff on duty per hour with its declared shortages (``share`` missing).

    Staff are whole people: the hours of a shortage keep ``round(staff x (1 - share))``.
    """
    out = staff.copy()
    for d in disruptions:
        if d.kind == "labour_shortage" and d.team == team:
            a, b = d.hours()
            b = min(b, len(out))
            if a < b:
                out[a:b] = np.rint(out[a:b] * (1.0 - float(d.share or 0.0))).astype(out.dtype)
    return out


class Disruptions(Component):
    """Store closures and carrier delays in force, hour by hour.

    Args:
        world: Replication state (``closed`` and ``carrier_factor`` are written here).
        rec: The recorder (``closed_store_hours`` per week and region).
    """

    name = "disruptions"

    def __init__(self, world: World, rec: Recorder) -> None:
        self.w, self.rec = world, rec
        regions = list(world.region_names)
        self.closures: list[tuple[int, int, np.ndarray]] = []
        self.delays: list[tuple[int, int, float]] = []
        self.dc_outages: list[tuple[int, int, np.ndarray]] = []
        self.feed_outages: list[tuple[int, int]] = []
        dcs = list(world.plan.network.dcs["dc_id"])
        for d in world.disruptions:
            a, b = d.hours()
            if d.kind == "store_closure":
                chosen = [regions.index(r) for r in d.regions or regions if r in regions]
                self.closures.append((a, b, np.isin(world.store_region, chosen)))
            elif d.kind == "carrier_delay":
                self.delays.append((a, b, float(d.factor or 1.0)))
            elif d.kind == "dc_outage":
                self.dc_outages.append((a, b, np.isin(dcs, d.dcs or dcs)))
            elif d.kind == "integration_outage":
                self.feed_outages.append((a, b))

    def step(self, hour: int) -> None:
        """Set the closures and the carrier's pace in force this hour."""
        w = self.w
        if self.closures:
            closed = np.zeros(w.n_stores, dtype=np.bool_)
            for a, b, mask in self.closures:
                if a <= hour < b:
                    closed |= mask
            w.closed[:] = closed
            if closed.any():
                self.rec.add("closed_store_hours", w.week_of(hour), w.store_region[closed])
        if self.dc_outages:
            w.dc_closed[:] = False
            for a, b, mask in self.dc_outages:
                if a <= hour < b:
                    w.dc_closed |= mask
        if self.feed_outages:
            w.feeds_down = any(a <= hour < b for a, b in self.feed_outages)
        if self.delays:
            w.carrier_factor = max([f for a, b, f in self.delays if a <= hour < b],
                                   default=1.0)
