"""Uncertain inputs: the ranges sensitivity analysis explores (issue 19).

The ranges are declared once, in ``seeds/uncertainty.csv`` (``name,low,high,provenance``), next
to the defaults in ``parameters.csv``: a ``name`` is a model parameter (a row of
``parameters.csv``) or, with a dot, a scenario key (``training.completion``). Every range has a
provenance line, like every default. A design point sets each factor to a value in its range
and becomes a scenario (:func:`apply_point`); the ``dummy`` factor is read by nothing, so its
effect measures what the analysis reports for an input that does not matter (zero when the
design points share their seeds, as they do).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.loader import ScenarioError, parse_scenario
from sim.scenario import PathError, Scenario

#: The factor no mechanism reads (a screening design's reference for "no effect").
DUMMY = "dummy"


class FactorError(ValueError):
    """A malformed range: ``where`` names the file and row, or the command-line option."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Factor:
    """One uncertain input and the range it is explored over.

    Attributes:
        name: A parameter name, a dotted scenario key, or :data:`DUMMY`.
        low: Lowest value explored.
        high: Highest value explored.
        provenance: Where the range comes from.
    """

    name: str
    low: float
    high: float
    provenance: str = ""

    @property
    def is_key(self) -> bool:
        """Whether the factor is a scenario key (``training.completion``), not a parameter."""
        return "." in self.name


def _factor(name: str, low: Any, high: Any, provenance: str, where: str) -> Factor:
    name = (name or "").strip()
    if not name:
        raise FactorError(where, "empty factor name")
    try:
        lo, hi = float(low), float(high)
    except (TypeError, ValueError):
        raise FactorError(where, f"'{name}': low and high must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise FactorError(where, f"'{name}': needs finite low < high (got {low} and {high})")
    return Factor(name, lo, hi, provenance.strip())


def load_factors(path: Path | None = None) -> list[Factor]:
    """The declared ranges (``seeds/uncertainty.csv`` by default), in file order.

    Raises:
        FactorError: A missing column, a duplicate name, a bad range or a missing provenance.
    """
    if path is None:
        from sim.network import default_seeds_dir

        path = default_seeds_dir() / "uncertainty.csv"
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"name", "low", "high", "provenance"} - set(reader.fieldnames or [])
        if missing:
            raise FactorError(str(path), f"missing column(s) {sorted(missing)}")
        out: dict[str, Factor] = {}
        for row_no, row in enumerate(reader, start=2):
            where = f"{path}: row {row_no}"
            f = _factor(row["name"], row["low"], row["high"], row["provenance"] or "", where)
            if f.name in out:
                raise FactorError(where, f"duplicate '{f.name}'")
            if not f.provenance:
                raise FactorError(where, f"'{f.name}' has no provenance")
            out[f.name] = f
    return list(out.values())


def parse_factor(text: str) -> Factor:
    """A range given on the command line: ``NAME=LOW:HIGH`` (``training.completion=0.6:0.95``).

    Raises:
        FactorError: Not of that form, or not low < high.
    """
    where = f"--factor {text}"
    name, eq, rng = text.partition("=")
    low, colon, high = rng.partition(":")
    if not eq or not colon:
        raise FactorError(where, "expected NAME=LOW:HIGH")
    return _factor(name, low.strip(), high.strip(), "given on the command line", where)


def select(declared: list[Factor], names: list[str] | None = None,
           extra: list[Factor] | None = None, dummy: bool = False) -> list[Factor]:
    """The factors of one analysis.

    Args:
        declared: The declared ranges (:func:`load_factors`).
        names: Declared factors to keep, in this order (None: all of them).
        extra: Ranges given by the user; one with a declared name replaces its range.
        dummy: Add :data:`DUMMY` (range 0-1, read by nothing).

    Raises:
        FactorError: A name that is not declared, or fewer than two factors.
    """
    by_name = {f.name: f for f in declared}
    for f in extra or []:
        by_name[f.name] = f
    if names is None:
        chosen = list(by_name.values())
    else:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise FactorError("--only", f"not a declared factor: {', '.join(unknown)}")
        chosen = [by_name[n] for n in names] + [f for f in extra or [] if f.name not in names]
    if dummy:
        chosen = [f for f in chosen if f.name != DUMMY]
        chosen.append(Factor(DUMMY, 0.0, 1.0, "read by nothing: the reference for no effect"))
    if len(chosen) < 2:
        raise FactorError("factors", "a sensitivity analysis needs at least two factors")
    return chosen


def apply_point(scenario: Scenario, factors: list[Factor], values: list[float]) -> Scenario:
    """The scenario with each factor set to its value (the dummy changes nothing).

    A parameter becomes a ``parameters.NAME`` override (it must be a model parameter); a
    scenario key is set where it is, rounded if the key holds a whole number.

    Raises:
        FactorError: A name that is neither a parameter nor a scenario key, or a value the
            scenario rejects.
    """
    raw = scenario.model_dump(mode="json")
    overrides: dict[str, Any] = {}
    known: set[str] | None = None  # the network's parameter names, read once if needed
    for f, v in zip(factors, values, strict=True):
        if f.name == DUMMY:
            continue
        if f.is_key:
            node: Any = raw
            for part in f.name.split(".")[:-1]:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            current = node.get(f.name.split(".")[-1]) if isinstance(node, dict) else None
            overrides[f.name] = round(v) if isinstance(current, int) and not isinstance(
                current, bool) else float(v)
        else:
            if known is None:
                folder = scenario.network_dir()
                known = _parameter_names(str(folder) if folder else None)
            if f.name not in known:
                raise FactorError(f.name, "not a model parameter (seeds/parameters.csv) and "
                                  "not a dotted scenario key")
            overrides[f"parameters.{f.name}"] = float(v)
    try:
        out = parse_scenario(raw, scenario.source or "<scenario>", overrides)
    except (PathError, ScenarioError) as e:
        # A range reaching a value the scenario rejects (a share above 1...): its first line.
        first = e.errors[0] if isinstance(e, ScenarioError) else e
        problem = first.problem.removesuffix(" [from --set]")
        raise FactorError("a factor's range", f"{first.path}: {problem}") from None
    out._source = scenario.source
    return out


@lru_cache(maxsize=8)
def _parameter_names(folder: str | None) -> frozenset[str]:
    """The model parameters a network folder's scenarios can override.

    Read once per folder: every design point of an analysis asks.
    """
    from sim.network import default_seeds_dir
    from sim.parameters import network_parameters

    params, _ = network_parameters(Path(folder) if folder else None, default_seeds_dir())
    return frozenset(params)
