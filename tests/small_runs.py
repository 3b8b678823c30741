"""Small scenarios that tests in several files run, and the helpers that build them.

The runs several files read are built once, in ``tests/conftest.py``, from these helpers; a test
that compares its own run with a shared one builds it with the same helper, so both differ only
in what the test changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import sim
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent

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


def metrics_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())["metrics"]
