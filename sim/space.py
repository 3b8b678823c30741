"""What an optimisation may change, and what it must respect (issue 19).

A decision space is a small TOML file of ``[[variables]]``, each a dotted scenario key with
a range (``low``/``high``, whole numbers when both are, an optional ``step``) or a list of
``choices``::

    [[variables]]
    key = "waves.0.go_live_week"
    low = 8
    high = 30

    [[variables]]
    key = "training.completion"
    low = 0.6
    high = 0.95
    step = 0.05

    [[variables]]
    key = "waves.1.hypercare_staff_per_100_stores"
    choices = [2.0, 4.0, 8.0]

    [[variables]]
    key = "harmonization.return_disposition.mode"
    choices = ["at_go_live", "enterprise"]

    [[variables]]
    key = "waves.order"            # which stores go in which slot: the waves listed swap
    waves = [1, 2, 3, 4]           # their store selections, keeping each slot's dates and staff

The wave order's decision is the listed waves' selections in their new order, as a word
(``"3,1,2,4"``: slot 1 takes wave 3's stores...), one of every permutation.

Constraints are ``METRIC.STAT<=VALUE`` or ``>=`` (``exception_backlog_peak.p90<=2000``),
with ``STAT`` one of ``mean, p50, p80, p90, p95`` over a trial's replications.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.loader import set_path
from sim.scenario import PathError, Scenario

STATS = ("mean", "p50", "p80", "p90", "p95")
#: The decision that swaps the waves' store selections.
ORDER = "waves.order"
#: A wave's store selection (what moves with the order); its dates and staff stay in the slot.
SELECTION = ("name", "regions", "store_ids", "volume_classes", "count", "all_remaining")
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.]*?)\.(mean|p50|p80|p90|p95)\s*(<=|>=)\s*"
                         r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class SpaceError(ValueError):
    """A malformed space file or constraint: one line naming the file or option and field."""


class Variable(BaseModel):
    """One decision: a scenario key and the values it may take."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, description="dotted scenario key, e.g. waves.0.go_live_week")
    low: float | None = None
    high: float | None = None
    step: float | None = Field(None, gt=0)
    choices: list[float] | list[str] | None = Field(
        None, min_length=2, description="numbers, or words such as a harmonization mode")
    waves: list[int] | None = Field(
        None, min_length=2, max_length=7, description="waves.order: the waves whose store "
        "selections may swap")

    @model_validator(mode="after")
    def _one_kind(self) -> Variable:
        if self.key == ORDER or self.waves is not None:
            if self.key != ORDER:
                raise ValueError(f"waves belongs to key = \"{ORDER}\" only")
            if self.waves is None or len(set(self.waves)) != len(self.waves):
                raise ValueError(f"{ORDER} needs waves = [two or more distinct wave indices]")
            if self.choices is not None or self.low is not None or self.high is not None:
                raise ValueError(f"{ORDER} takes waves only (no low/high or choices)")
            return self
        ranged = self.low is not None or self.high is not None
        if self.choices is not None and ranged:
            raise ValueError("give low/high or choices, not both")
        if self.choices is None:
            if self.low is None or self.high is None:
                raise ValueError("needs low and high (or choices)")
            if not self.low < self.high:
                raise ValueError(f"needs low < high (got {self.low} and {self.high})")
        return self

    @property
    def integer(self) -> bool:
        """Whole numbers only: a range whose ends (and step) are whole."""
        if self.choices is not None or self.waves is not None:
            return False
        ends = [self.low, self.high] + ([self.step] if self.step is not None else [])
        return all(float(v).is_integer() for v in ends)

    def orders(self) -> list[str]:
        """Every order of the wave order's waves, as its decision words."""
        from itertools import permutations

        return [",".join(map(str, p)) for p in permutations(sorted(self.waves or []))]


class Space(BaseModel):
    """The decision variables of an optimisation."""

    model_config = ConfigDict(extra="forbid")

    variables: list[Variable] = Field(min_length=1)


def load_space(path: Path, scenario: Scenario) -> Space:
    """Read and check a space file against the scenario's schema.

    Raises:
        SpaceError: ``<file>: <field path>: <problem>``.
    """
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SpaceError(f"{path}: {e}") from None
    try:
        space = Space.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise SpaceError(f"{path}: {where}: {err['msg']}") from None
    keys = [v.key for v in space.variables]
    for i, v in enumerate(space.variables):
        if keys.count(v.key) > 1:
            raise SpaceError(f"{path}: variables.{i}.key: '{v.key}' appears twice")
        if v.key == ORDER:
            bad = [w for w in v.waves or [] if not 0 <= w < len(scenario.waves)]
            if bad:
                raise SpaceError(f"{path}: variables.{i}.waves: no wave {bad[0]} (the plan has "
                                 f"{len(scenario.waves)}, numbered from 0)")
            continue
        try:
            set_path(scenario.model_dump(mode="json"), v.key, v.low if v.choices is None
                     else v.choices[0])
        except PathError as e:
            raise SpaceError(f"{path}: variables.{i}.key: '{v.key}': {e.problem}") from None
    return space


@dataclass(frozen=True)
class Constraint:
    """``metric.stat <= bound`` (``upper``) or ``>= bound``."""

    metric: str
    stat: str
    upper: bool
    bound: float

    def violation(self, value: float) -> float:
        """How far ``value`` is on the wrong side (<= 0: satisfied)."""
        return value - self.bound if self.upper else self.bound - value

    def __str__(self) -> str:
        return f"{self.metric}.{self.stat}{'<=' if self.upper else '>='}{self.bound:g}"


def parse_constraint(text: str) -> Constraint:
    """``METRIC.STAT<=VALUE`` or ``>=``.

    Raises:
        SpaceError: Not of that form, or an unknown metric.
    """
    from sim.metrics import REGISTRY

    m = _CONSTRAINT.match(text)
    if not m:
        raise SpaceError(f"--constraint {text}: expected METRIC.STAT<=VALUE or >=, STAT one of "
                         f"{', '.join(STATS)}")
    metric, stat, op, value = m.groups()
    if metric not in REGISTRY:
        raise SpaceError(f"--constraint {text}: unknown metric '{metric}'")
    return Constraint(metric, stat, op == "<=", float(value))


def statistic(values: Any, stat: str) -> float:
    """A trial's statistic over its replications (as the run summaries compute it)."""
    from sim.aggregate import describe

    d = describe(values)
    v = d[stat]
    return float("nan") if v is None else float(v)
