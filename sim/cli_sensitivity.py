"""``rollout-sim sensitivity``: which uncertain assumptions drive a plan's risk (issue 19)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli import (
    ForceOpt,
    ReplOpt,
    ResumeOpt,
    SchedOpt,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    app,
    console,
    err_console,
    fail,
    interrupted_keeping,
    load_or_fail,
)


@app.command("sensitivity")
def sensitivity_cmd(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    method: Annotated[str, typer.Option(
        "--method", help="morris (screening) or sobol (variance shares)")] = "morris",
    samples: Annotated[int, typer.Option(
        "--samples", min=2, help="Morris trajectories (each factors + 1 points), or Sobol's "
        "base sample (a power of two; samples x (factors + 2) points)")] = 10,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="metric to analyse (repeatable; default total_risk_cost, "
        "exception_backlog_peak, oversell_rate, refund_cycle_hours_mean)")] = None,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="analyse only this declared factor (repeatable)")] = None,
    factor: Annotated[list[str] | None, typer.Option(
        "--factor", help="a range NAME=LOW:HIGH: a parameter or a dotted scenario key, new "
        "or replacing a declared range (repeatable)")] = None,
    factors_file: Annotated[Path | None, typer.Option(
        "--factors-file", help="declared ranges (name,low,high,provenance); default the "
        "package's seeds/uncertainty.csv")] = None,
    no_dummy: Annotated[bool, typer.Option(
        "--no-dummy", help="leave out the dummy factor (read by nothing)")] = False,
    replications: ReplOpt = 1,
    seed: SeedOpt = 1,
    workers: WorkersOpt = 1,
    scheduler: SchedOpt = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    set_: SetOpt = None,
) -> None:
    """Rank the uncertain assumptions by their effect on the plan's metrics (SALib)."""
    from sim.experiment import ExperimentError
    from sim.report_sensitivity import write_sensitivity_report
    from sim.sensitivity import SensitivityError, run_sensitivity
    from sim.uncertainty import FactorError, load_factors, parse_factor, select

    sc = load_or_fail(scenario, set_)
    try:
        extra = [parse_factor(f) for f in factor or []]
        factors = select(load_factors(factors_file), only, extra, dummy=not no_dummy)
        state = {"shown": -1}

        def progress(done: int, total: int) -> None:
            if done * 10 // total != state["shown"]:
                state["shown"] = done * 10 // total
                err_console.print(f"{done}/{total} design points", highlight=False)

        res = run_sensitivity(sc, factors, method, samples, metric, replications, seed,
                              workers, scheduler, out, resume, force, on_point=progress)
    except (FactorError, SensitivityError, ExperimentError, OSError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        interrupted_keeping(out, "design points")
    key = "mu_star" if res.method == "morris" else "ST"
    for m in res.indices["metric"].unique():
        table = Table(title=f"{sc.name}: what drives {m} ({res.method}, {key})")
        table.add_column("factor")
        table.add_column(key, justify="right")
        table.add_column("95% ±", justify="right")
        for _, row in res.ranking(m).iterrows():
            table.add_row(row["factor"], f"{row['value']:.4g}", f"{row['conf']:.2g}")
        console.print(table)
    for note in res.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False)
    page = write_sensitivity_report(res, sc.name, out)
    console.print(f"wrote {out}/design.parquet, outputs.parquet, indices.parquet, {page.name}",
                  highlight=False)
