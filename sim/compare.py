"""Paired plan comparison with common random numbers (DESIGN §7).

Every plan runs with the same replication seeds, so replication *r* of each plan sees the same
customers; differences are taken replication by replication.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.aggregate import paired_difference
from sim.caveats import ranking_caveats
from sim.experiment import RunResult, run
from sim.files import write_json
from sim.metrics import REGISTRY
from sim.scenario import Scenario

RANK_METRIC = "total_risk_cost"


@dataclass
class Comparison:
    """Plans run on the same seeds, and their paired differences.

    Attributes:
        runs: Each plan's results, in the order given (the first is the reference).
        differences: Tidy table: ``plan``, ``metric``, ``mean``, ``ci_low``, ``ci_high``,
            ``ci_low_unpaired``, ``ci_high_unpaired``, ``win_share`` (share of replications
            in which the plan beats the reference on that metric).
        ranking: Plans ordered by mean ``total_risk_cost`` (lowest first), with their mean.
        caveats: Why the ranking should not be acted on (:func:`sim.caveats.ranking_caveats`:
            too few replications, shorter than a year, a slice too small); empty if none.
    """

    runs: list[RunResult]
    differences: pd.DataFrame
    ranking: pd.DataFrame
    wins: pd.DataFrame = field(default_factory=pd.DataFrame)
    caveats: list[str] = field(default_factory=list)

    def summary_frame(self) -> pd.DataFrame:
        """Every plan's summary, the paired differences and the ranking, tidy (with ``plan``).

        :func:`sim.tidy.comparison_frame` lists the statistics.
        """
        from sim.tidy import comparison_frame

        return comparison_frame(self)

    def differences_frame(self) -> pd.DataFrame:
        """The paired differences, tidy: :func:`sim.tidy.differences_frame`."""
        from sim.tidy import differences_frame

        return differences_frame(self)

    def __repr__(self) -> str:
        from sim.tidy import comparison_repr

        return comparison_repr(self)

    def to_dict(self) -> dict[str, Any]:
        """The ``comparison.json`` content."""
        from sim.verdict import verdict

        v = verdict(self)
        return {
            "reference": self.runs[0].scenario,
            "plans": [r.scenario for r in self.runs],
            "replications": self.runs[0].n,
            "seed": self.runs[0].seed,
            "ranking": self.ranking.to_dict(orient="records"),
            "caveats": self.caveats,
            "win_share_total_risk_cost": self.wins.to_dict(orient="records"),
            "differences": self.differences.to_dict(orient="records"),
            "currency": v.currency,
            "verdict": v.sentences,
            "tied_with_winner": v.tied,
        }


def _better(metric: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = REGISTRY.get(metric)
    lower = True if m is None else m.lower_is_better
    return b < a if lower else b > a


def compare_runs(runs: list[RunResult]) -> Comparison:
    """Paired differences of every plan against the first, wins and the risk ranking."""
    names = [r.scenario for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"plan names must differ to be compared: {names}")
    ref = runs[0].replications.sort_values("rep")
    metrics = [c for c in ref.columns if c not in ("rep", "seed")]
    rows = []
    for other in runs[1:]:
        tab = other.replications.sort_values("rep")
        if not np.array_equal(tab["seed"].to_numpy(), ref["seed"].to_numpy()):
            raise ValueError("plans were run with different seeds; comparisons must be paired")
        for m in metrics:
            a, b = ref[m].to_numpy(float), tab[m].to_numpy(float)
            d = paired_difference(a, b)
            ok = np.isfinite(a) & np.isfinite(b)
            rows.append({"plan": other.scenario, "metric": m, "mean": d["mean"],
                         "ci_low": d["ci95"][0], "ci_high": d["ci95"][1],
                         "ci_low_unpaired": d["ci95_unpaired"][0],
                         "ci_high_unpaired": d["ci95_unpaired"][1],
                         "win_share": float(_better(m, a[ok], b[ok]).mean()) if ok.any()
                         else None})
    cost = np.vstack([r.replications.sort_values("rep")[RANK_METRIC].to_numpy(float)
                      for r in runs])
    best = np.argmin(cost, axis=0)
    wins = pd.DataFrame({"plan": names,
                         "win_share": [float((best == i).mean()) for i in range(len(runs))]})
    ranking = pd.DataFrame({"plan": names, "total_risk_cost_mean": cost.mean(axis=1)})
    ranking = ranking.sort_values("total_risk_cost_mean", kind="stable").reset_index(drop=True)
    ranking.insert(0, "rank", np.arange(1, len(runs) + 1))
    return Comparison(runs=runs, differences=pd.DataFrame(rows), ranking=ranking, wins=wins,
                      caveats=ranking_caveats(runs))


def check_currencies(scenarios: list[Scenario]) -> None:
    """Refuse plans whose costs are in different currencies (their money cannot be compared).

    Raises:
        ValueError: Naming the currencies found.
    """
    currencies = sorted({s.costs.currency for s in scenarios})
    if len(currencies) > 1:
        raise ValueError(f"plans must state their costs in one currency to be compared "
                         f"(costs.currency: {', '.join(currencies)}); set the same "
                         "costs.currency in each file")


def compare(scenarios: list[Scenario], replications: int, seed: int, workers: int = 1,
            scheduler: str | None = None, out: str | Path | None = None, resume: bool = False,
            on_replication=None, force: bool = False, on_week=None) -> Comparison:
    """Run several plans on the same replication seeds and compare them.

    Args:
        scenarios: The plans; the first is the reference the others are compared with.
        replications: Replications per plan.
        seed: Master seed shared by every plan (common random numbers).
        workers: Local worker processes.
        scheduler: Dask scheduler address.
        out: Output folder; each plan's run goes to ``out/<plan name>/`` and the comparison
            to ``out/comparison.json``.
        resume: Continue an interrupted comparison.
        force: Replace the results ``out`` already holds.
        on_replication: Progress callback ``(plan_index, rep)``.
        on_week: Progress callback ``(plan_index, rep, week reached)``.

    Returns:
        The comparison.
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"plan names must differ to be compared: {names}")
    check_currencies(scenarios)
    runs = []
    for i, sc in enumerate(scenarios):
        cb = (lambda rep, i=i: on_replication(i, rep)) if on_replication else None
        wk = (lambda rep, week, i=i: on_week(i, rep, week)) if on_week else None
        plan_out = Path(out) / sc.name if out is not None else None
        runs.append(run(sc, replications, seed, workers=workers, scheduler=scheduler,
                        out=plan_out, resume=resume, on_replication=cb, force=force,
                        on_week=wk))
    result = compare_runs(runs)
    if out is not None:
        write_json(Path(out) / "comparison.json", result.to_dict())
    return result
