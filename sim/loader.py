"""Load scenario files: TOML, ``--set`` overrides, one-line errors (DESIGN §8).

Every problem a user can make in a scenario is reported as one line,
``<file>: <field path>: <what is wrong>``, with a suggestion where one exists; the CLI prints
each after ``error:`` and exits 2. All of a file's problems are found at once, layer by layer:
the fields (unknown keys, types, ranges), the rules between fields (weeks against the horizon
and the freeze windows), then the plan against its network (regions, store ids, parameters).
A later layer also runs when an earlier one failed, as long as the mistakes found cannot change
its verdict (a wrong ``training.completion`` says nothing about the waves); only a TOML syntax
error stops everything. The :class:`ScenarioError` raised is the first problem and carries them
all in ``errors``.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario import PathError, Scenario
from sim.scenario_base import COLLECT

#: Overrides of a scenario's fields: ``"dotted.key=value"`` strings or ``{dotted key: value}``.
Overrides = Sequence[str] | Mapping[str, Any] | None


class ScenarioError(Exception):
    """A scenario problem, reported on one line; with the file's other problems in ``errors``.

    ``str()`` of a single problem is its line, ``<file>: <field path>: <problem>``; when the
    file has more, the line says how many more there are (each is in ``errors``).

    Attributes:
        file: The scenario file (or ``--set``).
        path: The dotted field path, e.g. ``waves.0.go_live_week``.
        problem: What is wrong, with a suggestion where one exists.
        errors: Every problem found in the file, this one first, each a ScenarioError of
            its own (one line).
    """

    def __init__(self, file: str | Path, path: str, problem: str,
                 more: Sequence[ScenarioError] = ()) -> None:
        self.file = str(file)
        self.path = path
        self.problem = problem.replace("\n", " ")
        # With more problems, the first of ``errors`` is this one's own line, without the count.
        self.errors: list[ScenarioError] = (
            [ScenarioError(file, path, problem), *more] if more else [self])
        line = f"{self.file}: {self.path}: {self.problem}"
        if more:
            line += f" (and {len(more)} more problem{'s' if len(more) > 1 else ''}: see .errors)"
        super().__init__(line)

    @classmethod
    def raise_all(cls, errors: Sequence[ScenarioError]) -> None:
        """Raise the first of ``errors`` carrying all of them (nothing when there are none).

        Raises:
            ScenarioError: The first problem, with every one (duplicates dropped) in ``errors``.
        """
        unique: dict[tuple[str, str, str], ScenarioError] = {}
        for e in errors:
            unique.setdefault((e.file, e.path, e.problem), e)
        if unique:
            first, *rest = unique.values()
            raise cls(first.file, first.path, first.problem, rest)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional``/``X | None`` so the remaining type can be inspected."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid keys: {', '.join(options)}"


def _walk_schema(parts: list[str]) -> None:
    """Check that a dotted ``--set`` path names a field, raising ``PathError`` if not."""
    tp: Any = Scenario
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if _is_model(tp):
            fields = list(tp.model_fields)
            if part not in fields:
                raise PathError(here, f"unknown key '{part}'{_suggest(part, fields)}")
            tp = tp.model_fields[part].annotation
        elif origin is list:
            if not part.isdigit():
                raise PathError(here, f"'{part}' is not a list index (use e.g. "
                                f"{'.'.join(parts[:depth])}.0)")
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            raise PathError(here, f"'{'.'.join(parts[:depth])}' is a value, not a table")


def _parse_value(text: str) -> Any:
    """Parse an override's value as a TOML literal, falling back to a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(raw: dict[str, Any], assignment: str) -> str:
    """Apply one ``dotted.key=value`` to the raw scenario dict.

    Args:
        raw: The scenario as parsed from TOML (modified in place).
        assignment: ``dotted.key=value``; list items by index (``waves.0.go_live_week=20``).

    Returns:
        The dotted path that was set.

    Raises:
        PathError: Unknown key, bad index, or a malformed assignment.
    """
    if "=" not in assignment:
        raise PathError(assignment, "expected dotted.key=value")
    key, _, text = assignment.partition("=")
    return set_path(raw, key.strip(), _parse_value(text.strip()))


def set_path(raw: dict[str, Any], key: str, value: Any) -> str:
    """Set ``dotted.key`` of the raw scenario dict to ``value`` (see :func:`apply_override`).

    Raises:
        PathError: Unknown key or bad index.
    """
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise PathError(key or "=", "empty key in --set")
    _walk_schema(parts)
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            idx = int(part)
            if idx >= len(node):
                raise PathError(here, f"index {idx} out of range (there are {len(node)})")
            node = node[idx]
        else:
            if part not in node:
                if parts[depth + 1].isdigit():
                    raise PathError(here, "the scenario has no such list to index")
                node[part] = {}
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        idx = int(last)
        if idx >= len(node):
            raise PathError(key, f"index {idx} out of range (there are {len(node)})")
        node[idx] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise PathError(key, "cannot set a key inside a value")
    return key


def _format_pydantic(err: dict[str, Any], overridden: set[str]) -> tuple[str, str]:
    loc = [str(x) for x in err["loc"]]
    path = ".".join(loc) or "(top level)"
    kind = err["type"]
    msg: str = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        parent: Any = Scenario
        for part in loc[:-1]:
            parent = _unwrap(parent)
            if _is_model(parent):
                parent = parent.model_fields[part].annotation
            elif typing.get_origin(parent) in (list, dict):
                parent = typing.get_args(parent)[-1]
        parent = _unwrap(parent)
        fields = list(parent.model_fields) if _is_model(parent) else []
        msg = f"unknown key '{loc[-1]}'" + (_suggest(loc[-1], fields) if fields else "")
    elif kind == "missing":
        msg = "required field missing"
    elif "input" in err and kind not in ("model_type",) and not isinstance(err["input"], dict):
        msg = f"{msg} (got {err['input']!r})"
    if path in overridden:
        msg += " [from --set]"
    return path, msg


