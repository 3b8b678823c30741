"""The building blocks every scenario section shares: strict models, path errors, the areas.

A scenario's sections live in :mod:`sim.scenario` (the plan), :mod:`sim.scenario_teams` (the
exception teams and their staffing) and :mod:`sim.scenario_costs` (the cost weights).
"""

from __future__ import annotations

from typing import Any, Literal

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

    Attributes:
        path: The dotted field path.
        problem: What is wrong.
        errors: Every problem found together, this one first (see :func:`raise_all`).
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem
        self.errors: list[PathError] = [self]


#: Key of the validation context under which :class:`PathError` problems are collected (the
#: loader's ``model_validate(raw, context={COLLECT: []})``) instead of raised.
COLLECT = "collect_path_errors"


def raise_all(problems: list[PathError], context: dict[str, Any] | None = None) -> None:
    """Report several problems at once.

    Args:
        problems: The problems found (nothing happens when empty).
        context: The pydantic validation context: when it holds a :data:`COLLECT` list the
            problems are appended to it and nothing is raised, so the caller gets the model
            and can check it further.

    Raises:
        PathError: The first problem, carrying all of them in ``errors``.
    """
    if not problems:
        return
    if context is not None and isinstance(context.get(COLLECT), list):
        context[COLLECT].extend(problems)
        return
    first = problems[0]
    first.errors = list(problems)
    raise first
