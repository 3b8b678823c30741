"""Colours, axis labels and shading shared by every figure."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim import plotting_data as pdata

if TYPE_CHECKING:
    from sim.experiment import RunResult



#: Colours by plan position (colour-blind-safe Okabe-Ito order, then tab10).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442", "#8c564b", "#7f7f7f")


VERDICT_COLORS = {"better": "#009E73", "worse": "#D55E00", "inconclusive": "#7f7f7f",
                  "no difference": "#7f7f7f", "n/a": "#bbbbbb"}


PEAK_COLOR = "#e8e8e8"


FREEZE_COLOR = "#9ecae1"
#: Outline of the weeks a declared disruption is in force.
DISRUPTION_COLOR = "#d6604d"


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


def _shade_weeks(ax: Axes, run: RunResult, peak: bool = True, freeze: bool = True,
                 disruptions: bool = True) -> list:
    """Shade peak weeks, freeze windows and declared disruptions; return legend handles.

    Peak weeks are grey, freeze windows hatched blue, a declared disruption's weeks hatched
    red.
    """
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
    if disruptions:
        spans = pdata.week_spans(list(pdata.disruption_weeks(run)))
        for a, b in spans:
            ax.axvspan(a - 0.5, b + 0.5, facecolor="none", edgecolor=DISRUPTION_COLOR,
                       hatch="\\\\", lw=0, zorder=0)
        if spans:
            handles.append(Patch(facecolor="white", edgecolor=DISRUPTION_COLOR, hatch="\\\\",
                                 label="disruption"))
    return handles


def _fig_ax(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = PlotFigure(figsize=size)
    return fig, fig.add_subplot()
