"""The tables behind every figure and report section, from result tables only.

Plots (:mod:`sim.plots`) and the HTML report (:mod:`sim.report`) draw what these functions
return, so tests can check the numbers behind a figure (band quantiles, go-live weeks, CDF
points) without looking at pixels. Nothing here runs the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.aggregate import describe
from sim.metrics import REGISTRY

if TYPE_CHECKING:
    from sim.compare import Comparison
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


def weekly_matrix(weekly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Weekly values of one metric as a week × replication matrix."""
    if metric not in weekly.columns:
        raise KeyError(f"weekly table has no metric '{metric}'")
    return weekly.pivot_table(index="week", columns="rep", values=metric, aggfunc="first",
                              dropna=False).sort_index()


def weekly_bands(weekly: pd.DataFrame, metric: str,
                 levels: Sequence[float] = BAND_LEVELS) -> pd.DataFrame:
    """Per-week quantiles across replications (the fan chart's bands and median).

    Weeks where a metric is undefined in some replications (a rate with no denominator)
    use the replications where it is defined; a week undefined everywhere stays NaN.

    Args:
        weekly: A run's weekly table (``rep``, ``week`` and metric columns).
        metric: Metric column.
        levels: Quantile levels.

    Returns:
        One row per week: ``week``, one ``p<level>`` column per level, ``n`` (replications
        with a value) and ``mean``.
    """
    mat = weekly_matrix(weekly, metric).to_numpy(dtype=float)
    out = pd.DataFrame({"week": weekly_matrix(weekly, metric).index.to_numpy()})
    defined = np.isfinite(mat).any(axis=1)
    for q in levels:
        col = np.full(len(mat), np.nan)
        if defined.any():
            col[defined] = np.nanquantile(mat[defined], q, axis=1)
        out[level_name(q)] = col
    out["n"] = np.isfinite(mat).sum(axis=1)
    mean = np.full(len(mat), np.nan)
    if defined.any():
        mean[defined] = np.nanmean(mat[defined], axis=1)
    out["mean"] = mean
    return out


def weekly_window(run: RunResult, metric: str, weeks: Sequence[int],
                  how: str = "sum") -> pd.Series:
    """Per replication, a weekly metric combined over some weeks (e.g. after a go-live).

    Args:
        run: A run.
        metric: Weekly metric column.
        weeks: The weeks (1-based); weeks beyond the horizon are ignored.
        how: ``"sum"`` (counts, currency), ``"max"`` (backlogs) or ``"mean"``.

    Returns:
        One value per replication, indexed by ``rep``.
    """
    mat = weekly_matrix(run.weekly, metric)
    sel = mat.loc[mat.index.isin(list(weeks))]
    return getattr(sel, how)(axis=0).rename(metric)


def flagged_weeks(run: RunResult, column: str = "peak") -> list[int]:
    """Weeks flagged in the run's timeline (``peak`` or ``freeze``); empty if unknown."""
    tl = run.timeline
    if tl is None or tl.empty or column not in tl.columns:
        return []
    flags = tl.groupby("week")[column].any()
    return [int(w) for w in flags.index[flags.to_numpy(dtype=bool)]]


