"""Summary tables behind the refund CDFs, headline and risk tables, forest and tornado plots."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.aggregate import describe, mean_refund_curves, refund_pairs

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.experiment import RunResult
from sim.plotting_data.formatting import (
    CHANNEL_PAIR_LABELS,
    FOREST_METRICS,
    HEADLINE,
    _num,
    as_runs,
    lower_is_better,
    unit_of,
)


def refund_cdf_table(refunds: pd.DataFrame) -> pd.DataFrame:
    """Refund-cycle CDF per channel pair, averaged over replications.

    Each replication stores its refund-cycle quantiles; the curves are averaged level by
    level (the hours at each cumulative share), with the range across replications.

    Args:
        refunds: A run's refunds table (``rep``, ``channel_pair``, ``quantile``, ``hours``,
            ``returns``).

    Returns:
        Columns ``channel_pair``, ``quantile``, ``hours`` (mean over replications),
        ``hours_min``, ``hours_max``, ``returns`` (mean refunds per replication), ``reps``.
    """
    cols = ["channel_pair", "quantile", "hours", "hours_min", "hours_max", "returns", "reps"]
    if refunds is None or refunds.empty:
        return pd.DataFrame(columns=cols)
    out = mean_refund_curves(refunds)
    order = {p: i for i, p in enumerate(CHANNEL_PAIR_LABELS)}
    out["_o"] = out["channel_pair"].map(lambda p: order.get(p, len(order)))
    return out.sort_values(["_o", "quantile"], kind="stable").drop(columns="_o")[cols] \
        .reset_index(drop=True)


def refund_pairs_table(runs: Sequence[RunResult]) -> pd.DataFrame:
    """Refund cycle per plan and channel pair (:func:`sim.aggregate.refund_pairs`).

    Returns:
        Columns ``plan``, ``channel_pair``, ``refunds`` (per replication), ``p50_hours``,
        ``p90_hours``; pairs in the order of :data:`CHANNEL_PAIR_LABELS`.
    """
    order = {p: i for i, p in enumerate(CHANNEL_PAIR_LABELS)}
    rows = [{"plan": r.scenario, "channel_pair": pair, **v}
            for r in runs
            for pair, v in sorted(refund_pairs(r.refunds).items(),
                                  key=lambda kv: order.get(kv[0], len(order)))]
    return pd.DataFrame(rows, columns=["plan", "channel_pair", "refunds", "p50_hours",
                                       "p90_hours"])


def share_within(refunds: pd.DataFrame, hours: float) -> pd.Series:
    """Share of refunds completed within ``hours`` per channel pair (mean quantile curve).

    Returns:
        Channel pair -> share (0 to 1), read off the averaged CDF by linear interpolation.
    """
    t = refund_cdf_table(refunds)
    out = {}
    for pair, g in t.groupby("channel_pair", sort=False):
        x, y = g["hours"].to_numpy(dtype=float), g["quantile"].to_numpy(dtype=float)
        out[pair] = float(np.interp(hours, x, y, left=0.0, right=1.0))
    return pd.Series(out, name=f"within_{hours:g}h", dtype=float)


def _stats(run: RunResult, metric: str) -> dict[str, Any]:
    s = run.summary.get(metric) if run.summary else None
    if s is None and metric in run.replications.columns:
        s = describe(run.replications[metric].to_numpy(dtype=float))
    return s or {}


def headline_table(runs: RunResult | Sequence[RunResult],
                   metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean with its 95% CI and P90 per plan and metric, from each run's summary.

    Returns:
        Columns ``plan``, ``metric``, ``unit``, ``mean``, ``ci_low``, ``ci_high``, ``p90``.
    """
    rows = []
    for r in as_runs(runs):
        for m in metrics or HEADLINE:
            s = _stats(r, m)
            if not s:
                continue
            ci = s.get("ci95") or [None, None]
            rows.append({"plan": r.scenario, "metric": m, "unit": unit_of(m),
                         "mean": _num(s.get("mean")), "ci_low": _num(ci[0]),
                         "ci_high": _num(ci[1]), "p90": _num(s.get("p90"))})
    return pd.DataFrame(rows, columns=["plan", "metric", "unit", "mean", "ci_low", "ci_high",
                                       "p90"])


