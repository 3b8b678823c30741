"""Stock feeds: how each node's visible stock is published, and how a feed breaks (§5.1).

Each node publishes a snapshot of its record in batches (legacy point-to-point feeds at its
POS family's cadence, or the coexistence integration layer's interval), or posts every event
in real time. A batch feed breaks at a rate per hour of operation: the outage raises a
``sync_failure`` for IT, and the node's view stays as it was until that exception is worked,
which restores the feed and publishes at once.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.desk import ExceptionDesk
from sim.model.inventory.kernels import due_nodes, publish, start_outages
from sim.model.inventory.rules import feed_profile, legacy_intervals
from sim.model.recorder import Recorder
from sim.model.world import CUTOVER, World
from sim.scenario import InventorySettings


class Feeds:
    """Every node's stock feed: its cadence, its outages and the snapshots it publishes.

    Args:
        world: The replication state (``visible``, ``last_sync`` and
            ``reserved_since_sync`` are written here).
        inv: The scenario's inventory settings.
        desk: The exception desk (``sync_failure`` raised and worked).
        rng: The ``sync`` stream.
        rec: The recorder.

    Attributes:
        outage: Per node, whether its feed is down (waiting for IT).
        store_legacy_hours: Each store's legacy batch interval (by POS family).
    """

    def __init__(self, world: World, inv: InventorySettings, desk: ExceptionDesk,
                 rng: np.random.Generator, rec: Recorder) -> None:
        self.w, self.inv, self.desk, self.rng, self.rec = world, inv, desk, rng, rec
        n = world.n_nodes
        # Stores publish at staggered times, not all at once.
        self.phase = rng.random(n)
        self.next_sync = np.zeros(n)
        self.outage = np.zeros(n, dtype=bool)
        self._all_down = np.ones(n, dtype=bool)  # every feed, while the middleware is down
        self.store_legacy_hours = legacy_intervals(world.pos_family, inv.legacy_sync_hours,
                                                   inv.legacy_sync_hours_by_pos_family)
        #: Region of each node for the counters (DCs count as central).
        self.node_region = np.r_[world.store_region, np.full(world.n_dcs, world.n_regions)]
        self.interval = np.ones(n)
        self.rate = np.zeros(n)
        self.realtime = np.zeros(n, dtype=bool)
        self._node_of: dict[int, int] = {}  # open sync_failure id -> its node
        self._u = np.empty(n)
        self._due = np.empty(n, dtype=np.bool_)
        self._nodes = np.empty(n, dtype=np.int64)
        self._times = np.empty(n)
        desk.on_done("sync_failure", self._restored)

    def set_profile(self, central_live: bool, coexistence: bool) -> np.ndarray:
        """Recompute every node's feed for the current states and flags; the real-time flags."""
        w, inv = self.w, self.inv
        self.interval, self.rate, self.realtime = feed_profile(
            w.state, w.harmonized["inventory_events"], central_live, coexistence,
            self.store_legacy_hours,
            inv.integration_sync_hours, inv.legacy_failures_per_1000_hours,
            inv.integration_failures_per_1000_hours)
        return self.realtime

    def step(self, hour: int, full: bool) -> None:
        """One hour: feeds that break, then the snapshots due (see :func:`publish`).

        One uniform per node per hour decides whether its feed breaks, whatever its state or
        cadence, so the stream does not depend on the plan; the first hour never fails.
        """
        w = self.w
        u = self._u
        self.rng.random(out=u)
        week = w.week_of(hour)
        if hour > 0:
            n = start_outages(u, self.rate, self.outage, hour, self._nodes, self._times)
            if n:
                nodes = self._nodes[:n].copy()
                ids = self.desk.raise_("sync_failure", self._times[:n].copy(),
                                       np.where(nodes < w.n_stores, nodes, -1))
                self._node_of.update(zip(ids.tolist(), nodes.tolist(), strict=True))
        # The batch feeds' middleware down (a disruption): every batch feed is out this hour.
        outage = self._all_down if w.feeds_down else self.outage
        if self._node_of or w.feeds_down:
            stale = outage & ~self.realtime
            if stale.any():
                self.rec.add("sync_outage_hours", week, self.node_region[stale])
        first = hour == 0
        due = self._due
        if not due_nodes(self.next_sync, self.realtime, w.state, first, hour, due):
            return
        publish(due, outage, first, hour, self.interval, self.phase, self.next_sync,
                w.visible, w.system, w.reserved_since_sync, w.last_sync, self.realtime, full)

    def _restored(self, finish: float, exc_id: int) -> None:
        """IT worked a ``sync_failure``: the feed is back and publishes the record at once."""
        node = self._node_of.pop(exc_id, None)
        if node is None:
            return
        self.outage[node] = False
        w = self.w
        if node < w.n_stores and w.state[node] == CUTOVER:
            return  # a store in cutover publishes nothing; it will once live
        w.visible[node] = w.system[node]
        w.reserved_since_sync[node] = 0
        w.last_sync[node] = float(self.desk.env.now)

    def open_outages(self) -> int:
        """Feeds down now (for reports and tests)."""
        return int(self.outage.sum())
