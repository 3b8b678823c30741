"""Every counter the model records, declared once with its unit (DESIGN §6's raw material).

Components add raw counts into the recorder by week and region (numerators, denominators,
currency, hours); the metric registry (:mod:`sim.metrics`) says which counters each reported
metric is computed from. Recording a name not declared here raises, so a misspelled counter
fails at once instead of reading as zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.model.desk.taxonomy import ADDED_STAFF_PURPOSES, EXCEPTION_TYPES
from sim.model.returns.rules import CHANNEL_PAIRS

Kind = Literal["sum", "peak", "samples", "by_store"]


@dataclass(frozen=True)
class Counter:
    """A recorded quantity.

    Attributes:
        name: The name components record under.
        unit: Unit of one count.
        description: What is counted.
        kind: ``sum`` (added up), ``peak`` (the largest value seen per week and region),
            ``samples`` (individual observations, e.g. refund cycle times) or ``by_store``
            (counted per store and week, for the dip of a wave's own stores).
    """

    name: str
    unit: str
    description: str
    kind: Kind = "sum"


_DECLARED = [
    # Store demand (sim.model.demand)
    Counter("store_sales_units", "units", "walk-in units sold"),
    Counter("store_sales_value", "currency", "walk-in sales at list price"),
    Counter("lost_sales_units", "units", "walk-in demand not served (no stock or POS down)"),
    Counter("lost_margin", "currency", "margin (price - cost) of the walk-in units not served"),
    Counter("downtime_lost_units", "units", "walk-in demand lost while the POS was down"),
    Counter("store_units_sold", "units", "walk-in units sold at each store (a chain's sales "
            "history by store: sim.calibrate_history)", "by_store"),
    Counter("closed_store_hours", "store-hours", "hours stores were closed by a disruption "
            "(their walk-in demand is lost sales)"),
    # Online orders (sim.model.orders)
    Counter("ecommerce_orders", "order lines", "online order lines placed (an order of n "
            "lines counts n: a line is what is promised, picked and rerouted)"),
    Counter("customer_orders", "orders", "online orders as customers place them (one or more "
            "lines each)"),
    Counter("split_parcels", "parcels", "parcels beyond one per order: lines promised or "
            "rerouted to a node none of their order's other lines ship from"),
    Counter("online_unpromisable_orders", "orders", "orders no node could promise"),
    Counter("promised_orders", "orders", "orders promised a node"),
    Counter("bopis_orders", "orders", "pickup orders promised"),
    Counter("bopis_ready_orders", "orders", "pickup orders ready by the promised time"),
    Counter("online_fulfilled_orders", "orders", "orders picked in full"),
    Counter("store_fulfilled_orders", "orders", "orders picked in full at a store"),
    Counter("oversell_orders", "orders", "orders whose node lacked the stock at pick"),
    Counter("pick_failures", "picks", "failed picks at stores: stock short or a unit missed"),
    Counter("reroute_orders", "orders", "orders moved to another node"),
    Counter("auto_reroute_orders", "orders", "orders moved to another node automatically"),
    Counter("fulfillment_cost", "currency", "shipping and pick labour of the orders picked"),
    Counter("reroute_cost", "currency", "extra shipping and expedite of reroutes, and automatic "
            "reroutes' re-release labour (a manual reroute's labour is exception labour)"),
    Counter("fallout_orders", "orders", "orders cancelled for lack of stock or time"),
    Counter("sync_latency_sum", "hours", "age of the visible stock at promise, summed"),
    # Inventory records (sim.model.inventory)
    Counter("counted_cells", "store-SKUs", "store-SKU records cycle-counted"),
    Counter("gap_scan_corrections", "store-SKUs", "empty shelves whose record showed stock, "
            "set to zero by a gap scan at a store posting harmonized inventory events"),
    Counter("count_gaps", "store-SKUs", "counted records that differed from the shelf"),
    Counter("dc_counted_cells", "DC-SKUs", "DC-SKU records cycle-counted"),
    Counter("dc_count_gaps", "DC-SKUs", "counted DC records that differed from the shelf"),
    Counter("sync_outage_hours", "node-hours", "hours a node's stock feed was down (its view "
            "stale until IT worked the sync_failure)"),
    Counter("unposted_sales_units", "units", "real-time store sales the channel had not yet "
            "seen when the hour's orders were promised (event latency)"),
    # Returns and refunds (sim.model.returns)
    Counter("returns_units", "units", "units whose return started"),
    *(Counter(f"returns_units.{p}", "units", f"returns started, {p.replace('_', ' ')}")
      for p in CHANNEL_PAIRS),
    Counter("returns_value", "currency", "list price of the units returned"),
    Counter("restocked_units", "units", "returned units put back for sale"),
    Counter("unrecorded_restock_units", "units", "restocks never posted to the record"),
    Counter("damaged_units", "units", "returned units written off as damaged"),
    Counter("vendor_return_units", "units", "returned units sent back to the vendor"),
    Counter("dc_inspected_units", "units", "mailed returns inspected at the DC bench"),
    Counter("dc_inspection_backlog_units", "units", "parcels waiting at the DC bench", "peak"),
    Counter("refunds_pending_peak", "refunds", "refunds waiting on a person or the bench",
            "peak"),
    Counter("refunds_pending_end", "refunds", "refunds not made by the horizon end"),
    *(Counter(f"refund_cycle_hours.{p}", "hours", f"return start to refund, "
              f"{p.replace('_', ' ')}", "samples") for p in CHANNEL_PAIRS),
    # Promotions (sim.model.promotions)
    Counter("promo_setups", "store-events", "promotion events set up at a store"),
    Counter("promo_mismatch_setups", "store-events", "promotion setups done wrong"),
    Counter("promoted_units", "units", "units sold on promotion in stores"),
    Counter("promo_mismatch_units", "units", "promoted units sold where the setup was wrong"),
    Counter("price_overrides", "units", "price overrides at the till"),
    Counter("promo_overcharged_units", "units", "units overcharged without an override"),
    Counter("promo_undercharged_units", "units", "units sold below the right price"),
    Counter("margin_leakage", "currency", "value lost to promotion mismatches"),
    # Finance (sim.model.finance)
    Counter("manual_journals", "journals", "reconciliation journal entries"),
    Counter("bridge_breaks", "breaks", "breaks of postings bridged from legacy stores"),
    Counter("close_delay_days", "days", "business days of month-end close delay"),
    Counter("month_closes", "closes", "month-end closes within the horizon"),
    Counter("stock_value_days", "currency-days",
            "value at cost of the stock on hand (stores by region, DCs central), each day"),
    # Exceptions and teams (sim.model.desk)
    *(Counter(f"exceptions.{t}", "count", f"{t} exceptions raised") for t in EXCEPTION_TYPES),
    Counter("sla_due", "count", "exceptions whose SLA outcome is known"),
    Counter("sla_met", "count", "exceptions resolved within SLA"),
    Counter("sla_breaches", "count", "exceptions resolved late or overdue"),
    Counter("handling_hours", "hours", "hours of exception work started"),
    Counter("store_exceptions", "count", "exceptions raised at each store", "by_store"),
    Counter("store_picks", "picks", "picks attempted at each store", "by_store"),
    Counter("store_pick_misses", "picks", "picks failed at each store because the picker "
            "missed a unit that was there", "by_store"),
    Counter("store_pick_failures", "picks", "failed picks at each store (stock short or a unit "
            "missed)", "by_store"),
    Counter("added_staff_handling_hours", "hours",
            "the share of handling_hours worked by added staff (hypercare, command center, "
            "close surge), by the added share of the team on duty when each item started"),
    *(Counter(f"{p}_staff_hours", "staff-hours", f"staff-hours added: {p.replace('_', ' ')}")
      for p in ADDED_STAFF_PURPOSES),
    # The rollout (sim.model.rollout)
    Counter("go_lives", "stores", "stores going live"),
    Counter("stores_live", "stores", "stores live at the week's end"),
    Counter("fallbacks", "stores", "live stores reverted to legacy"),
    Counter("gate_deferrals", "wave-days", "days a wave was held by a stage gate (checked daily)"),
    Counter("migration_errors", "store-SKUs", "stock records migrated wrong at cutover"),
    Counter("proficiency_sum", "store-weeks", "proficiency of live stores, summed weekly"),
    Counter("live_store_weeks", "store-weeks", "live stores counted at each week's start"),
]

#: Every declared counter, by name.
COUNTERS: dict[str, Counter] = {c.name: c for c in _DECLARED}


def declared(name: str) -> Counter:
    """The declaration of counter ``name``.

    Raises:
        KeyError: The name is not declared (a misspelling, or a counter to declare above).
    """
    try:
        return COUNTERS[name]
    except KeyError:
        raise KeyError(f"counter {name!r} is not declared in sim/model/counters.py") from None