#: What the checks after the field checks read (the rules between fields, the network): a
#: mistake in one of them, once dropped, could change their verdict.
_READ_LATER = ("horizon_weeks", "waves", "central", "harmonization", "peak.freeze_windows",
               "peak.freeze_policy", "network", "inventory.legacy_sync_hours_by_pos_family",
               "parameters")


def _harmless(loc: tuple[Any, ...], kind: str) -> bool:
    """Whether dropping the value at ``loc`` leaves the later checks' verdicts meaningful.

    An unknown key is judged by its table (the key it was meant to be is unknown), a bad value
    by its own path; either must not overlap anything :data:`_READ_LATER` names.
    """
    parts = [str(x) for x in (loc[:-1] if kind == "extra_forbidden" else loc)]
    for dep in _READ_LATER:
        d = dep.split(".")
        n = min(len(d), len(parts))
        if d[:n] == parts[:n]:
            return False
    return True


def _without(raw: dict[str, Any], locs: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    """A copy of ``raw`` with the values at ``locs`` dropped (None if one cannot be)."""
    out = copy.deepcopy(raw)
    for loc in locs:
        node: Any = out
        for part in loc[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        if not isinstance(node, dict) or loc[-1] not in node:
            return None
        del node[loc[-1]]
    return out


def _validate(raw: dict[str, Any], file: str | Path, overrides: Overrides
              ) -> tuple[Scenario | None, list[ScenarioError]]:
    """Every field and cross-field problem of a raw scenario (plus overrides).

    Returns:
        The scenario later checks may read (None when a mistake leaves nothing they could
        trust; with field mistakes, the scenario without the harmless wrong values), and the
        problems found.
    """
    errors: list[ScenarioError] = []
    overridden: set[str] = set()
    trusted = True
    pairs = (overrides.items() if isinstance(overrides, Mapping)
             else ((None, a) for a in overrides or []))
    for key, assignment in pairs:
        try:
            overridden.add(apply_override(raw, assignment) if key is None
                           else set_path(raw, str(key), assignment))
        except PathError as e:
            errors.append(ScenarioError(file, e.path, f"{e.problem} [from --set]"))
            trusted = False
    found: list[PathError] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(raw, context={COLLECT: found})
    except ValidationError as e:
        dropped = []
        for err in e.errors():
            errors.append(ScenarioError(file, *_format_pydantic(err, overridden)))
            dropped.append(tuple(err["loc"]))
            trusted = trusted and _harmless(tuple(err["loc"]), err["type"])
        rest = _without(raw, dropped) if trusted else None
        if rest is not None:
            try:
                scenario = Scenario.model_validate(rest, context={COLLECT: found})
            except (ValidationError, PathError):
                scenario = None
    except PathError as e:  # a rule that does not collect: report what it raised
        found.extend(e.errors)
    errors += [ScenarioError(file, p.path, p.problem) for p in found]
    return (scenario if trusted else None), errors


def parse_scenario(raw: dict[str, Any], file: str | Path = "<scenario>",
                   overrides: Overrides = None) -> Scenario:
    """Validate a raw scenario dict (plus overrides) into a :class:`Scenario`.

    ``overrides`` are ``"dotted.key=value"`` strings (the CLI's ``--set``) or a mapping of
    dotted keys to values (``{"horizon_weeks": 8, "network.stores": 60}``).

    Raises:
        ScenarioError: The first problem found, as one line, with every problem of the fields
            and the rules between them in ``errors``.
    """
    scenario, errors = _validate(raw, file, overrides)
    ScenarioError.raise_all(errors)
    assert scenario is not None
    return scenario


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML scenario file, turning I/O and syntax problems into ScenarioError."""
    if not path.exists():
        raise ScenarioError(path, "file", "no such file")
    if path.is_dir():
        raise ScenarioError(path, "file", "is a directory, not a scenario file (give the "
                            "TOML files in it, e.g. dir/*.toml)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(path, "file", f"cannot read: {e}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # Python 3.11's TOMLDecodeError only carries "msg (at line L, column C)".
        text_e = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", text_e)
        where = f"line {m.group(1)}" if m else "syntax"
        problem = text_e.split(" (at ")[0] + (f" (column {m.group(2)})" if m else "")
        raise ScenarioError(path, where, f"TOML syntax error: {problem}") from None


def load_scenario(path: str | Path, overrides: Overrides = None,
                  check_network: bool = True) -> Scenario:
    """Load, override and validate a scenario file.

    Args:
        path: The TOML file.
        overrides: ``dotted.key=value`` strings, or a mapping of dotted keys to values
            (``{"horizon_weeks": 8}``), applied before validation.
        check_network: Also check the plan against its network (regions, store ids, waves).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: One line naming the file, the field path and the problem; every problem
            of the file (fields, rules, network) is in its ``errors``.
    """
    path = Path(path)
    raw = read_toml(path)
    scenario, errors = _validate(raw, path, overrides)
    if scenario is not None:
        scenario._source = path.resolve()
        if check_network:
            from sim.plan_checks import network_problems

            errors += [ScenarioError(path, e.path, e.problem) for e in network_problems(scenario)]
    ScenarioError.raise_all(errors)
    assert scenario is not None
    return scenario
