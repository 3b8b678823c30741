"""``rollout-sim optimize``: the best plan in a decision space under risk limits (issue 19)."""

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


@app.command("optimize")
def optimize_cmd(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    space: Annotated[Path, typer.Option("--space", help="decision space TOML "
                                        "([[variables]] key, low/high[/step] or choices)")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    objective: Annotated[list[str] | None, typer.Option(
        "--objective", help="metric to optimise, optionally METRIC.STAT (mean, p50, p80, "
        "p90, p95), in the metric's direction; twice for a Pareto front of two (NSGA-II); "
        "default total_risk_cost")] = None,
    constraint: Annotated[list[str] | None, typer.Option(
        "--constraint", help="METRIC.STAT<=VALUE or >= (repeatable), e.g. "
        "'exception_backlog_peak.p90<=2000'")] = None,
    trials: Annotated[int, typer.Option("--trials", min=1, help="trials of the search")] = 30,
    finalists: Annotated[int, typer.Option(
        "--finalists", min=1, help="best trials run again on fresh seeds (with two "
        "objectives, the whole Pareto front is)")] = 3,
    replications: ReplOpt = 3,
    seed: SeedOpt = 1,
    workers: WorkersOpt = 1,
    scheduler: SchedOpt = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    set_: SetOpt = None,
) -> None:
    """Search the decision space for the best plan within the constraints (optuna TPE)."""
    from sim.experiment import ExperimentError
    from sim.metrics import REGISTRY
    from sim.optimize import OptimizeError, describe_decisions, optimize
    from sim.report_optimize import write_optimize_report
    from sim.space import STATS, SpaceError, load_space, parse_constraint

    sc = load_or_fail(scenario, set_)

    def goal(text: str) -> tuple[str, str]:
        metric, _, stat = text.rpartition(".")
        return (metric, stat) if stat in STATS and metric else (text, "mean")

    goals = [goal(o) for o in objective or ["total_risk_cost"]]
    if len(goals) > 2:
        fail("--objective: at most two objectives (a Pareto front of two)")
    metric, stat = goals[0]
    second = goals[1] if len(goals) == 2 else None
    try:
        sp = load_space(space, sc)
        limits = [parse_constraint(c) for c in constraint or []]
        res = optimize(sc, sp, metric, stat, limits, trials, replications, seed, workers,
                       scheduler, out, resume, force, finalists,
                       on_trial=lambda n, t: err_console.print(f"trial {n}/{t}",
                                                               highlight=False),
                       second=second)
    except (SpaceError, OptimizeError, ExperimentError, OSError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        interrupted_keeping(out, "trials")
    if len(res.finalists):
        table = Table(title=f"{sc.name}: finalists, {metric}.{stat} on the search's seeds and "
                            "on fresh seeds")
        for col in res.finalists.columns:
            table.add_column(str(col), justify="right")
        for _, row in res.finalists.iterrows():
            table.add_row(*[f"{v:.6g}" if isinstance(v, float) else str(v) for v in row])
        console.print(table)
        console.print("chosen: " + describe_decisions(res.best), highlight=False)
    else:
        console.print("no trial kept every constraint: relax a limit or widen the space",
                      highlight=False)
    minimize = REGISTRY[metric].lower_is_better if metric in REGISTRY else True
    page = write_optimize_report(res, sc.name, f"{metric}.{stat}",
                                 [str(c) for c in limits], minimize, out,
                                 ".".join(second) if second else None)
    console.print(f"wrote {out}/trials.parquet, finalists.parquet, best.json, "
                  f"best_scenario.toml, {page.name}", highlight=False)
