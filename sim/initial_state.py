"""Today's state as the starting point: open exceptions and stock read from files (issue 20).

Without these files a run starts as it always has: stock drawn around the replenishment
targets with published record inaccuracy, and every team's queue empty. A user who knows where
the chain stands today gives either or both:

* ``initial_exceptions.csv``: the work items open at the start, ``type,count,age_hours`` and an
  optional ``store_id`` (empty or absent: a central item). Each row is ``count`` items of a
  taxonomy type (:data:`~sim.model.desk.taxonomy.EXCEPTION_TYPES`) opened ``age_hours`` before
  the run starts. They wait in their owning team's queue from hour 0, oldest first and ahead
  of everything raised later; the team serves them with the type's handling times, and their
  SLA runs from when they were opened. They count in the backlog, the SLA outcomes and the
  handling hours, not in the exceptions raised during the run, and they change nothing when
  finished (the order, refund or record they stood for is not in the model). On a slice, the
  items of stores outside it are the team's work for those stores (stand-ins).
* ``initial_stock.csv``: ``location,sku_id,on_hand`` and an optional ``on_record`` (default:
  the record is right), a location being a store or a DC. The listed cells replace the drawn
  stock and record; the others keep the drawn start. Rows for stores or SKUs outside a slice
  are skipped.
* ``initial_returns.csv``: ``dc_id,sku_id,units,age_hours``: mailed returns on their way to a
  DC (or arrived and waiting for its bench), dropped at the carrier ``age_hours`` before the
  run. Each parcel's remaining transit is a fresh transit time less its age (none left: it is
  at the DC); the bench inspects them first come first served with the run's own parcels,
  and their refunds follow the legacy process they started in, their cycle counted from the
  drop-off. They are returns of before the run: not in its returned units. On a slice each
  parcel is kept with the slice's share of the stores (the bench is the slice's).

The files are named in the scenario (``[initial]``, paths relative to the scenario file) or
lie in the network folder under these names; the scenario's take precedence. Every mistake is
one line naming the file, the row and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model.desk.taxonomy import EXCEPTION_TYPES, KIND
from sim.network import Network, NetworkError, read_typed_csv
from sim.scenario import PathError, Scenario

#: What each initial-state file is called in a network folder, by ``[initial]`` key.
FILE_NAMES = {"exceptions": "initial_exceptions.csv", "stock": "initial_stock.csv",
              "returns": "initial_returns.csv"}
_EXCEPTIONS = {"type": "str", "count": "int", "age_hours": "float", "store_id": "extra"}
_STOCK = {"location": "str", "sku_id": "str", "on_hand": "int", "on_record": "int"}
_RETURNS = {"dc_id": "str", "sku_id": "str", "units": "int", "age_hours": "float"}
#: Store index of an item at a store the slice leaves out.
OUTSIDE = -2


@dataclass(frozen=True)
class InitialExceptions:
    """Work items open at the start, one entry per item, oldest first.

    Attributes:
        kind: Taxonomy code of each item.
        store: Store index in the run (-1: central; :data:`OUTSIDE`: a store not in the slice).
        age_hours: Hours the item had been open when the run starts.
    """

    kind: np.ndarray
    store: np.ndarray
    age_hours: np.ndarray


@dataclass(frozen=True)
class InitialStock:
    """Stock and records of listed cells (node index x SKUs + SKU index; stores, then DCs)."""

    cell: np.ndarray
    on_hand: np.ndarray
    on_record: np.ndarray


@dataclass(frozen=True)
class InitialReturns:
    """Mailed returns under way at the start, one entry per unit.

    Attributes:
        dc: DC index (0-based, in id order).
        sku: SKU index in the run.
        age_hours: Hours since the parcel was dropped at the carrier.
    """

    dc: np.ndarray
    sku: np.ndarray
    age_hours: np.ndarray


@dataclass(frozen=True)
class InitialState:
    """What a run starts from instead of the drawn warm start (any part may be absent)."""

    exceptions: InitialExceptions | None = None
    stock: InitialStock | None = None
    returns: InitialReturns | None = None


def initial_files(scenario: Scenario) -> dict[str, Path]:
    """The initial-state files that apply to a scenario, by ``[initial]`` key."""
    out: dict[str, Path] = {}
    folder = scenario.network_dir()
    for key, name in FILE_NAMES.items():
        given = getattr(scenario.initial, key)
        if given is not None:
            p = Path(given).expanduser()
            if not p.is_absolute() and scenario.source is not None:
                p = scenario.source.parent / p
            out[key] = p
        elif folder is not None and (folder / name).is_file():
            out[key] = folder / name
    return out


def load_initial(scenario: Scenario, net: Network, stores: pd.DataFrame, skus: pd.DataFrame
                 ) -> InitialState | None:
    """Read and check the initial-state files of a scenario (None when it has none).

    Args:
        scenario: The scenario (its ``[initial]`` and network folder).
        net: The whole network (ids are checked against it).
        stores: The run's stores (a slice's subset), in engine order.
        skus: The run's SKUs, in engine order.

    Raises:
        PathError: At ``initial.exceptions`` or ``initial.stock``: a missing file or a bad
            value, naming the file, row and column.
    """
    files = initial_files(scenario)
    if not files:
        return None
    read = {"exceptions": lambda f: _exceptions(f, net, stores),
            "stock": lambda f: _stock(f, net, stores, skus),
            "returns": lambda f: _returns(f, net, skus)}
    parts = {}
    for key, file in files.items():
        try:
            parts[key] = read[key](file)
        except NetworkError as e:
            raise PathError(f"initial.{key}", str(e)) from None
    return InitialState(**parts)


def _read(file: Path, schema: dict[str, str], optional: tuple[str, ...]) -> pd.DataFrame:
    if not file.is_file():
        raise NetworkError(file, "(file)", "file not found")
    return read_typed_csv(file, schema, allow_empty=True, optional=optional)


def _bad(file: Path, df: pd.DataFrame, col: str, bad: np.ndarray, problem: str) -> None:
    """Raise for the first ``True`` in ``bad``; ``problem`` may use ``{v}`` for its value."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NetworkError(file, f"row {i + 2}: {col}", problem.format(v=df[col].iloc[i]))


