"""Erlang C on the team queue (docs/model_validity.md, Checks).

With Poisson arrivals, exponential handling and constant staff, the FCFS team queue
(sim.model.desk.teams, run by sim.validation.team_queue) has the M/M/c mean wait at
utilizations 0.5 to 0.95, within a batch-means confidence interval; its utilization and
Little's law on the simulated path agree too.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from sim.validation import BATCHES, erlang_c_wait, team_queue


def test_erlang_c_closed_forms() -> None:
    for rho in (0.3, 0.7, 0.95):
        assert erlang_c_wait(rho, 1, 1.0) == pytest.approx(rho / (1 - rho))  # M/M/1
        assert erlang_c_wait(2 * rho, 2, 1.0) == pytest.approx(rho**2 / (1 - rho**2))  # M/M/2
    assert erlang_c_wait(1.0, 1, 1.0) == math.inf
    assert 0 < erlang_c_wait(480.0, 500, 1.0) < 1.0  # stable for large teams


# Horizons chosen for a batch-means relative standard error under ~8% in under a second each.
MMC_CASES = [
    # (utilization, staff, mean handling h, horizon h)
    (0.5, 1, 1.0, 100_000),
    (0.8, 3, 1.0, 40_000),
    (0.9, 8, 2.0, 40_000),
    (0.95, 4, 0.5, 40_000),
]


@pytest.mark.parametrize(("rho", "staff", "handling", "hours"), MMC_CASES)
def test_team_queue_matches_erlang_c_and_littles_law(
    rho: float, staff: int, handling: float, hours: int
) -> None:
    lam = rho * staff / handling
    r = team_queue(lam, staff, handling, hours, seed=20240501)
    expected = erlang_c_wait(lam, staff, handling)
    se = r["mean_wait_stderr"]
    # The check is only informative if the run resolves the wait well.
    assert se < 0.1 * expected
    # Two-sided 99.9% batch-means interval (t with BATCHES - 1 degrees of freedom).
    tol = stats.t.ppf(1 - 0.0005, BATCHES - 1) * se
    assert abs(r["mean_wait_hours"] - expected) < tol

    # Utilization: busy time is the handling of the window's arrivals, whose total has a
    # relative standard error of about sqrt(2 / n) (Poisson count and exponential sizes).
    span = hours * 0.95
    n = lam * span
    assert abs(r["utilization"] - rho) < 4 * rho * math.sqrt(2 / n)
    assert r["served"] > 0.9 * lam * hours

    # Little's law holds exactly on the sample path but for the two window edges, each of
    # which shifts the estimate by about (number waiting x wait) / span.
    little = r["arrivals_per_hour"] * r["mean_wait_hours"]
    edge = r["mean_in_queue"] * r["mean_wait_hours"] / span
    assert abs(r["mean_in_queue"] - little) < 10 * edge + 1e-12
