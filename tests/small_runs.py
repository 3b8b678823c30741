"""Small scenarios that tests in several files run, and the helpers that build them.

The runs several files read are built once, in ``tests/conftest.py``, from these helpers; a test
that compares its own run with a shared one builds it with the same helper, so both differ only
in what the test changes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

import sim
from sim.experiment import RunResult, scenario_hash
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent

# --- runs shared by the suite's test processes ------------------------------------------------

T = TypeVar("T")
#: Where the test processes of one pytest-xdist session leave the runs they share (set by
#: tests/conftest.py in each worker; None without xdist: one process, memory suffices).
SHARED_DIR: Path | None = None
_made: dict[str, object] = {}


def shared(key: str, make: Callable[[], T]) -> T:
    """``make()``, made once per test session and read by every test process that asks.

    Under pytest-xdist the first worker to ask makes it under a file lock and pickles it;
    another asking meanwhile waits for it rather than making it again. ``make`` must not ask
    for another shared run (two workers could then wait on each other). Callers only read it.
    """
    if key in _made:
        return _made[key]  # type: ignore[return-value]
    if SHARED_DIR is None:
        value = make()
    else:
        SHARED_DIR.mkdir(parents=True, exist_ok=True)
        path = SHARED_DIR / f"{hashlib.sha1(key.encode()).hexdigest()}.pkl"
        with FileLock(f"{path}.lock"):
            if path.exists():
                value = pickle.loads(path.read_bytes())
            else:
                value = make()
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                tmp.replace(path)
    _made[key] = value
    return value


def shared_cache(fn: Callable[..., T]) -> Callable[..., T]:
    """``functools.cache`` across the suite's test processes: each call's result is
    :func:`shared`, keyed by the function and its (hashable, repr-stable) arguments."""
    @functools.wraps(fn)
    def cached(*args):
        return shared(f"{fn.__module__}.{fn.__qualname__}{args!r}", lambda: fn(*args))

    return cached


def shared_run(scn: Scenario, seed: int) -> sim.ReplicationResult:
    """``sim.run_replication(scn, seed)`` made once per suite (:func:`shared`, keyed by the
    scenario's hash): a plan several tests, or several checks of one, compare is not rerun."""
    return shared(f"run-{scenario_hash(scn)}-{seed}", lambda: sim.run_replication(scn, seed))


# --- the operations engine on a small network (30 stores, 6 weeks) ----------------------------

SMALL = {"network": {"stores": 30, "skus": 60}, "horizon_weeks": 6}


def scenario(**kw) -> Scenario:
    data = {**SMALL, **kw}
    return Scenario.model_validate(data)


# --- the journeys (returns, promotions, finance): 30 stores, 8 weeks, one seed ----------------

JOURNEYS = {"name": "baseline_legacy", "network": {"stores": 30, "skus": 60}, "horizon_weeks": 8}
JOURNEYS_SEED = 13


def journey_run(**kw):
    return sim.run_replication(Scenario.model_validate({**JOURNEYS, **kw}), JOURNEYS_SEED)


def enterprise(area: str) -> dict:
    return {"harmonization": {area: {"mode": "enterprise", "from_week": 1}}}


# --- experiments: a shipped plan on a tiny slice ----------------------------------------------

TINY = ["network.stores=20", "network.skus=40", "horizon_weeks=3"]


def tiny(name: str = "baseline_legacy", extra: list[str] | None = None):
    return sim.load_scenario(ROOT / "scenarios" / f"{name}.toml", TINY + (extra or []))


# --- the shipped plans at the committed baselines' settings ----------------------------------

BASELINES = ROOT / "tests" / "baselines"
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def baseline_run(stem: str) -> RunResult:
    """A shipped plan run as its committed baseline was recorded (scale, seed, replications).

    The baseline test and the metric-range test read the same run (:func:`shared`).
    """
    def make() -> RunResult:
        base = json.loads((BASELINES / f"{stem}.json").read_text())
        sc = sim.load_scenario(ROOT / "scenarios" / f"{stem}.toml", base["overrides"])
        return sim.run(sc, base["replications"], base["seed"])

    return shared(f"baseline-{stem}", make)


def last_dated_week(paths: list[Path]) -> int:
    """The last week these scenarios date anything in (a go-live, a harmonization start, a
    declared disruption).

    A horizon a week past it runs every wave's go-live at the fewest simulated hours (the
    loader refuses a horizon that ends before a dated week).
    """
    from sim.scenario import AREAS

    weeks = [0]
    for path in paths:
        sc = sim.load_scenario(path)
        weeks += [w.go_live_week for w in sc.waves] + [sc.central.go_live_week or 0]
        weeks += [getattr(sc.harmonization, a).from_week or 0 for a in AREAS]
        weeks += [d.start_week or 0 for d in sc.disruptions]
    return max(weeks)


def metrics_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())["metrics"]
