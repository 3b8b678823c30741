"""Sensitivity analysis finds what drives the model and nothing else (issue 19).

Morris on a 60-store slice ranks the dummy input (read by nothing) last, with an effect of
exactly zero: every design point runs the same seeds, so two points that differ only in the
dummy give the same outputs. The Sobol analysis (SALib's Saltelli estimator, as the tool calls
it) recovers analytic indices of known functions, one of them a model output. An interrupted
analysis resumes with only the missing design points and gives the same indices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.sensitivity import analyze, design, run_sensitivity
from sim.uncertainty import Factor, load_factors, select

ROOT = Path(__file__).resolve().parents[2]
SLICE = ["network.stores=60", "network.skus=60", "horizon_weeks=4"]
METRICS = ["oversell_rate", "total_risk_cost", "exception_backlog_peak"]


def test_morris_on_a_60_store_slice_ranks_the_dummy_last_and_finds_record_errors():
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline_legacy.toml", SLICE)
    factors = select(load_factors(), ["initial_record_error_prob", "store_pick_error_prob",
                                      "handling_hours_return_lookup"], dummy=True)
    res = run_sensitivity(sc, factors, "morris", 4, METRICS, seed=3)
    assert len(res.design) == 4 * (len(factors) + 1)
    for m in METRICS:
        rank = res.ranking(m)
        dummy = rank.set_index("factor").loc["dummy", "value"]
        assert dummy == 0.0 and rank["factor"].iloc[-1] == "dummy", rank
    # Wrong records are what oversells (DESIGN §5.1): the top factor, far above the rest.
    top = res.ranking("oversell_rate")
    assert top["factor"].iloc[0] == "initial_record_error_prob"
    assert top["value"].iloc[0] > 3 * top["value"].iloc[1], top


def _ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_recovers_the_analytic_indices_of_known_functions():
    # A linear function of two factors: S1 = ST = each term's share of the variance.
    fs = [Factor("x1", 0.0, 1.0), Factor("x2", 0.0, 2.0)]
    x = design(fs, "sobol", 2048, seed=1)
    y = pd.DataFrame({"y": 3.0 * x[:, 0] + 1.0 * x[:, 1]})
    v1, v2 = 9.0 / 12, 4.0 / 12  # a^2 (b-a)^2 / 12 per term
    ind = analyze(fs, "sobol", x, y, ["y"], seed=1)[0].set_index(["factor", "index"])["value"]
    for name, share in (("x1", v1 / (v1 + v2)), ("x2", v2 / (v1 + v2))):
        assert ind[(name, "S1")] == pytest.approx(share, abs=0.03)
        assert ind[(name, "ST")] == pytest.approx(share, abs=0.03)
    # Ishigami (a=7, b=0.1, factors on [-pi, pi]): total orders 0.558, 0.442, 0.244; x3
    # acts only through its interaction with x1 (S1 = 0).
    fs = [Factor(f"x{i}", -np.pi, np.pi) for i in (1, 2, 3)]
    x = design(fs, "sobol", 4096, seed=2)
    ind = analyze(fs, "sobol", x, pd.DataFrame({"y": _ishigami(x)}), ["y"],
                  seed=2)[0].set_index(["factor", "index"])["value"]
    for name, s1, st in (("x1", 0.314, 0.558), ("x2", 0.442, 0.442), ("x3", 0.0, 0.244)):
        assert ind[(name, "S1")] == pytest.approx(s1, abs=0.04)
        assert ind[(name, "ST")] == pytest.approx(st, abs=0.04)


def test_sobol_of_a_model_output_that_is_linear_in_two_inputs_matches_the_analytic_shares():
    """``cost.enablement`` is training completion x a fixed amount plus cleansing x another
    (the rest of it does not depend on them), so each input's S1 and ST are its term's share
    of the variance: a^2 var(x1) / (a^2 var(x1) + b^2 var(x2)). Run through the whole pipeline
    (design points as scenarios, the model, two worker processes)."""
    sc = sim.load_scenario(ROOT / "scenarios" / "big_bang.toml",
                           ["network.stores=10", "network.skus=20", "horizon_weeks=1",
                            "waves.0.go_live_week=1"])
    m = sim.run_replication(sc, 1).metrics
    a = m["cost.enablement.training"] / sc.training.completion
    b = m["cost.enablement.cleansing"] / sc.master_data.cleansing
    fs = [Factor("training.completion", 0.5, 1.0), Factor("master_data.cleansing", 0.0, 1.0)]
    v1, v2 = a * a * 0.5 ** 2 / 12, b * b / 12
    res = run_sensitivity(sc, fs, "sobol", 32, ["cost.enablement"], seed=1, workers=2)
    ind = res.indices.set_index(["factor", "index"])["value"]
    for f, share in (("training.completion", v1 / (v1 + v2)),
                     ("master_data.cleansing", v2 / (v1 + v2))):
        assert ind[(f, "S1")] == pytest.approx(share, abs=0.05), (f, ind)
        assert ind[(f, "ST")] == pytest.approx(share, abs=0.05), (f, ind)


def test_an_interrupted_analysis_resumes_with_only_the_missing_points(tmp_path):
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline_legacy.toml",
                           ["network.stores=20", "network.skus=30", "horizon_weeks=1"])
    factors = select(load_factors(), ["misscan_rate", "shrink_rate"], dummy=True)
    whole = run_sensitivity(sc, factors, "morris", 3, ["oversell_rate"], seed=4)

    class Stop(Exception):
        pass

    def stop_after_5(done, total):
        if done == 5:
            raise Stop

    out = tmp_path / "sens"
    with pytest.raises(Stop):
        run_sensitivity(sc, factors, "morris", 3, ["oversell_rate"], seed=4, out=out,
                        on_point=stop_after_5)
    assert len(list((out / "points").glob("point_*.json"))) == 5
    seen = []
    again = run_sensitivity(sc, factors, "morris", 3, ["oversell_rate"], seed=4, out=out,
                            resume=True, on_point=lambda d, t: seen.append(d))
    assert seen[0] == 5 and seen[-1] == len(whole.design)  # started from the 5 kept
    pd.testing.assert_frame_equal(again.indices, whole.indices)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "indices.parquet"), whole.indices)


def test_cli_writes_the_tables_and_report_and_refuses_bad_ranges(tmp_path):
    runner = CliRunner()
    scen = str(ROOT / "scenarios" / "baseline_legacy.toml")
    small = ["--set", "network.stores=20", "--set", "network.skus=30",
             "--set", "horizon_weeks=1"]
    r = runner.invoke(app, ["sensitivity", scen, "--out", str(tmp_path / "a"), *small,
                            "--factor", "misscan_rate=0.004:0.001"])
    assert r.exit_code == 2 and "error: --factor misscan_rate=0.004:0.001" in r.output
    assert not (tmp_path / "a").exists()  # nothing half-written
    r = runner.invoke(app, ["sensitivity", scen, "--out", str(tmp_path / "a"), *small,
                            "--only", "misscan_rate", "--factor", "training.completion=0.5:1.5"])
    assert r.exit_code == 2 and "training.completion: Input should be less than or equal to 1" \
        in r.output and not (tmp_path / "a").exists()  # a range the scenario rejects
    r = runner.invoke(app, ["sensitivity", scen, "--out", str(tmp_path / "b"), *small,
                            "--only", "misscan_rate", "--only", "shrink_rate",
                            "--samples", "2", "--metric", "oversell_rate"])
    assert r.exit_code == 0, r.output
    for f in ("design.parquet", "outputs.parquet", "indices.parquet", "report.html",
              "sensitivity_oversell_rate.png"):
        assert (tmp_path / "b" / f).is_file(), f
    assert "What drives oversell_rate" in (tmp_path / "b" / "report.html").read_text()
    r = runner.invoke(app, ["sensitivity", scen, "--out", str(tmp_path / "b"), *small,
                            "--only", "misscan_rate", "--only", "shrink_rate"])
    assert r.exit_code == 2 and "already holds an analysis" in r.output
