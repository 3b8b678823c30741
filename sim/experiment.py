"""Monte Carlo experiments: replications, executors, checkpoint/resume, output files (DESIGN §7).

A replication is a pure function of (scenario, seed) returning plain data, so the in-process,
process-pool and Dask executors give identical numbers. Replication seeds come from one master
seed through ``SeedSequence``: replication *r* of every plan sees the same customers.
Each finished replication is written to ``OUT/reps/`` atomically as it completes; ``resume``
skips those already there.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.aggregate import refund_pairs, summarize
from sim.executors import OnWeek, execute, replicate  # noqa: F401 - replicate: the task
from sim.files import atomic_write, write_json, write_parquet
from sim.scenario import Scenario
from sim.streams import replication_seeds


class ExperimentError(Exception):
    """A problem with an experiment's settings or output folder (reported on one line)."""


@dataclass
class RunResult:
    """An experiment's results as tidy tables.

    Attributes:
        scenario: The scenario name.
        seed: Master seed.
        replications: One row per replication: ``rep``, ``seed`` and a column per metric.
        weekly: One row per replication and week.
        by_region: One row per replication and region.
        timeline: Store states per replication and week.
        refunds: Refund-cycle quantiles per replication and channel pair.
        summary: Per metric: mean, ci95, p50, p80, p90, p95.
    """

    scenario: str
    seed: int
    replications: pd.DataFrame
    weekly: pd.DataFrame
    by_region: pd.DataFrame
    timeline: pd.DataFrame
    refunds: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Scenario | None = None

    @property
    def n(self) -> int:
        """Number of replications."""
        return len(self.replications)

    def summary_frame(self) -> pd.DataFrame:
        """The summary as a tidy table (metric, unit, statistic, value): :mod:`sim.tidy`."""
        from sim.tidy import summary_frame

        return summary_frame(self)

    def __repr__(self) -> str:
        from sim.tidy import result_repr

        return result_repr(self)


def scenario_payload(scenario: Scenario) -> dict[str, Any]:
    """Plain data that rebuilds the scenario in another process or on a Dask worker."""
    return {"json": scenario.model_dump_json(),
            "source": str(scenario.source) if scenario.source else None}


def scenario_from_payload(payload: dict[str, Any]) -> Scenario:
    """Inverse of :func:`scenario_payload`."""
    sc = Scenario.model_validate_json(payload["json"])
    if payload["source"]:
        sc._source = Path(payload["source"])
    return sc


def scenario_hash(scenario: Scenario) -> str:
    """Stable hash of a scenario's settings (names the results an output folder holds)."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:16]


class Checkpoint:
    """The per-replication files of one output folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.dir = out / "reps"

    def path(self, rep: int) -> Path:
        """File of one replication."""
        return self.dir / f"rep_{rep:05d}.pkl"

    def done(self) -> set[int]:
        """Replications already written."""
        if not self.dir.exists():
            return set()
        return {int(p.stem.split("_")[1]) for p in self.dir.glob("rep_*.pkl")}

    def save(self, result: dict[str, Any]) -> None:
        """Write one replication atomically."""
        atomic_write(self.path(result["rep"]), lambda p: pd.to_pickle(result, p))

    def load(self, rep: int) -> dict[str, Any]:
        """Read one replication back."""
        return pd.read_pickle(self.path(rep))


def _manifest(scenario: Scenario, seed: int, seeds: list[int], status: str) -> dict[str, Any]:
    from sim import __version__

    return {"scenario": scenario.name, "scenario_hash": scenario_hash(scenario),
            "package_version": __version__, "master_seed": seed,
            "replications": len(seeds), "seeds": seeds, "status": status,
            "source": str(scenario.source) if scenario.source else None}


