"""The best plan under risk limits: optuna over a decision space, with common random numbers.

Each trial sets the space's variables (:mod:`sim.space`) on the scenario and runs it for the
same replication seeds as every other trial, so trials differ only by their decisions. The
objective is a metric's statistic over the replications (``total_risk_cost`` mean by default,
in the metric's direction); a trial is feasible when every constraint's statistic is within
its bound (optuna's constrained TPE learns from how far it is not). A combination the
scenario rejects (a go-live in a freeze with ``freeze_policy = "error"``...) is a failed trial
with its reason.

The search is sequential and seeded (TPE with ``seed``), and every evaluated combination is
saved in ``out/points/`` as it finishes; a resumed search replays the same sequence, reading
the saved evaluations instead of running them again, so it ends where an uninterrupted one
would. The best few feasible trials are then run again on fresh seeds (the next
``replications`` seeds of the same master seed): the search's best is biased low by the
selection itself (the winner's curse), the fresh estimate is not, and the plan chosen is
the best of them on fresh seeds. It is written as ``best_scenario.toml``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.files import atomic_write, open_resumable, save_piece, write_json, write_parquet
from sim.loader import ScenarioError, parse_scenario
from sim.scenario import Scenario
from sim.space import ORDER, SELECTION, Constraint, Space, Variable, statistic
from sim.streams import replication_seeds


class OptimizeError(ValueError):
    """Settings that cannot be optimised, or an output folder that does not match them."""


@dataclass
class OptimizeResult:
    """A finished search.

    Attributes:
        trials: One row per trial: ``trial``, each variable, ``objective``, ``feasible``,
            each constraint's statistic, and ``error`` (why a combination was rejected).
        finalists: The best feasible trials run again on fresh seeds: their variables, the
            objective on the search seeds and on fresh seeds, feasibility on fresh seeds.
        best: The chosen decisions (variable -> value); empty when no trial was feasible.
        best_scenario: The scenario with them (None when no trial was feasible).
    """

    trials: pd.DataFrame
    finalists: pd.DataFrame
    best: dict[str, float]
    best_scenario: Scenario | None


def _suggest(trial: Any, v: Variable) -> float | str:
    if v.key == ORDER:
        return trial.suggest_categorical(v.key, v.orders())
    if v.choices is not None:
        return trial.suggest_categorical(v.key, v.choices)
    assert v.low is not None and v.high is not None
    if v.integer:
        return int(trial.suggest_int(v.key, int(v.low), int(v.high), step=int(v.step or 1)))
    return float(trial.suggest_float(v.key, v.low, v.high, step=v.step))


def with_decisions(scenario: Scenario, decisions: dict[str, Any]) -> Scenario:
    """The scenario with each decision set (raises ``ScenarioError`` if it rejects them).

    A wave order (``waves.order = "3,1,2"``) gives the listed waves' slots, in order, the
    store selections of the waves named; each slot keeps its dates and staff.
    """
    raw = scenario.model_dump(mode="json")
    decisions = dict(decisions)
    order = decisions.pop(ORDER, None)
    if order is not None:
        src = [int(w) for w in str(order).split(",")]
        old = [dict(w) for w in raw["waves"]]
        for slot, wave in zip(sorted(src), src, strict=True):
            for f in SELECTION:
                raw["waves"][slot][f] = old[wave][f]
    out = parse_scenario(raw, scenario.source or "<scenario>", decisions)
    out._source = scenario.source
    return out


class _Evaluator:
    """Runs a combination's replications once; saved evaluations are read back, not rerun."""

    def __init__(self, scenario: Scenario, seeds: list[int], workers: int,
                 scheduler: str | None, out: Path | None, saved: list[dict[str, Any]]) -> None:
        self.sc, self.seeds, self.workers, self.scheduler = scenario, seeds, workers, scheduler
        self.out = out
        self.cache = {rec["key"]: rec for rec in saved}

    @staticmethod
    def key(decisions: dict[str, float], seeds: list[int]) -> str:
        text = json.dumps([sorted(decisions.items()), seeds])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __call__(self, decisions: dict[str, float], seeds: list[int] | None = None
                 ) -> dict[str, Any]:
        from sim.executors import execute_tasks
        from sim.experiment import scenario_payload

        seeds = seeds or self.seeds
        key = self.key(decisions, seeds)
        if key in self.cache:
            return self.cache[key]
        rec: dict[str, Any] = {"key": key, "decisions": decisions, "seeds": seeds,
                               "metrics": None, "error": None}
        try:
            sc = with_decisions(self.sc, decisions)
        except ScenarioError as e:
            rec["error"] = "; ".join(f"{err.path}: {err.problem}" for err in e.errors)
        else:
            payload = scenario_payload(sc)
            reps: dict[int, dict[str, float]] = {}
            tasks = [(r, payload, s) for r, s in enumerate(seeds)]
            for r, res in execute_tasks(tasks, self.workers, self.scheduler):
                reps[r] = res["metrics"]
            rec["metrics"] = {m: [reps[r][m] for r in range(len(seeds))] for m in reps[0]}
        if self.out is not None:
            save_piece(self.out, key, rec)
        self.cache[key] = rec
        return rec


