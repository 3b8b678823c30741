"""Matplotlib figures of results, drawn from result tables only (never by running the model).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot, so figures do
not pile up in a global registry, work under any backend, and show in Jupyter when returned
from a cell. The numbers behind each figure come from :mod:`sim.plotting_data`.

Example::

    from sim import plots
    fig = plots.fan_chart([run_a, run_b], "exception_backlog_peak")
    fig.savefig("backlog.png", dpi=150)
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim import plotting_data as pdata

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.experiment import RunResult

#: Colours by plan position (colour-blind-safe Okabe-Ito order, then tab10).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442", "#8c564b", "#7f7f7f")
VERDICT_COLORS = {"better": "#009E73", "worse": "#D55E00", "inconclusive": "#7f7f7f",
                  "no difference": "#7f7f7f", "n/a": "#bbbbbb"}
PEAK_COLOR = "#e8e8e8"
FREEZE_COLOR = "#9ecae1"
#: Log-axis ticks for durations in hours.
_TIME_TICKS = ((0.01, "36 s"), (0.1, "6 min"), (1.0, "1 h"), (24.0, "1 day"),
               (168.0, "1 week"), (840.0, "5 weeks"), (4368.0, "26 weeks"))


class PlotFigure(Figure):
    """A figure that shows itself in Jupyter even when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def plan_colors(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per plan, in the order given."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def axis_label(metric: str) -> str:
    """Axis label with the metric's unit, e.g. ``"oversell_rate (%)"``."""
    unit = pdata.unit_of(metric)
    shown = {"fraction": "%", "currency": "currency units", "": ""}.get(unit, unit)
    return f"{metric} ({shown})" if shown else metric


def _formatter(unit: str) -> FuncFormatter | PercentFormatter:
    if unit == "fraction":
        return PercentFormatter(xmax=1.0, decimals=None)

    def fmt(x: float, _pos: int) -> str:
        ax = abs(x)
        if ax >= 1e6:
            return f"{x / 1e6:,.1f}M"
        if ax >= 1e4:
            return f"{x / 1e3:,.0f}k"
        return f"{x:,.0f}" if ax >= 10 or x == round(x) else f"{x:.2g}"

    return FuncFormatter(fmt)


def _week_label(runs: Sequence[RunResult]) -> str:
    src = next((r.source for r in runs if r.source is not None), None)
    if src is None:
        return "week of the horizon"
    return f"week of the horizon (week 1 starts {src.start_date:%d %b %Y})"


def _shade_weeks(ax: Axes, run: RunResult, peak: bool = True, freeze: bool = True) -> list:
    """Shade peak weeks (grey) and freeze windows (hatched blue); return legend handles."""
    handles = []
    if peak:
        spans = pdata.week_spans(pdata.flagged_weeks(run, "peak"))
        for a, b in spans:
            ax.axvspan(a - 0.5, b + 0.5, color=PEAK_COLOR, zorder=0, lw=0)
        if spans:
            handles.append(Patch(color=PEAK_COLOR, label="peak weeks"))
    if freeze:
        windows = pdata.freeze_windows(run)
        for a, b, _ in windows:
            ax.axvspan(a - 0.5, b + 0.5, facecolor="none", edgecolor=FREEZE_COLOR, hatch="//",
                       lw=0, zorder=0)
        if windows:
            handles.append(Patch(facecolor="white", edgecolor=FREEZE_COLOR, hatch="//",
                                 label="freeze window"))
    return handles


def fan_chart(runs: RunResult | Sequence[RunResult], metric: str, *, inner_only: bool = False,
              title: str | None = None, ax: Axes | None = None) -> Figure:
    """Weekly median with P25–P75 and P10–P90 bands across replications, one colour per plan.

    Args:
        runs: One run or several plans (overlaid).
        metric: A weekly metric column (see :data:`sim.metrics.REGISTRY`).
        inner_only: Draw only the P25–P75 band (clearer with many plans).
        title: Figure title (a default names the metric and the replications).
        ax: Draw into this axes instead of a new figure.

    Returns:
        The figure.
    """
    runs = pdata.as_runs(runs)
    fig, ax = _fig_ax(ax, (11, 5))
    colors = plan_colors([r.scenario for r in runs])
    same_freeze = all(pdata.freeze_windows(r) == pdata.freeze_windows(runs[0]) for r in runs)
    handles = _shade_weeks(ax, runs[0], freeze=same_freeze)
    for r in runs:
        b = pdata.weekly_bands(r.weekly, metric)
        c = colors[r.scenario]
        x = b["week"].to_numpy()
        if not inner_only:
            ax.fill_between(x, b["p10"], b["p90"], color=c, alpha=0.12, lw=0)
        ax.fill_between(x, b["p25"], b["p75"], color=c, alpha=0.28, lw=0)
        ax.plot(x, b["p50"], color=c, lw=2)
        handles.append(Line2D([], [], color=c, lw=2, label=f"{r.scenario} (median)"))
    handles.append(Patch(color="#555555", alpha=0.4, label="P25–P75"))
    if not inner_only:
        handles.append(Patch(color="#555555", alpha=0.15, label="P10–P90"))
    n = sorted({r.n for r in runs})
    reps = f"{n[0]}" if len(n) == 1 else f"{n[0]}–{n[-1]}"
    bands = "P25–P75" if inner_only else "P25–P75 and P10–P90"
    ax.set_title(title or f"Weekly {metric}: {pdata.description_of(metric)}\n"
                 f"median and {bands} across {reps} replications", fontsize=11, loc="left")
    ax.set_ylabel(axis_label(metric))
    ax.set_xlabel(_week_label(runs))
    ax.yaxis.set_major_formatter(_formatter(pdata.unit_of(metric)))
    weeks = pd.concat([r.weekly["week"] for r in runs])
    ax.set_xlim(weeks.min() - 0.5, weeks.max() + 0.5)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9,
              frameon=False)
    fig.tight_layout()
    return fig