def prepare_output(out: Path, scenario: Scenario, seed: int, resume: bool,
                   force: bool = False) -> None:
    """Check an output folder before anything is written to it.

    A folder that already holds results is continued only with ``resume`` and replaced only
    with ``force``: a rerun never silently overwrites earlier results.

    Raises:
        ExperimentError: The folder holds results and neither ``resume`` nor ``force`` was
            given, or ``resume`` was asked with changed settings.
    """
    manifest = out / "manifest.json"
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"{out}: is a file, not an output folder")
    if force and not resume:
        return
    held = ExperimentError(f"{out}: already holds results; add --resume to continue them or "
                           "--force to replace them")
    if not manifest.exists():
        if Checkpoint(out).done():
            if resume:
                raise ExperimentError(f"{out}: --resume: no manifest.json to check settings "
                                      "against")
            raise held
        return
    try:
        old = json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ExperimentError(f"{out}/manifest.json: unreadable ({e})") from None
    if old.get("scenario_hash") != scenario_hash(scenario):
        what = "--resume with changed scenario settings" if resume else \
            f"holds results of another scenario ('{old.get('scenario')}')"
        raise ExperimentError(f"{out}: {what}; use another --out folder")
    if old.get("master_seed") != seed:
        what = "--resume with a different --seed" if resume else \
            f"holds results for seed {old.get('master_seed')}"
        raise ExperimentError(f"{out}: {what} (now {seed}); use another --out folder")
    if not resume:
        raise held


def run(scenario: Scenario, replications: int, seed: int, workers: int = 1,
        scheduler: str | None = None, out: str | Path | None = None, resume: bool = False,
        on_replication: Callable[[int], None] | None = None, force: bool = False,
        on_week: OnWeek | None = None) -> RunResult:
    """Run a scenario for N replications.

    Args:
        scenario: The plan.
        replications: Number of replications.
        seed: Master seed; replication seeds derive from it.
        workers: Local worker processes (1 = in-process).
        scheduler: Address of a Dask scheduler (``tcp://host:8786``); overrides ``workers``.
        out: Output folder; each replication is saved there as it finishes.
        resume: Skip replications already saved in ``out``.
        on_replication: Called with the replication index as each one finishes.
        force: Replace the results ``out`` already holds (without it, or ``resume``, a
            folder with results is refused).
        on_week: Called with (replication, week reached) as replications go on (not from
            a Dask cluster).

    Returns:
        Tidy tables and the summary. Identical for any executor and worker count.
    """
    seeds = replication_seeds(seed, replications)
    out_dir = Path(out) if out is not None else None
    ckpt = Checkpoint(out_dir) if out_dir is not None else None
    results: dict[int, dict[str, Any]] = {}
    if out_dir is not None and ckpt is not None:
        prepare_output(out_dir, scenario, seed, resume, force)
        if resume:
            for rep in sorted(ckpt.done()):
                if rep < replications:
                    results[rep] = ckpt.load(rep)
        elif ckpt.dir.exists():
            for p in ckpt.dir.glob("rep_*.pkl"):
                p.unlink()
        write_json(out_dir / "manifest.json", _manifest(scenario, seed, seeds, "running"))
    for rep in results:
        if on_replication:
            on_replication(rep)
    todo = [(rep, s) for rep, s in enumerate(seeds) if rep not in results]
    payload = scenario_payload(scenario)
    for res in execute(payload, todo, workers, scheduler, on_week):
        results[res["rep"]] = res
        if ckpt is not None:
            ckpt.save(res)
        if on_replication:
            on_replication(res["rep"])
    run_result = assemble(scenario, seed, [results[r] for r in sorted(results)])
    if out_dir is not None:
        write_outputs(out_dir, run_result)
        write_json(out_dir / "manifest.json", _manifest(scenario, seed, seeds, "complete"))
    return run_result


def assemble(scenario: Scenario, seed: int, reps: list[dict[str, Any]]) -> RunResult:
    """Tidy tables and summary from finished replications (in replication order)."""
    rows = [{"rep": r["rep"], "seed": r["seed"], **r["metrics"]} for r in reps]
    table = pd.DataFrame(rows)
    weekly = pd.concat([r["weekly"] for r in reps], ignore_index=True)
    by_region = pd.concat([r["by_region"] for r in reps], ignore_index=True)
    timeline = pd.concat([r["timeline"] for r in reps], ignore_index=True)
    refunds = pd.concat([r["refunds"] for r in reps], ignore_index=True)
    metrics = [c for c in table.columns if c not in ("rep", "seed")]
    return RunResult(scenario=scenario.name, seed=seed, replications=table, weekly=weekly,
                     by_region=by_region, timeline=timeline, refunds=refunds,
                     summary=summarize(table, metrics), source=scenario)


