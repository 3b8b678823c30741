"""When a run is too small or too short to rank plans: one home for the rule (issue 16).

A slice keeps the plan's shares (wave counts, per-store loads, what the pilot teaches), so
its exception rates per store match the full network's, and its default-staffed teams are
the whole network's, serving stand-ins for the stores the slice leaves out
(:mod:`sim.model.desk.stand_ins`), so its waits and backlogs are the network's too. What a
slice cannot keep is a small wave's share: a wave is whole stores, at least one, so the
8-store pilot of 600 (1.3 %) is 1 store of 30 (3.3 %), and its go-live loads weigh more
than at full scale. Too few replications leave intervals too wide to tell plans apart, and a
run shorter than a year leaves out the peak season and late waves.
The CLI, the report and the notebooks print these caveats with a comparison instead of a
confident verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sim.scenario import Scenario

#: Replications below which a ranking is not offered as a verdict.
MIN_REPLICATIONS = 5
#: A year: peak season, January returns and every shipped plan's waves.
FULL_YEAR_WEEKS = 52
#: Relative difference between a wave's share of a slice and of the network that is named.
WAVE_SHARE_TOLERANCE = 0.25


class _Run(Protocol):
    n: int
    source: Scenario | None


def wave_share_gap(scenario: Scenario) -> tuple[str, float, float, int]:
    """The wave whose share of a slice's stores is furthest from its share of the network.

    Returns:
        The wave's name, its share of the run's stores, its share of the whole network's, and
        the stores a slice needs to keep a ``count`` wave within :data:`WAVE_SHARE_TOLERANCE`
        (a wave rounds to whole stores, so half a store's error must stay within the
        tolerance; 0 for a wave selected otherwise). ``("", 0, 0, 0)`` for the whole network.
    """
    from sim.plan import assign_waves, build_plan, scenario_network

    plan = build_plan(scenario)
    if plan.store_share >= 1.0 or not scenario.waves:
        return ("", 0.0, 0.0, 0)
    net = scenario_network(scenario).stores
    full = assign_waves(scenario, net.reset_index(drop=True))
    best = ("", 0.0, 0.0, 0)
    worst = 0.0
    for i, wave in enumerate(scenario.waves):
        mine = float(np.mean(plan.wave_of_store == i))
        theirs = float(np.mean(full == i))
        gap = abs(mine - theirs) / theirs if theirs > 0 else 0.0
        if gap > worst:
            worst = gap
            need = math.ceil(0.5 / WAVE_SHARE_TOLERANCE * len(net) / wave.count) \
                if wave.count else 0
            best = (wave.name or f"wave {i}", mine, theirs, need)
    return best


def ranking_caveats(runs: Sequence[_Run]) -> list[str]:
    """Why a comparison of ``runs`` should not be read as a ranking (empty: no reason).

    Args:
        runs: Each plan's results (``n`` replications, ``source`` scenario when known).

    Returns:
        One sentence per reason: too few replications, shorter than a year, or a slice on
        which a wave's share of the stores is off the network's by more than
        :data:`WAVE_SHARE_TOLERANCE`.
    """
    out = []
    n = min((r.n for r in runs), default=0)
    if n < MIN_REPLICATIONS:
        out.append(f"only {n} replication{'s' if n != 1 else ''} per plan: intervals are too "
                   f"wide to rank on; run at least {MIN_REPLICATIONS} (or --precision)")
    sources = [r.source for r in runs if r.source is not None]
    if not sources:
        return out
    weeks = min(s.horizon_weeks for s in sources)
    if weeks < FULL_YEAR_WEEKS:
        out.append(f"{weeks} weeks: shorter than a year, so the peak season, January returns "
                   f"and later waves may fall outside the run; rank plans on "
                   f"{FULL_YEAR_WEEKS} weeks")
    gaps = [wave_share_gap(s) for s in sources]
    name, mine, theirs, need = max(gaps, key=lambda g: abs(g[1] - g[2]) / max(g[2], 1e-12))
    if theirs > 0 and abs(mine - theirs) > WAVE_SHARE_TOLERANCE * theirs:
        more = f"use at least {need} stores" if need else "use more stores"
        out.append(f"a slice on which wave '{name}' is {mine:.1%} of the stores against "
                   f"{theirs:.1%} of the whole network's (waves are whole stores): its go-live "
                   f"loads weigh differently than at full scale; {more}")
    return out
