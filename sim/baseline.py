"""Regression baselines on model outputs (DESIGN §8, STYLE habit 9).

``record`` stores a scenario's summary (mean, standard error, n per metric) with the settings
that made it; ``check`` reruns the same settings and compares. With the same seed and code the
numbers are identical and the check is exact; when they differ (another seed, a changed
model), a metric passes while the difference stays within ``z`` standard errors of the two
runs combined — Monte Carlo noise, not drift.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment import RunResult, run, scenario_hash
from sim.files import write_json
from sim.loader import load_scenario

#: Standard errors a difference may span before it counts as drift.
Z_TOLERANCE = 4.0


@dataclass
class BaselineCheck:
    """The outcome of a baseline check.

    Attributes:
        table: One row per metric: metric, baseline, now, change (relative), tolerance, mark
            (``≈`` within tolerance, ``↑``/``↓`` drifted up/down, ``new``/``gone``).
        exact: Whether seed and scenario were unchanged (identical numbers expected).
    """

    table: pd.DataFrame
    exact: bool

    @property
    def ok(self) -> bool:
        """True when every metric is within tolerance."""
        return bool((self.table["mark"] == "≈").all())

    def render(self, only_drift: bool = False) -> str:
        """A plain-text table for terminals and assertion messages."""
        t = self.table[self.table["mark"] != "≈"] if only_drift else self.table
        lines = [f"{'metric':36s} {'baseline':>14s} {'now':>14s} {'change':>9s}  "]
        for r in t.itertuples():
            change = "" if r.change is None or not math.isfinite(r.change) else \
                f"{r.change:+.1%}"
            lines.append(f"{r.metric:36s} {_num(r.baseline):>14s} {_num(r.now):>14s} "
                         f"{change:>9s}  {r.mark}")
        return "\n".join(lines)


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def record(scenario_path: str | Path, out: str | Path, overrides: list[str] | None = None,
           replications: int = 4, seed: int = 1, workers: int = 1) -> dict[str, Any]:
    """Run a scenario and store its summary as a baseline file.

    Args:
        scenario_path: The scenario TOML.
        out: The baseline JSON file to write.
        overrides: ``--set`` overrides, stored with the baseline and reapplied by ``check``.
        replications: Replications to run.
        seed: Master seed.
        workers: Local worker processes.

    Returns:
        The baseline data written.
    """
    sc = load_scenario(scenario_path, overrides)
    res = run(sc, replications, seed, workers=workers)
    from sim import __version__

    data = {
        "scenario": sc.name,
        "scenario_file": Path(scenario_path).name,
        "scenario_hash": scenario_hash(sc),
        "overrides": list(overrides or []),
        "replications": replications,
        "seed": seed,
        "package_version": __version__,
        "metrics": {m: {"mean": s["mean"], "se": s["se"], "n": s["n"]}
                    for m, s in res.summary.items()},
    }
    write_json(Path(out), data)
    return data


def compare_summaries(base: dict[str, Any], now: dict[str, Any], exact: bool,
                      z: float = Z_TOLERANCE) -> BaselineCheck:
    """Compare two metric summaries ({name: {mean, se}}) within Monte Carlo noise."""
    rows = []
    for m in sorted(set(base) | set(now)):
        b, n = base.get(m), now.get(m)
        if b is None or n is None:
            rows.append({"metric": m, "baseline": (b or {}).get("mean"),
                         "now": (n or {}).get("mean"), "change": None, "tolerance": None,
                         "mark": "new" if b is None else "gone"})
            continue
        bm, nm = b["mean"], n["mean"]
        if bm is None or nm is None:
            same = bm is None and nm is None
            rows.append({"metric": m, "baseline": bm, "now": nm, "change": None,
                         "tolerance": 0.0, "mark": "≈" if same else ("↑" if bm is None
                                                                   else "↓")})
            continue
        if exact:
            tol = 1e-9 * max(1.0, abs(bm))
        else:
            se = math.hypot(b.get("se") or 0.0, n.get("se") or 0.0)
            tol = z * se + 1e-9 * max(1.0, abs(bm))
        diff = nm - bm
        mark = "≈" if abs(diff) <= tol else ("↑" if diff > 0 else "↓")
        change = diff / abs(bm) if bm != 0 else (0.0 if diff == 0 else math.inf)
        rows.append({"metric": m, "baseline": bm, "now": nm, "change": change,
                     "tolerance": tol, "mark": mark})
    return BaselineCheck(table=pd.DataFrame(rows), exact=exact)


def check(scenario_path: str | Path, against: str | Path,
          overrides: list[str] | None = None, replications: int | None = None,
          seed: int | None = None, workers: int = 1) -> BaselineCheck:
    """Rerun a scenario with a baseline's settings and compare.

    Args:
        scenario_path: The scenario TOML.
        against: The baseline file.
        overrides: Extra overrides on top of the recorded ones (e.g. to test a change).
        replications: Replications (default: as recorded).
        seed: Master seed (default: as recorded; another seed switches to noise tolerance).
        workers: Local worker processes.

    Returns:
        The comparison table; ``.ok`` tells whether every metric is within tolerance.
    """
    base = json.loads(Path(against).read_text())
    all_overrides = list(base.get("overrides", [])) + list(overrides or [])
    sc = load_scenario(scenario_path, all_overrides)
    n = replications or base["replications"]
    s = base["seed"] if seed is None else seed
    return check_result(run(sc, n, s, workers=workers), against)


def check_result(result: RunResult, against: str | Path) -> BaselineCheck:
    """Compare a run already made (``sim.run``) with a baseline.

    The check is exact when the run has the baseline's scenario (hash), seed and number of
    replications; otherwise within Monte Carlo noise, as in :func:`check`.

    Args:
        result: The run's results (its ``source`` scenario decides the hash).
        against: The baseline file.

    Returns:
        The comparison table; ``.ok`` tells whether every metric is within tolerance.
    """
    base = json.loads(Path(against).read_text())
    exact = (result.seed == base["seed"] and result.n == base["replications"]
             and result.source is not None
             and scenario_hash(result.source) == base["scenario_hash"])
    now = {m: {"mean": v["mean"], "se": v["se"]} for m, v in result.summary.items()}
    return compare_summaries(base["metrics"], now, exact=exact)


def assert_matches_baseline(scenario_path: str | Path, baseline_file: str | Path,
                            overrides: list[str] | None = None, **kwargs: Any) -> None:
    """Pytest helper: fail with a readable table when a scenario drifted from its baseline.

    Example::

        def test_my_plan_is_stable():
            assert_matches_baseline("scenarios/my_plan.toml", "tests/baselines/my_plan.json")
    """
    result = check(scenario_path, baseline_file, overrides, **kwargs)
    if not result.ok:
        raise AssertionError("scenario drifted from its baseline:\n"
                             + result.render(only_drift=True))
