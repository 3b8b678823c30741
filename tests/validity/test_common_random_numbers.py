"""Common random numbers: plan comparisons are paired (docs/model_validity.md, Checks).

Plans run under one seed see the same customers and orders, so their difference comes from the
plan; the paired confidence interval of a difference is narrower than the unpaired one.
"""

from __future__ import annotations

import json

import numpy as np
from small_runs import scenario, tiny

import sim
from sim.compare import compare


def test_plans_share_customers_under_one_seed():
    """Common random numbers: a plan change does not change who orders what."""
    a = sim.run_replication(scenario(), seed=21)
    b = sim.run_replication(scenario(harmonization={
        "fulfillment_routing": {"mode": "enterprise", "from_week": 1}}), seed=21)
    assert a.extras["online_demand_orders"] == b.extras["online_demand_orders"]
    # ... while routing changes what happens to them.
    assert a.metrics["reroute_orders"] != b.metrics["reroute_orders"]


def test_paired_comparison_sees_same_customers_and_narrower_ci(tmp_path):
    a = tiny()
    b = tiny("baseline_legacy", ["name=faster_sync", "inventory.legacy_sync_hours=1"])
    cmp = compare([a, b], 4, seed=3, out=tmp_path)
    ra, rb = (r.replications.sort_values("rep") for r in cmp.runs)
    assert np.array_equal(ra["seed"], rb["seed"])
    # Same customers: the orders placed do not depend on the plan.
    assert np.array_equal(ra["ecommerce_orders"], rb["ecommerce_orders"])
    assert not np.array_equal(ra["oversell_orders"], rb["oversell_orders"])
    d = cmp.differences.set_index(["plan", "metric"]).loc[("faster_sync", "total_risk_cost")]
    paired = d["ci_high"] - d["ci_low"]
    unpaired = d["ci_high_unpaired"] - d["ci_low_unpaired"]
    assert paired < unpaired
    data = json.loads((tmp_path / "comparison.json").read_text())
    assert [r["plan"] for r in data["ranking"]] and data["reference"] == "baseline_legacy"
