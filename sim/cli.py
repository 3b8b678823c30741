"""The ``rollout-sim`` command line (also ``python -m sim``); thin over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sim.cli_tables import console as tables_console
from sim.loader import ScenarioError, load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate retail ERP rollout plans and compare their risk.")
network_app = typer.Typer(no_args_is_help=True, help="Make reference networks.")
app.add_typer(network_app, name="network")
baseline_app = typer.Typer(no_args_is_help=True,
                           help="Record a scenario's outputs and check later runs against them.")
app.add_typer(baseline_app, name="baseline")
#: One console for what the commands print (the tables' own, so output stays in order).
console = tables_console
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


def fail(message: str | list[str], code: int = 2) -> None:
    """Print one ``error:`` line per message and exit (no traceback)."""
    for line in [message] if isinstance(message, str) else message:
        err_console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def interrupted_keeping(out: Path, pieces: str) -> None:
    """Exit 130 after Ctrl-C, saying what is kept and how to continue (saved piece by piece)."""
    err_console.print(f"interrupted: finished {pieces} are kept in {out}/points; rerun the "
                      "same command with --resume", markup=False, highlight=False)
    raise typer.Exit(130)


def load_or_fail(path: Path, overrides: list[str] | None):
    """Load a scenario: each problem one ``error:`` line and exit 2; warnings go to stderr.

    The plan's warnings (``warning: <file>: <field path>: <problem>``) do not stop the command.
    """
    from sim.plan_checks import plan_warnings

    try:
        sc = load_scenario(path, overrides)
    except ScenarioError as e:
        fail([str(err) for err in e.errors])
    for warning in plan_warnings(sc, file=path):
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return sc


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario TOML files")],
    set_: SetOpt = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="treat warnings as errors (exit 2 when a file has any)")] = False,
) -> None:
    """Check scenario files: every mistake in one line each, then warnings about the plan."""
    from sim.plan import build_plan
    from sim.plan_checks import plan_warnings

    bad = 0
    for path in scenarios:
        try:
            sc = load_scenario(path, set_)
        except ScenarioError as e:
            for err in e.errors:
                err_console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
            bad += 1
            continue
        plan = build_plan(sc)
        warnings = plan_warnings(sc, plan, file=path)
        for warning in warnings:
            err_console.print(f"warning: {warning}", markup=False, highlight=False,
                              soft_wrap=True)
        if strict and warnings:
            bad += 1
            continue
        waves = len(sc.waves)
        planned = int((plan.wave_of_store >= 0).sum())
        console.print(f"ok: {path} ({len(plan.stores)} stores, {len(plan.skus)} SKUs, "
                      f"{sc.horizon_weeks} weeks, {waves} wave(s) covering {planned} stores)",
                      highlight=False, soft_wrap=True)
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

from sim.cli_progress import RunProgress  # noqa: E402
from sim.cli_tables import cost_table as _cost_table  # noqa: E402
from sim.cli_tables import fmt as _fmt  # noqa: E402
from sim.cli_tables import refund_table as _refund_table  # noqa: E402
from sim.cli_tables import summary_table as _summary_table  # noqa: E402


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
    prog = RunProgress(err_console, [(sc.name, replications, sc.horizon_weeks)])
    hooks = {"on_replication": lambda r: prog.replication(0, r),
             "on_week": lambda r, wk: prog.week(0, r, wk)}
    try:
        with prog:
            if precision is not None:
                res = run_to_precision(sc, replications, seed, precision, max_replications,
                                       workers=workers, scheduler=scheduler, out=out,
                                       resume=resume, force=force,
                                       on_batch=lambda n: prog.set_replications(0, n), **hooks)
            else:
                res = run(sc, replications, seed, workers=workers, scheduler=scheduler, out=out,
                          resume=resume, force=force, **hooks)
    except ExperimentError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print(prog.interrupted(out), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    _summary_table(f"{sc.name}: {res.n} replications, seed {seed}", {sc.name: res.summary})
    _refund_table([res])
    _cost_table(f"{sc.name}: total_risk_cost by component ({sc.costs.currency})",
                {sc.name: res.summary})
    from sim.cli_tables import why_table

    why_table([res], compared=False)
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
    from sim.compare import check_currencies, compare
    from sim.experiment import ExperimentError
    from sim.verdict import currency_of

    if len(scenarios) < 2:
        fail("compare: give at least two scenario files")
    plans = [load_or_fail(p, set_) for p in scenarios]
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        fail(f"compare: plan names must differ (got {names}); set name = ... in each file")
    try:
        check_currencies(plans)
    except ValueError as e:
        fail(f"compare: {e}")
    prog = RunProgress(err_console, [(p.name, replications, p.horizon_weeks) for p in plans])
    try:
        with prog:
            cmp = compare(plans, replications, seed, workers=workers, scheduler=scheduler,
                          out=out, resume=resume, force=force,
                          on_replication=prog.replication, on_week=prog.week)
    except ExperimentError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err_console.print(prog.interrupted(out), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    _summary_table(f"{len(plans)} plans, {replications} replications each, seed {seed}",
                   {r.scenario: r.summary for r in cmp.runs})
    _refund_table(cmp.runs)
    _cost_table(f"total_risk_cost by component ({currency_of(cmp.runs)}; paired differences "
                f"against {names[0]})",
                {r.scenario: r.summary for r in cmp.runs}, cmp.differences)
    from sim.cli_tables import conclusion, ranking_table, why_table

    ranking_table(cmp)
    why_table(cmp.runs, compared=True)
    conclusion(cmp)
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


@app.command("summary")
def summary_cmd(
    out_dir: Annotated[Path, typer.Argument(help="a run or compare output folder")],
    format_: Annotated[str, typer.Option(
        "--format", help="table (as run/compare print it), markdown (pipe tables), csv or "
        "json (the tidy table: metric, unit, statistic, value; plan for a comparison)")
        ] = "table",
) -> None:
    """Reprint the summary of a results folder (nothing is rerun)."""
    from sim.cli_summary import SummaryError, render

    try:
        text = render(out_dir, format_)
    except SummaryError as e:
        fail(str(e))
    if text is not None:
        typer.echo(text, nl=False)


# Commands in their own modules register on ``app`` when imported.
from sim import cli_calibrate, cli_optimize, cli_sensitivity  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)
