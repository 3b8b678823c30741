"""The state of one replication: nodes, stock, store states and the harmonization in force.

Nodes are indexed ``0..S-1`` for stores and ``S..S+D-1`` for DCs; SKUs ``0..K-1``. Stock is
held as dense ``(nodes, skus)`` integer arrays (the state), while the hourly volume touches only
the cells it draws (see :mod:`sim.model.demand.sales`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model.plumbing.jit import inline_kernel, kernel
from sim.plan import Plan
from sim.scenario import AREAS, Scenario
from sim.scenario_disruptions import Disruption

HOURS_PER_WEEK = 168
LEGACY, CUTOVER, LIVE = 0, 1, 2
#: Integer type of the stock arrays.
STOCK = np.int32


@dataclass
class World:
    """Arrays every model component reads and writes.

    Attributes:
        physical: Units really on hand, ``(nodes, skus)``.
        system: Units on record, ``(nodes, skus)``; drifts from ``physical``.
        visible: The ecommerce channel's snapshot of ``system`` as of each node's last sync.
        reserved_since_sync: Units promised against a node since its last snapshot (legacy
            views only know these until the next sync overwrites them).
        open_reservations: Units promised and not yet picked (the ERP knows these).
        last_sync: Hour of each node's last successful sync.
        state: Store state (``LEGACY``, ``CUTOVER``, ``LIVE``) per store.
        live_since: Hour each store went live (``nan`` if not live).
        central_state: State of the central systems (DCs and the ecommerce platform).
        harmonized: Area name → bool per node: the area's common definition in force there
            (the DC rows stand for the central systems, which adopt together).
        error_multiplier: Each store's staff error-rate multiplier (the go-live dip, >= 1).
        work_slowdown: How much longer each store's staff take over a task in the dip (>= 1).
        work_slowdown_or_one: ``work_slowdown`` with a last cell of 1.0 (work of no store,
            index -1); ``work_slowdown`` is a view of it, so write through ``work_slowdown``.
        slowed: Whether any store's ``work_slowdown`` differs from 1 (set where it is
            written, :mod:`sim.model.rollout.dip`), so work can skip a scaling by ones.
        pos_family: Legacy POS family of each store (``stores.csv``), which sets its legacy
            batch cadence.
        record_error_factor: Per node, the multiplier on its staff's record-error rates
            (mis-scans, unrecorded restocks, DC receiving errors) from how its inventory
            events post: below 1 where harmonized inventory events are live, else 1
            (maintained by :meth:`sim.model.inventory.stock.Inventory.refresh_profile`; the
            go-live dip is ``error_multiplier``, applied on top).
    """

    scenario: Scenario
    plan: Plan
    n_stores: int
    n_dcs: int
    n_skus: int
    horizon_hours: int
    store_region: np.ndarray
    region_names: list[str]
    store_dc: np.ndarray
    open_hour: np.ndarray
    close_hour: np.ndarray
    store_volume: np.ndarray
    bopis: np.ndarray
    sfs: np.ndarray
    pos_family: np.ndarray
    dc_lead_hours: np.ndarray
    dc_regions: list[list[int]]
    sku_price: np.ndarray
    sku_cost: np.ndarray
    sku_weekly_units: np.ndarray
    seasonality: np.ndarray
    online_multiplier: np.ndarray
    peak_week: np.ndarray
    params: dict[str, float]
    physical: np.ndarray = field(init=False)
    system: np.ndarray = field(init=False)
    visible: np.ndarray = field(init=False)
    reserved_since_sync: np.ndarray = field(init=False)
    open_reservations: np.ndarray = field(init=False)
    last_sync: np.ndarray = field(init=False)
    state: np.ndarray = field(init=False)
    live_since: np.ndarray = field(init=False)
    central_state: int = field(init=False)
    harmonized: dict[str, np.ndarray] = field(init=False)
    error_multiplier: np.ndarray = field(init=False)
    work_slowdown: np.ndarray = field(init=False)
    work_slowdown_or_one: np.ndarray = field(init=False)
    slowed: bool = field(init=False)
    record_error_factor: np.ndarray = field(init=False)
    region_dc: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.n_stores + self.n_dcs
        shape = (n, self.n_skus)
        # 32-bit counts: the volume path is bound by memory traffic over these arrays (one
        # random cell per unit, whole rows per sync), and no cell holds 2**31 units.
        self.physical = np.zeros(shape, dtype=STOCK)
        self.system = np.zeros(shape, dtype=STOCK)
        self.visible = np.zeros(shape, dtype=STOCK)
        self.reserved_since_sync = np.zeros(shape, dtype=STOCK)
        self.open_reservations = np.zeros(shape, dtype=STOCK)
        self.last_sync = np.zeros(n, dtype=np.float64)
        self.state = np.full(self.n_stores, LEGACY, dtype=np.int8)
        self.live_since = np.full(self.n_stores, np.nan)
        self.central_state = LEGACY
        self.harmonized = {a: np.zeros(n, dtype=bool) for a in AREAS}
        self.error_multiplier = np.ones(self.n_stores)
        # A view of its first n_stores cells: the last is 1.0 for central work, so a batch of
        # items of stores and of no store (-1) is scaled by one lookup (the desk's release).
        self.work_slowdown_or_one = np.ones(self.n_stores + 1)
        self.work_slowdown = self.work_slowdown_or_one[: self.n_stores]
        self.slowed = False
        #: Stores and DCs closed by a disruption now, the carrier's transit-time multiplier,
        #: and whether the batch feeds' middleware is down (sim.model.disruptions).
        self.closed = np.zeros(self.n_stores, dtype=np.bool_)
        self.dc_closed = np.zeros(self.n_dcs, dtype=np.bool_)
        self.carrier_factor = 1.0
        self.feeds_down = False
        #: This replication's disruptions: the declared windows and the random ones drawn
        #: (the engine sets them before building the components).
        self.disruptions: list[Disruption] = [d for d in self.scenario.disruptions
                                              if d.start_week is not None]
        self.record_error_factor = np.ones(n)
        self.region_dc = region_dc_nodes(self.n_stores, len(self.region_names), self.dc_regions,
                                         self.store_region, self.store_dc)

    @property
    def n_nodes(self) -> int:
        """Stores plus DCs."""
        return self.n_stores + self.n_dcs

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.region_names)

    def week_of(self, hour: float) -> int:
        """0-based week index of an hour (clipped to the horizon)."""
        return min(int(hour // HOURS_PER_WEEK), self.horizon_hours // HOURS_PER_WEEK - 1)

    def calendar_week(self, week: int) -> int:
        """Index into the 52-week calendar tables (horizons past a year wrap)."""
        return week % len(self.seasonality)

def region_dc_nodes(n_stores: int, n_regions: int, dc_regions: list[list[int]],
                    store_region: np.ndarray, store_dc: np.ndarray) -> np.ndarray:
    """The DC node serving each customer region: ships its online orders, takes its mail.

    The DC whose ``regions`` list names the region (the last one if several do); a region no
    DC lists is served by the DC most of its stores are replenished from.
    """
    out = np.full(n_regions, -1, dtype=np.int64)
    for d, regs in enumerate(dc_regions):
        out[regs] = n_stores + d
    for r in np.flatnonzero(out < 0):
        dcs = store_dc[store_region == r]
        out[r] = n_stores + (np.bincount(dcs).argmax() if len(dcs) else 0)
    return out


@inline_kernel
def week_index(hour: float, n_weeks: int) -> int:
    """0-based week of an hour, clipped to the last of ``n_weeks``.

    :meth:`World.week_of` inside a kernel.
    """
    return min(np.int64(hour // HOURS_PER_WEEK), n_weeks - 1)


@kernel
def next_open_at(t: float, open_hour: int, close_hour: int) -> float:
    """Earliest time >= ``t`` (hours) within a store's daily opening hours."""
    day = np.floor(t / 24.0) * 24.0
    hod = t - day
    if hod < open_hour:
        return day + open_hour
    if hod >= close_hour:
        return day + 24.0 + open_hour
    return t


