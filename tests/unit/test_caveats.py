"""When a comparison is too small or too short to rank plans (issue 16, faithful slices)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import sim
from sim.caveats import ranking_caveats, wave_share_gap
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


@pytest.mark.parametrize(("n", "extra", "name", "says"), [
    (2, [], "baseline_legacy", "only 2 replications"),
    (5, ["horizon_weeks=20"], "baseline_legacy", "20 weeks: shorter than a year"),
    (5, ["network.stores=30"], "pilot_then_waves",
     "wave 'pilot' is 3.3% of the stores against 1.3% of the whole network's"),
])
def test_each_reason_is_named(n, extra, name, says):
    caveats = ranking_caveats([_Run(n, _plan(*extra, name=name))])
    assert len(caveats) == 1 and says in caveats[0], caveats


def test_a_slice_without_waves_is_a_miniature():
    # Teams are the whole network's (stand-ins serve the rest), so nothing to say.
    assert ranking_caveats([_Run(5, _plan("network.stores=30", name="baseline_legacy"))]) == []


def test_the_wave_share_gap_names_the_stores_a_count_wave_needs():
    # The 8-store pilot of 600: half a store within 25 % of its share takes 150 stores.
    assert wave_share_gap(_plan("network.stores=30")) == (
        "pilot", pytest.approx(1 / 30), pytest.approx(8 / 600), 150)
    assert wave_share_gap(_plan("network.stores=150"))[0] != "pilot"
    assert wave_share_gap(_plan()) == ("", 0.0, 0.0, 0)
