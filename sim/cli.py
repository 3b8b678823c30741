"""The ``rollout-sim`` command line (also ``python -m sim``); thin over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sim.loader import ScenarioError, load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate retail ERP rollout plans and compare their risk.")
network_app = typer.Typer(no_args_is_help=True, help="Make reference networks.")
app.add_typer(network_app, name="network")
baseline_app = typer.Typer(no_args_is_help=True,
                           help="Record a scenario's outputs and check later runs against them.")
app.add_typer(baseline_app, name="baseline")
console = Console()
err_console = Console(stderr=True)

def _version(value: bool) -> None:
    if value:
        from sim import __version__

        console.print(f"rollout-sim {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")
        ] = False) -> None:
    """Simulate retail ERP rollout plans and compare their risk."""


SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="override a scenario field: dotted.key=value (repeatable)")]


def fail(message: str, code: int = 2) -> None:
    """Print one ``error:`` line and exit (no traceback)."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_or_fail(path: Path, overrides: list[str] | None):
    """Load a scenario, turning any scenario problem into one error line and exit 2."""
    try:
        return load_scenario(path, overrides)
    except ScenarioError as e:
        fail(str(e))


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario TOML files")],
    set_: SetOpt = None,
) -> None:
    """Check scenario files; explain every mistake in one line."""
    from sim.plan import build_plan

    bad = 0
    for path in scenarios:
        try:
            sc = load_scenario(path, set_)
        except ScenarioError as e:
            err_console.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
            bad += 1
            continue
        plan = build_plan(sc)
        waves = len(sc.waves)
        planned = int((plan.wave_of_store >= 0).sum())
        console.print(f"ok: {path} ({len(plan.stores)} stores, {len(plan.skus)} SKUs, "
                      f"{sc.horizon_weeks} weeks, {waves} wave(s) covering {planned} stores)",
                      highlight=False)
        by = {}
        for name, src in plan.param_sources.items():
            by.setdefault(src, []).append(name)
        console.print("   parameters: " + "; ".join(
            f"{len(v)} from {k}" + (f" ({', '.join(sorted(v))})" if k != "package" else "")
            for k, v in by.items()), highlight=False, soft_wrap=True)
    if bad:
        raise typer.Exit(2)


ReplOpt = Annotated[int, typer.Option("-n", "--replications", min=1, help="replications")]
SeedOpt = Annotated[int, typer.Option("--seed", help="master seed")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="local worker processes")]
SchedOpt = Annotated[str | None, typer.Option("--scheduler",
                                              help="Dask scheduler address, tcp://host:8786")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="continue an interrupted run")]
ForceOpt = Annotated[bool, typer.Option("--force", help="replace the results --out holds")]

from sim.cli_tables import cost_table as _cost_table  # noqa: E402
from sim.cli_tables import fmt as _fmt  # noqa: E402
from sim.cli_tables import refund_table as _refund_table  # noqa: E402
from sim.cli_tables import summary_table as _summary_table  # noqa: E402


