"""The declared order in which the model's components act (one list, read in one place).

The engine builds the components, then runs :data:`START` once, :data:`HOURLY` every simulated
hour (each task at its own period and offset, in the order listed) and :data:`FINISH` at the
horizon end. Changing the order changes results: each task reads the state the tasks before it
left (sales before the returns they feed, picks before the syncs that publish them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HOUR, DAY, WEEK = 1, 24, 168


@dataclass(frozen=True)
class Task:
    """One scheduled action of a component.

    Attributes:
        component: The component's name in the engine (``demand``, ``orders``...).
        action: The method called with the hour (``step`` unless another action is named).
        every: Period in hours (1: every hour, 24: daily, 168: weekly).
        at: Hour within the period at which it runs (hour 0 of the run is Monday 00:00).
        why: What the task does, for readers of the schedule.
    """

    component: str
    action: str = "step"
    every: int = HOUR
    at: int = 0
    why: str = ""


#: Called once before the clock starts.
START: tuple[Task, ...] = (
    Task("rollout", "start", why="harmonization in force at hour 0, command center, waves"),
    Task("inventory", "refresh_profile", why="each node's sync feed for the starting state"),
)

#: Called every hour, in this order, when ``hour % every == at``.
HOURLY: tuple[Task, ...] = (
    Task("disruptions", why="closures, outages and carrier delays in force this hour"),
    Task("rollout", "start_week", every=WEEK,
         why="enterprise harmonization and its dip, proficiency of live stores"),
    Task("rollout", "start_day", every=DAY,
         why="learning curves and open defects move on, fallback, gate observations"),
    Task("inventory", "replenish_dcs", every=WEEK, why="weekly supplier orders for DCs"),
    Task("inventory", "replenish_stores", every=DAY, why="order-up-to reviews of stores"),
    Task("finance", every=DAY, why="the day's reconciliation breaks"),
    Task("inventory", "cycle_count", every=DAY, at=6, why="today's slice of store counts"),
    Task("inventory", "receive", why="receipts due this hour"),
    Task("demand", why="walk-in sales, lost sales, shrink, mis-scans"),
    Task("returns", "take_store_sales", why="the hour's store sales that will come back"),
    Task("promotions", why="event setups; the hour's promoted sales at the tills"),
    Task("orders", why="online orders: promising, routing, picks, oversell, reroutes"),
    Task("demand", "post_events", why="the channel now sees the real-time sales that were "
         "still in flight when the hour's orders were promised"),
    Task("returns", why="the day's returns start; the DC bench inspects"),
    Task("inventory", "sync", why="publish visible stock of the nodes due"),
)

#: Called once at the horizon end, in this order.
FINISH: tuple[str, ...] = ("desk", "orders", "returns", "finance")


def bind(tasks: Sequence[Task], components: Mapping[str, Any]) -> list[Callable[..., None]]:
    """The tasks' methods bound to the components (an unknown name fails here, not mid-run)."""
    return [getattr(components[t.component], t.action) for t in tasks]


def hourly_plan(tasks: Sequence[Task], components: Mapping[str, Any]
                ) -> list[list[Callable[[int], None]]]:
    """Per hour of the week, the bound methods that run then, in schedule order.

    Every period divides a week, so the hour of the week decides which tasks run.
    """
    for t in tasks:
        if WEEK % t.every or not 0 <= t.at < t.every:
            raise ValueError(f"{t.component}.{t.action}: every={t.every}, at={t.at} does not "
                             "fit a week")
    calls = bind(tasks, components)
    return [[c for t, c in zip(tasks, calls, strict=True) if h % t.every == t.at]
            for h in range(WEEK)]