def risk_table(runs: RunResult | Sequence[RunResult],
               metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """P50/P80/P95 across replications per plan and metric (the risk appetite view).

    Returns:
        Columns ``metric``, ``unit``, ``plan``, ``mean``, ``p50``, ``p80``, ``p95``; the
        numbers are those of each run's summary.
    """
    rows = []
    for m in metrics or HEADLINE:
        for r in as_runs(runs):
            s = _stats(r, m)
            if not s:
                continue
            rows.append({"metric": m, "unit": unit_of(m), "plan": r.scenario,
                         "mean": _num(s.get("mean")), "p50": _num(s.get("p50")),
                         "p80": _num(s.get("p80")), "p95": _num(s.get("p95"))})
    return pd.DataFrame(rows, columns=["metric", "unit", "plan", "mean", "p50", "p80", "p95"])


def forest_table(comparison: Comparison, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Paired differences against the reference plan, absolute and relative.

    Args:
        comparison: A comparison (its first run is the reference).
        metrics: Metrics to keep (default :data:`FOREST_METRICS`).

    Returns:
        Columns ``plan``, ``metric``, ``unit``, ``reference``, ``reference_mean``, ``mean``,
        ``ci_low``, ``ci_high``, ``rel_mean``, ``rel_low``, ``rel_high`` (per cent of the
        reference mean; NaN when that mean is 0), ``win_share`` and ``verdict``
        (``better``/``worse`` when the whole CI lies on one side of zero, else
        ``inconclusive``; ``n/a`` without a CI).
    """
    ref = comparison.runs[0]
    wanted = list(metrics or FOREST_METRICS)
    d = comparison.differences
    d = d[d["metric"].isin(wanted)].copy()
    d["_m"] = d["metric"].map(wanted.index)
    plans = [r.scenario for r in comparison.runs[1:]]
    d["_p"] = d["plan"].map(plans.index)
    d = d.sort_values(["_m", "_p"]).drop(columns=["_m", "_p"])
    rows = []
    for row in d.itertuples(index=False):
        m = row.metric
        base = _num(_stats(ref, m).get("mean"))
        mean, lo, hi = (_num(v) for v in (row.mean, row.ci_low, row.ci_high))
        scale = 100.0 / abs(base) if np.isfinite(base) and base != 0 else math.nan
        if not (np.isfinite(lo) and np.isfinite(hi)):
            verdict = "n/a"
        elif lo == 0 and hi == 0:
            verdict = "no difference"
        elif hi < 0 or lo > 0:
            verdict = "better" if (hi < 0) == lower_is_better(m) else "worse"
        else:
            verdict = "inconclusive"
        rows.append({"plan": row.plan, "metric": m, "unit": unit_of(m),
                     "reference": ref.scenario, "reference_mean": base, "mean": mean,
                     "ci_low": lo, "ci_high": hi, "rel_mean": mean * scale,
                     "rel_low": lo * scale, "rel_high": hi * scale,
                     "win_share": _num(row.win_share), "verdict": verdict})
    return pd.DataFrame(rows, columns=[
        "plan", "metric", "unit", "reference", "reference_mean", "mean", "ci_low", "ci_high",
        "rel_mean", "rel_low", "rel_high", "win_share", "verdict"])


def tornado_table(base: RunResult, variations: Mapping[str, tuple[RunResult, RunResult]],
                  metric: str = "total_risk_cost") -> pd.DataFrame:
    """Change of a metric's mean when one parameter moves down or up, from given runs.

    Args:
        base: The run at the central settings.
        variations: Parameter label -> (run with the parameter lowered, run with it raised);
            run them with the base's seed so the differences are paired.
        metric: The metric.

    Returns:
        One row per parameter, widest swing first: ``parameter``, ``base``, ``low``,
        ``high`` (means), ``low_delta``, ``high_delta`` (vs the base) and ``span``.
    """
    b = float(base.replications[metric].mean())
    rows = []
    for label, (lo, hi) in variations.items():
        lv, hv = float(lo.replications[metric].mean()), float(hi.replications[metric].mean())
        rows.append({"parameter": label, "base": b, "low": lv, "high": hv,
                     "low_delta": lv - b, "high_delta": hv - b,
                     "span": max(lv, hv, b) - min(lv, hv, b)})
    out = pd.DataFrame(rows, columns=["parameter", "base", "low", "high", "low_delta",
                                      "high_delta", "span"])
    return out.sort_values("span", ascending=False, kind="stable").reset_index(drop=True)


def cost_breakdown_table(runs: RunResult | Sequence[RunResult],
                         comparison: Comparison | None = None) -> pd.DataFrame:
    """total_risk_cost with its components per plan (DESIGN §6: reported together).

    Args:
        runs: The plans (reference first for a comparison).
        comparison: Their comparison, for the paired difference of each plan from the first.

    Returns:
        One row per plan and component of :data:`sim.model.costs.BREAKDOWN` (the total
        last): ``plan``, ``metric``, ``depth`` (1: a part of enablement), ``mean``,
        ``ci_low``, ``ci_high``, ``share`` (of the plan's mean total), and ``diff``,
        ``diff_low``, ``diff_high`` (paired difference from the reference; NaN without a
        comparison and for the reference).
    """
    from sim.model.costs import BREAKDOWN

    depth = dict(BREAKDOWN)
    t = headline_table(runs, list(depth))
    t = t[t["metric"].isin(depth)].drop(columns=["unit", "p90"]).copy()
    t["depth"] = t["metric"].map(depth)
    totals = t[t["metric"] == "total_risk_cost"].set_index("plan")["mean"]
    t["share"] = t["mean"] / t["plan"].map(totals).replace(0.0, np.nan)
    t[["diff", "diff_low", "diff_high"]] = np.nan
    if comparison is not None and len(comparison.differences):
        d = comparison.differences.set_index(["plan", "metric"])
        for i, (plan, metric) in enumerate(zip(t["plan"], t["metric"], strict=True)):
            if (plan, metric) in d.index:
                row = d.loc[(plan, metric)]
                t.iloc[i, t.columns.get_indexer(["diff", "diff_low", "diff_high"])] = (
                    row["mean"], row["ci_low"], row["ci_high"])
    return t[["plan", "metric", "depth", "mean", "ci_low", "ci_high", "share", "diff",
              "diff_low", "diff_high"]].reset_index(drop=True)

