"""Team queues against queueing theory (docs/model_validity.md, Checks).

* A team with one person on duty around the clock, Poisson arrivals and the desk's lognormal
  handling times (cv 0.8) is an M/G/1 queue: its mean wait must match the Pollaczek-Khinchine
  formula, which holds for any handling-time distribution.
* Little's law on a model run: the backlog the teams report over time (``open_count``, which
  the gates, fallback and backlog metrics read) averages to arrival rate x mean time in
  system computed from the items' own arrival and finish times.

(Erlang C for exponential handling is in ``test_erlang_c.py``.) The first fails if the queue
serves out of order, skips a server or ignores the handling times' spread (exponential handling,
cv 1, waits 21 % longer); the second if the backlog count disagrees with the items' records.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from small_runs import scenario

import sim
from sim.model.desk.teams import TeamQueue

HOURS = 150_000


def _mean_wait(staff: int, lam: float, handling, seeds=(1, 2, 3)) -> float:
    """Mean wait (start - arrival) of a 24x7 team of ``staff``, pooled over seeds."""
    waits = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        n = rng.poisson(lam * HOURS)
        arrival = np.sort(rng.uniform(0.0, HOURS, n))
        q = TeamQueue("q", np.full(HOURS + 1000, staff, dtype=np.int64), sla_hours=8.0)
        q.add_many(arrival, handling(rng, n), kind=0)
        q.serve_until(float(HOURS + 1000))
        r = q.results()
        keep = r["arrival"] > 1000.0  # past the warm-up from an empty queue
        waits.append(r["start"][keep] - r["arrival"][keep])
    return float(np.mean(np.concatenate(waits)))


def test_one_person_team_waits_as_pollaczek_khinchine_says():
    lam, mean, cv = 0.6, 1.0, 0.8  # utilisation 0.6; the desk's handling_cv
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2.0
    w = _mean_wait(1, lam, lambda rng, n: rng.lognormal(mu, sigma, n))
    rho = lam * mean
    second_moment = mean * mean * (1.0 + cv * cv)
    assert w == pytest.approx(lam * second_moment / (2.0 * (1.0 - rho)), rel=0.06)  # 1.23 h


def test_reported_backlog_obeys_littles_law_on_every_team():
    """Time-average of each team's reported backlog = arrival rate x mean time in system.

    The backlog is read as the gates read it, during the run: each hour, half an hour after
    the desk served up to it, ``open_count`` of that hour (its incremental path, from the
    items in service and the waiting queue, not from the records compared with).
    """
    s = sim.Simulation(scenario(), seed=2)
    trace: dict[str, list[int]] = {name: [] for name in s.desk.teams}

    def sample():
        yield s.env.timeout(0.5)
        while True:
            t = s.env.now - 0.5
            for name, team in s.desk.teams.items():
                trace[name].append(team.open_count(t))
            yield s.env.timeout(1.0)

    s.env.process(sample())
    s.run()
    end = float(s.world.horizon_hours)
    checked = 0
    for name, team in s.desk.teams.items():
        r = team.results()
        if len(r["arrival"]) < 20:
            continue
        mine = r["arrival"] < end
        arr = r["arrival"][mine]
        fin = np.where(np.isnan(r["finish"][mine]), end, np.minimum(r["finish"][mine], end))
        lam_w = float(np.sum(fin - arr)) / end  # lambda x W over the horizon
        l_avg = float(np.mean(trace[name][: int(end)]))
        assert l_avg == pytest.approx(lam_w, rel=0.05, abs=0.02), name
        checked += 1
    assert checked >= 2
