"""The peak command center: extra staff on three teams and faster detection (DESIGN §5.7)."""

from __future__ import annotations

import numpy as np

from sim.model.desk.desk import ExceptionDesk
from sim.model.world import HOURS_PER_WEEK, World

#: Teams a peak command center reinforces, with the shift pattern its extra staff work.
COMMAND_CENTER = {"store_ops": "store_hours", "customer_service": "24x7",
                  "it_hypercare": "24x7"}


def staff_command_center(w: World, desk: ExceptionDesk, n_weeks: int) -> None:
    """Book the plan's command center for every peak week of the first ``n_weeks``.

    Whole people join the whole network's teams (on a slice too, whose teams are the
    network's, :mod:`sim.model.desk.stand_ins`); the plan pays its ratio for the run's own
    stores (times a SKU subset's volume share). Detection is faster in those weeks.
    """
    peak = w.scenario.peak
    if not peak.command_center:
        return
    per_100 = peak.command_center_staff_per_100_stores
    staff = max(1, round(per_100 * desk.network_stores / 100))
    paid = per_100 * w.n_stores / 100 * w.plan.volume_share
    for week in np.flatnonzero(w.peak_week[:n_weeks]).tolist():
        start, end = week * HOURS_PER_WEEK, (week + 1) * HOURS_PER_WEEK
        for team, pattern in COMMAND_CENTER.items():
            desk.add_staff(team, start, end, staff, pattern, purpose="command_center",
                           paid=paid)
        desk.detection_factor[week] = peak.command_center_detection_factor
