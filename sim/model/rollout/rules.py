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


def recent_rate(num: np.ndarray, den: np.ndarray, week: int, lookback: int,
                regions: np.ndarray) -> float | None:
    """Ratio of two ``(weeks, regions)`` counters over the complete weeks before ``week``.

    Args:
        num: Numerator counts by week and region.
        den: Denominator counts by week and region.
        week: Current 0-based week (excluded: it has just begun).
        lookback: Number of complete weeks to look back over.
        regions: Region indices to include.

    Returns:
        The rate, or ``None`` when the denominator is zero (nothing to judge).

    """
    lo = max(week - lookback, 0)
    d = float(den[lo:week][:, regions].sum())
    if d <= 0:
        return None
    return float(num[lo:week][:, regions].sum()) / d


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


def error_multiplier(weeks_since: np.ndarray | float, completion: float, dip: float,
                     settle_weeks: float, reduction: float) -> np.ndarray:
    """Error-rate multiplier of staff at a live store (the post-go-live learning curve).

    ``1 + (dip - 1) * (1 - completion * reduction) * exp(-weeks_since / settle_weeks)``: the
    dip is largest with no training and decays exponentially (McAfee 2002's learning curve).

    Args:
        weeks_since: Weeks since the store went live (>= 0).
        completion: Share of staff trained at go-live (0 to 1).
        dip: Multiplier at go-live with no training (>= 1).
        settle_weeks: Time constant of the recovery, weeks.
        reduction: Share of the dip that full training removes (below 1, so even a fully
            trained store has a small dip).

    Returns:
        The multiplier(s), >= 1.

    """
    t = np.maximum(np.asarray(weeks_since, dtype=float), 0.0)
    return 1.0 + (dip - 1.0) * (1.0 - completion * reduction) * np.exp(-t / settle_weeks)


def proficiency(multiplier: np.ndarray) -> np.ndarray:
    """Staff proficiency on [0, 1] from the error multiplier (1 = settled)."""
    return 1.0 / np.maximum(np.asarray(multiplier, dtype=float), 1.0)


def training_factor(completion: float, dip: float, reduction: float) -> float:
    """Cutover defect multiplier from training: go-live error multiplier relative to full training.

    ``cutover_defects_per_store`` is the rate at a fully trained store; less training surfaces
    more user-error defects in proportion to the go-live dip.
    """
    full = float(error_multiplier(0.0, 1.0, dip, 1.0, reduction))
    return float(error_multiplier(0.0, completion, dip, 1.0, reduction)) / full


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
