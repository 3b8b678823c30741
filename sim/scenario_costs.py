"""The cost weights of a scenario: what each risk driver costs in ``total_risk_cost``."""

from __future__ import annotations

from pydantic import Field

from sim.scenario_base import Strict


class Costs(Strict):
    """Weights of total_risk_cost's components (currency; :mod:`sim.model.costs` says more).

    Licences and the build, the same for every rollout plan, are left out. The flat
    ``lost_sale_unit`` was retired: a lost store sale costs its SKU's margin (price - cost).
    """

    # Orchestration and reroutes (DESIGN §5.2). FACTS §5 has no published cost of a split or
    # rerouted shipment, and puts the value of better routing at ~1% of outbound shipping
    # (Acimovic & Graves 2015): these are assumptions, sized so routing differences stay small.
    ship_parcel: float = Field(
        7.0, ge=0, description="base cost of one parcel to the customer, per order; "
        "assumption: a negotiated ground rate for a small parcel in the nearest zone")
    ship_per_km: float = Field(
        0.005, ge=0, description="shipping cost per km from the node to the customer; "
        "assumption: zone-based ground rates for a parcel of a few pounds rise by about 10-15 "
        "from the nearest to the farthest zone (~3,000 km)")
    store_pick_order: float = Field(
        3.5, ge=0, description="store labour to pick and pack one online order; assumption: "
        "about 6 minutes of an associate at the loaded 35/h")
    dc_pick_order: float = Field(
        1.2, ge=0, description="DC labour to pick and pack one online order; assumption: about "
        "2 minutes in a DC's batch picking at 35/h")
    expedite_premium: float = Field(
        8.0, ge=0, description="premium of a faster service so a rerouted shipment keeps its "
        "promised date; assumption: about one more parcel")
    auto_reroute_labour: float = Field(
        1.0, ge=0, description="labour of an automatic reroute (the miss confirmed on the "
        "handheld, the order re-released); assumption: under 2 minutes at 35/h. A manual "
        "reroute's labour is its exception's handling hours")
    exception_handling_hour: float = Field(35.0, ge=0, description="loaded labour; assumption")
    fallout_order: float = Field(25.0, ge=0, description="lost margin and goodwill; assumption")
    refund_delay_day: float = Field(1.5, ge=0, description="per refund-day beyond 2; assumption")
    sla_breach: float = Field(10.0, ge=0, description="per exception resolved late; assumption")
    close_delay_day: float = Field(20000.0, ge=0, description="per late close-day; assumption")
    close_surge_staff_hour: float = Field(
        52.5, ge=0, description="an hour of month-end surge staff; assumption: overtime at "
        "time and a half of exception_handling_hour")
    holding_rate_per_year: float = Field(
        0.2, ge=0, le=1, description="yearly cost of holding stock, fraction of its value at "
        "cost; assumption: low end of the textbook 20-25 %/year (no figure in FACTS)")
    enablement_staff_hour: float = Field(
        55.0, ge=0, description="an hour of added hypercare or command-center staff; "
        "assumption: largely contractors and overtime, above in-house handlers' 35")
    staff_per_store: float = Field(
        25.0, ge=0, description="store staff to train; assumption: a specialty store of this "
        "size employs about 20-30 people, full and part time")
    training_per_trainee: float = Field(
        300.0, ge=0, description="training one employee before go-live; assumption: about a "
        "day of paid class time plus trainer and materials")
    cleansing_per_store: float = Field(
        4000.0, ge=0, description="cleansing all of a store's data (master_data.cleansing pays "
        "that share); assumption: ~80 data-team hours at 50")
    cutover_it_per_store: float = Field(
        3000.0, ge=0, description="IT cost of a store cutover (technician, POS swap); assumption")
    currency: str = Field(
        "USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of every money figure the "
        "outputs print (the weights above are in it); default USD: the labour rates and the "
        "published figures in FACTS the defaults come from are US ones")
