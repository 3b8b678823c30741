"""Model parameters: ``seeds/parameters.csv`` (value, unit, provenance) plus scenario overrides."""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass
from pathlib import Path

from sim.network import NetworkError
from sim.scenario import PathError


@dataclass(frozen=True)
class Parameter:
    """One default parameter with its unit and provenance line."""

    name: str
    value: float
    unit: str
    provenance: str


def load_parameters(folder: Path) -> dict[str, Parameter]:
    """Read ``parameters.csv`` from a network folder.

    Raises:
        NetworkError: Missing file or column, a duplicate name, an unparsable value or a
            missing provenance.
    """
    path = folder / "parameters.csv"
    if not path.exists():
        raise NetworkError(str(path), "file", "no such file")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"name", "value", "unit", "provenance"} - set(reader.fieldnames or [])
        if missing:
            raise NetworkError(str(path), "columns", f"missing column(s) {sorted(missing)}")
        out: dict[str, Parameter] = {}
        for row_no, row in enumerate(reader, start=2):
            name = (row["name"] or "").strip()
            if name in out:
                raise NetworkError(str(path), f"row {row_no}: name", f"duplicate '{name}'")
            try:
                value = float(row["value"])
            except (TypeError, ValueError):
                raise NetworkError(str(path), f"row {row_no}: value",
                                   f"not a number: {row['value']!r}") from None
            if not math.isfinite(value):
                raise NetworkError(str(path), f"row {row_no}: value", "not finite")
            if not (row["provenance"] or "").strip():
                raise NetworkError(str(path), f"row {row_no}: provenance",
                                   f"'{name}' has no provenance")
            out[name] = Parameter(name, value, row["unit"], row["provenance"])
    return out


def network_parameters(folder: Path | None, package: Path
                       ) -> tuple[dict[str, Parameter], dict[str, str]]:
    """The package's parameters, overridden by name by a network folder's own file.

    A user's network needs no copy of the model's parameters: its ``parameters.csv``, if any,
    lists only what it changes (with provenance, like every default).

    Args:
        folder: The scenario's network folder (None: the reference network).
        package: The folder of the package's own ``parameters.csv``.

    Returns:
        The parameters, and where each came from: ``"package"`` or the network file's path.

    Raises:
        NetworkError: A malformed file, or a name the model does not have.
    """
    params = load_parameters(package)
    sources = dict.fromkeys(params, "package")
    own = None if folder is None else folder / "parameters.csv"
    if own is None or not own.exists() or own.resolve() == (package / "parameters.csv").resolve():
        return params, sources
    for name, p in load_parameters(folder).items():
        if name not in params:
            close = difflib.get_close_matches(name, list(params), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise NetworkError(str(own), "name", f"unknown parameter '{name}'{hint}")
        params[name], sources[name] = p, str(own)
    return params, sources


def resolve_parameters(defaults: dict[str, Parameter],
                       overrides: dict[str, float]) -> dict[str, float]:
    """Apply a scenario's ``[parameters]`` overrides to the defaults.

    Raises:
        PathError: An override names no known parameter.
    """
    values = {k: p.value for k, p in defaults.items()}
    for key, value in overrides.items():
        if key not in values:
            close = difflib.get_close_matches(key, list(values), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise PathError(f"parameters.{key}", f"unknown parameter{hint}")
        values[key] = float(value)
    return values
