"""Disruptions a scenario declares: the world around the plan (issue 20, DESIGN §5).

Each ``[[disruptions]]`` item is a window of days from a week's start and what happens in it;
it acts through the model's own mechanisms (:mod:`sim.model.disruptions`):

* ``store_closure``: the stores of ``regions`` (every region if none) close, e.g. for weather:
  walk-in customers are lost sales, and their picks wait until the stores reopen;
* ``carrier_delay``: parcels handed to the carrier in the window take ``factor`` times as
  long in transit (mailed returns reach the DC, and their refunds, later);
* ``labour_shortage``: ``team`` works with ``share`` of its shift staff missing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario_base import Strict

TeamName = Literal["store_ops", "customer_service", "finance", "it_hypercare"]
Kind = Literal["store_closure", "carrier_delay", "labour_shortage"]
#: The fields each kind needs (besides the window); any other kind's field is a mistake.
NEEDS: dict[str, tuple[str, ...]] = {"store_closure": (), "carrier_delay": ("factor",),
                                     "labour_shortage": ("team", "share")}
_OPTIONAL = {"store_closure": ("regions",)}
_SPECIFIC = ("regions", "factor", "team", "share")


class Disruption(Strict):
    """One disruption: a window and what it does."""

    kind: Kind
    name: str = ""
    start_week: int = Field(ge=1, description="week whose Monday 00:00 starts the window")
    start_day: int = Field(0, ge=0, le=6, description="days after that Monday it starts")
    days: float = Field(gt=0, le=364, description="length of the window, days")
    regions: list[str] | None = Field(None, description="store_closure: regions closed "
                                      "(none given: every region)")
    factor: float | None = Field(None, ge=1, le=20, description="carrier_delay: transit time "
                                 "multiplier")
    team: TeamName | None = Field(None, description="labour_shortage: the team short")
    share: float | None = Field(None, gt=0, le=1, description="labour_shortage: share of the "
                                "shift staff missing")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Disruption:
        for f in NEEDS[self.kind]:
            if getattr(self, f) is None:
                raise ValueError(f"a {self.kind} needs {f}")
        allowed = NEEDS[self.kind] + _OPTIONAL.get(self.kind, ())
        for f in _SPECIFIC:
            if f not in allowed and getattr(self, f) is not None:
                raise ValueError(f"{f} does not apply to a {self.kind}")
        return self

    def hours(self) -> tuple[int, int]:
        """The window in simulated hours, ``[start, end)``."""
        start = (self.start_week - 1) * 168 + self.start_day * 24
        return start, start + int(round(self.days * 24))

    @property
    def label(self) -> str:
        """What reports call it: its name, or its kind."""
        return self.name or self.kind.replace("_", " ")
