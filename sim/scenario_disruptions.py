"""Disruptions a scenario declares: the world around the plan (issue 20, DESIGN §5).

Each ``[[disruptions]]`` item is a window of days from a week's start and what happens in it;
it acts through the model's own mechanisms (:mod:`sim.model.disruptions`):

* ``store_closure``: the stores of ``regions`` (every region if none) close, e.g. for weather:
  walk-in customers are lost sales, and their picks wait until the stores reopen;
* ``carrier_delay``: parcels handed to the carrier in the window take ``factor`` times as
  long in transit (mailed returns reach the DC, and their refunds, later);
* ``labour_shortage``: ``team`` works with ``share`` of its shift staff missing;
* ``integration_outage``: the middleware carrying every batch stock feed (legacy jobs and the
  coexistence layer) is down: no batch snapshot is published, so the channel promises from
  views growing stale (real-time events still post);
* ``dc_outage``: the DCs of ``dcs`` (every DC if none) stop: their picks wait for the
  reopening and they ship no replenishment, so store shelves run down.

A disruption either has a window (``start_week``, ``start_day``) or strikes at random at
``rate_per_year`` (:func:`realized` draws each replication's windows from the ``disruptions``
stream, so every plan run with one seed meets the same events); a random closure or DC outage
hits one of its ``regions`` or ``dcs`` (any if none) each time.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.scenario_base import Strict

TeamName = Literal["store_ops", "customer_service", "finance", "it_hypercare"]
Kind = Literal["store_closure", "carrier_delay", "labour_shortage", "integration_outage",
               "dc_outage"]
#: The fields each kind needs (besides the window); any other kind's field is a mistake.
NEEDS: dict[str, tuple[str, ...]] = {"store_closure": (), "carrier_delay": ("factor",),
                                     "labour_shortage": ("team", "share"),
                                     "integration_outage": (), "dc_outage": ()}
_OPTIONAL = {"store_closure": ("regions",), "dc_outage": ("dcs",)}
_SPECIFIC = ("regions", "factor", "team", "share", "dcs")


class Disruption(Strict):
    """One disruption: a window and what it does."""

    kind: Kind
    name: str = ""
    start_week: int | None = Field(None, ge=1, description="week whose Monday 00:00 starts "
                                   "the window")
    rate_per_year: float | None = Field(None, gt=0, le=52, description="instead of a "
                                        "start: how often it strikes at random, per 52 weeks")
    start_day: int = Field(0, ge=0, le=6, description="days after that Monday it starts")
    days: float = Field(gt=0, le=364, description="length of the window, days")
    regions: list[str] | None = Field(None, description="store_closure: regions closed "
                                      "(none given: every region)")
    factor: float | None = Field(None, ge=1, le=20, description="carrier_delay: transit time "
                                 "multiplier")
    team: TeamName | None = Field(None, description="labour_shortage: the team short")
    share: float | None = Field(None, gt=0, le=1, description="labour_shortage: share of the "
                                "shift staff missing")
    dcs: list[str] | None = Field(None, description="dc_outage: DCs down (none given: every "
                                  "DC)")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Disruption:
        if (self.start_week is None) == (self.rate_per_year is None):
            raise ValueError("give start_week (a window) or rate_per_year (at random), one "
                             "of them")
        for f in NEEDS[self.kind]:
            if getattr(self, f) is None:
                raise ValueError(f"a {self.kind} needs {f}")
        allowed = NEEDS[self.kind] + _OPTIONAL.get(self.kind, ())
        for f in _SPECIFIC:
            if f not in allowed and getattr(self, f) is not None:
                article = "an" if self.kind[0] in "aeiou" else "a"
                raise ValueError(f"{f} does not apply to {article} {self.kind}")
        return self

    def hours(self) -> tuple[int, int]:
        """The window in simulated hours, ``[start, end)`` (a declared window only)."""
        if self.start_week is None:
            raise ValueError(f"{self.label} strikes at random: see realized()")
        start = (self.start_week - 1) * 168 + self.start_day * 24
        return start, start + int(round(self.days * 24))

    @property
    def label(self) -> str:
        """What reports call it: its name, or its kind."""
        return self.name or self.kind.replace("_", " ")


def realized(disruptions: list[Disruption], horizon_weeks: int, regions: list[str],
             dcs: list[str], rng: np.random.Generator) -> list[Disruption]:
    """The disruptions of one replication: the declared windows, then the random ones drawn.

    Each random disruption strikes Poisson(``rate_per_year`` x weeks / 52) times, each at a
    uniform day of the horizon, and a closure (DC outage) hits one of its regions (DCs), any
    if none are listed. The draws are made for every random disruption in order, from a
    stream no plan decision touches, so paired plans meet the same events.

    Args:
        disruptions: The scenario's disruptions.
        horizon_weeks: The run's length.
        regions: The network's regions (a random closure's choices when it lists none).
        dcs: The network's DC ids (likewise for a DC outage).
        rng: The ``disruptions`` stream.
    """
    out = [d for d in disruptions if d.rate_per_year is None]
    for d in disruptions:
        if d.rate_per_year is None:
            continue
        n = int(rng.poisson(d.rate_per_year * horizon_weeks / 52.0))
        days = rng.integers(0, horizon_weeks * 7, size=n)
        pick = rng.random(n)
        for day, u in zip(days.tolist(), pick.tolist(), strict=True):
            change: dict = {"rate_per_year": None, "start_week": day // 7 + 1,
                            "start_day": day % 7}
            if d.kind == "store_closure":
                choices = d.regions or regions
                change["regions"] = [choices[int(u * len(choices))]]
            elif d.kind == "dc_outage":
                choices = d.dcs or dcs
                change["dcs"] = [choices[int(u * len(choices))]]
            out.append(d.model_copy(update=change))
    return out