def optimize(scenario: Scenario, space: Space, objective: str = "total_risk_cost",
             stat: str = "mean", constraints: list[Constraint] | None = None,
             trials: int = 30, replications: int = 3, seed: int = 1, workers: int = 1,
             scheduler: str | None = None, out: str | Path | None = None,
             resume: bool = False, force: bool = False, finalists: int = 3,
             on_trial: Callable[[int, int], None] | None = None,
             second: tuple[str, str] | None = None) -> OptimizeResult:
    """Search the space for the plan with the best objective within the constraints.

    With a ``second`` objective the search is optuna's NSGA-II and the result is the Pareto
    front of the feasible trials (no trial better on both), every member run again on fresh
    seeds (``finalists`` applies to one objective only); the plan written is the front's best
    on the first objective on fresh seeds.

    Args:
        scenario: The plan the decisions are made on.
        space: The decision variables.
        objective: The metric optimised, in its registered direction.
        stat: Its statistic over a trial's replications (``mean``, ``p50``... ``p95``).
        constraints: Bounds every chosen plan must keep (:func:`sim.space.parse_constraint`).
        trials: Trials of the search (a combination tried twice is evaluated once).
        replications: Replications per trial, the same seeds for every trial.
        seed: Seed of the sampler and master seed of the replications.
        workers: Local worker processes for a trial's replications.
        scheduler: A Dask scheduler address (overrides ``workers``).
        out: Folder for every evaluation, the tables and the best scenario.
        resume: Continue the search ``out`` holds (same settings).
        force: Replace the search ``out`` holds.
        finalists: Best feasible trials run again on fresh seeds.
        on_trial: Called with (trials finished, trials in all).
        second: A second objective ``(metric, stat)``, optimised together with the first.
    """
    import optuna

    from sim.metrics import REGISTRY

    constraints = list(constraints or [])
    goals = [(objective, stat)] + ([second] if second else [])
    for metric, _ in goals:
        if metric not in REGISTRY:
            raise OptimizeError(f"--objective: unknown metric '{metric}'")
    directions = [REGISTRY[m].lower_is_better for m, _ in goals]
    minimize = directions[0]
    seeds = replication_seeds(seed, replications)
    out_dir = Path(out) if out is not None else None
    saved: list[dict[str, Any]] = []
    if out_dir is not None:
        from sim.experiment import scenario_hash

        manifest = {"scenario": scenario.name, "scenario_hash": scenario_hash(scenario),
                    "space": space.model_dump(),
                    "objective": [f"{m}.{s}" for m, s in goals],
                    "constraints": [str(c) for c in constraints], "trials": trials,
                    "replications": replications, "seed": seed}
        try:
            saved = open_resumable(out_dir, manifest, resume, force, "a search")
        except ValueError as e:
            raise OptimizeError(str(e)) from None
    evaluate = _Evaluator(scenario, seeds, workers, scheduler, out_dir, saved)
    rows: list[dict[str, Any]] = []

    def judged(rec: dict[str, Any]) -> tuple[list[float], list[float], dict[str, float]]:
        vals = {str(c): statistic(rec["metrics"][c.metric], c.stat) for c in constraints}
        viol = [c.violation(vals[str(c)]) for c in constraints]
        return [statistic(rec["metrics"][m], s) for m, s in goals], viol, vals

    def run_trial(trial: Any) -> float | tuple[float, ...]:
        decisions = {v.key: _suggest(trial, v) for v in space.variables}
        rec = evaluate(decisions)
        row: dict[str, Any] = {"trial": trial.number, **decisions, "error": rec["error"]}
        if rec["error"] is not None:
            rows.append({**row, **_named([np.nan] * len(goals)), "feasible": False})
            # A failed trial: optuna samples elsewhere.
            return float("nan") if len(goals) == 1 else (float("nan"),) * len(goals)
        values, viol, vals = judged(rec)
        for c, x in zip(constraints, viol, strict=True):
            trial.set_constraint(str(c), x)  # > 0: infeasible, by how much
        rows.append({**row, **_named(values), "feasible": all(x <= 0 for x in viol), **vals})
        return values[0] if len(goals) == 1 else tuple(values)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if second is None:
        sampler = optuna.samplers.TPESampler(seed=seed,
                                             n_startup_trials=min(10, max(trials // 3, 3)))
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed,
                                                population_size=min(20, max(trials // 4, 4)))
    study = optuna.create_study(directions=["minimize" if d else "maximize"
                                            for d in directions], sampler=sampler)
    for n in range(trials):
        study.optimize(run_trial, n_trials=1)
        if on_trial:
            on_trial(n + 1, trials)
    table = pd.DataFrame(rows)
    fresh = replication_seeds(seed, 2 * replications)[replications:]
    pool = table[table["feasible"]] if len(table) else table
    if second is not None and len(pool):
        pool = pool[pareto_mask(pool[["objective", "objective_2"]].to_numpy(), directions)]
    # The whole front is run again: cutting it would drop one end of the trade-off.
    final, best = _final(pool, space, evaluate, fresh, judged,
                         finalists if second is None else len(pool), minimize)
    best_sc = with_decisions(scenario, best) if best else None
    if out_dir is not None:
        write_parquet(out_dir / "trials.parquet", table)
        write_parquet(out_dir / "finalists.parquet", final)
        write_json(out_dir / "best.json", {"objective": [f"{m}.{s}" for m, s in goals],
                                           "constraints": [str(c) for c in constraints],
                                           "decisions": best, "search_seeds": seeds})
        if best_sc is not None:
            chosen = describe_decisions(best)
            write_scenario(best_sc, out_dir / "best_scenario.toml",
                           f"rollout-sim optimize chose {chosen} for {objective}.{stat}")
    return OptimizeResult(table, final, best, best_sc)


def _named(values: list[float]) -> dict[str, float]:
    """Objective columns: ``objective``, then ``objective_2``."""
    return {("objective" if i == 0 else f"objective_{i + 1}"): v for i, v in enumerate(values)}


def pareto_mask(values: np.ndarray, lower_is_better: list[bool]) -> np.ndarray:
    """Rows no other row beats on every objective while being strictly better on one."""
    v = np.where(np.asarray(lower_is_better), values, -values)  # all "lower is better"
    keep = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        others = np.delete(v, i, axis=0)
        keep[i] = not np.any(np.all(others <= v[i], axis=1) & np.any(others < v[i], axis=1))
    return keep


def _final(ok: pd.DataFrame, space: Space, evaluate: _Evaluator, fresh: list[int],
           judged: Callable, finalists: int, minimize: bool
           ) -> tuple[pd.DataFrame, dict[str, float]]:
    """The best feasible trials again on fresh seeds; the best of them on those seeds."""
    keys = [v.key for v in space.variables]
    if not len(ok):
        return pd.DataFrame(), {}
    top = (ok.sort_values("objective", ascending=minimize, kind="stable")
           .drop_duplicates(subset=keys).head(finalists))
    rows = []
    for _, t in top.iterrows():
        decisions = {k: t[k] for k in keys}
        values, viol, _ = judged(evaluate(decisions, fresh))
        rows.append({**decisions, "trial": int(t["trial"]), "objective_search": t["objective"],
                     "objective_fresh": values[0], "feasible_fresh": all(x <= 0 for x in viol)})
        if len(values) > 1:
            rows[-1].update({"objective_2_search": t["objective_2"],
                             "objective_2_fresh": values[1]})
    final = pd.DataFrame(rows)
    pool = final[final["feasible_fresh"]] if final["feasible_fresh"].any() else final
    pick = pool.sort_values("objective_fresh", ascending=minimize, kind="stable").iloc[0]
    return final, {v.key: _plain(pick[v.key], v) for v in space.variables}


def _plain(value: Any, v: Variable) -> float | int | str:
    """A decision as the scenario file holds it (a word, a whole number, or a float)."""
    if isinstance(value, str):
        return value
    return int(value) if v.integer else float(value)


def describe_decisions(decisions: dict[str, Any]) -> str:
    """``key = value, ...`` as the report and the command print the chosen plan."""
    return ", ".join(f"{k} = {v:g}" if isinstance(v, int | float) else f"{k} = {v}"
                     for k, v in decisions.items())


def write_scenario(scenario: Scenario, path: Path, note: str = "") -> None:
    """Write a scenario as TOML that loads back to the same settings (network path absolute).

    ``note`` goes in a comment at the top (the settings, hence the scenario's hash, are
    exactly the scenario's).
    """
    import tomli_w

    raw = scenario.model_dump(mode="json", exclude_none=True)
    folder = scenario.network_dir()
    if folder is not None:
        raw.setdefault("network", {})["path"] = str(folder.resolve())
    text = (f"# {note}\n" if note else "") + tomli_w.dumps(raw)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
