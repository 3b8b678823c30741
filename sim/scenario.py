"""Scenario schema: a rollout plan as typed, validated data (DESIGN §5.7, §8).

A scenario is a TOML file of choices on top of the reference network in ``seeds/``. Every
field is typed and checked here; unknown keys are errors (``extra="forbid"``). Defaults that
are model assumptions carry their provenance in the field description. Checks that need the
network (regions and store ids named by waves) live in :mod:`sim.plan`; loading and ``--set``
overrides live in :mod:`sim.loader`. The teams and the cost weights are sections of their own
(:mod:`sim.scenario_teams`, :mod:`sim.scenario_costs`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from sim.scenario_base import AREAS, TEAMS, Mode, PathError, Strict, raise_all
from sim.scenario_costs import Costs
from sim.scenario_disruptions import Disruption
from sim.scenario_teams import Teams

# The schema's public names, wherever their sections are defined.
__all__ = ["AREAS", "TEAMS", "Central", "Costs", "Gates", "InventorySettings", "PathError",
           "Scenario", "Teams"]


class NetworkSelection(Strict):
    """Which network the plan runs on."""

    path: str | None = Field(
        None, description="folder with stores.csv etc.; relative to the scenario file; "
        "default: the shipped seeds/ reference network")
    stores: int | None = Field(
        None, ge=1, description="deterministic subset of N stores, regions kept in proportion")
    skus: int | None = Field(
        None, ge=1, description="deterministic subset of N SKUs, velocity classes kept")


class InventorySettings(Strict):
    """Stock visibility and record keeping (DESIGN §5.1)."""

    legacy_sync_hours: float = Field(
        4.0, gt=0, le=168, description="hours between legacy store batch feeds (POS families "
        "not listed in legacy_sync_hours_by_pos_family); assumption: batch feeds run every few "
        "hours (hourly per Logicbroker, daily per Google local feeds)")
    legacy_sync_hours_by_pos_family: dict[str, Annotated[float, Field(gt=0, le=168)]] = Field(
        default_factory=lambda: {"pos_c": 24.0}, description="legacy batch interval (hours) "
        "of the stores of a POS family (stores.csv pos_family), overriding legacy_sync_hours; "
        "a table given in full replaces this default; assumption: the oldest till system "
        "(pos_c, the acquired western chain) publishes stock in one nightly batch, the "
        "slowest cadence a local-inventory channel accepts (Google local feeds: at least "
        "daily), while the others publish every few hours")
    legacy_failures_per_1000_hours: float = Field(
        1.25, ge=0, le=1000, description="outages of a legacy point-to-point stock feed per "
        "1,000 hours of operation (a feed stays down until IT works its sync_failure); "
        "assumption: the former 0.5% failure chance per 4-hour batch, now per hour of "
        "operation so a faster feed does not fail more often; mature feeds rarely fail")
    integration_sync_hours: float = Field(
        1.0, gt=0, le=168, description="integration-layer batch interval in hours; Logicbroker's "
        "default hourly delta feed")
    integration_failures_per_1000_hours: float = Field(
        5.0, ge=0, le=1000, description="outages of a node's feed through the coexistence "
        "integration layer per 1,000 hours of operation (down until IT works its "
        "sync_failure); assumption: four times the legacy feeds' rate (the former 2% per "
        "4-hour batch), because new interfaces fail more often than mature ones")
    realtime_sync_minutes: float = Field(
        5.0, ge=0, le=60, description="latency of harmonized real-time inventory events, "
        "minutes: the channel promising from a real-time node sees a sale this long after the "
        "till; vendors describe near-real-time (seconds to minutes)")
    safety_buffer_units: int = Field(
        1, ge=0, le=50, description="units held back from the visible stock when promising; "
        "assumption: a common one-unit store buffer")
    cycle_count_weeks: float = Field(
        26.0, gt=0, le=52, description="weeks between cycle counts of a store-SKU; assumption: "
        "twice-yearly counts, with which the share of wrong store-SKU records settles near the "
        "60-65% published (DeHoratius & Raman 2008; ECR 2019) instead of starting above it")
    dc_cycle_count_weeks: float = Field(
        13.0, gt=0, le=52, description="weeks between cycle counts of a DC-SKU; every gap "
        "found is adjusted at the count (DC inventory control recounts within the shift); "
        "assumption: DCs count each location about quarterly")
    mismatch_threshold_units: int = Field(
        3, ge=0, description="count discrepancy (units) above which a cycle count raises an "
        "inventory_mismatch exception instead of a silent correction; assumption")


class AreaPlan(Strict):
    """When one process area gets a common enterprise definition."""

    mode: Mode = "legacy"
    from_week: int | None = Field(None, ge=1, description="week the enterprise mode starts")

    @model_validator(mode="after")
    def _enterprise_needs_week(self) -> AreaPlan:
        if self.mode == "enterprise" and self.from_week is None:
            raise ValueError("enterprise mode needs from_week (the week it takes effect)")
        return self


class Harmonization(Strict):
    """The six process areas (DESIGN §2)."""

    inventory_events: AreaPlan = Field(default_factory=AreaPlan)
    order_status: AreaPlan = Field(default_factory=AreaPlan)
    fulfillment_routing: AreaPlan = Field(default_factory=AreaPlan)
    return_disposition: AreaPlan = Field(default_factory=AreaPlan)
    promotions: AreaPlan = Field(default_factory=AreaPlan)
    financial_posting: AreaPlan = Field(default_factory=AreaPlan)


class Wave(Strict):
    """A group of stores that go live together.

    Selectors combine: a store is in the wave when it matches every selector given
    (``regions``, ``volume_classes``) or is listed in ``store_ids``; stores claimed by an
    earlier wave are skipped; ``count`` keeps the first N matches (regions in proportion), N
    out of the whole network: a run on a slice (``network.stores``) keeps the same share.
    ``all_remaining`` takes every store no earlier wave claimed.
    """

    name: str = ""
    regions: list[str] = Field(default_factory=list)
    store_ids: list[str] = Field(default_factory=list)
    volume_classes: list[Literal["A", "B", "C"]] = Field(default_factory=list)
    count: int | None = Field(None, ge=1)
    all_remaining: bool = False
    go_live_week: int = Field(ge=1)
    cutover_downtime_hours: float = Field(
        12.0, ge=0, le=336, description="POS/ERP downtime at cutover; assumption: an overnight "
        "cutover that runs into opening hours")
    hypercare_weeks: int = Field(
        6, ge=0, le=52, description="weeks of hypercare; vendors cite 2-8 weeks (Gartner "
        "G00329109 via Torii 2017)")
    hypercare_staff_per_100_stores: float = Field(
        0.0, ge=0, description="extra store-operations support staff (store hours) during "
        "hypercare, per 100 stores of the wave (so a 60-store slice gets a tenth of a 600-store "
        "wave's staff)")
    hypercare_it_staff_per_100_stores: float = Field(
        0.0, ge=0, description="extra IT hypercare staff (24x7) per 100 stores of the wave")

    def staff_for(self, per_100: float, n_stores: int) -> int:
        """Whole staff for a wave of ``n_stores`` (at least one when any is planned)."""
        if per_100 <= 0 or n_stores == 0:
            return 0
        return max(1, round(per_100 * n_stores / 100))

    @model_validator(mode="after")
    def _selects_something(self) -> Wave:
        if not (self.regions or self.store_ids or self.volume_classes or self.count
                or self.all_remaining):
            raise ValueError("a wave needs a store selector: regions, store_ids, volume_classes, "
                             "count or all_remaining")
        return self


class Central(Strict):
    """The cutover of the central systems: the DCs and the ecommerce platform (order management).

    DCs and ecommerce are not stores: they move to the ERP at their own, planned step, and adopt
    every ``at_go_live`` area there (an ``enterprise`` area reaches them at its ``from_week``).
    Until then an orchestrated order, a harmonized refund trigger for mailed or cross-channel
    returns and real-time DC stock are not available, whatever the stores do. The step is
    planned by week (``go_live_week``) or tied to a wave (``with_wave``: the central cutover
    runs on that wave's go-live day, after its gates). Neither: the central systems stay on
    legacy for the whole horizon.
    """

    go_live_week: int | None = Field(
        None, ge=1, description="week the DCs and the ecommerce platform cut over to the ERP")
    with_wave: int | None = Field(
        None, ge=0, description="index of the wave whose go-live day the central cutover "
        "shares (instead of go_live_week)")
    cutover_downtime_hours: float = Field(
        8.0, ge=0, le=336, description="DC picking and central processing stop during the "
        "cutover, hours; assumption: an overnight central cutover that runs into the morning")
    defects: float = Field(
        20.0, ge=0, description="expected cutover defects of the central systems (IT hypercare "
        "items surfacing over the first days); assumption: interfaces, DC and order-management "
        "configuration give a few dozen issues at a central go-live")


class FreezeWindow(Strict):
    """Weeks in which go-lives are not allowed."""

    start_week: int = Field(ge=1)
    end_week: int = Field(ge=1)
    name: str = "freeze"

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.end_week < self.start_week:
            raise ValueError(f"end_week {self.end_week} is before start_week {self.start_week}")
        return self

    def contains(self, week: int) -> bool:
        """Whether ``week`` falls inside the window."""
        return self.start_week <= week <= self.end_week


class Peak(Strict):
    """Peak-season policy."""

    weeks: list[int] | None = Field(
        None, description="peak weeks; default: the calendar's is_peak weeks")
    freeze_windows: list[FreezeWindow] = Field(default_factory=list)
    freeze_policy: Literal["error", "defer", "allow"] = "error"
    command_center: bool = False
    command_center_staff_per_100_stores: float = Field(
        0.5, ge=0, description="extra staff per team (store ops, customer service, IT) per 100 "
        "stores in peak weeks when the command center runs; assumption: a small central "
        "war room (3 per team for 600 stores)")
    command_center_detection_factor: float = Field(
        0.5, gt=0, le=1, description="multiplier on exception detection delay under the command "
        "center; assumption: monitoring halves the time before an issue is raised")


class Training(Strict):
    """Training completion and the post-go-live learning curve (McAfee 2002)."""

    completion: float = Field(0.8, ge=0, le=1, description="share of staff trained at go-live")
    dip_multiplier: float = Field(
        3.0, ge=1, description="error-rate multiplier at go-live with no training; assumption: "
        "McAfee 2002 reports a dip whose size is not published")
    settle_weeks: float = Field(
        4.0, gt=0, description="time constant of the recovery, weeks; hypercare exits on "
        "metrics after 2-8 weeks (Gartner G00329109), so most of the excess error rate is gone "
        "by then (a fifth is left after 6 weeks, under 5 % after 12); McAfee 2002: performance "
        "beats the old level after several months")


class MasterData(Strict):
    """Data readiness at cutover."""

    cleansing: float = Field(
        0.5, ge=0, le=1, description="share of stock-record migration errors removed before "
        "cutover; assumption")


class Gates(Strict):
    """Stage gates a wave must pass before it starts (deferred a week at a time)."""

    enabled: bool = False
    max_fallout_rate: float | None = Field(None, ge=0, le=1)
    max_backlog: int | None = Field(None, ge=0)
    min_sla_met_rate: float | None = Field(None, ge=0, le=1)
    min_proficiency: float | None = Field(None, ge=0, le=1)
    max_deferral_weeks: int = Field(26, ge=0)


class Fallback(Strict):
    """Reverting a struggling store to legacy."""

    enabled: bool = False
    backlog_threshold: int = Field(50, ge=1, description="open exceptions of one store")


class InitialFiles(Strict):
    """Where the run starts from (:mod:`sim.initial_state`); paths relative to the scenario.

    A file not named here is taken from the network folder if it holds one
    (``initial_exceptions.csv``, ``initial_stock.csv``, ``initial_returns.csv``); without any
    the drawn warm start stays.
    """

    exceptions: str | None = Field(None, description="open work items: type,count,age_hours"
                                   "[,store_id]")
    stock: str | None = Field(None, description="stock by cell: location,sku_id,on_hand"
                              "[,on_record]")
    returns: str | None = Field(None, description="mailed returns under way: dc_id,sku_id,"
                                "units,age_hours")


class Scenario(Strict):
    """A rollout plan."""

    name: str = "scenario"
    description: str = ""
    horizon_weeks: int = Field(52, ge=1, le=104)
    start_date: dt.date = Field(
        dt.date(2026, 2, 2), description="first Monday of the retail fiscal year (week 1 of "
        "the calendar)")
    network: NetworkSelection = Field(default_factory=NetworkSelection)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    harmonization: Harmonization = Field(default_factory=Harmonization)
    waves: list[Wave] = Field(default_factory=list)
    central: Central = Field(default_factory=Central)
    peak: Peak = Field(default_factory=Peak)
    teams: Teams = Field(default_factory=Teams)
    training: Training = Field(default_factory=Training)
    master_data: MasterData = Field(default_factory=MasterData)
    gates: Gates = Field(default_factory=Gates)
    fallback: Fallback = Field(default_factory=Fallback)
    costs: Costs = Field(default_factory=Costs)
    parameters: dict[str, float] = Field(
        default_factory=dict, description="overrides of seeds/parameters.csv by name")
    disruptions: list[Disruption] = Field(
        default_factory=list, description="closures, carrier delays, staff shortages")
    initial: InitialFiles = Field(default_factory=InitialFiles)

    #: Where the scenario was read from (for messages and relative network paths).
    _source: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    def network_dir(self) -> Path | None:
        """The network folder named by ``network.path``, resolved against the scenario file."""
        if self.network.path is None:
            return None
        p = Path(self.network.path).expanduser()
        if not p.is_absolute() and self._source is not None:
            p = self._source.parent / p
        return p

    @model_validator(mode="after")
    def _weeks_within_horizon(self, info: ValidationInfo) -> Scenario:
        """Weeks against the horizon and the freeze windows; the central cutover's step.

        Every problem is reported (:func:`~sim.scenario_base.raise_all`), not only the first.
        """
        problems: list[PathError] = []
        for i, wave in enumerate(self.waves):
            if wave.go_live_week > self.horizon_weeks:
                problems.append(PathError(
                    f"waves.{i}.go_live_week", f"go-live week {wave.go_live_week} is beyond "
                    f"the horizon ({self.horizon_weeks} weeks)"))
            elif self.peak.freeze_policy == "error":
                for j, win in enumerate(self.peak.freeze_windows):
                    if win.contains(wave.go_live_week):
                        problems.append(PathError(
                            f"waves.{i}.go_live_week",
                            f"go-live week {wave.go_live_week} falls in freeze window "
                            f"peak.freeze_windows.{j} '{win.name}' (weeks {win.start_week}-"
                            f"{win.end_week}); move the wave or set peak.freeze_policy to "
                            "'defer' or 'allow'"))
                        break
        if self.central.with_wave is not None:
            if self.central.go_live_week is not None:
                problems.append(PathError("central.with_wave",
                                          "give go_live_week or with_wave, not both"))
            elif self.central.with_wave >= len(self.waves):
                problems.append(PathError(
                    "central.with_wave", f"no wave {self.central.with_wave} (the plan has "
                    f"{len(self.waves)} waves)"))
        week = self.central.go_live_week
        if week is not None and week > self.horizon_weeks:
            problems.append(PathError("central.go_live_week", f"go-live week {week} is beyond "
                                      f"the horizon ({self.horizon_weeks} weeks)"))
        elif week is not None and self.peak.freeze_policy == "error":
            for j, win in enumerate(self.peak.freeze_windows):
                if win.contains(week):
                    problems.append(PathError(
                        "central.go_live_week", f"go-live week {week} falls in freeze "
                        f"window peak.freeze_windows.{j} '{win.name}'; move it or set "
                        "peak.freeze_policy to 'defer' or 'allow'"))
                    break
        for i, d in enumerate(self.disruptions):
            if d.start_week is not None and d.start_week > self.horizon_weeks:
                problems.append(PathError(f"disruptions.{i}.start_week", f"week "
                                          f"{d.start_week} is beyond the horizon "
                                          f"({self.horizon_weeks} weeks)"))
        for area in AREAS:
            plan: AreaPlan = getattr(self.harmonization, area)
            if plan.from_week is not None and plan.from_week > self.horizon_weeks:
                problems.append(PathError(f"harmonization.{area}.from_week",
                                          f"week {plan.from_week} is beyond the horizon "
                                          f"({self.horizon_weeks} weeks)"))
        raise_all(problems, info.context)
        return self
