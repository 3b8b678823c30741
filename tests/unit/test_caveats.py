"""When a comparison is too small or too short to rank plans (issue 16, faithful slices)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import sim
from sim.caveats import ranking_caveats, smallest_team
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class _Run:
    n: int
    source: Scenario | None


def _plan(*extra: str, name: str = "pilot_then_waves") -> Scenario:
    return sim.load_scenario(ROOT / "scenarios" / f"{name}.toml", list(extra))


def test_a_full_year_of_the_full_network_with_enough_replications_has_no_caveat():
    assert ranking_caveats([_Run(5, _plan()), _Run(8, _plan())]) == []


@pytest.mark.parametrize(("n", "extra", "says"), [
    (2, [], "only 2 replications"),
    (5, ["horizon_weeks=20"], "20 weeks: shorter than a year"),
    (5, ["network.stores=30"], "finance team stands for 0.15 people"),
])
def test_each_reason_is_named(n, extra, says):
    caveats = ranking_caveats([_Run(n, _plan(*extra, name="baseline_legacy"))])
    assert len(caveats) == 1 and says in caveats[0]


def test_the_smallest_team_names_the_stores_it_needs():
    # Finance: 0.5 people per 100 stores (3 at 600), so one person takes 200 stores.
    assert smallest_team(_plan("network.stores=30")) == ("finance", pytest.approx(0.15), 200)
    name, people, _ = smallest_team(_plan("network.stores=200"))
    assert people >= 1 or name != "finance"
