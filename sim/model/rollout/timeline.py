"""The rollout timeline: store states per week and wave, plan against what happened.

Rebuilt at the end of a run from the log of state changes the rollout keeps (for the Gantt
chart and the report); nothing here affects the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.model.world import CUTOVER, HOURS_PER_WEEK, LEGACY, LIVE, World


def replay(log: Sequence[tuple[float, np.ndarray, int]], group: np.ndarray, n_groups: int,
           n_weeks: int, week_hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Replay store state changes into weekly counts per group (for the rollout timeline).

    Args:
        log: ``(hour, stores, new_state)`` changes; states are 0 legacy, 1 cutover, 2 live.
        group: Group (e.g. wave column) of every store, in ``0..n_groups-1``.
        n_groups: Number of groups.
        n_weeks: Weeks in the horizon.
        week_hours: Hours per week.

    Returns:
        ``states[state, week, group]``: stores in each state at the week's end, and
        ``moves[state, week, group]``: changes into each state during the week.

    """
    states = np.zeros((3, n_weeks, n_groups), dtype=np.int64)
    moves = np.zeros((3, n_weeks, n_groups), dtype=np.int64)
    state = np.zeros(len(group), dtype=np.int64)
    ordered = sorted(log, key=lambda e: e[0])
    k = 0
    for week in range(n_weeks):
        end = (week + 1) * week_hours
        while k < len(ordered) and ordered[k][0] < end:
            _, stores, new = ordered[k]
            moves[new, week] += np.bincount(group[stores], minlength=n_groups)
            state[stores] = new
            k += 1
        for s in range(3):
            states[s, week] = np.bincount(group[state == s], minlength=n_groups)
    return states, moves


def timeline(log: Sequence[tuple[float, np.ndarray, int]], w: World,
             waves: list[dict[str, Any]], windows: Sequence[tuple[int, int]],
             first_live_hour: np.ndarray, n_waves: int, n_weeks: int,
             by_store: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Per week and wave: store states at the week's end, transitions, plan vs actual.

    Args:
        log: ``(hour, stores, new_state)`` state changes of the run.
        w: The replication's world (waves of stores, peak weeks).
        waves: Per wave: name, planned and actual go-live week, deferrals.
        windows: Freeze windows ``(start_week, end_week)``.
        first_live_hour: Hour each store first went live (nan: never).
        n_waves: Waves in the plan.
        n_weeks: Weeks in the horizon.
        by_store: Per-store weekly counts (``(weeks, stores)``) to total per wave, by name
            (e.g. ``store_exceptions``: how a wave's own stores fare around their go-live).

    Returns:
        One row per (wave, week); ``wave`` -1 collects stores no wave selects. Columns:
        ``week`` (1-based), ``wave``, ``wave_name``, ``planned_week``, ``go_live_week``
        (after freeze and gate deferrals; nan if it never started), ``complete_week``
        (every store of the wave first live), ``freeze_deferral_weeks``,
        ``gate_deferrals`` (days held by the gates), ``stores``, ``legacy``, ``cutover``,
        ``live``, ``cutovers``, ``go_lives``, ``fallbacks`` (in the week), ``freeze`` and
        ``peak`` (bool), and one column per ``by_store`` count (the wave's stores' total in
        the week).
    """
    col = w.plan.wave_of_store + 1
    nw = n_waves + 1
    n = n_weeks
    states, moves = replay(log, col, nw, n, HOURS_PER_WEEK)
    first_week = first_live_hour // HOURS_PER_WEEK + 1
    rows = []
    for c in range(nw):
        members = col == c
        if c == 0 and not members.any():
            continue
        info = waves[c - 1] if c else {
            "name": "no wave", "planned_week": math.nan, "go_live_week": math.nan,
            "freeze_deferral_weeks": 0, "gate_deferrals": 0}
        done = c > 0 and not np.isnan(first_week[members]).any()
        rows.append(pd.DataFrame({
            "week": np.arange(1, n + 1), "wave": c - 1, "wave_name": info["name"],
            "planned_week": float(info["planned_week"]),
            "go_live_week": float(info["go_live_week"]),
            "complete_week": float(first_week[members].max()) if done else math.nan,
            "freeze_deferral_weeks": info["freeze_deferral_weeks"],
            "gate_deferrals": info["gate_deferrals"], "stores": int(members.sum()),
            "legacy": states[LEGACY, :, c], "cutover": states[CUTOVER, :, c],
            "live": states[LIVE, :, c], "cutovers": moves[CUTOVER, :, c],
            "go_lives": moves[LIVE, :, c], "fallbacks": moves[LEGACY, :, c],
            "freeze": [any(a <= wk <= b for a, b in windows) for wk in range(1, n + 1)],
            "peak": w.peak_week[:n].astype(bool),
            **{name: counts[:n, members].sum(axis=1) for name, counts in
               (by_store or {}).items()}}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