def build_world(scenario: Scenario, plan: Plan) -> World:
    """Make the replication's state arrays from a resolved plan.

    Args:
        scenario: The plan's scenario.
        plan: The scenario resolved against its network.

    Returns:
        A world with zero stock (the engine stocks it from its own random stream).
    """
    net = plan.network
    stores, skus = plan.stores, plan.skus
    regions = sorted(stores["region"].unique())
    reg_idx = {r: i for i, r in enumerate(regions)}
    dcs = net.dcs.reset_index(drop=True)
    dc_idx = {d: i for i, d in enumerate(dcs["dc_id"])}
    dc_regions = [[reg_idx[r] for r in str(rs).split(";") if r in reg_idx] for rs in dcs["regions"]]
    cal = net.calendar.sort_values("week")
    params = plan.params
    vol = stores["volume_class"].map(
        {c: params[f"volume_multiplier_{c}"] for c in ("A", "B", "C")}).to_numpy(float)
    return World(
        scenario=scenario,
        plan=plan,
        n_stores=len(stores),
        n_dcs=len(dcs),
        n_skus=len(skus),
        horizon_hours=scenario.horizon_weeks * HOURS_PER_WEEK,
        store_region=stores["region"].map(reg_idx).to_numpy(np.int64),
        region_names=regions,
        store_dc=stores["dc_id"].map(dc_idx).to_numpy(np.int64),
        open_hour=stores["open_hour"].to_numpy(np.int64),
        close_hour=stores["close_hour"].to_numpy(np.int64),
        store_volume=vol,
        bopis=stores["bopis"].to_numpy(bool),
        sfs=stores["ship_from_store"].to_numpy(bool),
        pos_family=stores["pos_family"].astype(str).to_numpy(),
        dc_lead_hours=dcs["lead_time_hours"].to_numpy(float),
        dc_regions=dc_regions,
        sku_price=skus["price"].to_numpy(float),
        sku_cost=skus["cost"].to_numpy(float),
        sku_weekly_units=skus["units_per_store_week"].to_numpy(float),
        seasonality=cal["seasonality"].to_numpy(float),
        online_multiplier=cal["online_share_multiplier"].to_numpy(float),
        peak_week=_peak_weeks(scenario, cal),
        params=params,
    )


def _peak_weeks(scenario: Scenario, cal: pd.DataFrame) -> np.ndarray:
    weeks = np.zeros(max(scenario.horizon_weeks, len(cal)), dtype=bool)
    if scenario.peak.weeks is not None:
        for w in scenario.peak.weeks:
            if 1 <= w <= len(weeks):
                weeks[w - 1] = True
    else:
        flags = cal["is_peak"].to_numpy(bool)
        for w in range(len(weeks)):
            weeks[w] = flags[w % len(flags)]
    return weeks
