"""Metric lists, units, descriptions and how values are printed in figures and reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.metrics import REGISTRY

if TYPE_CHECKING:
    from sim.experiment import RunResult



#: Quantile levels of the weekly fan-chart bands (P10, P25, median, P75, P90).
BAND_LEVELS: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75, 0.90)


#: Metrics a PMO deck leads with (report tables, risk table).
HEADLINE: tuple[str, ...] = (
    "total_risk_cost", "oversell_rate", "reroute_cost", "order_fallout_rate",
    "pickup_ready_rate", "refund_cycle_hours_mean", "refund_cycle_hours_p90",
    "exceptions_total", "exception_backlog_peak", "exception_sla_met_rate", "margin_leakage",
    "manual_journals", "close_delay_days", "rollout_completion_week")


#: Metrics shown by default in the forest plot (one panel each).
FOREST_METRICS: tuple[str, ...] = (
    "total_risk_cost", "oversell_rate", "reroute_cost", "refund_cycle_hours_mean",
    "exceptions_total", "exception_backlog_peak")


#: Refund channel pairs in display order, with readable names.
CHANNEL_PAIR_LABELS: dict[str, str] = {
    "store_to_store": "bought in store, returned in store",
    "online_to_store": "bought online, returned in store (BORIS)",
    "online_to_mail": "bought online, mailed back",
}


def as_runs(runs: RunResult | Sequence[RunResult]) -> list[RunResult]:
    """One run or several, as a list."""
    if hasattr(runs, "replications"):
        return [runs]  # type: ignore[list-item]
    return list(runs)  # type: ignore[arg-type]


def level_name(q: float) -> str:
    """Column name of a quantile level: 0.1 -> ``p10``."""
    return f"p{round(q * 100):d}"


def unit_of(metric: str) -> str:
    """Unit of a metric from the registry (``""`` for unknown names)."""
    m = REGISTRY.get(metric)
    return m.unit if m else ""


def description_of(metric: str) -> str:
    """One-line description of a metric (its name for unknown names)."""
    m = REGISTRY.get(metric)
    return m.description if m else metric


def lower_is_better(metric: str) -> bool:
    """Ranking direction of a metric (lower is better unless the registry says otherwise)."""
    m = REGISTRY.get(metric)
    return True if m is None else m.lower_is_better


def fmt_value(x: Any, unit: str = "") -> str:
    """Format a number for tables and labels by its unit (fractions as percentages).

    Args:
        x: The value (``None`` and NaN print as an en dash).
        unit: The metric's unit.

    Returns:
        Text such as ``"0.25%"``, ``"1,234,567"`` or ``"12.3"``.
    """
    if x is None or (isinstance(x, float | np.floating) and not np.isfinite(x)):
        return "–"
    x = float(x)
    if unit == "fraction":
        pct = 100.0 * x
        return f"{pct:.2f}%" if abs(pct) < 10 else f"{pct:.1f}%"
    ax = abs(x)
    if ax >= 1000 or (unit in ("orders", "count", "units", "week") and ax == round(ax)):
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 0.01 or ax == 0:
        return f"{x:.2f}"
    return f"{x:.2g}"


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)
