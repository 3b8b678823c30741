"""Figures that compare plans: the forest plot, the risk table, the tornado chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim import plotting_data as pdata

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.experiment import RunResult
from sim.plots.style import VERDICT_COLORS, PlotFigure, _fig_ax, _formatter, axis_label


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
