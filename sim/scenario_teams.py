"""The exception-handling teams of a scenario and how they are staffed (DESIGN §5.5)."""

from __future__ import annotations

from pydantic import Field

from sim.scenario_base import Shift, Strict


class Team(Strict):
    """One exception-handling team."""

    staff: int | None = Field(
        None, ge=0, description="staff on duty per shift; default: staff_per_100_stores scaled "
        "to the network size")
    staff_per_100_stores: float = Field(1.0, ge=0)
    shift: Shift = "business_hours"
    sla_hours: float = Field(24.0, gt=0, description="resolution SLA from arrival, hours")
    seasonal_staff_factor: float = Field(
        1.0, ge=1, description="staff multiplier in the peak weeks and the returns weeks after "
        "them (seasonal hires); 1: none")

    def staff_for(self, n_stores: int, volume_share: float = 1.0) -> int:
        """Staff on duty for a network of ``n_stores`` stores.

        Args:
            n_stores: Stores in the network the plan runs on.
            volume_share: Share of the reference assortment's unit volume the run carries
                (a ``network.skus`` subset carries less work per store).
        """
        if self.staff is not None:
            return self.staff
        return max(1, round(self.staff_per_100_stores * n_stores / 100 * volume_share))


class StoreOpsTeam(Team):
    """Store-operations support: store hours; ~4.5 per 100 stores keeps it ~70% busy."""

    staff_per_100_stores: float = Field(4.5, ge=0)
    shift: Shift = "store_hours"


class CustomerServiceTeam(Team):
    """Customer service: 24x7 contact centre, staffed up for the holiday season.

    The seasonal factor is an assumption sized like the base staff: the legacy baseline's peak
    and January-returns load is about 1.6 times a normal week's at 600 stores (measured), and
    contact centres hire seasonal agents for it rather than let a backlog build.
    """

    staff_per_100_stores: float = Field(1.2, ge=0)
    shift: Shift = "24x7"
    seasonal_staff_factor: float = Field(
        1.6, ge=1, description="staff multiplier in the peak weeks and the returns weeks after "
        "them (seasonal hires); assumption: sized to the legacy peak load")


class FinanceTeam(Team):
    """Finance operations: business hours, three-day SLA on reconciliation breaks."""

    staff_per_100_stores: float = Field(0.5, ge=0)
    shift: Shift = "business_hours"
    sla_hours: float = Field(72.0, gt=0, description="resolution SLA from arrival, hours")


class ITHypercareTeam(Team):
    """IT support and hypercare: 24x7, eight-hour SLA."""

    staff_per_100_stores: float = Field(0.5, ge=0)
    shift: Shift = "24x7"
    sla_hours: float = Field(8.0, gt=0, description="resolution SLA from arrival, hours")


class Teams(Strict):
    """The four teams of DESIGN §5.5.

    Default staffing is an assumption: each team sized per 100 stores so that the legacy
    baseline's exception load keeps it about 70% busy outside the peak (measured with the
    reference network), leaving peaks and go-lives to build backlogs.
    """

    # Each team has its own defaults, so overriding one field (`teams.finance.staff=2`)
    # keeps the team's shift and SLA.
    season_weeks_after_peak: int = Field(
        2, ge=0, description="weeks after the last peak week that seasonal staff stay on (the "
        "January returns); assumption: holiday returns arrive within about two weeks")
    store_ops: StoreOpsTeam = Field(default_factory=StoreOpsTeam)
    customer_service: CustomerServiceTeam = Field(default_factory=CustomerServiceTeam)
    finance: FinanceTeam = Field(default_factory=FinanceTeam)
    it_hypercare: ITHypercareTeam = Field(default_factory=ITHypercareTeam)
