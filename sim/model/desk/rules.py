"""The desk's business rules as small pure functions (one home each).

Compiled inline where a kernel needs them; plain NumPy otherwise. Unit-tested in
``tests/unit``.
"""

from __future__ import annotations

import numpy as np


def sla_met(arrival: np.ndarray, finish: np.ndarray, sla_hours: float) -> np.ndarray:
    """Whether each item was resolved within its team's SLA (unfinished: NaN compares False).

    Args:
        arrival: Arrival (detection) times, hours.
        finish: Finish times, hours (NaN: not finished).
        sla_hours: The team's resolution SLA, hours from arrival.
    """
    return finish - arrival <= sla_hours


def sla_due(arrival: np.ndarray, sla_hours: float, now: float) -> np.ndarray:
    """Whether each item's SLA expired by ``now`` (its outcome is known even if unfinished)."""
    return arrival + sla_hours <= now


def season_hours(peak_week: np.ndarray, weeks_after: int, horizon_hours: int) -> np.ndarray:
    """Hours in which a team's seasonal hires are on (the peak weeks and the weeks after).

    The weeks after the last peak week of each run of peak weeks carry the holiday returns,
    so seasonal staff stay ``weeks_after`` weeks beyond it.

    Args:
        peak_week: Whether each week (0-based) is a peak week.
        weeks_after: Weeks after each run of peak weeks that seasonal staff stay.
        horizon_hours: Hours simulated.
    """
    weeks = -(-horizon_hours // 168)
    peak = np.zeros(weeks, dtype=bool)
    n = min(weeks, len(peak_week))
    peak[:n] = peak_week[:n]
    season = peak.copy()
    for k in range(1, weeks_after + 1):
        season[k:] |= peak[:-k] if k < weeks else False
    return np.repeat(season, 168)[:horizon_hours]
