"""Whole-plan checks: every mistake against the network, and warnings for silent plan mistakes.

:func:`network_problems` finds every problem of a scenario against its network (the loader
reports them all as errors). :func:`plan_warnings` finds plans that load but do not do what
they seem to say: stores no wave takes, a region two waves claim, waves a freeze pushes past
the horizon, settings the model ignores, an empty file. Each warning rule is one function
below, listed in :data:`RULES`; the "no effect" rules name only settings verified to be
ignored by the model (:mod:`sim.model.rollout.waves`, :mod:`sim.model.desk.desk`,
:func:`sim.plan.assign_waves`). The CLI prints warnings as ``warning: <file>: <path>:
<problem>``; ``validate --strict`` makes them errors.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.plan import Plan, build_plan, check_plan
from sim.scenario import AREAS, TEAMS, Scenario
from sim.scenario_base import PathError

#: A warning rule: yields ``(field path, problem)`` for a scenario and its resolved plan.
Rule = Callable[[Scenario, Plan], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class ScenarioWarning:
    """A plan mistake that does not stop the plan from running, reported on one line.

    Attributes:
        file: The scenario file.
        path: The dotted field path, e.g. ``waves.2.regions.0``.
        problem: What the plan does that its author probably did not mean.
    """

    file: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.problem}"


def network_problems(scenario: Scenario, limit: int = 50) -> list[PathError]:
    """Every problem of a scenario against its network, not only the first.

    :func:`sim.plan.check_plan` stops at the first problem. Each one found is dropped from a
    copy of the plan and the check runs again, until it passes or the network itself is wrong.
    Dropping changes nothing else the check judges: an unknown region, store id, POS family or
    parameter selects or sets nothing, a store listed twice goes live with its first wave, and
    a wave that selects no store leaves every store to the waves after it. A problem that only
    follows from one already found (a wave left with no selector once its unknown regions are
    dropped) is not reported again.

    Args:
        scenario: A validated scenario.
        limit: Most problems to look for.

    Returns:
        The problems, with paths and wave numbers as in the scenario file.
    """
    found: list[PathError] = []
    sc = scenario
    wave_no = list(range(len(sc.waves)))  # the file's number of each wave left in the copy
    kept: dict[tuple[int, str], list[int]] = {}  # the file's index of each list item left

    def report(path: str, problem: str) -> None:
        problem = re.sub(r"\bwave (\d+)\b", lambda m: f"wave {wave_no[int(m[1])]}", problem)
        if not any(f.path.startswith(path + ".") for f in found):
            found.append(PathError(path, problem))

    for _ in range(limit):
        try:
            check_plan(sc)
            break
        except PathError as e:
            parts = e.path.split(".")
            prefix, _, key = e.path.rpartition(".")
            if parts[0] == "waves" and len(parts) > 1:
                w = int(parts[1])
                waves = list(sc.waves)
                if len(parts) == 4 and parts[2] in ("regions", "store_ids"):
                    field, j = parts[2], int(parts[3])
                    left = kept.setdefault((wave_no[w], field),
                                           list(range(len(getattr(waves[w], field)))))
                    report(f"waves.{wave_no[w]}.{field}.{left.pop(j)}", e.problem)
                    items = [x for n, x in enumerate(getattr(waves[w], field)) if n != j]
                    waves[w] = waves[w].model_copy(update={field: items})
                else:  # the wave selects no store: without it the later waves are the same
                    report(".".join(["waves", str(wave_no[w]), *parts[2:]]), e.problem)
                    del waves[w], wave_no[w]
                sc = sc.model_copy(update={"waves": waves})
            elif prefix == "parameters" and key in sc.parameters:
                report(e.path, e.problem)
                params = {k: v for k, v in sc.parameters.items() if k != key}
                sc = sc.model_copy(update={"parameters": params})
            elif (prefix == "inventory.legacy_sync_hours_by_pos_family"
                  and key in sc.inventory.legacy_sync_hours_by_pos_family):
                report(e.path, e.problem)
                fams = {k: v for k, v in sc.inventory.legacy_sync_hours_by_pos_family.items()
                        if k != key}
                inv = sc.inventory.model_copy(update={"legacy_sync_hours_by_pos_family": fams})
                sc = sc.model_copy(update={"inventory": inv})
            else:  # the network itself: nothing after it can be checked
                report(e.path, e.problem)
                break
    return found


def _wave(sc: Scenario, i: int) -> str:
    name = sc.waves[i].name
    return f"wave {i} ('{name}')" if name else f"wave {i}"


def _set(section: object, field: str) -> bool:
    """Whether the scenario gives ``field`` of ``section`` a value (file or ``--set``)."""
    given = field in getattr(section, "model_fields_set", set())
    return given and getattr(section, field) is not None


# --- the rules ------------------------------------------------------------------------------

def empty_file(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """The scenario file sets nothing: it is empty or holds only comments."""
    src = sc.source
    if src is None:
        return
    try:
        if tomllib.loads(Path(src).read_text(encoding="utf-8")):
            return
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    yield "file", ("the file is empty (no settings, only comments or blank lines): every "
                   "value is a default, so the plan has no waves and no harmonization")


def stores_never_live(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """A plan with waves leaves stores that no wave selects (a plan without waves is legacy)."""
    never = plan.wave_of_store < 0
    n = int(never.sum())
    if not sc.waves or n == 0:
        return
    counts = plan.stores.loc[never, "region"].value_counts().sort_index()
    where = ", ".join(f"{region} {count}" for region, count in counts.items())
    yield "waves", (f"{n} of {len(plan.stores)} stores never go live: no wave selects them "
                    f"({where}); a last wave with all_remaining = true takes them")


def region_claimed_twice(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """A wave names a region an earlier wave also names, and earlier waves took all of it.

    The later wave silently gets none of the region's stores. A region split on purpose (the
    earlier wave takes part of it by ``volume_classes`` or ``count``) is not warned about.
    """
    region_of = plan.stores["region"].to_numpy()
    for j, wave in enumerate(sc.waves):
        for k, region in enumerate(wave.regions):
            named = [i for i in range(j) if region in sc.waves[i].regions]
            takers = plan.wave_of_store[region_of == region]
            if not named or not len(takers) or not ((takers >= 0) & (takers < j)).all():
                continue
            others = " and ".join(_wave(sc, i) for i in named)
            yield f"waves.{j}.regions.{k}", (
                f"region '{region}' is also claimed by {others}; earlier waves took all its "
                f"{len(takers)} stores, so this wave gets none of them")


def deferred_past_horizon(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Under ``freeze_policy = "defer"`` a freeze pushes a go-live beyond the horizon."""
    if sc.peak.freeze_policy != "defer" or not sc.peak.freeze_windows:
        return
    from sim.model.rollout.rules import freeze_adjust

    windows = [(f.start_week, f.end_week) for f in sc.peak.freeze_windows]
    for i, wave in enumerate(sc.waves):
        week = freeze_adjust(wave.go_live_week, windows, "defer")
        if week > sc.horizon_weeks:
            n = int((plan.wave_of_store == i).sum())
            central = (", nor do the central systems tied to it"
                       if sc.central.with_wave == i else "")
            yield f"waves.{i}.go_live_week", (
                f"the freeze defers go-live week {wave.go_live_week} to week {week}, beyond "
                f"the horizon ({sc.horizon_weeks} weeks): its {n} stores never go "
                f"live{central}")
    week = sc.central.go_live_week
    if week is not None and freeze_adjust(week, windows, "defer") > sc.horizon_weeks:
        yield "central.go_live_week", (
            f"the freeze defers go-live week {week} to week "
            f"{freeze_adjust(week, windows, 'defer')}, beyond the horizon "
            f"({sc.horizon_weeks} weeks): the DCs and the ecommerce platform never cut over")


