"""Why the riskiest weeks are risky: their cost drivers, exceptions and calendar events.

For a plan compared with a reference, a week is risky when the plan costs more than the
reference in that week (paired by replication: the same customers), and its drivers are the
cost components with the largest excess. For a plan on its own (or the reference itself), a
week is risky when it costs more than the plan's own median week, and its drivers are the
components furthest above their median week. Both views are medians over replications, so
the drivers need not add up to the week's excess exactly.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.model.costs import BREAKDOWN
from sim.plotting_data.weekly import disruption_weeks, flagged_weeks

if TYPE_CHECKING:
    from sim.experiment import RunResult

#: The top-level components of total_risk_cost (enablement as one), in report order.
COMPONENTS: tuple[str, ...] = tuple(
    name for name, depth in BREAKDOWN if depth == 0 and name != "total_risk_cost")
#: Drivers listed per week.
TOP_DRIVERS = 2


def component_label(metric: str) -> str:
    """A cost component as words: ``cost.refund_goodwill`` -> ``refund goodwill``."""
    return metric.removeprefix("cost.").replace("_", " ")


def _exception_types(weekly: pd.DataFrame) -> list[str]:
    return [c for c in weekly.columns if c.startswith("exceptions.")]


def _excess(run: RunResult, reference: RunResult | None, cols: list[str]) -> pd.DataFrame:
    """Per replication and week, ``cols`` minus the reference's (or minus the median week)."""
    x = run.weekly.set_index(["rep", "week"])[cols].astype(float)
    if reference is not None:
        ref = reference.weekly.set_index(["rep", "week"])[cols].astype(float)
        return x - ref.reindex(x.index)
    return x - x.groupby(level="rep").transform("median")


def why_weeks(run: RunResult, reference: RunResult | None = None, n: int = 3) -> pd.DataFrame:
    """The ``n`` riskiest weeks of a plan with what drives them.

    Args:
        run: The plan's results.
        reference: The plan it is compared with (same seeds), or ``None`` to compare the plan's
            weeks with its own median week.
        n: Weeks listed.

    Returns:
        One row per week, riskiest first: ``plan``, ``week``, ``cost`` (median weekly
        total_risk_cost), ``excess`` (median excess over the reference or the median week),
        ``basis`` (``"vs <reference>"`` or ``"vs median week"``), ``drivers`` (list of
        ``(component, median excess)``, largest first, positive only), ``exception``
        (the exception type with the largest median excess, or ``""``), ``exception_excess``,
        ``backlog`` (median peak backlog), ``go_lives`` (median stores going live), ``peak``
        and ``freeze`` flags, ``disruption`` (the scenario's disruptions in force, or "").
        Empty when the run has no weekly table.
    """
    cols = ["total_risk_cost", *COMPONENTS]
    cols = [c for c in cols if c in run.weekly.columns]
    kinds = _exception_types(run.weekly)
    if run.weekly.empty or "total_risk_cost" not in cols:
        return pd.DataFrame(columns=["plan", "week", "cost", "excess", "basis", "drivers",
                                     "exception", "exception_excess", "backlog", "go_lives",
                                     "peak", "freeze", "disruption"])
    excess = _excess(run, reference, cols + kinds).groupby(level="week").median()
    level = run.weekly.groupby("week")[["total_risk_cost", "exception_backlog_peak",
                                        "go_lives"]].median()
    top = excess["total_risk_cost"].sort_values(ascending=False, kind="stable").head(n)
    peak, freeze = set(flagged_weeks(run, "peak")), set(flagged_weeks(run, "freeze"))
    hit = disruption_weeks(run)
    basis = f"vs {reference.scenario}" if reference is not None else "vs median week"
    rows = []
    for wk, total in top.items():
        comps = excess.loc[wk, [c for c in cols if c != "total_risk_cost"]]
        comps = comps[comps > 0].sort_values(ascending=False, kind="stable").head(TOP_DRIVERS)
        exc = excess.loc[wk, kinds] if kinds else pd.Series(dtype=float)
        exc = exc[exc > 0].sort_values(ascending=False, kind="stable")
        rows.append({
            "plan": run.scenario, "week": int(wk), "cost": float(level.loc[wk, "total_risk_cost"]),
            "excess": float(total), "basis": basis,
            "drivers": [(str(k), float(v)) for k, v in comps.items()],
            "exception": str(exc.index[0]).removeprefix("exceptions.") if len(exc) else "",
            "exception_excess": float(exc.iloc[0]) if len(exc) else math.nan,
            "backlog": float(level.loc[wk, "exception_backlog_peak"]),
            "go_lives": float(level.loc[wk, "go_lives"]),
            "peak": int(wk) in peak, "freeze": int(wk) in freeze,
            "disruption": hit.get(int(wk), "")})
    return pd.DataFrame(rows)
