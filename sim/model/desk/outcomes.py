"""What the desk's queues did, once the run is over: SLA outcomes, backlogs, labour hours.

Computed from every item's arrival, start and finish at the horizon end and booked as
counters by week and region (``sla_due``, ``sla_met``, ``sla_breaches``, ``handling_hours``),
plus the hourly backlog's weekly peaks, which no counter can hold.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.rules import sla_due, sla_met
from sim.model.desk.stand_ins import is_own
from sim.model.desk.teams import TeamQueue
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World
from sim.numeric import ssum


def item_regions(w: World, store_of: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Region of each item (its store's; central items get the extra ``n_regions`` row)."""
    st = store_of[refs]
    return np.where(st >= 0, w.store_region[np.maximum(st, 0)], w.n_regions)


def own_items(r: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A team's result columns without the stand-ins it served (all of them on a whole network)."""
    mine = is_own(r["kind"])
    return r if mine.all() else {k: v[mine] for k, v in r.items()}


def book_outcomes(w: World, rec: Recorder, teams: dict[str, TeamQueue],
                  store_of: np.ndarray, added: dict[str, np.ndarray] | None = None,
                  store_share: dict[str, float] | None = None,
                  initial_age: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Book SLA outcomes and handling hours; return the weekly backlog peaks.

    An item counts toward the SLA rate once its outcome is known by the horizon end: met
    (finished within the SLA) or due (its SLA expired). Handling hours are those of started
    items, by arrival week (the labour cost input). Added staff (hypercare, command center,
    close surge) are paid for all their hours as such, so the part of the handling hours they
    worked is booked apart (``added_staff_handling_hours``) and labour is counted once: an
    item's share is the added share of its team on duty in the hour it started (servers are
    interchangeable, so that is the chance it was an added server's). On a slice, stand-ins
    (:mod:`~sim.model.desk.stand_ins`) are left out (the metrics are the slice's own), and on
    a team that serves them the added staff booked (the slice's share of the people paid)
    stand for ``1 / share`` times as many on the whole network's team.

    Args:
        w: The replication's world (regions, horizon).
        rec: The recorder.
        teams: The desk's team queues.
        store_of: Store of every exception id (-1: central).
        added: Per team, the staff added on top of its shift in each hour.
        store_share: Per team serving stand-ins, the share of its people the run pays for
            (default 1: the whole network, or a team serving the slice alone).
        initial_age: Age at the start of the items open then (exception ids ``0 ..
            len - 1``): their SLA runs from when they were opened, not from hour 0.

    Returns:
        ``backlog_week_region`` (weeks x regions: the largest open count of any team in the
        region's items), ``backlog_week`` (the largest open count of any team each week) and
        ``handling_hours`` (total, for reference).
    """
    results = {name: own_items(team.results()) for name, team in teams.items()}
    end = float(w.horizon_hours)
    weeks, regions = rec.weeks, rec.regions
    grid = np.arange(1, w.horizon_hours + 1, dtype=float)
    backlog_week = np.zeros((weeks, regions))
    backlog_total = np.zeros(weeks)
    handling_hours = 0.0
    for name, team in teams.items():
        r = results[name]
        if not len(r["arrival"]):
            continue
        reg = item_regions(w, store_of, r["ref"])
        arrival, finish = r["arrival"], r["finish"]
        opened = arrival
        if initial_age is not None and len(initial_age):
            old = r["ref"] < len(initial_age)
            if old.any():
                opened = arrival.copy()
                opened[old] -= initial_age[r["ref"][old]]
        due = sla_due(opened, team.sla_hours, end)
        met = sla_met(opened, finish, team.sla_hours)
        wk = np.minimum((arrival // HOURS_PER_WEEK).astype(np.int64), weeks - 1)
        rec.add_at("sla_due", wk[due | met], reg[due | met])
        rec.add_at("sla_met", wk[met], reg[met])
        rec.add_at("sla_breaches", wk[due & ~met], reg[due & ~met])
        handling_hours += ssum(np.where(np.isnan(r["start"]), 0.0, r["handling"]))
        fin = np.where(np.isnan(finish), np.inf, finish)
        team_open = np.zeros(len(grid))
        for g in range(regions):
            m = reg == g
            if not m.any():
                continue
            opened = np.searchsorted(np.sort(arrival[m]), grid, side="right")
            closed = np.searchsorted(np.sort(fin[m]), grid, side="right")
            open_g = opened - closed
            team_open += open_g
            weekly_max = open_g[: weeks * HOURS_PER_WEEK].reshape(weeks, -1).max(axis=1)
            backlog_week[:, g] = np.maximum(backlog_week[:, g], weekly_max)
        backlog_total = np.maximum(
            backlog_total, team_open[: weeks * HOURS_PER_WEEK].reshape(weeks, -1).max(axis=1))
    for name in teams:
        r = results[name]
        if not len(r["arrival"]):
            continue
        started = ~np.isnan(r["start"])
        reg = item_regions(w, store_of, r["ref"])
        wk = np.minimum((r["arrival"] // HOURS_PER_WEEK).astype(np.int64), rec.weeks - 1)
        rec.add_at("handling_hours", wk[started], reg[started], r["handling"][started])
        extra = None if added is None else added.get(name)
        if extra is not None and extra.any() and started.any():
            hour = np.minimum(r["start"][started].astype(np.int64), len(extra) - 1)
            on_duty = teams[name].staff_by_hour[hour]
            whole = (store_share or {}).get(name, 1.0)
            share = np.where(on_duty > 0, extra[hour] / whole / np.maximum(on_duty, 1), 0.0)
            rec.add_at("added_staff_handling_hours", wk[started], reg[started],
                       r["handling"][started] * share)
    return {"backlog_week_region": backlog_week, "backlog_week": backlog_total,
            "handling_hours": np.array(handling_hours)}
