"""When a run is too small or too short to rank plans: one home for the rule (issue 16).

A slice keeps the plan's shares (wave counts, per-store loads, what the pilot teaches), so
its exception rates per store match the full network's; its teams cannot shrink with it: a
team is whole people, at least one, so a 30-store slice's finance team is one person standing
for 0.15, idle most of the time, and the slice's waits, backlogs, SLA breaches and month-end
close delays come out lower than at full scale (fractional staff were tried: part-timers make
items wait for their hours, people working at a fraction of the pace make every item take
longer; both moved outage lengths, gates and close delays further from the full network).
Rankings on 30-store slices have been measured to differ from the 600-store network's
(README). Too few replications leave intervals too wide to tell plans apart, and a run
shorter than a year leaves out the peak season and late waves.
The CLI, the report and the notebooks print these caveats with a comparison instead of a
confident verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from sim.scenario import Scenario
from sim.scenario_base import TEAMS

#: Replications below which a ranking is not offered as a verdict.
MIN_REPLICATIONS = 5
#: A year: peak season, January returns and every shipped plan's waves.
FULL_YEAR_WEEKS = 52


class _Run(Protocol):
    n: int
    source: Scenario | None


def smallest_team(scenario: Scenario) -> tuple[str, float, int]:
    """The scenario's smallest default-staffed team before rounding to whole people.

    Returns:
        The team's name, the people its staffing rule gives the run's stores and SKUs
        (``staff_per_100_stores`` scaled, not rounded), and the stores that make one person.
    """
    from sim.plan import build_plan

    plan = build_plan(scenario)
    stores = len(plan.stores)
    best = ("", math.inf, 0)
    for name in TEAMS:
        team = getattr(scenario.teams, name)
        if team.staff is not None or team.staff_per_100_stores <= 0:
            continue
        people = team.staff_per_100_stores * stores / 100 * plan.volume_share
        if people < best[1]:
            need = math.ceil(100 / (team.staff_per_100_stores * plan.volume_share))
            best = (name, people, need)
    return best


def ranking_caveats(runs: Sequence[_Run]) -> list[str]:
    """Why a comparison of ``runs`` should not be read as a ranking (empty: no reason).

    Args:
        runs: Each plan's results (``n`` replications, ``source`` scenario when known).

    Returns:
        One sentence per reason: too few replications, shorter than a year, or a slice whose
        smallest team is less than one person.
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
    team, people, need = min((smallest_team(s) for s in sources), key=lambda t: t[1])
    if people < 1:
        out.append(f"a slice whose {team} team stands for {people:.2f} people but is one "
                   f"whole person: its waits, backlogs, SLA breaches and close delays come "
                   f"out lower than at full scale, and small slices have ranked plans "
                   f"differently from the full network; use at least {need} stores")
    return out
