"""Progress a user sees (plain lines off a terminal, weeks within a replication) and what an
interrupt says it kept (issue 17)."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console
from typer.testing import CliRunner

import sim.experiment as experiment
from sim.cli import app
from sim.cli_progress import RunProgress
from tests.small_runs import ROOT, TINY, tiny

SET = sum((["--set", s] for s in TINY), [])


def test_off_a_terminal_progress_is_plain_lines_per_replication(tmp_path):
    r = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline_legacy.toml"),
                                 "-n", "2", "--out", str(tmp_path / "o"), *SET])
    assert r.exit_code == 0, r.output
    assert "baseline_legacy: 1 of 2 replications done" in r.output
    assert "baseline_legacy: 2 of 2 replications done" in r.output


def test_weeks_are_reported_within_each_replication_without_changing_results():
    sc = tiny()
    seen: list[tuple[int, int]] = []
    with_progress = experiment.run(sc, 2, 5, on_week=lambda rep, wk: seen.append((rep, wk)))
    plain = experiment.run(sc, 2, 5)
    weeks = sc.horizon_weeks
    assert seen == [(rep, wk) for rep in range(2) for wk in range(1, weeks)]
    pd.testing.assert_frame_equal(with_progress.replications, plain.replications)


def test_worker_processes_report_weeks_too():
    sc = tiny()
    seen: set[tuple[int, int]] = set()
    experiment.run(sc, 2, 5, workers=2, on_week=lambda rep, wk: seen.add((rep, wk)))
    assert seen == {(rep, wk) for rep in range(2) for wk in range(1, sc.horizon_weeks)}


def test_the_bar_moves_by_weeks_and_counts_replications():
    con = Console(file=io.StringIO(), force_terminal=True, width=100)
    with RunProgress(con, [("plan", 2, 10)]) as prog:
        prog.week(0, 0, 4)
        task = prog._bar.tasks[0]
        assert task.completed == 4 and task.total == 20
        prog.replication(0, 0)          # the rest of replication 0's weeks
        assert task.completed == 10 and task.fields["done"] == 1
        prog.week(0, 0, 9)              # a worker's last week arriving after its result
        assert task.completed == 10


def test_an_interrupt_says_what_was_saved_and_resume_finishes(tmp_path, monkeypatch):
    real = experiment.execute

    def interrupted_after_two(payload, todo, *args, **kwargs):
        for i, res in enumerate(real(payload, todo, *args, **kwargs)):
            if i == 2:
                raise KeyboardInterrupt
            yield res

    out = tmp_path / "o"
    cmd = ["run", str(ROOT / "scenarios" / "baseline_legacy.toml"), "-n", "4", "--out",
           str(out), *SET]
    monkeypatch.setattr(experiment, "execute", interrupted_after_two)
    r = CliRunner().invoke(app, cmd)
    assert r.exit_code == 130
    assert (f"interrupted: baseline_legacy 2 of 4 replications saved in {out}; rerun the same "
            "command with --resume") in r.output
    assert len(list((out / "reps").glob("rep_*.pkl"))) == 2
    monkeypatch.setattr(experiment, "execute", real)
    done = CliRunner().invoke(app, [*cmd, "--resume"])
    assert done.exit_code == 0, done.output
    assert "baseline_legacy: 4 of 4 replications done" in done.output


def test_an_interrupt_without_out_says_nothing_was_saved():
    prog = RunProgress(Console(file=io.StringIO()), [("a", 3, 5), ("b", 3, 5)], plain=True)
    prog.replication(0, 0)
    assert prog.interrupted(None) == ("interrupted: a 1 of 3, b 0 of 3 replications finished; "
                                      "nothing saved (no --out was given)")