def _progress(total: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                    transient=False, disable=not err_console.is_terminal)


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    replications: ReplOpt = 10,
    seed: SeedOpt = 1,
    out: Annotated[Path | None, typer.Option("--out", help="output folder")] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedOpt = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    precision: Annotated[float | None, typer.Option(
        "--precision", min=0.0001, help="add replications until the 95% CI half-width of the "
        "key metrics is within this share of the mean")] = None,
    max_replications: Annotated[int, typer.Option("--max-replications", min=1,
                                                  help="cap for --precision")] = 500,
    set_: SetOpt = None,
) -> None:
    """Run one scenario for N replications and write its results."""
    from sim.experiment import ExperimentError, run, run_to_precision

    sc = load_or_fail(scenario, set_)
    try:
        with _progress(replications) as prog:
            task = prog.add_task(sc.name, total=replications)
            if precision is not None:
                res = run_to_precision(sc, replications, seed, precision, max_replications,
                                       workers=workers, scheduler=scheduler, out=out,
                                       resume=resume, force=force,
                                       on_replication=lambda r: prog.advance(task),
                                       on_batch=lambda n: prog.update(task, total=n))
            else:
                res = run(sc, replications, seed, workers=workers, scheduler=scheduler, out=out,
                          resume=resume, force=force,
                          on_replication=lambda r: prog.advance(task))
    except ExperimentError as e:
        fail(str(e))
    _summary_table(f"{sc.name}: {res.n} replications, seed {seed}", {sc.name: res.summary})
    _refund_table([res])
    _cost_table(f"{sc.name}: total_risk_cost by component", {sc.name: res.summary})
    if precision is not None:
        console.print(f"precision {precision:g} reached with {res.n} replications"
                      if res.n < max_replications else
                      f"stopped at the cap of {max_replications} replications", highlight=False)
    if out is not None:
        console.print(f"wrote {out}/summary.json, replications.parquet, weekly.parquet, "
                      "manifest.json", highlight=False)


@app.command("compare")
def compare_cmd(
    scenarios: Annotated[list[Path], typer.Argument(help="two or more scenario files; the "
                                                    "first is the reference")],
    replications: ReplOpt = 10,
    seed: SeedOpt = 1,
    out: Annotated[Path | None, typer.Option("--out", help="output folder")] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedOpt = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    set_: SetOpt = None,
) -> None:
    """Run plans on the same seeds and rank them with paired differences."""
    from sim.compare import compare
    from sim.experiment import ExperimentError

    if len(scenarios) < 2:
        fail("compare: give at least two scenario files")
    plans = [load_or_fail(p, set_) for p in scenarios]
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        fail(f"compare: plan names must differ (got {names}); set name = ... in each file")
    try:
        with _progress(replications * len(plans)) as prog:
            tasks = [prog.add_task(p.name, total=replications) for p in plans]
            cmp = compare(plans, replications, seed, workers=workers, scheduler=scheduler,
                          out=out, resume=resume, force=force,
                          on_replication=lambda i, r: prog.advance(tasks[i]))
    except ExperimentError as e:
        fail(str(e))
    _summary_table(f"{len(plans)} plans, {replications} replications each, seed {seed}",
                   {r.scenario: r.summary for r in cmp.runs})
    _refund_table(cmp.runs)
    _cost_table(f"total_risk_cost by component (paired differences against {names[0]})",
                {r.scenario: r.summary for r in cmp.runs}, cmp.differences)
    from rich.table import Table

    table = Table(title=f"ranking on total_risk_cost (paired against {names[0]})")
    for col in ("rank", "plan", "mean total_risk_cost", "difference [95% CI]",
                "wins (lowest cost)"):
        table.add_column(col, justify="right" if col != "plan" else "left")
    diffs = cmp.differences[cmp.differences["metric"] == "total_risk_cost"].set_index("plan")
    wins = cmp.wins.set_index("plan")["win_share"]
    for row in cmp.ranking.itertuples():
        if row.plan in diffs.index:
            d = diffs.loc[row.plan]
            diff = f"{_fmt(d['mean'])} [{_fmt(d['ci_low'])}, {_fmt(d['ci_high'])}]"
        else:
            diff = "reference"
        table.add_row(str(row.rank), row.plan, _fmt(row.total_risk_cost_mean), diff,
                      f"{wins[row.plan]:.0%}")
    console.print(table)
    for caveat in cmp.caveats:
        console.print(f"[yellow]not a ranking to act on:[/yellow] {caveat}", highlight=False)
    if out is not None:
        console.print(f"wrote {out}/comparison.json and one folder per plan", highlight=False)


