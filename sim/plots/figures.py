"""Figures of one or more runs: weekly fan charts, the rollout Gantt, refund-cycle CDFs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim import plotting_data as pdata

if TYPE_CHECKING:
    from sim.experiment import RunResult
from sim.plots.style import (
    _TIME_TICKS,
    PlotFigure,
    _fig_ax,
    _formatter,
    _shade_weeks,
    _week_label,
    axis_label,
    plan_colors,
)


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
    same_world = all(pdata.disruption_weeks(r) == pdata.disruption_weeks(runs[0]) for r in runs)
    handles = _shade_weeks(ax, runs[0], freeze=same_freeze, disruptions=same_world)
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