def write_outputs(out: Path, res: RunResult) -> None:
    """Write ``summary.json`` and the parquet tables of a finished run (each atomically)."""
    write_parquet(out / "replications.parquet", res.replications)
    write_parquet(out / "weekly.parquet", res.weekly)
    write_parquet(out / "by_region.parquet", res.by_region)
    write_parquet(out / "timeline.parquet", res.timeline)
    write_parquet(out / "refunds.parquet", res.refunds)
    write_json(out / "summary.json", {"scenario": res.scenario, "seed": res.seed,
                                      "replications": res.n, "metrics": res.summary,
                                      "refund_cycle_by_channel_pair": refund_pairs(res.refunds)})
    if res.source is not None:
        write_json(out / "scenario.json", json.loads(res.source.model_dump_json()))


def load_run(out: str | Path) -> RunResult:
    """Read a finished run's output folder back into a :class:`RunResult`."""
    out = Path(out)
    summary = json.loads((out / "summary.json").read_text())
    src = out / "scenario.json"
    scenario = Scenario.model_validate_json(src.read_text()) if src.exists() else None
    return RunResult(scenario=summary["scenario"], seed=summary["seed"],
                     replications=pd.read_parquet(out / "replications.parquet"),
                     weekly=pd.read_parquet(out / "weekly.parquet"),
                     by_region=pd.read_parquet(out / "by_region.parquet"),
                     timeline=pd.read_parquet(out / "timeline.parquet"),
                     refunds=pd.read_parquet(out / "refunds.parquet"),
                     summary=summary["metrics"], source=scenario)


#: Metrics whose confidence interval --precision watches.
PRECISION_METRICS = ("oversell_rate", "refund_cycle_hours_mean", "exceptions_total",
                     "total_risk_cost")


def run_to_precision(scenario: Scenario, start: int, seed: int, precision: float, cap: int,
                     on_batch: Callable[[int], None] | None = None, **kwargs: Any) -> RunResult:
    """Add replications until the key metrics' 95% CI half-width is within ``precision``.

    Replication seeds do not depend on how many are run, so the first N replications of a
    precision run equal an N-replication run.

    Args:
        scenario: The plan.
        start: Replications of the first batch (at least 2).
        seed: Master seed.
        precision: Target half-width as a share of |mean| (0.05 = 5%).
        cap: Most replications to run.
        on_batch: Called with the new total before each batch.
        **kwargs: Passed to :func:`run` (workers, scheduler, out, on_replication).

    Returns:
        The run at the first batch meeting the target, or at the cap.
    """
    from sim.aggregate import half_width_ratio

    n = max(2, min(start, cap))
    resume = kwargs.pop("resume", False)
    out = kwargs.pop("out", None)
    report = kwargs.pop("on_replication", None)
    if report is not None:
        # Each batch reloads the replications of the previous ones: report each one once.
        reported: set[int] = set()

        def once(rep: int) -> None:
            if rep not in reported:
                reported.add(rep)
                report(rep)

        kwargs["on_replication"] = once
    # Each batch resumes from the replications already saved, so none is run twice; without
    # an output folder the saved replications live in a temporary one.
    scratch = tempfile.TemporaryDirectory(prefix="rollout-sim-") if out is None else None
    folder = Path(scratch.name) if scratch is not None else Path(out)
    try:
        while True:
            if on_batch:
                on_batch(n)
            res = run(scenario, n, seed, out=folder, resume=resume, **kwargs)
            resume = True
            worst = max(half_width_ratio(res.replications[m].to_numpy(float))
                        for m in PRECISION_METRICS if m in res.replications)
            if worst <= precision or n >= cap:
                return res
            n = min(cap, max(n + 2, int(np.ceil(n * min(4.0, (worst / precision) ** 2)))))
    finally:
        if scratch is not None:
            scratch.cleanup()
