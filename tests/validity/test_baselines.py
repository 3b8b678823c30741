"""Regression baselines: shipped scenarios reproduce their committed summaries; drift is caught.

The baselines in tests/baselines/ are regenerated only by ``tests/baselines/regenerate.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_runs import BASELINES, SHIPPED, baseline_run
from typer.testing import CliRunner

from sim.baseline import assert_matches_baseline, check, check_result, compare_summaries, record
from sim.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_matches_its_baseline(scenario):
    """Exactly: the run has the baseline's scenario, seed and replications (the run is
    shared with test_metric_ranges.py)."""
    result = check_result(baseline_run(scenario.stem), BASELINES / f"{scenario.stem}.json")
    assert result.exact
    assert result.ok, "scenario drifted from its baseline:\n" + result.render(only_drift=True)


def test_baselines_are_exact_under_same_seed_and_code(tmp_path):
    """Same scenario, seed and code give the recorded numbers to the bit; a difference far
    inside the Monte Carlo noise is still drift then, and only noise under another seed."""
    scenario = ROOT / "scenarios" / "baseline_legacy.toml"
    small = ["network.stores=20", "network.skus=40", "horizon_weeks=3"]
    out = tmp_path / "b.json"
    record(scenario, out, small, replications=3, seed=5)
    same = check(scenario, out)
    assert same.exact and same.ok, same.render(only_drift=True)
    assert_matches_baseline(scenario, out)  # the users' pytest helper passes too
    data = json.loads(out.read_text())
    orders = data["metrics"]["ecommerce_orders"]
    assert orders["se"] > 0
    orders["mean"] *= 1 + 1e-6  # a millionth: well inside the noise (several se's away)
    out.write_text(json.dumps(data))
    drift = check(scenario, out)
    assert drift.exact and not drift.ok
    with pytest.raises(AssertionError, match="drifted from its baseline"):
        assert_matches_baseline(scenario, out)
    assert drift.table.set_index("metric").loc["ecommerce_orders", "mark"] == "↓"
    assert check(scenario, out, seed=6).table.set_index("metric").loc[
        "ecommerce_orders", "mark"] == "≈"


def test_noise_tolerance_accepts_noise_and_flags_drift():
    base = {"m": {"mean": 100.0, "se": 2.0}}
    assert compare_summaries(base, {"m": {"mean": 105.0, "se": 2.0}}, exact=False).ok
    drift = compare_summaries(base, {"m": {"mean": 130.0, "se": 2.0}}, exact=False)
    assert not drift.ok and drift.table["mark"].iloc[0] == "↑"
    assert not compare_summaries(base, {"m": {"mean": 100.5, "se": 2.0}}, exact=True).ok


def test_record_and_check_cli_pass_unchanged_and_fail_on_slower_sync(tmp_path):
    scenario = str(ROOT / "scenarios" / "baseline_legacy.toml")
    small = ["--set", "network.stores=20", "--set", "network.skus=40",
             "--set", "horizon_weeks=4"]
    out = tmp_path / "b.json"
    r = runner.invoke(app, ["baseline", "record", scenario, "--out", str(out), "-n", "3",
                            "--seed", "4", *small])
    assert r.exit_code == 0, r.output
    ok = runner.invoke(app, ["baseline", "check", scenario, "--against", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "within tolerance" in ok.output
    drift = runner.invoke(app, ["baseline", "check", scenario, "--against", str(out),
                                "--set", "inventory.legacy_sync_hours=48",
                                "--set", "inventory.integration_sync_hours=48"])
    assert drift.exit_code == 1, drift.output
    assert "inventory_sync_latency_hours" in drift.output and "↑" in drift.output


def test_other_seed_is_judged_within_noise(tmp_path):
    scenario = ROOT / "scenarios" / "baseline_legacy.toml"
    small = ["network.stores=20", "network.skus=40", "horizon_weeks=3"]
    out = tmp_path / "b.json"
    record(scenario, out, small, replications=4, seed=1)
    result = check(scenario, out, seed=99)
    assert not result.exact
    assert result.table.set_index("metric").loc["ecommerce_orders", "mark"] == "≈"
