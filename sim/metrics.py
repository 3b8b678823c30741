"""The metric registry: every reported metric declared once with its unit and aggregation.

Names in :data:`CONTRACT` are the stable contract of DESIGN §6: tests, notebooks and users'
baselines depend on them. Per-type exception counts are reported as ``exceptions.<type>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sim.model.costs import COMPONENTS, COMPOSITES, COST_INPUTS
from sim.model.desk.taxonomy import EXCEPTION_TYPES
from sim.model.returns.rules import CHANNEL_PAIRS

Agg = Literal["sum", "ratio", "max", "level", "samples_mean", "samples_quantile", "peak",
              "last", "cost"]


@dataclass(frozen=True)
class Metric:
    """A reported metric and how it is computed from the model's declared counters.

    Attributes:
        name: Stable name (the contract).
        unit: Unit shown in tables and plot axes.
        agg: How the value is computed, the same way per week, per region and over the
            horizon: ``sum`` of the counters in ``of``; ``ratio`` of the totals of ``of[0]``
            over ``of[1]`` (never an average of weekly rates); ``max`` of a peak counter;
            ``level`` of a stock counted at each week's end (summed over regions; a region's
            and the horizon's value is the last week's); ``samples_mean`` /
            ``samples_quantile`` (level ``q``) of the observations of the sample counters in
            ``of``; ``peak`` of the hourly open backlog; ``last`` (a week the rollout reports,
            horizon only); ``cost`` (a component of ``total_risk_cost``, or the total: the
            scenario's cost weights on the counters in ``of``, :mod:`sim.model.costs`).
        description: One line for tables and reports.
        lower_is_better: Direction used when plans are ranked and wins are counted.
        of: The declared counters (:mod:`sim.model.counters`) it is computed from.
        q: Quantile level of a ``samples_quantile`` metric.
    """

    name: str
    unit: str
    agg: Agg
    description: str
    lower_is_better: bool = True
    of: tuple[str, ...] = ()
    q: float | None = None

    def __post_init__(self) -> None:
        if self.agg in ("sum", "max", "level") and not self.of:
            object.__setattr__(self, "of", (self.name,))
        need = {"ratio": 2, "samples_mean": 1, "samples_quantile": 1}.get(self.agg)
        if need is not None and len(self.of) < need:
            raise ValueError(f"{self.name}: a {self.agg} metric needs {need} counters in 'of'")


_REFUND_SAMPLES = tuple(f"refund_cycle_hours.{p}" for p in CHANNEL_PAIRS)
_EXCEPTIONS = tuple(f"exceptions.{t}" for t in EXCEPTION_TYPES)

_CONTRACT = [
    Metric("ecommerce_orders", "orders", "sum",
           "online orders placed, counted by line (an order of n lines counts n; every order "
           "count and rate counts lines, customer_orders the orders)", lower_is_better=False),
    Metric("oversell_orders", "orders", "sum", "orders whose node lacked physical stock at pick"),
    Metric("oversell_rate", "fraction", "ratio", "oversell_orders / ecommerce_orders",
           of=("oversell_orders", "ecommerce_orders")),
    Metric("reroute_orders", "orders", "sum", "orders moved to another node"),
    Metric("reroute_cost", "currency", "sum",
           "extra shipping and expedite of reroutes, priced per rerouted order by "
           "orders.rules.reroute_cost (their labour is exception labour)"),
    Metric("order_fallout_rate", "fraction", "ratio", "orders cancelled for lack of stock or time",
           of=("fallout_orders", "ecommerce_orders")),
    Metric("pickup_ready_rate", "fraction", "ratio", "BOPIS orders ready by the promised time",
           lower_is_better=False, of=("bopis_ready_orders", "bopis_orders")),
    Metric("refund_cycle_hours_mean", "hours", "samples_mean",
           "mean hours from return start to refund", of=_REFUND_SAMPLES),
    Metric("refund_cycle_hours_p90", "hours", "samples_quantile",
           "90th percentile of return-to-refund hours over every channel pair: a mix of till "
           "refunds (hours) and mailed ones (days), so it can jump between the two modes; the "
           "pairs' own samples are the refund_cycle_hours.<pair> extras",
           of=_REFUND_SAMPLES, q=0.9),
    Metric("exceptions_total", "count", "sum", "all exceptions raised", of=_EXCEPTIONS),
    Metric("exception_backlog_peak", "count", "peak", "largest open backlog of any team"),
    Metric("exception_sla_met_rate", "fraction", "ratio", "exceptions resolved within SLA",
           lower_is_better=False, of=("sla_met", "sla_due")),
    Metric("promo_override_rate", "fraction", "ratio", "price overrides per promoted sale",
           of=("price_overrides", "promoted_units")),
    Metric("margin_leakage", "currency", "sum", "value lost to promotion mismatches"),
    Metric("inventory_sync_latency_hours", "hours", "ratio", "mean age of visible stock at promise",
           of=("sync_latency_sum", "promised_orders")),
    Metric("manual_journals", "count", "sum",
           "reconciliation journal entries: one per reconciliation exception (the same count "
           "as exceptions.reconciliation)"),
    Metric("close_delay_days", "days", "sum", "total month-end close delay"),
    Metric("lost_sales_units", "units", "sum", "store demand not served"),
    Metric("training_proficiency", "fraction", "ratio",
           "mean proficiency of live stores' staff: 1 / their learning multiplier (training, "
           "dip and time since go-live), over live store-weeks; NaN before any store is live",
           lower_is_better=False, of=("proficiency_sum", "live_store_weeks")),
    Metric("rollout_completion_week", "week", "last", "week the last store went live"),
    Metric("total_risk_cost", "currency", "cost",
           "sum of the cost.<component> metrics (weights from the scenario's [costs])",
           of=COST_INPUTS + _REFUND_SAMPLES),
]


def _cost_of(name: str) -> tuple[str, ...]:
    """The counters (and samples) a cost metric is computed from, through its parts."""
    if name in COMPOSITES:
        return tuple(dict.fromkeys(c for part in COMPOSITES[name] for c in _cost_of(part)))
    return COMPONENTS[name][0] or (_REFUND_SAMPLES if name == "cost.refund_goodwill" else ())


#: The components of total_risk_cost (DESIGN §6: always reported with it).
_COSTS = [Metric(name, "currency", "cost", text, of=_cost_of(name))
          for name, (_, text) in COMPONENTS.items()]

_EXTRA = [
    *_COSTS,
    *(Metric(f"exceptions.{t}", "count", "sum", f"{t} exceptions raised")
      for t in EXCEPTION_TYPES),
    # Beyond the contract: the counters behind the contract's figures, for diagnosis.
    Metric("store_sales_units", "units", "sum", "walk-in units sold", lower_is_better=False),
    Metric("downtime_lost_units", "units", "sum", "walk-in demand lost while the POS was down"),
    Metric("closed_store_hours", "store-hours", "sum", "hours stores were closed by a "
           "declared disruption (their walk-in demand is lost sales)"),
    Metric("unpromisable_orders", "orders", "sum", "orders no node could promise",
           of=("online_unpromisable_orders",)),
    Metric("online_fulfilled_orders", "orders", "sum", "online orders picked in full",
           lower_is_better=False),
    Metric("store_fulfilled_share", "fraction", "ratio",
           "share of online orders fulfilled from stores (ship-from-store and pickups)",
           lower_is_better=False, of=("store_fulfilled_orders", "online_fulfilled_orders")),
    Metric("pick_failures", "picks", "sum",
           "failed picks at stores (stock short, or a unit on the shelf missed)"),
    Metric("fulfillment_cost", "currency", "sum",
           "shipping and pick labour of the online orders fulfilled (not in total_risk_cost: "
           "what routing saves or spends on every order)"),
    Metric("customer_orders", "orders", "sum",
           "online orders as customers place them; ecommerce_orders and the other order "
           "counts count order lines (a line is what is promised, picked and rerouted)",
           lower_is_better=False),
    Metric("split_parcels", "parcels", "sum",
           "parcels beyond one per order: lines promised from another node than the rest "
           "of their order (no single node could promise it, or splitting cost less), or "
           "rerouted while the rest still ship from the node that failed them"),
    Metric("auto_reroute_orders", "orders", "sum",
           "orders rerouted automatically by the orchestration (the rest by hand)",
           lower_is_better=False),
    Metric("count_gap_rate", "fraction", "ratio", "cycle-counted records that were wrong",
           of=("count_gaps", "counted_cells")),
    Metric("gap_scan_corrections", "store-SKUs", "sum",
           "empty shelves whose record showed stock (phantom stock), set to zero by the gap "
           "scan of a store posting harmonized inventory events, so its review reorders them",
           lower_is_better=False),
    Metric("dc_count_gap_rate", "fraction", "ratio", "cycle-counted DC records that were wrong",
           of=("dc_count_gaps", "dc_counted_cells")),
    Metric("sync_outage_hours", "node-hours", "sum",
           "hours nodes' stock feeds were down waiting for IT (views stale)"),
    Metric("sync_outage_mean_hours", "hours", "ratio",
           "mean hours a broken feed stays down (outage node-hours per sync_failure)",
           of=("sync_outage_hours", "exceptions.sync_failure")),
    Metric("unposted_sales_units", "units", "sum",
           "real-time store sales not yet seen by the channel when orders were promised"),
    Metric("returns_units", "units", "sum", "units whose return started"),
    Metric("unrecorded_restock_units", "units", "sum", "restocked returns never recorded"),
    Metric("refunds_pending_end", "refunds", "sum", "refunds not made by the horizon end"),
    Metric("refunds_pending_peak", "refunds", "max",
           "most refunds waiting on a person or the DC bench at once",
           of=("refunds_pending_peak",)),
    Metric("dc_inspection_backlog_peak", "units", "max", "most parcels waiting at the DC bench",
           of=("dc_inspection_backlog_units",)),
    Metric("promo_mismatch_rate", "fraction", "ratio", "promotion setups done wrong at a store",
           of=("promo_mismatch_setups", "promo_setups")),
    Metric("bridge_breaks", "breaks", "sum", "breaks of postings bridged from legacy stores"),
    Metric("month_closes", "closes", "sum", "month-end closes within the horizon",
           lower_is_better=False),
    Metric("close_delay_days_per_close", "days", "ratio",
           "mean business days a month-end close ran late",
           of=("close_delay_days", "month_closes")),
    Metric("close_surge_staff_hours", "staff-hours", "sum",
           "finance staff-hours added at month ends (overtime, borrowed staff)"),
    Metric("hypercare_staff_hours", "staff-hours", "sum", "staff-hours added by hypercare"),
    Metric("command_center_staff_hours", "staff-hours", "sum",
           "staff-hours added by the peak command center"),
    Metric("stores_live", "stores", "level", "stores live at the week's (horizon's) end",
           lower_is_better=False),
    Metric("central_go_live_week", "week", "last",
           "week the DCs and the ecommerce platform went live on the ERP"),
    Metric("go_lives", "stores", "sum", "store go-lives (a retried cutover counts again)",
           lower_is_better=False),
    Metric("fallbacks", "stores", "sum", "live stores reverted to legacy"),
    Metric("gate_deferrals", "wave-days", "sum",
           "days a wave was held by a stage gate (gates are checked daily)"),
    Metric("migration_errors", "store-SKUs", "sum", "stock records migrated wrong at cutover"),
]

#: All metrics, by name, in report order.
REGISTRY: dict[str, Metric] = {m.name: m for m in _CONTRACT + _EXTRA}

#: The names DESIGN §6 fixes.
CONTRACT: tuple[str, ...] = tuple(m.name for m in _CONTRACT)


def unit_of(metric: str) -> str:
    """Unit of a metric from the registry (``""`` for names it does not know)."""
    m = REGISTRY.get(metric)
    return m.unit if m is not None else ""


def value_range(name: str) -> tuple[float, float]:
    """The values a metric can take, which its confidence interval must not leave.

    Fractions lie in [0, 1]; every other registered metric counts, times or prices something
    and is never negative. Names not in the registry are unbounded.
    """
    m = REGISTRY.get(name)
    if m is None:
        return (-math.inf, math.inf)
    return (0.0, 1.0) if m.unit == "fraction" else (0.0, math.inf)