def from_week_ignored(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """``from_week`` on an area whose mode is not ``enterprise`` (only that mode reads it)."""
    why = {"at_go_live": "each store adopts the area at its go-live, the DCs and ecommerce at "
                         "the central cutover",
           "legacy": "the area stays legacy"}
    for area in AREAS:
        ap = getattr(sc.harmonization, area)
        if ap.from_week is not None and ap.mode in why:
            yield f"harmonization.{area}.from_week", (
                f"has no effect: mode is '{ap.mode}' ({why[ap.mode]}); mode = \"enterprise\" "
                f"switches every node in week {ap.from_week}")


def at_go_live_never_reached(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """``at_go_live`` areas in a plan where nothing goes live (no waves, no central cutover)."""
    if sc.waves or sc.central.go_live_week is not None or sc.central.with_wave is not None:
        return
    areas = [a for a in AREAS if getattr(sc.harmonization, a).mode == "at_go_live"]
    if areas:
        yield "harmonization", (
            f"mode 'at_go_live' has no effect on {', '.join(areas)}: the plan has no waves and "
            "no central cutover, so no node goes live; use mode = \"enterprise\" with "
            "from_week, or add waves")


def hypercare_ignored(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Hypercare staff with ``hypercare_weeks = 0``, or hypercare weeks set with no staff."""
    staff = ("hypercare_staff_per_100_stores", "hypercare_it_staff_per_100_stores")
    for i, wave in enumerate(sc.waves):
        if wave.hypercare_weeks == 0:
            for field in staff:
                if getattr(wave, field) > 0:
                    yield f"waves.{i}.{field}", ("has no effect: hypercare_weeks is 0, so the "
                                                 "staff are never on duty")
        elif _set(wave, "hypercare_weeks") and all(getattr(wave, f) == 0 for f in staff):
            yield f"waves.{i}.hypercare_weeks", (
                "has no effect: the wave has no hypercare staff (hypercare_staff_per_100_stores "
                "and hypercare_it_staff_per_100_stores are 0)")


def wave_selectors_ignored(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Selectors :func:`sim.plan.assign_waves` ignores in the company they keep."""
    for i, wave in enumerate(sc.waves):
        if wave.all_remaining:
            for field in ("regions", "volume_classes"):
                if getattr(wave, field):
                    yield f"waves.{i}.{field}", (
                        "has no effect: all_remaining = true takes every store no earlier wave "
                        "took, whatever its region or volume class")
        elif wave.count is not None and wave.store_ids and not (
                wave.regions or wave.volume_classes):
            yield f"waves.{i}.count", ("has no effect: a wave that selects by store_ids alone "
                                       "takes exactly the stores listed")


#: Settings another setting switches off: (section, why they are off or None, the fields).
_SWITCHED_OFF: tuple[tuple[str, Callable[[Scenario], str | None], tuple[str, ...]], ...] = (
    ("peak", lambda sc: None if sc.peak.command_center else "peak.command_center is false",
     ("command_center_staff_per_100_stores", "command_center_detection_factor")),
    ("peak", lambda sc: None if sc.peak.freeze_windows else "peak.freeze_windows is empty",
     ("freeze_policy",)),
    ("gates", lambda sc: None if sc.gates.enabled else "gates.enabled is false",
     ("max_fallout_rate", "max_backlog", "min_sla_met_rate", "min_proficiency",
      "max_deferral_weeks")),
    ("fallback", lambda sc: None if sc.fallback.enabled else "fallback.enabled is false",
     ("backlog_threshold",)),
    ("central", lambda sc: None if (sc.central.go_live_week is not None
                                    or sc.central.with_wave is not None)
     else "the central systems never cut over (set central.go_live_week or central.with_wave)",
     ("cutover_downtime_hours", "defects")),
)


def switched_off(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Settings of a feature the scenario leaves off (:data:`_SWITCHED_OFF`)."""
    for section, off, fields in _SWITCHED_OFF:
        reason = off(sc)
        if reason is None:
            continue
        for field in fields:
            if _set(getattr(sc, section), field):
                yield f"{section}.{field}", f"has no effect: {reason}"


def gates_never_hold(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Gates switched on that can never hold a wave back."""
    g = sc.gates
    if not g.enabled:
        return
    if all(getattr(g, f) is None for f in ("max_fallout_rate", "max_backlog",
                                           "min_sla_met_rate", "min_proficiency")):
        yield "gates.enabled", ("has no effect: no threshold is set (max_fallout_rate, "
                                "max_backlog, min_sla_met_rate, min_proficiency)")
    elif g.max_deferral_weeks == 0:
        yield "gates.max_deferral_weeks", ("0 lets every wave proceed at once: the gates "
                                           "never hold a wave back")


def team_settings_ignored(sc: Scenario, plan: Plan) -> Iterator[tuple[str, str]]:
    """Team settings overruled by another: a fixed ``staff``; seasons with no seasonal hires."""
    for name in TEAMS:
        team = getattr(sc.teams, name)
        if team.staff is not None and _set(team, "staff_per_100_stores"):
            yield f"teams.{name}.staff_per_100_stores", (
                f"has no effect: staff = {team.staff} is given (staff_per_100_stores sizes the "
                "team only without it)")
    if _set(sc.teams, "season_weeks_after_peak") and all(
            getattr(sc.teams, name).seasonal_staff_factor == 1 for name in TEAMS):
        yield "teams.season_weeks_after_peak", ("has no effect: no team has a "
                                                "seasonal_staff_factor above 1")


#: Every warning rule, in the order their warnings are printed.
RULES: tuple[Rule, ...] = (
    empty_file, stores_never_live, region_claimed_twice, deferred_past_horizon,
    from_week_ignored, at_go_live_never_reached, hypercare_ignored, wave_selectors_ignored,
    switched_off, gates_never_hold, team_settings_ignored,
)


def plan_warnings(scenario: Scenario, plan: Plan | None = None,
                  file: str | Path | None = None) -> list[ScenarioWarning]:
    """The warnings of a valid scenario: every rule of :data:`RULES`.

    Args:
        scenario: A scenario that loaded without errors.
        plan: Its resolved plan (built here when not given).
        file: The name to report (default: the file the scenario was loaded from).

    Returns:
        The warnings, in rule order; empty for a plan that does what it says.
    """
    plan = plan if plan is not None else build_plan(scenario)
    name = str(file if file is not None else scenario.source or "<scenario>")
    return [ScenarioWarning(name, path, problem)
            for rule in RULES for path, problem in rule(scenario, plan)]
