"""``rollout-sim summary DIR``: every format reads back, equals the folder's files, fits 80 columns.

The run folder is the session's shared ``serial`` run (no model run here). The comparison
folder holds six plans named after the shipped ones, made from that run's replications
scaled to full-network money (tens of millions), so the tables are as wide as they get.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from sim import cli_tables
from sim.aggregate import summarize
from sim.cli import app
from sim.compare import Comparison, compare_runs
from sim.experiment import RunResult, load_run, write_outputs
from sim.files import write_json
from sim.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
PLANS = ("baseline_legacy", "big_bang", "pilot_then_waves", "returns_first",
         "harmonize_first", "waves_through_peak")
runner = CliRunner()


def six_plans(base: RunResult) -> list[RunResult]:
    """Six plans from one run: its replications scaled (x50 and apart), fractions kept."""
    runs = []
    for i, name in enumerate(PLANS):
        rng = np.random.default_rng(i)
        table = base.replications.copy()
        for m in table.columns:
            if m in REGISTRY and REGISTRY[m].unit != "fraction":
                noise = 1 + 0.02 * rng.standard_normal(len(table))
                table[m] = table[m] * 50 * (1 + 0.03 * i) * noise
        metrics = [c for c in table.columns if c not in ("rep", "seed")]
        source = base.source.model_copy(update={"name": name})
        runs.append(RunResult(scenario=name, seed=base.seed, replications=table,
                              weekly=base.weekly, by_region=base.by_region,
                              timeline=base.timeline, refunds=base.refunds,
                              summary=summarize(table, metrics), source=source))
    return runs


@pytest.fixture(scope="module")
def six(serial, tmp_path_factory) -> tuple[Path, Comparison]:
    out = tmp_path_factory.mktemp("six")
    runs = six_plans(load_run(serial))
    for r in runs:
        write_outputs(out / r.scenario, r)
    cmp = compare_runs(runs)
    write_json(out / "comparison.json", cmp.to_dict())
    return out, cmp


def terminal(columns: int):
    """The CLI's consoles at a terminal width (rich reads COLUMNS once, when one is made)."""
    patch = pytest.MonkeyPatch()
    for module in (cli_tables, importlib.import_module("sim.cli")):
        patch.setattr(module, "console", Console(width=columns))
    return patch


def summary(folder: Path, *args: str, columns: int = 80):
    patch = terminal(columns)
    try:
        res = runner.invoke(app, ["summary", str(folder), *args],
                            env={"COLUMNS": str(columns)})
    finally:
        patch.undo()
    assert res.exit_code == 0, res.output
    return res.stdout


def metrics_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())["metrics"]


def same(a, b) -> bool:
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a == b


# ---------------------------------------------------------------- csv and json: the tidy table

def test_csv_of_a_run_folder_equals_its_summary_json(serial):
    frame = pd.read_csv(io.StringIO(summary(serial, "--format", "csv")))
    assert list(frame.columns) == ["metric", "unit", "statistic", "value"]
    want = metrics_of(serial)
    got = {(r.metric, r.statistic): r.value for r in frame.itertuples()}
    for metric, stats in want.items():
        rows = frame[(frame["metric"] == metric) & (frame["statistic"] != "n")]
        assert (rows["unit"] == REGISTRY[metric].unit).all()
        for stat, v in stats.items():
            if stat == "ci95":
                assert same(got[(metric, "ci_low")], v[0]) and same(got[(metric, "ci_high")], v[1])
            else:
                assert same(got[(metric, stat)], v), (metric, stat)
    pairs = json.loads((serial / "summary.json").read_text())["refund_cycle_by_channel_pair"]
    for pair, stats in pairs.items():
        for stat, v in stats.items():
            assert got[(f"refund_cycle_hours.{pair}", stat)] == v


def test_json_of_a_comparison_folder_holds_every_plan_and_the_differences(six):
    folder, cmp = six
    records = json.loads(summary(folder, "--format", "json"))
    assert set(records[0]) == {"plan", "metric", "unit", "statistic", "value"}
    got = {(r["plan"], r["metric"], r["statistic"]): r["value"] for r in records}
    for plan in PLANS:
        for metric, stats in metrics_of(folder / plan).items():
            assert same(got[(plan, metric, "mean")], stats["mean"])
            assert same(got[(plan, metric, "p90")], stats["p90"])
            assert same(got[(plan, metric, "ci_low")], stats["ci95"][0])
    diffs = json.loads((folder / "comparison.json").read_text())["differences"]
    for d in diffs:
        assert same(got[(d["plan"], d["metric"], "difference_mean")], d["mean"])
        assert same(got[(d["plan"], d["metric"], "difference_ci_high")], d["ci_high"])
        assert same(got[(d["plan"], d["metric"], "win_share")], d["win_share"])
    ranking = json.loads((folder / "comparison.json").read_text())["ranking"]
    assert [got[(r["plan"], "total_risk_cost", "rank")] for r in ranking] == [1, 2, 3, 4, 5, 6]