def _exceptions(file: Path, net: Network, stores: pd.DataFrame) -> InitialExceptions:
    df = _read(file, _EXCEPTIONS, ("store_id",))
    _bad(file, df, "type", ~df["type"].isin(EXCEPTION_TYPES).to_numpy(),
         "unknown exception type {v!r} (types: " + ", ".join(EXCEPTION_TYPES) + ")")
    _bad(file, df, "count", (df["count"] < 0).to_numpy(), "must be 0 or more, got {v}")
    _bad(file, df, "age_hours", (df["age_hours"] < 0).to_numpy(), "must be 0 or more, got {v}")
    ids = df["store_id"] if "store_id" in df else pd.Series([""] * len(df), dtype=str)
    known = set(net.stores["store_id"])
    given = (ids != "").to_numpy()
    if "store_id" in df:
        _bad(file, df, "store_id", given & ~ids.isin(known).to_numpy(), "unknown store {v!r}")
    index = {s: i for i, s in enumerate(stores["store_id"])}
    store = np.array([index.get(s, OUTSIDE) if s else -1 for s in ids], dtype=np.int64)
    counts = df["count"].to_numpy(np.int64)
    # Oldest first (a stable sort keeps the file's order among equal ages): FCFS by opening.
    order = np.argsort(-df["age_hours"].to_numpy(float), kind="stable")
    kind = df["type"].map(KIND).to_numpy(np.int64)
    return InitialExceptions(np.repeat(kind[order], counts[order]),
                             np.repeat(store[order], counts[order]),
                             np.repeat(df["age_hours"].to_numpy(float)[order], counts[order]))


def _stock(file: Path, net: Network, stores: pd.DataFrame, skus: pd.DataFrame
           ) -> InitialStock:
    df = _read(file, _STOCK, ("on_record",))
    if "on_record" not in df:
        df["on_record"] = df["on_hand"]
    nodes = list(net.stores["store_id"]) + list(net.dcs["dc_id"])
    _bad(file, df, "location", ~df["location"].isin(nodes).to_numpy(),
         "unknown store or DC {v!r}")
    _bad(file, df, "sku_id", ~df["sku_id"].isin(set(net.skus["sku_id"])).to_numpy(),
         "unknown SKU {v!r}")
    for col in ("on_hand", "on_record"):
        _bad(file, df, col, (df[col] < 0).to_numpy(), "must be 0 or more, got {v}")
    dup = df.duplicated(["location", "sku_id"]).to_numpy()
    _bad(file, df, "sku_id", dup, "{v!r} listed twice for one location")
    # Engine order: the run's stores, then every DC (sorted by id, as the world builds them).
    node = {s: i for i, s in enumerate(stores["store_id"])}
    node.update({d: len(stores) + i for i, d in enumerate(net.dcs["dc_id"])})
    sku = {k: i for i, k in enumerate(skus["sku_id"])}
    n_idx = df["location"].map(node)
    k_idx = df["sku_id"].map(sku)
    keep = (n_idx.notna() & k_idx.notna()).to_numpy()
    cell = (n_idx[keep].to_numpy(np.int64) * len(skus) + k_idx[keep].to_numpy(np.int64))
    return InitialStock(cell, df["on_hand"].to_numpy(np.int64)[keep],
                        df["on_record"].to_numpy(np.int64)[keep])


def _returns(file: Path, net: Network, skus: pd.DataFrame) -> InitialReturns:
    df = _read(file, _RETURNS, ())
    dcs = list(net.dcs["dc_id"])
    _bad(file, df, "dc_id", ~df["dc_id"].isin(dcs).to_numpy(), "unknown DC {v!r}")
    _bad(file, df, "sku_id", ~df["sku_id"].isin(set(net.skus["sku_id"])).to_numpy(),
         "unknown SKU {v!r}")
    for col in ("units", "age_hours"):
        _bad(file, df, col, (df[col] < 0).to_numpy(), "must be 0 or more, got {v}")
    sku = df["sku_id"].map({k: i for i, k in enumerate(skus["sku_id"])})
    keep = sku.notna().to_numpy()  # SKUs outside a slice's assortment are not its returns
    units = df["units"].to_numpy(np.int64)[keep]
    dc = df["dc_id"].map({d: i for i, d in enumerate(dcs)}).to_numpy(np.int64)[keep]
    return InitialReturns(np.repeat(dc, units), np.repeat(sku[keep].to_numpy(np.int64), units),
                          np.repeat(df["age_hours"].to_numpy(float)[keep], units))
