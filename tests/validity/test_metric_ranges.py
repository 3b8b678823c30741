"""No reported figure leaves its metric's range, in any shipped scenario (issue 16).

Weekly and regional values of every registered metric, and the summary's 95 % intervals, stay
within ``sim.metrics.value_range`` ([0, 1] for fractions, >= 0 otherwise): a weekly ratio
books its numerator and denominator in the same week, and intervals are clipped to the range.
"""

from __future__ import annotations

import numpy as np
import pytest
from small_runs import SHIPPED, baseline_run

from sim.metrics import REGISTRY, value_range


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda p: p.stem)
def test_no_weekly_regional_or_interval_figure_leaves_its_range(scenario):
    """At the baselines' settings (20 stores, 40 SKUs, three replications: intervals need
    three), on the run test_baselines.py checks."""
    run = baseline_run(scenario.stem)
    assert run.n >= 3
    checked = 0
    for table in (run.weekly, run.by_region):
        for name in REGISTRY:
            if name not in table.columns:
                continue
            lo, hi = value_range(name)
            v = table[name].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            assert ((v >= lo - 1e-9) & (v <= hi + 1e-9)).all(), (name, v.min(), v.max())
            checked += 1
    assert checked > 40
    for name, s in run.summary.items():
        lo, hi = value_range(name)
        if s["ci95"][0] is not None:
            assert lo <= s["ci95"][0] <= s["ci95"][1] <= hi, (name, s["ci95"])
