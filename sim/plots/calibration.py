"""The fit plot of a calibration: a chain's history against the model at the fitted values."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, PlotFigure


def calibration_fit(fit: pd.DataFrame, title: str = "Observed vs simulated") -> Figure:
    """One panel per series (store units, online units, returns by channel, fitted exceptions).

    Args:
        fit: ``series, week, observed, simulated`` (:attr:`sim.calibrate.Calibration.fit`):
            the history, and one run of the model at the calibrated values on the same
            stores and weeks.
        title: The figure's title.

    Returns:
        The figure: observed as points joined by a thin line, simulated as a line, by week.
    """
    names = list(dict.fromkeys(fit["series"]))
    cols = 2 if len(names) > 1 else 1
    rows = max(math.ceil(len(names) / cols), 1)
    fig = PlotFigure(figsize=(5.2 * cols, 2.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        t = fit[fit["series"] == name]
        ax.plot(t["week"], t["observed"], "o-", ms=3, lw=0.8, color=PALETTE[0],
                label="observed (history)")
        ax.plot(t["week"], t["simulated"], "-", lw=1.6, color=PALETTE[1],
                label="simulated (calibrated)")
        ax.set_title(name, loc="left", fontsize=9)
        ax.set_xlabel("calendar week", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_ylim(bottom=0)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    return fig
