"""Confidence intervals stay within the values a metric can take (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sim.aggregate import describe, paired_difference, summarize
from sim.metrics import value_range


@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=6))
def test_a_share_interval_stays_within_0_and_1(values):
    lo, hi = describe(np.array(values), (0.0, 1.0))["ci95"]
    assert 0.0 <= lo <= hi <= 1.0


def test_registered_bounds_apply_in_summaries():
    # Three replications near the bounds: the plain t interval leaves [0, 1] and goes below 0.
    table = pd.DataFrame({"exception_sla_met_rate": [1.0, 0.99, 1.0],
                          "exceptions.cutover_defect": [0.0, 3.0, 0.0],
                          "not_registered": [0.0, 3.0, 0.0]})
    s = summarize(table, list(table.columns))
    assert s["exception_sla_met_rate"]["ci95"][1] == 1.0
    assert s["exceptions.cutover_defect"]["ci95"][0] == 0.0
    assert s["not_registered"]["ci95"][0] < 0  # unknown names are not clipped
    assert value_range("oversell_rate") == (0.0, 1.0)
    assert value_range("total_risk_cost") == (0.0, float("inf"))


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=2),
       st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2))
def test_no_interval_below_three_replications(values, other):
    """One or two replications give a mean but no interval (shown as "-"), paired or not."""
    d = describe(np.array(values))
    assert d["mean"] is not None and d["ci95"] == [None, None]
    p = paired_difference(np.array(other), np.array(other[::-1]))
    assert p["mean"] is not None and p["ci95"] == [None, None] == p["ci95_unpaired"]
