"""Metric lists, units, descriptions and how values are printed in figures and reports."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.metrics import REGISTRY, unit_of

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


def description_of(metric: str) -> str:
    """One-line description of a metric (its name for unknown names)."""
    m = REGISTRY.get(metric)
    return m.description if m else metric


def lower_is_better(metric: str) -> bool:
    """Ranking direction of a metric (lower is better unless the registry says otherwise)."""
    m = REGISTRY.get(metric)
    return True if m is None else m.lower_is_better


def fmt_value(x: Any, unit: str = "", compact: bool = False, signed: bool = False) -> str:
    """Format a number for tables and labels by its unit (fractions as percentages).

    Args:
        x: The value (``None`` and NaN print as an en dash).
        unit: The metric's unit.
        compact: Print money (unit ``currency``) of a thousand and more with four significant
            digits and a suffix, ``962.1 k``, ``1.21 M``, ``2.5 bn``, instead of in full.
        signed: A difference: positive values get a ``+`` (negative ones have their ``-``).

    Returns:
        Text such as ``"0.25%"``, ``"1,234,567"``, ``"1.235 M"`` or ``"12.3"``.
    """
    if x is None or (isinstance(x, float | np.floating) and not np.isfinite(x)):
        return "–"
    x = float(x)
    if signed and x > 0:
        return "+" + fmt_value(x, unit, compact)
    if unit == "fraction":
        pct = 100.0 * x
        return f"{pct:.2f}%" if abs(pct) < 10 else f"{pct:.1f}%"
    ax = abs(x)
    if compact and unit == "currency" and ax >= 1000:
        return _compact(x)
    if ax >= 1000 or (unit in ("orders", "count", "units", "week") and ax == round(ax)):
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 0.01 or ax == 0:
        return f"{x:.2f}"
    return f"{x:.2g}"


def _compact(x: float) -> str:
    """``962.1 k``, ``1.21 M``: four significant digits (rounded first, so 999,960 is 1 M)."""
    x = float(f"{x:.4g}")
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            v = x / scale
            return f"{v:.4g} {suffix}" if abs(v) < 1000 else f"{v:,.0f} {suffix}"
    return f"{x:,.0f}"


def fmt_table(df: pd.DataFrame, units: Mapping[Any, str] | None = None, *,
              by_row: bool = False, compact: bool = True,
              signed: Collection[Any] = ()) -> pd.DataFrame:
    """A copy of a table for display, every number printed by its unit with :func:`fmt_value`.

    Fractions become percentages, money ``962.1 k`` / ``1.21 M`` (``compact``), counts get
    thousands separators and missing values an en dash; never ``9.621e+05``. Text columns are
    kept as they are. A numeric column's unit is, first found: ``units[column]``; with
    ``by_row``, the row's unit (the table's ``unit`` column or index level, else the registry's
    unit of the row's metric, the first index level); the registry's unit of a column named
    after a metric; ``count`` for an integer column.

    Args:
        df: The table (columns may be a MultiIndex).
        units: Column label -> unit, for columns whose unit is not the row's or the registry's
            (a win share in a table of hours, say).
        by_row: Units follow the rows (one metric per row), not the columns.
        compact: Print money of a thousand and more as ``962.1 k`` / ``1.21 M``.
        signed: Columns of differences, printed with a sign either way (``+16.6 k``).

    Returns:
        A table of text with the same index and columns.
    """
    units = dict(units or {})
    row_units: list[str] | None = None
    if by_row:
        if "unit" in df.columns:
            row_units = [str(u) for u in df["unit"]]
        elif "unit" in (df.index.names or []):
            row_units = [str(u) for u in df.index.get_level_values("unit")]
        else:
            row_units = [unit_of(str(m)) for m in df.index.get_level_values(0)]
    out = df.astype(object)
    for j, col in enumerate(df.columns):
        values = df.iloc[:, j]
        if not _is_numeric(values):
            continue
        if col in units:
            col_units = [units[col]] * len(df)
        elif row_units is not None:
            col_units = row_units
        else:
            unit = unit_of(col) if isinstance(col, str) else ""
            if not unit and pd.api.types.is_integer_dtype(values.dtype):
                unit = "count"
            col_units = [unit] * len(df)
        out.iloc[:, j] = [fmt_value(v, u, compact=compact, signed=col in signed)
                          for v, u in zip(values, col_units, strict=True)]
    return out


def _is_numeric(values: pd.Series) -> bool:
    """Numbers (or nothing), not text or flags: a numeric dtype, or objects that are numbers."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return False
    if pd.api.types.is_numeric_dtype(values.dtype):
        return True
    return all(v is None or (isinstance(v, int | float | np.number) and not isinstance(v, bool))
               for v in values)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)
