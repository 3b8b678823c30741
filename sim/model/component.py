"""The contract every model mechanism offers the engine (Starsim's Module, in small).

A component owns its state and rules; the engine calls the actions the schedule
(:mod:`sim.model.schedule`) names, then :meth:`Component.finish` at the horizon end, and
assembles the results from each component's :meth:`Component.report` and the shared
recorder's counters, never from a component's internals.
"""

from __future__ import annotations

from typing import Any


class Component:
    """Base of the model's mechanisms: ``step(hour)``, ``finish(end)``, ``report()``.

    Attributes:
        name: The component's name in the engine and the schedule.
    """

    name: str = ""

    def step(self, hour: int) -> None:
        """Advance by one scheduled call at ``hour`` (hours from the start)."""

    def finish(self, end: float) -> None:
        """Settle what is still open at the horizon end ``end`` (hours)."""

    def report(self) -> dict[str, Any]:
        """Totals and tables the results need beyond the recorder's counters."""
        return {}