@baseline_app.command("record")
def baseline_record(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    out: Annotated[Path, typer.Option("--out", help="baseline JSON file to write")],
    replications: ReplOpt = 4,
    seed: SeedOpt = 1,
    workers: WorkersOpt = 1,
    set_: SetOpt = None,
) -> None:
    """Run a scenario and store its summary as a baseline."""
    from sim.baseline import record

    load_or_fail(scenario, set_)
    data = record(scenario, out, set_, replications=replications, seed=seed, workers=workers)
    console.print(f"recorded {len(data['metrics'])} metrics of {data['scenario']} "
                  f"({replications} replications, seed {seed}) in {out}", highlight=False)


@baseline_app.command("check")
def baseline_check(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    against: Annotated[Path, typer.Option("--against", help="baseline JSON file")],
    replications: Annotated[int | None, typer.Option(
        "-n", "--replications", min=2, help="default: as recorded")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="default: as recorded")] = None,
    workers: WorkersOpt = 1,
    set_: SetOpt = None,
) -> None:
    """Rerun a scenario and compare with its baseline (exit 1 when a metric drifted)."""
    import json

    from sim.baseline import check

    if not against.exists():
        fail(f"{against}: file: no such baseline file")
    try:
        recorded = json.loads(against.read_text())
        recorded_overrides = list(recorded.get("overrides", []))
    except (ValueError, AttributeError) as e:
        fail(f"{against}: file: not a baseline file ({e})")
    load_or_fail(scenario, recorded_overrides + list(set_ or []))
    result = check(scenario, against, set_, replications=replications, seed=seed,
                   workers=workers)
    from rich.table import Table

    table = Table(title=f"{scenario.name} against {against.name} "
                  f"({'exact: same seed and settings' if result.exact else 'within noise'})")
    for col in ("metric", "baseline", "now", "change", ""):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for r in result.table.itertuples():
        change = "" if r.change is None or r.change != r.change or abs(r.change) == float("inf") \
            else f"{r.change:+.1%}"
        table.add_row(r.metric, _fmt(r.baseline), _fmt(r.now), change, r.mark)
    console.print(table)
    if not result.ok:
        drifted = int((result.table["mark"] != "≈").sum())
        console.print(f"{drifted} metric(s) drifted beyond tolerance", highlight=False)
        raise typer.Exit(1)
    console.print("all metrics within tolerance", highlight=False)


@network_app.command("generate")
def network_generate(
    stores: Annotated[int, typer.Option("--stores", min=1, help="number of stores")] = 600,
    seed: Annotated[int, typer.Option("--seed", help="generator seed")] = 2026,
    skus: Annotated[int, typer.Option("--skus", min=1, help="number of SKUs")] = 200,
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("network"),
) -> None:
    """Generate a reference network (stores, DCs, SKUs, calendar, promotions, parameters)."""
    import shutil

    from sim.generate import generate_network, write_network
    from sim.network import default_seeds_dir

    tables = generate_network(n_stores=stores, seed=seed, n_skus=skus)
    write_network(tables, out)
    shutil.copyfile(default_seeds_dir() / "parameters.csv", out / "parameters.csv")
    console.print(f"wrote {out}/ ({stores} stores, {len(tables['dcs'])} DCs, {skus} SKUs)",
                  highlight=False)


@app.command("report")
def report_cmd(
    out_dir: Annotated[Path, typer.Argument(help="a run or compare output folder")],
    output: Annotated[Path | None, typer.Option(
        "--output", help="HTML file to write (default OUT_DIR/report.html)")] = None,
) -> None:
    """Write a self-contained HTML report (tables and embedded figures) of a results folder."""
    from sim.report import ReportError, write_report

    if not out_dir.is_dir():
        fail(f"{out_dir}: no such folder")
    try:
        path = write_report(out_dir, output)
    except ReportError as e:
        fail(str(e))
    except (OSError, ValueError, KeyError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        fail(f"{out_dir}: cannot read results ({type(e).__name__}: {first})")
    console.print(str(path), highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)
