"""The metric registry: every reported metric declared once with its unit and aggregation.

Names in :data:`CONTRACT` are the stable contract of DESIGN §6: tests, notebooks and users'
baselines depend on them. Per-type exception counts are reported as ``exceptions.<type>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Agg = Literal["sum", "mean", "max", "ratio", "last"]


@dataclass(frozen=True)
class Metric:
    """A reported metric.

    Attributes:
        name: Stable name (the contract).
        unit: Unit shown in tables and plot axes.
        agg: How weekly values combine into the horizon value (``ratio`` metrics are computed
            from their numerator and denominator totals, never by averaging weekly rates).
        description: One line for tables and reports.
        lower_is_better: Direction used when plans are ranked and wins are counted.
    """

    name: str
    unit: str
    agg: Agg
    description: str
    lower_is_better: bool = True


EXCEPTION_TYPES = (
    "inventory_mismatch",
    "manual_reroute",
    "pickup_failure",
    "return_lookup",
    "unreceipted_return",
    "price_dispute",
    "sync_failure",
    "reconciliation",
    "cutover_defect",
)

_CONTRACT = [
    Metric("ecommerce_orders", "orders", "sum", "online orders placed", lower_is_better=False),
    Metric("oversell_orders", "orders", "sum", "orders whose node lacked physical stock at pick"),
    Metric("oversell_rate", "fraction", "ratio", "oversell_orders / ecommerce_orders"),
    Metric("reroute_orders", "orders", "sum", "orders moved to another node"),
    Metric("reroute_cost", "currency", "sum", "extra shipping and labour of reroutes"),
    Metric("order_fallout_rate", "fraction", "ratio", "orders cancelled for lack of stock or time"),
    Metric("pickup_ready_rate", "fraction", "ratio", "BOPIS orders ready by the promised time",
           lower_is_better=False),
    Metric("refund_cycle_hours_mean", "hours", "mean", "mean hours from return start to refund"),
    Metric("refund_cycle_hours_p90", "hours", "mean", "90th percentile of return-to-refund hours"),
    Metric("exceptions_total", "count", "sum", "all exceptions raised"),
    Metric("exception_backlog_peak", "count", "max", "largest open backlog of any team"),
    Metric("exception_sla_met_rate", "fraction", "ratio", "exceptions resolved within SLA",
           lower_is_better=False),
    Metric("promo_override_rate", "fraction", "ratio", "price overrides per promoted sale"),
    Metric("margin_leakage", "currency", "sum", "value lost to promotion mismatches"),
    Metric("inventory_sync_latency_hours", "hours", "mean", "mean age of visible stock at promise"),
    Metric("manual_journals", "count", "sum", "reconciliation journal entries"),
    Metric("close_delay_days", "days", "sum", "total month-end close delay"),
    Metric("lost_sales_units", "units", "sum", "store demand not served"),
    Metric("training_proficiency", "fraction", "mean", "mean proficiency of live stores' staff",
           lower_is_better=False),
    Metric("rollout_completion_week", "week", "last", "week the last store went live"),
    Metric("total_risk_cost", "currency", "sum", "weighted sum from the scenario's cost section"),
]

_EXTRA = [Metric(f"exceptions.{t}", "count", "sum", f"{t} exceptions raised")
          for t in EXCEPTION_TYPES]

#: All metrics, by name, in report order.
REGISTRY: dict[str, Metric] = {m.name: m for m in _CONTRACT + _EXTRA}

#: The names DESIGN §6 fixes.
CONTRACT: tuple[str, ...] = tuple(m.name for m in _CONTRACT)


def register(metric: Metric) -> Metric:
    """Add a metric to the registry (model modules declare their extra metrics this way)."""
    REGISTRY[metric.name] = metric
    return metric


def metric_names() -> list[str]:
    """All registered metric names, contract first."""
    return list(REGISTRY)