# ---------------------------------------------------------------- markdown and table

def test_markdown_is_pipe_tables_of_the_same_numbers(six):
    folder, cmp = six
    text = summary(folder, "--format", "markdown")
    lines = text.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("| metric | unit |"))
    assert re.fullmatch(r"\|(:?-+:?\|)+", lines[header + 1])
    assert all(p in lines[header] for p in PLANS)
    row = next(ln for ln in lines[header:] if ln.startswith("| total_risk_cost |"))
    for plan in PLANS:
        assert cli_tables.fmt(metrics_of(folder / plan)["total_risk_cost"]["mean"]) in row
    assert "| rank | plan |" in text and "| component |" in text
    assert "not a ranking to act on" in text


def test_table_of_a_run_folder_is_what_run_printed(serial):
    out = summary(serial, columns=200)
    name = json.loads((serial / "summary.json").read_text())["scenario"]
    assert f"{name}: 3 replications, seed 5" in out
    assert "total_risk_cost by component" in out and "refund cycle by channel pair" in out
    total = metrics_of(serial)["total_risk_cost"]
    assert cli_tables.fmt(total["mean"]) in out and cli_tables.fmt(total["ci95"][0]) in out


def fits_80(text: str) -> None:
    lines = text.splitlines()
    assert lines
    assert max(len(ln) for ln in lines) <= 80, max(lines, key=len)
    assert "…" not in text


def numbers_whole(text: str, summaries: dict[str, dict]) -> None:
    """Every plan's headline numbers appear whole (cells wrap at spaces, never in a number)."""
    for plan, metrics in summaries.items():
        for metric in ("total_risk_cost", "exceptions_total", "oversell_rate"):
            d, unit = metrics[metric], REGISTRY[metric].unit
            for v in (d["mean"], d["p90"], d["ci95"][0], d["ci95"][1]):
                assert cli_tables.fmt(v, unit) in text, (plan, metric, v)
        assert cli_tables.fmt(metrics["cost.lost_margin"]["mean"]) in text


def test_summary_of_six_plans_fits_80_columns(six):
    folder, _ = six
    out = summary(folder, columns=80)
    fits_80(out)
    numbers_whole(out, {p: metrics_of(folder / p) for p in PLANS})
    assert "ranking on total_risk_cost" in out and "waves_through_peak" in out


def test_compare_of_six_plans_fits_80_columns(six, monkeypatch):
    _, cmp = six
    module = importlib.import_module("sim.compare")  # sim.compare is also the function
    monkeypatch.setattr(module, "compare", lambda *a, **k: cmp)
    for mod in (cli_tables, importlib.import_module("sim.cli")):
        monkeypatch.setattr(mod, "console", Console(width=80))
    args = ["compare", *[str(ROOT / "scenarios" / f"{p}.toml") for p in PLANS],
            "-n", "3", "--set", "network.stores=20", "--set", "network.skus=40"]
    res = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    fits_80(res.stdout)
    numbers_whole(res.stdout, {r.scenario: r.summary for r in cmp.runs})
    for plan in PLANS:
        assert cli_tables.fmt(cmp.ranking.set_index("plan").loc[plan,
                                                              "total_risk_cost_mean"]) in res.stdout
    # The verdict and the why-these-weeks table close the output (issue 17).
    flat = " ".join(res.stdout.split())
    assert "Lowest mean total_risk_cost:" in flat and "USD" in flat
    assert "why these weeks" in flat and "vs baseline_legacy" in flat


def test_wide_layout_when_it_fits(six):
    folder, _ = six
    out = summary(folder, columns=400)
    assert any(all(p in ln for p in PLANS) for ln in out.splitlines())
    assert "metric / plan" not in out


# ---------------------------------------------------------------- errors

def test_folder_without_results_is_one_error_line(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        res = runner.invoke(app, ["summary", str(folder)])
        assert res.exit_code == 2
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    (tmp_path / "reps").mkdir()
    (tmp_path / "reps" / "rep_00000.pkl").write_bytes(b"")
    res = runner.invoke(app, ["summary", str(tmp_path)])
    assert res.exit_code == 2 and "--resume" in res.output


def test_unknown_format_is_one_error_line(serial):
    res = runner.invoke(app, ["summary", str(serial), "--format", "xml"])
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: --format") and "markdown" in res.output


# ---------------------------------------------------------------- printing a result

def test_printing_a_result_is_short(six, serial):
    _, cmp = six
    run = load_run(serial)
    for obj, must in ((run, [run.scenario, "n=3", "seed=5", "total_risk_cost"]),
                      (cmp, [*PLANS, "reference baseline_legacy", "caveat"])):
        text = repr(obj)
        lines = text.splitlines()
        assert len(lines) <= 12 and max(len(ln) for ln in lines) <= 100, text
        assert all(m in text for m in must), text
        assert "rows x" not in text and "columns]" not in text
