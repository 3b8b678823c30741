"""Experiments: executors agree, resume equals an uninterrupted run, paired comparisons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.compare import compare
from sim.experiment import ExperimentError, run

ROOT = Path(__file__).resolve().parent.parent
TINY = ["network.stores=20", "network.skus=40", "horizon_weeks=3"]
runner = CliRunner()


def tiny(name: str = "baseline_legacy", extra: list[str] | None = None):
    return sim.load_scenario(ROOT / "scenarios" / f"{name}.toml", TINY + (extra or []))


def metrics_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())["metrics"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run(tiny(), 3, seed=5, out=out)
    return out


def test_summary_shape(serial):
    data = json.loads((serial / "summary.json").read_text())
    assert data["scenario"] == "baseline_legacy" and data["replications"] == 3
    for name in sim.metrics.CONTRACT:
        stats = data["metrics"][name]
        assert set(stats) >= {"mean", "ci95", "p50", "p80", "p90", "p95"}
    m = data["metrics"]["ecommerce_orders"]
    assert m["ci95"][0] <= m["mean"] <= m["ci95"][1]
    assert m["p50"] <= m["p80"] <= m["p90"] <= m["p95"]
    manifest = json.loads((serial / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["seeds"]) == 3
    for f in ("replications.parquet", "weekly.parquet", "by_region.parquet"):
        assert (serial / f).exists()


def test_two_workers_give_identical_results(serial, tmp_path):
    run(tiny(), 3, seed=5, workers=2, out=tmp_path)
    assert metrics_of(tmp_path) == metrics_of(serial)


def test_dask_local_cluster_gives_identical_results(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run(tiny(), 3, seed=5, scheduler=cluster.scheduler_address, out=tmp_path)
    assert metrics_of(tmp_path) == metrics_of(serial)


def test_resume_after_kill_equals_uninterrupted(serial, tmp_path):
    """Kill -9 a CLI run after its first replications, resume, compare with the clean run."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios/baseline_legacy.toml"),
           "-n", "3", "--seed", "5", "--out", str(out)]
    for s in TINY:
        cmd += ["--set", s]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reps = out / "reps"
    import time

    deadline = time.time() + 240
    while time.time() < deadline and not (reps.exists() and list(reps.glob("rep_*.pkl"))):
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert not (out / "summary.json").exists() or len(list(reps.glob("rep_*.pkl"))) == 3
    done_before = len(list(reps.glob("rep_*.pkl")))
    assert done_before >= 1
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "3",
                                 "--seed", "5", "--out", str(out), "--resume",
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 0, result.output
    assert metrics_of(out) == metrics_of(serial)


def test_output_folder_of_another_scenario_is_refused(serial):
    before = (serial / "summary.json").read_text()
    with pytest.raises(ExperimentError, match="another scenario"):
        run(tiny("big_bang", ["waves.0.go_live_week=2"]), 2, seed=5, out=serial)
    with pytest.raises(ExperimentError, match="seed"):
        run(tiny(), 2, seed=6, out=serial, resume=True)
    assert (serial / "summary.json").read_text() == before


def test_cli_refuses_changed_resume_with_one_line(serial):
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "3",
                                 "--seed", "5", "--out", str(serial), "--resume",
                                 "--set", "inventory.legacy_sync_hours=9",
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_scheduler_is_one_line_error(tmp_path):
    pytest.importorskip("distributed")
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "2",
                                 "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path),
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler" in result.output


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


def test_precision_adds_replications(tmp_path):
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "2",
                                 "--precision", "0.5", "--max-replications", "6",
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 0, result.output
    assert "replications" in result.output


def test_precision_batches_report_each_replication_once():
    from sim.experiment import run_to_precision

    seen: list[int] = []
    totals: list[int] = []
    res = run_to_precision(tiny(), start=2, seed=3, precision=1e-9, cap=5,
                           on_batch=totals.append, on_replication=seen.append)
    # Every batch reruns none of the earlier ones and the progress count matches the result.
    assert len(totals) >= 2 and totals[-1] == 5
    assert sorted(seen) == list(range(5)) == sorted(res.replications["rep"].tolist())
