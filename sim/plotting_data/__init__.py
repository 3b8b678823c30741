"""The tables behind every figure and report section, from result tables only.

Plots (:mod:`sim.plots`) and the HTML report (:mod:`sim.report`) draw what these functions
return, so tests can check the numbers behind a figure (band quantiles, go-live weeks, CDF
points) without looking at pixels. Nothing here runs the model.
"""

from sim.plotting_data.formatting import (
    BAND_LEVELS,
    CHANNEL_PAIR_LABELS,
    FOREST_METRICS,
    HEADLINE,
    as_runs,
    description_of,
    fmt_table,
    fmt_value,
    level_name,
    lower_is_better,
    unit_of,
)
from sim.plotting_data.tables import (
    cost_breakdown_table,
    forest_table,
    headline_table,
    refund_cdf_table,
    refund_pairs_table,
    risk_table,
    share_within,
    tornado_table,
)
from sim.plotting_data.weekly import (
    disruption_weeks,
    flagged_weeks,
    freeze_windows,
    gantt_table,
    median_replication,
    top_risk_weeks,
    week_events,
    week_spans,
    weekly_bands,
    weekly_matrix,
    weekly_window,
)

__all__ = [
    "BAND_LEVELS",
    "CHANNEL_PAIR_LABELS",
    "FOREST_METRICS",
    "HEADLINE",
    "as_runs",
    "cost_breakdown_table",
    "description_of",
    "flagged_weeks",
    "fmt_table",
    "fmt_value",
    "forest_table",
    "freeze_windows",
    "gantt_table",
    "headline_table",
    "level_name",
    "lower_is_better",
    "median_replication",
    "refund_cdf_table",
    "refund_pairs_table",
    "risk_table",
    "share_within",
    "top_risk_weeks",
    "disruption_weeks",
    "week_events",
    "tornado_table",
    "unit_of",
    "week_spans",
    "weekly_bands",
    "weekly_matrix",
    "weekly_window",
]