def rollout_gantt(run: RunResult, rep: int | None = None, ax: Axes | None = None) -> Figure:
    """Waves on a week axis: planned vs actual go-live, cutover, hypercare, freeze, deferrals.

    Args:
        run: One plan's run.
        rep: A replication to show; ``None`` shows medians over replications with a whisker
            from the earliest to the latest actual go-live.
        ax: Draw into this axes instead of a new figure.

    Returns:
        The figure (a note instead of bars when the plan has no waves).
    """
    tab = pdata.gantt_table(run, rep)
    fig, ax = _fig_ax(ax, (11, 1.6 + 0.6 * max(len(tab), 2)))
    handles = _shade_weeks(ax, run)
    horizon = int(run.weekly["week"].max()) if len(run.weekly) else 52
    which = f"median of {run.n} replications" if rep is None else f"replication {rep}"
    ax.set_title(f"Rollout schedule: {run.scenario} ({which})", fontsize=12, loc="left")
    if tab.empty:
        ax.text(0.5, 0.5, "no waves: no store goes live in this plan", ha="center",
                va="center", transform=ax.transAxes, fontsize=11, color="#444444")
        ax.set_yticks([])
    for i, w in enumerate(tab.itertuples(index=False)):
        y = i
        ax.plot(w.planned_week, y, marker="D", ms=8, mfc="white", mec="black", zorder=4)
        if not np.isfinite(w.go_live_week):
            ax.text(w.planned_week + 0.8, y, "did not start within the horizon", va="center",
                    fontsize=9, color="#D55E00")
            continue
        end = w.complete_week if np.isfinite(w.complete_week) else w.go_live_week
        edge = "#D55E00" if w.in_freeze else "none"
        ax.barh(y, end - w.go_live_week + 1, left=w.go_live_week - 0.5, height=0.5,
                color="#0072B2", edgecolor=edge, lw=2, zorder=3)
        care_end = end + 0.5  # the red outline marks a go-live inside a freeze (see legend)
        if np.isfinite(w.hypercare_weeks) and w.hypercare_weeks > 0:
            care_end = min(end + 0.5 + w.hypercare_weeks, horizon + 0.5)  # clip at horizon
            ax.barh(y, care_end - end - 0.5, left=end + 0.5, height=0.5, color="#56B4E9",
                    alpha=0.6, zorder=3)
        if rep is None and w.go_live_max > w.go_live_min:
            ax.plot([w.go_live_min, w.go_live_max], [y - 0.38, y - 0.38], color="black",
                    lw=1.2, marker="|", ms=8, zorder=4)
        delay = w.go_live_week - w.planned_week
        if delay > 0:
            ax.annotate("", xy=(w.go_live_week - 0.5, y), xytext=(w.planned_week, y),
                        arrowprops={"arrowstyle": "->", "color": "#D55E00", "lw": 1.5},
                        zorder=5)
            why = ", ".join(f"{k} {v:g}" for k, v in (("gate", w.gate_deferrals),
                                                       ("freeze", w.freeze_deferral_weeks)) if v)
            ax.text(w.planned_week, y + 0.36, f"+{delay:g} wk" + (f" ({why})" if why else ""),
                    fontsize=8, color="#D55E00", va="top")
    ax.set_yticks(range(len(tab)), [
        f"{w.wave_name}\n{w.stores} stores" + (
            f"\nstarted in {w.started_share:.0%} of reps" if 0 < w.started_share < 1 else "")
        for w in tab.itertuples(index=False)], fontsize=9)
    ax.set_ylim(len(tab) - 0.4 if len(tab) else 1, -0.7)
    ax.set_xlim(0.5, horizon + 0.5)
    ax.set_xlabel(_week_label([run]))
    ax.grid(axis="x", alpha=0.3)
    handles += [Line2D([], [], marker="D", ls="", mfc="white", mec="black", label="planned"),
                Patch(color="#0072B2", label="cutover (actual go-live)"),
                Patch(color="#56B4E9", alpha=0.6, label="hypercare")]
    if (tab["go_live_week"] > tab["planned_week"]).any():
        handles.append(Line2D([], [], color="#D55E00", label="deferral (gate / freeze)"))
    if tab["in_freeze"].any():
        handles.append(Patch(facecolor="#0072B2", edgecolor="#D55E00", lw=2,
                             label="go-live inside freeze"))
    if rep is None and (tab["go_live_max"] > tab["go_live_min"]).any():
        handles.append(Line2D([], [], color="black", marker="|",
                              label="go-live range over replications"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9,
              frameon=False)
    fig.tight_layout()
    return fig


def refund_cdf(runs: RunResult | Sequence[RunResult], pairs: Sequence[str] | None = None,
               band: bool = True, min_hours: float = 0.01) -> Figure:
    """Refund-cycle CDFs per channel pair, one line per plan (log-scaled hours).

    Args:
        runs: One run or several plans.
        pairs: Channel pairs to show (default: all with data, in a fixed order).
        band: Shade the range of the replications' curves around their mean.
        min_hours: Left edge of the log axis; faster refunds (at the till) pile up there.

    Returns:
        The figure: one panel per channel pair, sharing the y axis.
    """
    runs = pdata.as_runs(runs)
    tables = {r.scenario: pdata.refund_cdf_table(r.refunds) for r in runs}
    have = {p for t in tables.values() for p in t["channel_pair"]}
    pairs = [p for p in (pairs or pdata.CHANNEL_PAIR_LABELS) if p in have]
    colors = plan_colors(list(tables))
    fig = PlotFigure(figsize=(4.2 * max(len(pairs), 1) + 1.5, 4.8), layout="constrained")
    axes = fig.subplots(1, max(len(pairs), 1), sharey=True, squeeze=False)[0]
    top = max((float(t["hours_max"].max()) for t in tables.values() if len(t)), default=1.0)
    for ax, pair in zip(axes, pairs, strict=False):
        for plan, t in tables.items():
            t = t[t["channel_pair"] == pair]
            if t.empty:
                continue
            y = t["quantile"].to_numpy()
            c = colors[plan]
            ax.plot(np.maximum(t["hours"], min_hours), y, color=c, lw=2, label=plan)
            if band and t["reps"].max() > 1:
                ax.fill_betweenx(y, np.maximum(t["hours_min"], min_hours),
                                 np.maximum(t["hours_max"], min_hours), color=c, alpha=0.2,
                                 lw=0)
        ax.set_xscale("log")
        right = max(top * 1.5, min_hours * 100)
        ticks = [(h, lab) for h, lab in _TIME_TICKS if min_hours <= h <= right]
        ax.set_xticks([h for h, _ in ticks], [lab for _, lab in ticks], fontsize=8)
        ax.minorticks_off()
        ax.set_xlim(min_hours, right)
        ax.set_title(pdata.CHANNEL_PAIR_LABELS.get(pair, pair), fontsize=10)
        ax.set_xlabel("time from return start to refund (log scale)")
        ax.grid(alpha=0.3)
    if not pairs:
        axes[0].text(0.5, 0.5, "no refunds recorded", ha="center", transform=axes[0].transAxes)
    axes[0].set_ylabel("share of refunds completed")
    axes[0].yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    what = "mean of the replications' curves" + (", band = their range" if band else "")
    fig.suptitle(f"Refund cycle time by channel pair ({what})", x=0.01, ha="left",
                 fontsize=12)
    handles = [Line2D([], [], color=colors[p], lw=2, label=p) for p in tables]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6),
               fontsize=9, frameon=False)
    return fig


