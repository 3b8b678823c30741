"""Reference network: load, validate and subset the ``seeds/`` tables.

The reference network is five CSV files (stores, DCs, SKUs, calendar, promotions) that a
user can replace with their own company's data. ``load_network`` reads them, checks every
value and every cross-reference, and returns typed frames sorted by id. Any problem raises
one ``NetworkError`` naming the file, the field (with the row, numbered as in a
spreadsheet: the header is row 1) and what is wrong.

Subsets of a network (``network.stores = N``) are taken by :mod:`sim.subsets`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# Where the shipped network lives has one home (sim.shipped); re-exported here.
from sim.shipped import seeds_dir as default_seeds_dir

__all__ = ["FILES", "SCHEMAS", "Network", "NetworkError", "default_seeds_dir", "load_network"]

#: Column kinds: ``str`` non-empty text, ``int`` integer, ``float`` finite number,
#: ``flag`` 0 or 1. Extra columns in a file are kept as text and not checked.
SCHEMAS: dict[str, dict[str, str]] = {
    "stores": {
        "store_id": "str", "region": "str", "volume_class": "str", "open_hour": "int",
        "close_hour": "int", "pos_family": "str", "bopis": "flag", "ship_from_store": "flag",
        "dc_id": "str", "x_km": "float", "y_km": "float",
    },
    "dcs": {"dc_id": "str", "regions": "str", "lead_time_hours": "int", "x_km": "float",
            "y_km": "float"},
    "skus": {
        "sku_id": "str", "category": "str", "velocity_class": "str", "price": "float",
        "cost": "float", "units_per_store_week": "float", "return_rate_store": "float",
        "return_rate_online": "float", "promo_eligible": "flag",
    },
    "calendar": {"week": "int", "seasonality": "float", "online_share_multiplier": "float",
                 "is_peak": "flag", "holiday_return_multiplier": "float"},
    "promotions": {"event_id": "str", "name": "str", "start_week": "int", "weeks": "int",
                   "category": "str", "discount": "float", "lift": "float"},
}
#: Table name -> (file name, id column used for uniqueness and sorting).
FILES: dict[str, tuple[str, str]] = {
    "stores": ("stores.csv", "store_id"),
    "dcs": ("dcs.csv", "dc_id"),
    "skus": ("skus.csv", "sku_id"),
    "calendar": ("calendar.csv", "week"),
    "promotions": ("promotions.csv", "event_id"),
}
VOLUME_CLASSES = ("A", "B", "C")
VELOCITY_CLASSES = ("fast", "medium", "slow")
_INT_RE = re.compile(r"^[+-]?\d+$")


class NetworkError(ValueError):
    """A reference-network file is missing or holds a bad value.

    Attributes:
        file: Path of the offending file, as a string.
        field: The column (``"dc_id"``) or row and column (``"row 17: dc_id"``).
        problem: What is wrong, in one sentence.

    """

    def __init__(self, file: str | Path, field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.file}: {field}: {problem}")


@dataclass(frozen=True, eq=False)
class Network:
    """A validated reference network; every frame is typed and sorted by its id.

    Attributes:
        stores: One row per store (see ``SCHEMAS["stores"]``).
        dcs: One row per distribution center; ``regions`` is ``;``-separated.
        skus: One row per representative SKU.
        calendar: One row per week, weeks 1..N.
        promotions: One row per promotion event (may be empty).
        path: Directory the files were loaded from.

    """

    stores: pd.DataFrame
    dcs: pd.DataFrame
    skus: pd.DataFrame
    calendar: pd.DataFrame
    promotions: pd.DataFrame
    path: Path

    @property
    def region_dc(self) -> dict[str, str]:
        """Map each region name to the id of the DC that serves it."""
        return {r: dc for dc, regs in zip(self.dcs["dc_id"], self.dcs["regions"], strict=True)
                for r in _split_regions(regs)}

    @property
    def n_weeks(self) -> int:
        """Number of weeks in the calendar."""
        return len(self.calendar)


def load_network(path: Path | None = None) -> Network:
    """Load and validate the five reference-network files.

    Args:
        path: Directory holding ``stores.csv``, ``dcs.csv``, ``skus.csv``,
            ``calendar.csv`` and ``promotions.csv``; defaults to ``default_seeds_dir()``.

    Returns:
        The validated ``Network``.

    Raises:
        NetworkError: On the first problem found: a missing file or column, an empty or
            unparsable value, a duplicate id, a value out of range, or a broken
            cross-reference (store DC, region coverage, week range, promotion category).

    """
    root = Path(path) if path is not None else default_seeds_dir()
    tables = {name: _read_table(root, name) for name in FILES}
    _check_dcs(tables["dcs"], root / FILES["dcs"][0])
    _check_stores(tables["stores"], tables["dcs"], root / FILES["stores"][0])
    _check_skus(tables["skus"], root / FILES["skus"][0])
    _check_calendar(tables["calendar"], root / FILES["calendar"][0])
    _check_promotions(tables["promotions"], tables["skus"], len(tables["calendar"]),
                      root / FILES["promotions"][0])
    for name, (_, id_col) in FILES.items():
        tables[name] = tables[name].sort_values(id_col, kind="stable").reset_index(drop=True)
    return Network(path=root, **tables)



def _read_table(root: Path, name: str) -> pd.DataFrame:
    """Read one file as text, then convert each schema column to its kind."""
    file_name, id_col = FILES[name]
    file = root / file_name
    if not file.is_file():
        raise NetworkError(file, "(file)", f"file not found (looked in {root})")
    out = read_typed_csv(file, SCHEMAS[name], allow_empty=name == "promotions")
    dup = out[id_col].duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise NetworkError(file, f"row {i + 2}: {id_col}",
                           f"duplicate id {out[id_col].iloc[i]!r}")
    return out


def read_typed_csv(file: Path, schema: dict[str, str], *, allow_empty: bool = False,
                   optional: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV as text and convert each schema column to its kind (:data:`SCHEMAS`).

    Args:
        file: The CSV file.
        schema: Column name -> kind; columns not in it are kept as text.
        allow_empty: Whether a file with a header and no rows is valid.
        optional: Schema columns that may be absent (checked when present).

    Raises:
        NetworkError: Unreadable file, a missing column, no rows, or a bad value (the first,
            by row and column).
    """
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise NetworkError(file, "(file)", f"not a readable CSV: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in schema if c not in raw.columns and c not in optional]
    if missing:
        raise NetworkError(file, missing[0], f"missing column (expected {', '.join(schema)})")
    if raw.empty and not allow_empty:
        raise NetworkError(file, "(file)", "no data rows")
    out = raw.copy()
    for col in raw.columns:
        out[col] = _parse_column(raw[col].str.strip(), schema.get(col, "extra"), file, col)
    return out


def _parse_column(values: pd.Series, kind: str, file: Path, col: str) -> pd.Series:
    """Convert one text column to its kind, naming the first bad row on failure."""
    if kind == "extra":
        return values
    empty = (values == "").to_numpy()
    if empty.any():
        _fail(file, col, empty, values, "empty value")
    if kind == "str":
        return values
    if kind == "flag":
        bad = ~values.isin(["0", "1"]).to_numpy()
        _fail(file, col, bad, values, "must be 0 or 1, got {v!r}")
        return values.astype(np.int64)
    if kind == "int":
        bad = ~values.map(lambda v: bool(_INT_RE.match(v))).to_numpy(dtype=bool)
        bad |= values.str.len().to_numpy() > 18  # beyond int64
        _fail(file, col, bad, values, "must be a whole number, got {v!r}")
        return values.astype(np.int64)
    nums = pd.to_numeric(values, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(nums.to_numpy())
    _fail(file, col, bad, values, "must be a finite number, got {v!r}")
    return nums


def _fail(file: Path, col: str, bad: np.ndarray, values: pd.Series, problem: str) -> None:
    """Raise a ``NetworkError`` for the first ``True`` in ``bad`` (no-op if none)."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = values.iloc[i]
        v = v.item() if isinstance(v, np.generic) else v  # repr 1.5, not np.float64(1.5)
        raise NetworkError(file, f"row {i + 2}: {col}", problem.format(v=v))


def _check_range(df: pd.DataFrame, col: str, file: Path, what: str, lo: float,
                 hi: float = np.inf, lo_open: bool = False) -> None:
    """Fail on the first value of ``col`` outside ``[lo, hi]`` (``(lo, hi]`` if lo_open)."""
    v = df[col].to_numpy()
    bad = ((v <= lo) if lo_open else (v < lo)) | (v > hi)
    _fail(file, col, bad, df[col], f"must be {what}, got {{v!r}}")


def _check_choice(df: pd.DataFrame, col: str, allowed: Sequence[str], file: Path) -> None:
    """Fail on the first value of ``col`` not in ``allowed``."""
    bad = ~df[col].isin(list(allowed)).to_numpy()
    _fail(file, col, bad, df[col], f"must be one of {', '.join(allowed)}; got {{v!r}}")


def _split_regions(value: str) -> list[str]:
    return [r.strip() for r in value.split(";") if r.strip()]



def _check_dcs(dcs: pd.DataFrame, file: Path) -> None:
    _check_range(dcs, "lead_time_hours", file, "non-negative", lo=0)
    owner: dict[str, str] = {}
    for i, (dc, regs) in enumerate(zip(dcs["dc_id"], dcs["regions"], strict=True)):
        names = _split_regions(regs)
        if not names:
            raise NetworkError(file, f"row {i + 2}: regions", "lists no region")
        for r in names:
            if r in owner:
                raise NetworkError(file, f"row {i + 2}: regions",
                                   f"region {r!r} is already served by {owner[r]}; "
                                   "each region must be served by exactly one DC")
            owner[r] = dc


def _check_stores(stores: pd.DataFrame, dcs: pd.DataFrame, file: Path) -> None:
    _check_choice(stores, "volume_class", VOLUME_CLASSES, file)
    _check_range(stores, "open_hour", file, "an hour 0..23", lo=0, hi=23)
    _check_range(stores, "close_hour", file, "an hour 1..24", lo=1, hi=24)
    bad = (stores["close_hour"] <= stores["open_hour"]).to_numpy()
    _fail(file, "close_hour", bad, stores["close_hour"], "must be after open_hour, got {v!r}")
    dc_file = file.with_name(FILES["dcs"][0]).name
    bad = ~stores["dc_id"].isin(dcs["dc_id"]).to_numpy()
    _fail(file, "dc_id", bad, stores["dc_id"], f"DC {{v!r}} is not in {dc_file}")
    served = {r for regs in dcs["regions"] for r in _split_regions(regs)}
    bad = ~stores["region"].isin(sorted(served)).to_numpy()
    _fail(file, "region", bad, stores["region"], f"region {{v!r}} is not served by any DC in "
          f"{dc_file}")


def _check_skus(skus: pd.DataFrame, file: Path) -> None:
    _check_choice(skus, "velocity_class", VELOCITY_CLASSES, file)
    _check_range(skus, "price", file, "a positive price", lo=0, lo_open=True)
    _check_range(skus, "cost", file, "a non-negative cost", lo=0)
    _check_range(skus, "units_per_store_week", file, "non-negative", lo=0)
    for col in ("return_rate_store", "return_rate_online"):
        _check_range(skus, col, file, "a fraction in [0, 1]", lo=0, hi=1)


def _check_calendar(cal: pd.DataFrame, file: Path) -> None:
    weeks = np.sort(cal["week"].to_numpy())
    expected = np.arange(1, len(cal) + 1)
    if not np.array_equal(weeks, expected):
        first = int(np.flatnonzero(weeks != expected)[0])
        raise NetworkError(file, "week", f"weeks must run 1..{len(cal)} without gaps; "
                           f"week {first + 1} is missing or out of place")
    for col in ("seasonality", "online_share_multiplier", "holiday_return_multiplier"):
        _check_range(cal, col, file, "non-negative", lo=0)


def _check_promotions(promos: pd.DataFrame, skus: pd.DataFrame, n_weeks: int,
                      file: Path) -> None:
    categories = ["all", *sorted(skus["category"].unique())]
    _check_choice(promos, "category", categories, file)
    _check_range(promos, "start_week", file, f"a calendar week 1..{n_weeks}", lo=1,
                 hi=n_weeks)
    _check_range(promos, "weeks", file, "at least 1", lo=1)
    end = (promos["start_week"] + promos["weeks"] - 1).to_numpy()
    _fail(file, "weeks", end > n_weeks, promos["weeks"],
          f"event runs past the last calendar week {n_weeks} ({{v!r}} weeks)")
    _check_range(promos, "discount", file, "a fraction in [0, 1]", lo=0, hi=1)
    _check_range(promos, "lift", file, "a positive multiplier", lo=0, lo_open=True)
