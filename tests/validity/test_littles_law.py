"""Little's law on every team queue of a run (docs/model_validity.md, Checks).

Time-average open items = arrival rate x mean time in system on each team queue of a small legacy
run: the backlog figures and the waits the model reports are consistent.
"""

from __future__ import annotations

import numpy as np
import pytest
from small_runs import scenario

import sim


def test_littles_law_on_every_team_queue():
    """Time-average open items (sampled each minute) = arrival rate x mean time in system."""
    s = sim.Simulation(scenario(), seed=2)
    s.run()
    end = float(s.world.horizon_hours)
    grid = np.arange(0.0, end, 1 / 60)
    for name, team in s.desk.teams.items():
        r = team.results()
        if len(r["arrival"]) < 20:
            continue
        fin = np.where(np.isnan(r["finish"]), end, np.minimum(r["finish"], end))
        arr = r["arrival"][r["arrival"] < end]
        fin = fin[r["arrival"] < end]
        lam = len(arr) / end
        w = float(np.mean(fin - arr))
        opened = np.searchsorted(np.sort(arr), grid, side="right")
        closed = np.searchsorted(np.sort(fin), grid, side="right")
        l_avg = float(np.mean(opened - closed))
        assert l_avg == pytest.approx(lam * w, rel=0.02, abs=0.01), name