def week_spans(weeks: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs of weeks: ``[40, 41, 42, 47]`` -> ``[(40, 42), (47, 47)]``."""
    spans: list[tuple[int, int]] = []
    for w in sorted(set(int(x) for x in weeks)):
        if spans and w == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], w)
        else:
            spans.append((w, w))
    return spans


def freeze_windows(run: RunResult) -> list[tuple[int, int, str]]:
    """Freeze windows ``(start_week, end_week, name)`` from the scenario, else the timeline."""
    src = run.source
    if src is not None and src.peak.freeze_windows:
        return [(w.start_week, w.end_week, w.name) for w in src.peak.freeze_windows]
    return [(a, b, "freeze") for a, b in week_spans(flagged_weeks(run, "freeze"))]


def median_replication(run: RunResult, metric: str = "total_risk_cost") -> int:
    """The replication whose ``metric`` is closest to the median (lowest rep on ties)."""
    tab = run.replications.sort_values("rep")
    v = tab[metric].to_numpy(dtype=float)
    if not np.isfinite(v).any():
        return int(tab["rep"].iloc[0])
    dist = np.abs(v - np.nanmedian(v))
    dist[~np.isfinite(dist)] = np.inf
    return int(tab["rep"].iloc[int(np.argmin(dist))])


def _hypercare_weeks(run: RunResult) -> list[float]:
    if run.source is None:
        return []
    return [float(w.hypercare_weeks) for w in run.source.waves]


def gantt_table(run: RunResult, rep: int | None = None) -> pd.DataFrame:
    """One row per wave: planned and actual go-live, hypercare and deferrals.

    Args:
        run: A run with a timeline table.
        rep: A replication to show; ``None`` summarises all replications (medians, with the
            earliest and latest actual go-live).

    Returns:
        Columns ``wave``, ``wave_name``, ``stores``, ``planned_week``, ``go_live_week``,
        ``go_live_min``, ``go_live_max``, ``complete_week``, ``hypercare_weeks``,
        ``hypercare_end_week``, ``freeze_deferral_weeks``, ``gate_deferrals``,
        ``started_share`` (replications where the wave started) and ``in_freeze`` (the actual
        go-live falls in a freeze window). Stores in no wave are left out.
    """
    tl = run.timeline
    cols = ["wave", "wave_name", "stores", "planned_week", "go_live_week", "go_live_min",
            "go_live_max", "complete_week", "hypercare_weeks", "hypercare_end_week",
            "freeze_deferral_weeks", "gate_deferrals", "started_share", "in_freeze"]
    if tl is None or tl.empty:
        return pd.DataFrame(columns=cols)
    waves = tl[tl["wave"] >= 0]
    if rep is not None:
        if rep not in set(waves["rep"]):
            raise ValueError(f"replication {rep} is not in this run")
        waves = waves[waves["rep"] == rep]
    per = waves.groupby(["wave", "rep"], sort=True).first().reset_index()
    hyper = _hypercare_weeks(run)
    rows = []
    for wave, g in per.groupby("wave", sort=True):
        go = g["go_live_week"].to_numpy(dtype=float)
        started = np.isfinite(go)
        row = {
            "wave": int(wave), "wave_name": str(g["wave_name"].iloc[0]),
            "stores": int(g["stores"].iloc[0]),
            "planned_week": float(g["planned_week"].iloc[0]),
            "go_live_week": float(np.median(go[started])) if started.any() else math.nan,
            "go_live_min": float(go[started].min()) if started.any() else math.nan,
            "go_live_max": float(go[started].max()) if started.any() else math.nan,
            "complete_week": float(g["complete_week"].median()),
            "hypercare_weeks": hyper[int(wave)] if int(wave) < len(hyper) else math.nan,
            "freeze_deferral_weeks": float(g["freeze_deferral_weeks"].median()),
            "gate_deferrals": float(g["gate_deferrals"].median()),
            "started_share": float(started.mean()),
        }
        end = row["complete_week"] if np.isfinite(row["complete_week"]) else row["go_live_week"]
        row["hypercare_end_week"] = end + row["hypercare_weeks"]
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "in_freeze"])
    windows = freeze_windows(run)
    out["in_freeze"] = [bool(np.isfinite(w) and any(a <= w <= b for a, b, _ in windows))
                        for w in out["go_live_week"]]
    return out[cols]


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
    g = refunds.groupby(["channel_pair", "quantile"], sort=False)
    out = g.agg(hours=("hours", "mean"), hours_min=("hours", "min"),
                hours_max=("hours", "max"), returns=("returns", "mean"),
                reps=("hours", "size")).reset_index()
    order = {p: i for i, p in enumerate(CHANNEL_PAIR_LABELS)}
    out["_o"] = out["channel_pair"].map(lambda p: order.get(p, len(order)))
    return out.sort_values(["_o", "quantile"], kind="stable").drop(columns="_o")[cols] \
        .reset_index(drop=True)


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


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


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


def top_risk_weeks(run: RunResult, metric: str = "exception_backlog_peak",
                   n: int = 5) -> pd.DataFrame:
    """The weeks with the highest median of a weekly metric, with what happened in them.

    Returns:
        ``n`` rows, highest first: ``plan``, ``week``, ``metric``, ``median``, ``p90``,
        ``go_lives`` (median stores going live that week), ``live_stores`` (median live at
        the week's end), ``peak`` and ``freeze`` (flags).
    """
    bands = weekly_bands(run.weekly, metric, (0.5, 0.9)).dropna(subset=["p50"])
    top = bands.sort_values(["p50", "week"], ascending=[False, True], kind="stable").head(n)
    tl = run.timeline
    if tl is not None and not tl.empty:
        per_rep = tl.groupby(["rep", "week"])[["go_lives", "live"]].sum()
        med = per_rep.groupby("week").median()
    else:
        med = pd.DataFrame(columns=["go_lives", "live"])
    peak, freeze = set(flagged_weeks(run, "peak")), set(flagged_weeks(run, "freeze"))
    rows = []
    for r in top.itertuples(index=False):
        wk = int(r.week)
        rows.append({"plan": run.scenario, "week": wk, "metric": metric, "median": r.p50,
                     "p90": r.p90,
                     "go_lives": float(med["go_lives"].get(wk, math.nan)),
                     "live_stores": float(med["live"].get(wk, math.nan)),
                     "peak": wk in peak, "freeze": wk in freeze})
    return pd.DataFrame(rows, columns=["plan", "week", "metric", "median", "p90", "go_lives",
                                       "live_stores", "peak", "freeze"])


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