def forest_plot(comparison: Comparison, metrics: Sequence[str] | None = None,
                relative: bool = True, ncols: int = 3) -> Figure:
    """Paired differences of each plan against the reference, with 95% CIs, a panel per metric.

    Args:
        comparison: A comparison (its first run is the reference).
        metrics: Metrics to show (default :data:`sim.plotting_data.FOREST_METRICS`).
        relative: Per cent of the reference mean (absolute units where that mean is 0).
        ncols: Panels per row.

    Returns:
        The figure; points are green when the whole CI is on the better side of zero, red
        when on the worse side, grey otherwise.
    """
    tab = pdata.forest_table(comparison, metrics)
    metrics = [m for m in (metrics or pdata.FOREST_METRICS) if m in set(tab["metric"])]
    plans = [r.scenario for r in comparison.runs[1:]]
    ref = comparison.runs[0].scenario
    nrows = max(1, -(-len(metrics) // ncols))
    ncols = min(ncols, max(len(metrics), 1))
    fig = PlotFigure(figsize=(4.3 * ncols + 1.2, 0.45 * len(plans) * nrows + 1.6 * nrows + 0.8),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    ys = {p: i for i, p in enumerate(plans)}
    for ax, m in zip(axes, metrics, strict=False):
        t = tab[tab["metric"] == m]
        rel = relative and np.isfinite(t["rel_mean"]).all()
        mid, lo, hi = ((t["rel_mean"], t["rel_low"], t["rel_high"]) if rel
                       else (t["mean"], t["ci_low"], t["ci_high"]))
        for p, c, a, b, v in zip(t["plan"], mid, lo, hi, t["verdict"], strict=True):
            col = VERDICT_COLORS[v]
            if np.isfinite(a) and np.isfinite(b):
                ax.plot([a, b], [ys[p], ys[p]], color=col, lw=2.2)
            ax.plot(c, ys[p], "o", color=col, ms=7)
        ax.axvline(0, color="black", lw=1)
        if len(t) and (t["verdict"] == "no difference").all():
            ax.text(0.5, 0.9, "identical in every replication", transform=ax.transAxes,
                    ha="center", fontsize=8, color="#555555")
        unit = pdata.unit_of(m)
        base = pdata.fmt_value(t["reference_mean"].iloc[0], unit) if len(t) else "–"
        better = "lower" if pdata.lower_is_better(m) else "higher"
        ax.set_title(f"{m}\n(reference {base}; {better} is better)", fontsize=9)
        if rel:
            ax.xaxis.set_major_formatter(PercentFormatter(xmax=100.0))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlabel(f"change vs {ref} (%)", fontsize=9)
        else:
            ax.xaxis.set_major_formatter(_formatter(unit))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlabel(f"difference vs {ref} ({axis_label(m).split('(')[-1]}", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].set_yticks(range(len(plans)), plans)
    axes[0].set_ylim(len(plans) - 0.5, -0.5)
    for ax in axes[::ncols]:
        ax.tick_params(axis="y", labelsize=9)
    n = comparison.runs[0].n
    fig.suptitle(f"Paired differences vs {ref}: mean and 95% CI over {n} replications "
                 "(common random numbers)", x=0.01, ha="left", fontsize=12)
    fig.legend(handles=[Line2D([], [], color=VERDICT_COLORS[k], marker="o", lw=2,
                               label=f"{k} than {ref}" if k in ("better", "worse") else k)
                        for k in ("better", "worse", "inconclusive")],
               loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    return fig


def risk_table(runs: RunResult | Sequence[RunResult],
               metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """P50/P80/P95 per plan for the headline metrics, one row per metric.

    Args:
        runs: One run or several plans.
        metrics: Metrics (default :data:`sim.plotting_data.HEADLINE`).

    Returns:
        Index ``(metric, unit)``; columns ``(plan, P50|P80|P95)`` with the summary values.
    """
    t = pdata.risk_table(runs, metrics)
    plans = list(dict.fromkeys(t["plan"]))
    idx = pd.MultiIndex.from_frame(t[["metric", "unit"]].drop_duplicates())
    cols = pd.MultiIndex.from_product([plans, ["P50", "P80", "P95"]], names=["plan", "level"])
    wide = pd.DataFrame(np.nan, index=idx, columns=cols)
    for r in t.itertuples(index=False):
        for lvl in ("p50", "p80", "p95"):
            wide.loc[(r.metric, r.unit), (r.plan, lvl.upper())] = getattr(r, lvl)
    return wide


def tornado(base: RunResult, variations: Mapping[str, tuple[RunResult, RunResult]],
            metric: str = "total_risk_cost",
            settings: Mapping[str, tuple[str, str]] | None = None) -> Figure:
    """Sensitivity of a metric's mean to one-at-a-time parameter changes (runs you provide).

    Args:
        base: The run at the central settings.
        variations: Parameter label -> (run with it lowered, run with it raised).
        metric: The metric.
        settings: Parameter label -> (low setting text, high setting text) for bar labels.

    Returns:
        The figure, widest swing at the top.
    """
    t = pdata.tornado_table(base, variations, metric)
    fig, ax = _fig_ax(None, (10, 1.2 + 0.6 * max(len(t), 1)))
    unit = pdata.unit_of(metric)
    for i, r in enumerate(t.itertuples(index=False)):
        lo_txt, hi_txt = (settings or {}).get(r.parameter, ("low", "high"))
        # Low and high side by side (upper/lower half), so neither hides the other.
        for d, col, txt, dy in ((r.low_delta, "#0072B2", lo_txt, -0.18),
                                (r.high_delta, "#D55E00", hi_txt, 0.18)):
            ax.barh(i + dy, d, color=col, height=0.34)
            ax.text(d, i + dy, f" {txt}: {pdata.fmt_value(d, unit)} ", va="center", fontsize=8,
                    ha="left" if d >= 0 else "right")
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(range(len(t)), t["parameter"])
    ax.set_ylim(len(t) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(_formatter(unit))
    ax.set_xlabel(f"change in mean {axis_label(metric)} vs base "
                  f"({pdata.fmt_value(t['base'].iloc[0] if len(t) else None, unit)})")
    ax.set_title(f"Sensitivity of {metric} (base plan {base.scenario}, {base.n} replications)",
                 fontsize=12, loc="left")
    ax.legend(handles=[Patch(color="#0072B2", label="parameter lowered"),
                       Patch(color="#D55E00", label="parameter raised")], fontsize=9,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.margins(x=0.25)
    fig.tight_layout()
    return fig


def _fig_ax(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = PlotFigure(figsize=size)
    return fig, fig.add_subplot()
