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
