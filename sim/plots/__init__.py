"""Matplotlib figures of results, drawn from result tables only (never by running the model).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot, so figures do
not pile up in a global registry, work under any backend, and show in Jupyter when returned
from a cell. The numbers behind each figure come from :mod:`sim.plotting_data`.

Example::

    from sim import plots
    fig = plots.fan_chart([run_a, run_b], "exception_backlog_peak")
    fig.savefig("backlog.png", dpi=150)
"""

from sim.plots.calibration import calibration_fit
from sim.plots.comparisons import forest_plot, risk_table, tornado
from sim.plots.decisions import pareto_chart, sensitivity_chart, trial_history
from sim.plots.figures import fan_chart, refund_cdf, rollout_gantt
from sim.plots.style import (
    FREEZE_COLOR,
    PALETTE,
    PEAK_COLOR,
    VERDICT_COLORS,
    PlotFigure,
    axis_label,
    plan_colors,
)

__all__ = [
    "FREEZE_COLOR",
    "PALETTE",
    "PEAK_COLOR",
    "PlotFigure",
    "VERDICT_COLORS",
    "axis_label",
    "calibration_fit",
    "fan_chart",
    "forest_plot",
    "pareto_chart",
    "plan_colors",
    "refund_cdf",
    "risk_table",
    "rollout_gantt",
    "sensitivity_chart",
    "tornado",
    "trial_history",
]
