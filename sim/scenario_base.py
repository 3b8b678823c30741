"""The building blocks every scenario section shares: strict models, path errors, the areas.

A scenario's sections live in :mod:`sim.scenario` (the plan), :mod:`sim.scenario_teams` (the
exception teams and their staffing) and :mod:`sim.scenario_costs` (the cost weights).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

AREAS = (
    "inventory_events",
    "order_status",
    "fulfillment_routing",
    "return_disposition",
    "promotions",
    "financial_posting",
)


TEAMS = ("store_ops", "customer_service", "finance", "it_hypercare")


Mode = Literal["legacy", "at_go_live", "enterprise"]


Shift = Literal["business_hours", "store_hours", "24x7"]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, assignments are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathError(Exception):
    """A validation problem at a known field path.

    Deliberately not a ``ValueError``: pydantic would wrap it and lose the path, so it passes
    through ``model_validate`` untouched and the loader reports it with its own path.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem
