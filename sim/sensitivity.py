"""Which uncertain inputs drive a plan's risk: Morris screening and Sobol indices (issue 19).

A design (SALib) sets each factor of :mod:`sim.uncertainty` to values in its range; every
design point is the scenario with those values, run for the same replication seeds as every
other point (common random numbers: two points differ only by their inputs, so the dummy
factor's effect is zero to the bit). The outputs are each metric's mean over the
replications; the analysis gives, per metric and factor:

* Morris (``method="morris"``, ``samples`` trajectories of ``factors + 1`` points): ``mu_star``,
  the mean absolute elementary effect: each step moves a factor by ``DELTA`` (2/3) of its
  range and SALib divides the metric's change by ``DELTA``, so it is in the metric's units per
  whole range (a linear effect's change from low to high) and factors of different units
  rank on one scale; ``sigma`` is the spread of
  the effects: interaction or non-linearity), with a bootstrap interval of ``mu_star``;
* Sobol (``method="sobol"``, Saltelli's design of ``samples x (factors + 2)`` points,
  ``samples`` a power of two): first-order ``S1`` and total-order ``ST`` shares of the
  metric's variance, with bootstrap intervals.

Finished points are saved one file each in ``out/points/`` as they finish, so an interrupted
analysis continues where it stopped (``resume``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.files import open_resumable, save_piece, write_parquet
from sim.scenario import Scenario
from sim.streams import replication_seeds
from sim.uncertainty import Factor, apply_point

METHODS = ("morris", "sobol")
#: What an architect asks first: the total, the backlog, oversell and refund time.
DEFAULT_METRICS = ("total_risk_cost", "exception_backlog_peak", "oversell_rate",
                   "refund_cycle_hours_mean")
#: Morris grid levels; an elementary effect is a step of DELTA (2/3) of a factor's range.
LEVELS = 4
DELTA = LEVELS / (2 * (LEVELS - 1))


class SensitivityError(ValueError):
    """A design that cannot be run, or an output folder that does not match it."""


@dataclass
class SensitivityResult:
    """A finished analysis.

    Attributes:
        method: ``morris`` or ``sobol``.
        factors: The factors, in design-column order.
        design: One row per design point (``point`` and one column per factor).
        outputs: One row per design point (``point`` and each metric's replication mean).
        indices: Tidy: ``metric, factor, index, value, conf`` (``mu_star``, ``mu``, ``sigma``
            for Morris; ``S1``, ``ST`` for Sobol; ``conf`` the 95 % bootstrap half-width).
        replications: Replications per design point.
    """

    method: str
    factors: list[Factor]
    design: pd.DataFrame
    outputs: pd.DataFrame
    indices: pd.DataFrame
    replications: int
    notes: list[str] = field(default_factory=list)

    def ranking(self, metric: str) -> pd.DataFrame:
        """Factors from most to least influential on ``metric`` (``mu_star`` or ``ST``)."""
        key = "mu_star" if self.method == "morris" else "ST"
        t = self.indices[(self.indices["metric"] == metric) & (self.indices["index"] == key)]
        return t.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


def problem(factors: list[Factor]) -> dict[str, Any]:
    """The SALib problem of ``factors``."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def design(factors: list[Factor], method: str, samples: int, seed: int) -> np.ndarray:
    """The design points (rows) for ``method`` with ``samples`` trajectories or base samples.

    Raises:
        SensitivityError: An unknown method, too few samples, or a Sobol sample size that is
            not a power of two (Saltelli's design loses its balance otherwise).
    """
    prob = problem(factors)
    if method == "morris":
        from SALib.sample import morris

        if samples < 2:
            raise SensitivityError("--samples: Morris needs at least 2 trajectories")
        return morris.sample(prob, N=samples, num_levels=LEVELS, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        if samples < 2 or samples & (samples - 1):
            raise SensitivityError(f"--samples: Sobol needs a power of two (got {samples})")
        return sobol.sample(prob, N=samples, calc_second_order=False, seed=seed)
    raise SensitivityError(f"--method: '{method}' is not one of {', '.join(METHODS)}")


def analyze(factors: list[Factor], method: str, x: np.ndarray, outputs: pd.DataFrame,
            metrics: list[str], seed: int) -> tuple[pd.DataFrame, list[str]]:
    """Indices per metric and factor (tidy), and notes on metrics that could not be analysed."""
    prob = problem(factors)
    rows, notes = [], []
    for m in metrics:
        y = outputs[m].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            notes.append(f"{m}: undefined at {int(np.sum(~np.isfinite(y)))} design point(s); "
                         "not analysed")
            continue
        if method == "morris":
            from SALib.analyze import morris

            r = morris.analyze(prob, x, y, num_levels=LEVELS, seed=seed)
            for i, f in enumerate(factors):
                rows += [{"metric": m, "factor": f.name, "index": "mu_star",
                          "value": float(r["mu_star"][i]), "conf": float(r["mu_star_conf"][i])},
                         {"metric": m, "factor": f.name, "index": "mu",
                          "value": float(r["mu"][i]), "conf": np.nan},
                         {"metric": m, "factor": f.name, "index": "sigma",
                          "value": float(r["sigma"][i]), "conf": np.nan}]
        else:
            from SALib.analyze import sobol

            if np.ptp(y) == 0:
                notes.append(f"{m}: the same at every design point; no variance to share out")
                continue
            r = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
            for i, f in enumerate(factors):
                rows += [{"metric": m, "factor": f.name, "index": k, "value": float(r[k][i]),
                          "conf": float(r[f"{k}_conf"][i])} for k in ("S1", "ST")]
    cols = ["metric", "factor", "index", "value", "conf"]
    return pd.DataFrame(rows, columns=cols), notes


# --- running a design ------------------------------------------------------------------------


def _manifest(scenario: Scenario, factors: list[Factor], method: str, samples: int, seed: int,
              replications: int) -> dict[str, Any]:
    from sim.experiment import scenario_hash

    return {"scenario": scenario.name, "scenario_hash": scenario_hash(scenario),
            "method": method, "samples": samples, "seed": seed, "replications": replications,
            "factors": [[f.name, f.low, f.high] for f in factors]}


def run_sensitivity(scenario: Scenario, factors: list[Factor], method: str = "morris",
                    samples: int = 10, metrics: list[str] | None = None,
                    replications: int = 1, seed: int = 1, workers: int = 1,
                    scheduler: str | None = None, out: str | Path | None = None,
                    resume: bool = False, force: bool = False,
                    on_point: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Run a sensitivity design on ``scenario`` and analyse it.

    Args:
        scenario: The plan whose risk is analysed.
        factors: The uncertain inputs (:func:`sim.uncertainty.select`).
        method: ``morris`` (screening) or ``sobol`` (variance shares).
        samples: Morris trajectories, or Sobol's base sample size (a power of two).
        metrics: Metrics analysed (default :data:`DEFAULT_METRICS`).
        replications: Replications per design point, the same seeds at every point.
        seed: Seed of the design and master seed of the replications.
        workers: Local worker processes.
        scheduler: A Dask scheduler address (overrides ``workers``).
        out: Folder for the design, each finished point, and the tables (parquet).
        resume: Continue the analysis ``out`` holds (same settings).
        force: Replace the analysis ``out`` holds.
        on_point: Called with (points finished, points in all) as points finish.

    Returns:
        The design, its outputs and the indices.
    """
    from sim.executors import execute_tasks
    from sim.experiment import scenario_payload
    from sim.metrics import REGISTRY

    metrics = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in metrics if m not in REGISTRY]
    if unknown:
        raise SensitivityError(f"--metric: unknown metric(s) {', '.join(unknown)}")
    x = design(factors, method, samples, seed)
    seeds = replication_seeds(seed, replications)
    # Every point's scenario is built (and checked) before anything is written or run.
    payloads = {i: scenario_payload(apply_point(scenario, factors, list(row)))
                for i, row in enumerate(x)}
    out_dir = Path(out) if out is not None else None
    done: dict[int, Any] = {}
    if out_dir is not None:
        try:
            saved = open_resumable(out_dir, _manifest(scenario, factors, method, samples,
                                                      seed, replications),
                                   resume, force, "an analysis")
        except ValueError as e:
            raise SensitivityError(str(e)) from None
        # Saved JSON writes an undefined metric (NaN) as null.
        done = {int(rec["point"]): {m: [np.nan if v is None else v for v in vals]
                                    for m, vals in rec["metrics"].items()} for rec in saved}
        write_parquet(out_dir / "design.parquet", _design_table(factors, x))
    tasks = [((i, r), payloads[i], s) for i in payloads if i not in done
             for r, s in enumerate(seeds)]
    partial: dict[int, dict[int, dict[str, float]]] = {}
    if on_point:
        on_point(len(done), len(x))
    for (i, r), res in execute_tasks(tasks, workers, scheduler):
        partial.setdefault(i, {})[r] = res["metrics"]
        if len(partial[i]) == replications:
            reps = [partial.pop(i)[k] for k in range(replications)]
            done[i] = {m: [float(rep[m]) for rep in reps] for m in reps[0]}
            if out_dir is not None:
                save_piece(out_dir, f"point_{i:05d}", {"point": i, "metrics": done[i]})
            if on_point:
                on_point(len(done), len(x))
    outputs = pd.DataFrame([{"point": i, **{m: float(np.mean(done[i][m])) for m in metrics}}
                            for i in range(len(x))])
    indices, notes = analyze(factors, method, x, outputs, metrics, seed)
    result = SensitivityResult(method, factors, _design_table(factors, x), outputs, indices,
                               replications, notes)
    if out_dir is not None:
        write_parquet(out_dir / "outputs.parquet", outputs)
        write_parquet(out_dir / "indices.parquet", indices)
    return result


def _design_table(factors: list[Factor], x: np.ndarray) -> pd.DataFrame:
    t = pd.DataFrame(x, columns=[f.name for f in factors])
    t.insert(0, "point", np.arange(len(x)))
    return t
