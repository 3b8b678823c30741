"""Results do not depend on the executor (docs/model_validity.md, Checks).

The same experiment with one worker (the shared ``serial`` run of tests/conftest.py), two
workers and a Dask LocalCluster gives identical summaries; a run killed with SIGKILL and resumed
equals the uninterrupted one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from small_runs import TINY, metrics_of, tiny
from typer.testing import CliRunner

from sim.cli import app
from sim.experiment import run

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


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
           "-n", "3", "--seed", "5", "--workers", "1", "--out", str(out)]
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
    # The kill must land mid-run (one worker, replications one after another), or the
    # resume below would have nothing to do.
    done_before = len(list(reps.glob("rep_*.pkl")))
    assert not (out / "summary.json").exists() and 1 <= done_before < 3, done_before
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/baseline_legacy.toml"), "-n", "3",
                                 "--seed", "5", "--out", str(out), "--resume",
                                 *sum([["--set", s] for s in TINY], [])])
    assert result.exit_code == 0, result.output
    assert metrics_of(out) == metrics_of(serial)
