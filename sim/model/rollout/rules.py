"""Pure rollout decisions: freeze windows, stage gates, learning curves (DESIGN §5.7).

Plain functions over numbers and arrays, tested without a SimPy environment; the
:class:`~sim.model.rollout.waves.Rollout` processes gather the observations and call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.desk.rules import sla_due, sla_met
from sim.scenario import Gates


def freeze_adjust(week: int, windows: Sequence[tuple[int, int]], policy: str) -> int:
    """Return the week a go-live planned for ``week`` happens under the freeze policy.

    Args:
        week: Planned go-live week (1-based).
        windows: Freeze windows as ``(start_week, end_week)``, inclusive.
        policy: ``"defer"`` moves a go-live in a window to the first week after it (repeatedly,
            so back-to-back windows chain); ``"allow"`` keeps the week. ``"error"`` plans were
            rejected at load, so a week reaching here under ``"error"`` comes from a gate
            deferral at run time and is deferred like ``"defer"`` (the freeze is respected).

    Returns:
        The go-live week.

    """
    if policy == "allow":
        return week
    moved = True
    while moved:
        moved = False
        for start, end in windows:
            if start <= week <= end:
                week = end + 1
                moved = True
    return week


@dataclass(frozen=True)
class GateObservation:
    """What a stage gate sees of the stores already live (``None``: nothing to judge yet).

    Attributes:
        fallout_rate: Order fallout rate over the lookback weeks in regions with live stores.
        backlog: Open exceptions across all teams now.
        sla_met_rate: Share of live stores' recent exceptions resolved within SLA, among those
            whose outcome is known.
        proficiency: Mean proficiency of live stores now (1 = settled).

    """

    fallout_rate: float | None
    backlog: int
    sla_met_rate: float | None
    proficiency: float | None


def gate_failures(gates: Gates, obs: GateObservation) -> list[str]:
    """Names of the thresholds a wave fails (empty: the wave may start).

    A threshold left unset in the scenario, or with no observation yet (no store live), passes.

    Args:
        gates: The scenario's gate thresholds.
        obs: The observation at the wave's start.

    Returns:
        Failed checks among ``fallout``, ``backlog``, ``sla``, ``proficiency``.

    """
    if not gates.enabled:
        return []
    failed = []
    if (gates.max_fallout_rate is not None and obs.fallout_rate is not None
            and obs.fallout_rate > gates.max_fallout_rate):
        failed.append("fallout")
    if gates.max_backlog is not None and obs.backlog > gates.max_backlog:
        failed.append("backlog")
    if (gates.min_sla_met_rate is not None and obs.sla_met_rate is not None
            and obs.sla_met_rate < gates.min_sla_met_rate):
        failed.append("sla")
    if (gates.min_proficiency is not None and obs.proficiency is not None
            and obs.proficiency < gates.min_proficiency):
        failed.append("proficiency")
    return failed


def window_rate(num: float, den: float) -> float | None:
    """A rate over a window, or ``None`` when nothing happened in it (nothing to judge)."""
    return float(num) / float(den) if den > 0 else None


def sla_outcomes(arrival: np.ndarray, finish: np.ndarray, sla_hours: float, now: float,
                 since: float) -> tuple[int, int]:
    """Count exceptions met within SLA among those arrived in ``[since, now)`` with a known outcome.

    An item's outcome is known once it finished by ``now`` or its SLA expired unfinished.

    Args:
        arrival: Arrival (detection) times, hours.
        finish: Finish times, hours (NaN or later than ``now``: not finished yet).
        sla_hours: The team's SLA.
        now: Current time, hours.
        since: Start of the lookback window, hours.

    Returns:
        ``(met, decided)`` counts.

    """
    recent = (arrival >= since) & (arrival < now)
    done = finish <= now
    met = recent & done & sla_met(arrival, finish, sla_hours)
    decided = recent & (done | sla_due(arrival, sla_hours, now))
    return int(met.sum()), int(decided.sum())


def change_share(n_areas: int, n_areas_total: int, system_share: float, system_change: bool
                 ) -> float:
    """Share of the full go-live dip that a change brings to a store's staff.

    A go-live changes the system (tills, handhelds, screens: ``system_share`` of the full dip)
    and the processes of the areas that adopt their common definition with it; an enterprise
    harmonization changes processes only, on whatever system the store runs.

    Args:
        n_areas: Process areas whose definition changes.
        n_areas_total: All process areas (six).
        system_share: Share of the full dip due to the new system itself.
        system_change: Whether the store's system changes (a go-live).
    """
    base = system_share if system_change else 0.0
    return base + (1.0 - system_share) * n_areas / n_areas_total


def dip_amplitude(completion: float, dip: float, reduction: float, share: float) -> float:
    """Excess error-rate multiplier at the moment of a change, before it decays.

    ``(dip - 1) * (1 - completion * reduction) * share``: the dip is largest with no training
    and for a change of system and every process (McAfee 2002 reports the dip and its learning
    curve, not its size: ``dip`` is an assumption).

    Args:
        completion: Share of staff trained at the change (0 to 1).
        dip: Multiplier of a full change with no training (>= 1).
        reduction: Share of the dip that full training removes (below 1).
        share: :func:`change_share` of the change.
    """
    return (dip - 1.0) * (1.0 - completion * reduction) * share


def learning(amplitude: np.ndarray, clock_weeks: np.ndarray, settle_weeks: float) -> np.ndarray:
    """Staff error-rate multiplier on the learning curve: ``1 + amplitude * exp(-clock / settle)``.

    ``clock_weeks`` is learning time since the last change (it runs faster while hypercare
    floor walkers coach the store, see :func:`coaching_speed`).
    """
    return 1.0 + np.asarray(amplitude) * np.exp(-np.asarray(clock_weeks) / settle_weeks)


def coaching_speed(staff_per_store: np.ndarray | float, coaching: float) -> np.ndarray:
    """How fast a store's staff learn relative to learning alone: ``1 + coaching * staff``.

    Args:
        staff_per_store: Hypercare floor walkers per store in hypercare (0 outside it).
        coaching: Extra weeks of learning per week per floor walker per store.
    """
    return 1.0 + coaching * np.asarray(staff_per_store, dtype=float)


def defect_factor(open_defects: np.ndarray, impact: float) -> np.ndarray:
    """Error-rate multiplier of open cutover defects: ``1 + impact * open``.

    Each open defect breaks a share of the store's transactions until IT fixes it.
    """
    return 1.0 + impact * np.asarray(open_defects, dtype=float)


def work_slowdown(error_multiplier: np.ndarray, elasticity: float) -> np.ndarray:
    """How much longer staff in the dip take over a task (a pick, an exception's questions).

    ``error_multiplier ** elasticity``: time grows more slowly than error rates (an error
    costs a redo, a slower task only some minutes).
    """
    return np.asarray(error_multiplier, dtype=float) ** elasticity


def proficiency(multiplier: np.ndarray) -> np.ndarray:
    """Staff proficiency on [0, 1] from the learning multiplier (1 = settled)."""
    return 1.0 / np.maximum(np.asarray(multiplier, dtype=float), 1.0)


def training_factor(completion: float, dip: float, reduction: float) -> float:
    """Cutover defect multiplier from training: the go-live multiplier relative to full training.

    ``cutover_defects_per_store`` is the rate at a fully trained store; less training surfaces
    more user-error defects in proportion to the go-live dip.
    """
    full = 1.0 + dip_amplitude(1.0, dip, reduction, 1.0)
    return (1.0 + dip_amplitude(completion, dip, reduction, 1.0)) / full


def ticket_rate(per_store_week: float, volume: np.ndarray, learning: np.ndarray,
                floor_walkers: np.ndarray) -> np.ndarray:
    """Expected staff incidents per week that stores on their learning curve send the desk.

    Staff early on a new system or process raise how-to and user-error incidents (a refund
    keyed the old way, a pick list they cannot read, a till locked by a wrong sequence) in
    proportion to how far they are from proficient and to how much they trade:
    ``per_store_week * volume * (learning - 1)``. Nothing once the store has settled. A
    hypercare floor walker answers the questions of the store they stand in on the spot, so
    a store with ``w`` walkers (a share of one, over a wave) sends ``1 - min(w, 1)`` of them.

    Args:
        per_store_week: Incidents per week of a class-B store whose error rates are doubled
            by the learning curve (``learning = 2``).
        volume: Each store's volume relative to a class-B store.
        learning: Each store's learning multiplier (:func:`learning`).
        floor_walkers: Hypercare floor walkers per store now (0 outside hypercare).
    """
    excess = np.maximum(np.asarray(learning, dtype=float) - 1.0, 0.0)
    on_desk = 1.0 - np.minimum(np.asarray(floor_walkers, dtype=float), 1.0)
    return per_store_week * np.asarray(volume, dtype=float) * excess * on_desk


def defect_rate(per_store: float, volume: np.ndarray, share: float, learned: float,
                trained: float) -> np.ndarray:
    """Expected cutover defects of each store going live.

    Args:
        per_store: Defects of a class-B store changing system and all six areas, fully
            trained, before any pilot learning.
        volume: Each store's volume relative to a class-B store (busier stores exercise more
            transactions, prices and records).
        share: :func:`change_share` of the go-live.
        learned: :func:`learning_multiplier` from earlier waves.
        trained: :func:`training_factor`.
    """
    return per_store * np.asarray(volume, dtype=float) * share * learned * trained


def learning_multiplier(defects_found: float, floor: float, scale: float) -> float:
    """Pilot learning: multiplier on a later wave's cutover defect rate.

    ``floor + (1 - floor) * exp(-defects_found / scale)``: each defect found and fixed in an
    earlier wave removes its cause from later waves, with diminishing returns.

    Args:
        defects_found: Cutover defects of earlier waves resolved so far.
        floor: The multiplier never drops below this (some defects are store-specific).
        scale: Defects found per e-fold of the learnable part.

    Returns:
        A multiplier in ``[floor, 1]``.

    """
    if scale <= 0:
        return floor
    return floor + (1.0 - floor) * float(np.exp(-max(defects_found, 0.0) / scale))


def stagger_days(n_stores: int, days: int, rng: np.random.Generator) -> np.ndarray:
    """Night of the go-live week (0-based) on which each store of a wave is cut over.

    Stores are shuffled and dealt round-robin, so each night takes a near-equal share.

    Args:
        n_stores: Stores in the wave.
        days: Nights the cutover is spread over (>= 1).
        rng: The rollout stream.

    Returns:
        Day index per store, in ``0..days-1``.

    """
    days = max(int(days), 1)
    return (rng.permutation(n_stores) % days).astype(np.int64)
