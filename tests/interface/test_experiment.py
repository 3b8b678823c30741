"""The experiment runner and its CLI: summary files, refusals, scheduler errors, precision.

Executor independence and resuming are validity checks (tests/validity/test_executors.py); the
paired comparison is in tests/validity/test_common_random_numbers.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_runs import TINY, tiny
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.experiment import ExperimentError, run

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


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


def test_output_folder_of_another_scenario_is_refused(serial):
    before = (serial / "summary.json").read_text()
    with pytest.raises(ExperimentError, match="another scenario"):
        run(tiny("big_bang", ["waves.0.go_live_week=2"]), 2, seed=5, out=serial)
    with pytest.raises(ExperimentError, match="seed"):
        run(tiny(), 2, seed=6, out=serial, resume=True)
    assert (serial / "summary.json").read_text() == before


def test_a_folder_with_results_is_continued_or_replaced_only_when_asked(tmp_path):
    """A rerun into a folder with results is refused (one line, exit 2, nothing changed);
    --force replaces them, and the files are readable like any file the user writes."""
    import os
    import stat

    out = tmp_path / "out"
    args = ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "2", "--seed", "5",
            "--out", str(out), *sum([["--set", s] for s in TINY], [])]
    old = os.umask(0o022)
    try:
        assert runner.invoke(app, args).exit_code == 0
        before = (out / "summary.json").read_text()
        again = runner.invoke(app, args)
        assert again.exit_code == 2 and "--resume" in again.output and "--force" in again.output
        assert len(again.output.strip().splitlines()) == 1
        assert (out / "summary.json").read_text() == before
        forced = runner.invoke(app, [*args[:3], "1", *args[4:], "--force"])
        assert forced.exit_code == 0, forced.output
        assert json.loads((out / "summary.json").read_text())["replications"] == 1
        assert sorted(p.name for p in (out / "reps").iterdir()) == ["rep_00000.pkl"]
        for f in (out / "summary.json", out / "replications.parquet", out / "reps" /
                  "rep_00000.pkl"):
            assert stat.S_IMODE(f.stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"rollout-sim {sim.__version__}"


def test_cli_refuses_changed_resume_with_one_line(serial):
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "3",
                                 "--seed", "5", "--out", str(serial), "--resume",
                                 "--set", "inventory.legacy_sync_hours=9",
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_scheduler_is_one_line_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import sim.executors

    monkeypatch.setattr(sim.executors, "SCHEDULER_TIMEOUT", "1s")  # it waits the whole time
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "2",
                                 "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path),
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler" in result.output


def test_precision_adds_replications(tmp_path):
    """A precision the start cannot reach adds replications up to the cap; a loose one none."""
    def replications(precision: str, out: Path) -> tuple[int, float]:
        result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"),
                                     "-n", "3", "--precision", precision,
                                     "--max-replications", "10", "--out", str(out),
                                     *sum([["--set", s] for s in TINY], [])])
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        lo, hi = summary["metrics"]["ecommerce_orders"]["ci95"]
        return summary["replications"], hi - lo

    tight = replications("0.0001", tmp_path / "tight")
    loose = replications("50", tmp_path / "loose")
    assert tight[0] == 10 and loose[0] == 3  # any interval is within 50x its mean
    # The added replications narrowed it: t(9)/sqrt(10) against t(2)/sqrt(3) is 0.29 of the
    # width for the same spread, but a spread estimated from 3 replications varies a lot
    # (measured 0.57 with this seed), so only narrower is asserted.
    assert tight[1] < loose[1]


def test_precision_batches_report_each_replication_once():
    from sim.experiment import run_to_precision

    seen: list[int] = []
    totals: list[int] = []
    res = run_to_precision(tiny(), start=2, seed=3, precision=1e-9, cap=5,
                           on_batch=totals.append, on_replication=seen.append)
    # Every batch reruns none of the earlier ones and the progress count matches the result.
    assert len(totals) >= 2 and totals[-1] == 5
    assert sorted(seen) == list(range(5)) == sorted(res.replications["rep"].tolist())
