"""A chain's weekly history for ``rollout-sim calibrate``: read and check it, or simulate one.

A history folder holds up to four CSV files; weeks are the network calendar's week numbers
(``calendar.csv``, 1..52), and ``store_sales.csv`` must cover its weeks ``a..b`` without gaps:

* ``store_sales.csv`` (required): ``week,store_id,units``, the walk-in units each store sold.
  An optional ``sku_id`` or ``category`` column may break a store-week down; its rows are
  summed (SKUs are not matched to ``skus.csv``: the model's SKUs are representative).
* ``online_sales.csv`` (optional): ``week,units``, online units ordered (order lines).
* ``returns.csv`` (optional): ``week,channel,units``, units whose return started that week,
  ``channel`` ``store`` (bought in a store) or ``online`` (bought online, returned in a store
  or by mail).
* ``exceptions.csv`` (optional): ``week,type,count``, manual exceptions raised that week,
  ``type`` one of :data:`sim.model.desk.taxonomy.EXCEPTION_TYPES`.

Rows for the same week and key are summed. The chain-wide series (online units, exceptions)
are read as covering the stores of ``store_sales.csv``. Every problem raises one
:class:`~sim.network.NetworkError` naming the file, the field (and row, numbered as in a
spreadsheet: the header is row 1) and what is wrong.

:func:`simulate_history` runs the model and writes the same files from its counters, so a
calibration can be tried on a chain whose parameters are known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.files import atomic_write
from sim.model.desk.taxonomy import EXCEPTION_TYPES
from sim.network import NetworkError, read_typed_csv
from sim.scenario import Scenario

__all__ = ["CHANNELS", "FILES", "History", "comparable", "history_from_simulation",
           "load_history", "simulate_history", "write_history"]

#: File name -> (required columns, optional columns); ``store_sales.csv`` is required.
FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "store_sales.csv": (("week", "store_id", "units"), ("sku_id", "category")),
    "online_sales.csv": (("week", "units"), ()),
    "returns.csv": (("week", "channel", "units"), ()),
    "exceptions.csv": (("week", "type", "count"), ()),
}
#: Return channels: where the returned unit was bought.
CHANNELS = ("store", "online")


@dataclass(frozen=True)
class History:
    """Weekly observations of a chain.

    Attributes:
        source: Where it came from (the folder, or ``simulated``), for provenance lines.
        sales: Walk-in units, one row per calendar week (index), one column per store id;
            NaN where a store has no row that week.
        online: Online units by week, or None.
        returns: Returned units by week, a column per channel observed (``store``,
            ``online``), or None.
        exceptions: Exceptions raised by week, a column per type observed, or None.
        stores_covered: Stores the chain-wide series (online units, exceptions) count.
    """

    source: str
    sales: pd.DataFrame
    online: pd.Series | None = None
    returns: pd.DataFrame | None = None
    exceptions: pd.DataFrame | None = None
    stores_covered: int = 0

    @property
    def weeks(self) -> np.ndarray:
        """The calendar weeks covered, ``a..b``."""
        return self.sales.index.to_numpy(np.int64)

    @property
    def span(self) -> str:
        """``"a-b"``, the weeks covered."""
        return f"{self.weeks[0]}-{self.weeks[-1]}"


def load_history(folder: Path, store_ids: pd.Series, calendar_weeks: int,
                 slice_ids: pd.Series | None = None, slice_note: str = "") -> History:
    """Read and check a history folder (the format is in the module docstring).

    Args:
        folder: The history folder.
        store_ids: The network's store ids (``stores.csv``).
        calendar_weeks: Weeks in the network's calendar.
        slice_ids: The stores the calibration simulates, if a slice of the network.
        slice_note: How the slice was chosen (for the message of a store outside it).

    Raises:
        NetworkError: A missing file or column, a bad value, an unknown store or channel or
            exception type, a week outside the calendar or the store sales' weeks.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NetworkError(folder, "(folder)", "no such history folder")
    sales_file = folder / "store_sales.csv"
    raw = _read(sales_file, "store_sales.csv", calendar_weeks, required=True)
    assert raw is not None
    _check_ids(raw, sales_file, store_ids, "store {v!r} is not in the network's stores.csv")
    if slice_ids is not None:
        _check_ids(raw, sales_file, slice_ids, "store {v!r} is not in the slice the "
                   f"calibration simulates ({slice_note or f'{len(slice_ids)} stores'}); give "
                   "the --set network.stores=N the history was made with, or none")
    sales = raw.pivot_table(index="week", columns="store_id", values="units", aggfunc="sum")
    weeks = sales.index.to_numpy(np.int64)
    gaps = np.setdiff1d(np.arange(weeks[0], weeks[-1] + 1), weeks)
    if len(gaps):
        raise NetworkError(sales_file, "week", f"weeks must run {weeks[0]}..{weeks[-1]} "
                           f"without gaps; week {gaps[0]} has no sales")
    sales = sales.sort_index(axis=1)
    series: dict[str, pd.DataFrame | None] = {}
    for name, key in (("online_sales.csv", None), ("returns.csv", "channel"),
                      ("exceptions.csv", "type")):
        df = _read(folder / name, name, calendar_weeks)
        if df is not None:
            _check_weeks(df, folder / name, weeks)
            if key == "channel":
                _check_choice(df, folder / name, "channel", CHANNELS)
            elif key == "type":
                _check_choice(df, folder / name, "type", EXCEPTION_TYPES)
        series[name] = df
    online = series["online_sales.csv"]
    return History(
        source=str(folder), sales=sales,
        online=None if online is None else _by_week(online, None, "units", weeks)["units"],
        returns=_by_week(series["returns.csv"], "channel", "units", weeks),
        exceptions=_by_week(series["exceptions.csv"], "type", "count", weeks),
        stores_covered=sales.shape[1])


def _read(file: Path, name: str, calendar_weeks: int, required: bool = False
          ) -> pd.DataFrame | None:
    """One history file as a typed frame (None if an optional file is absent)."""
    needed = FILES[name][0]
    if not file.is_file():
        if required:
            raise NetworkError(file, "(file)", f"file not found; a history needs it "
                               f"({','.join(needed)})")
        return None
    num = needed[-1]  # units or count
    # The network's own CSV checker: columns, empty values, whole weeks, finite numbers.
    kinds = {c: "int" if c == "week" else "float" if c == num else "str" for c in needed}
    out = read_typed_csv(file, kinds)[list(needed)]
    bad = ((out["week"] < 1) | (out["week"] > calendar_weeks)).to_numpy()
    _fail(file, "week", bad, out["week"], f"week {{v!r}} is not a week of the calendar "
          f"(1..{calendar_weeks})")
    _fail(file, num, (out[num] < 0).to_numpy(), out[num], "must not be negative, got {v!r}")
    return out


def _fail(file: Path, col: str, bad: np.ndarray, values: pd.Series, problem: str) -> None:
    """Raise for the first ``True`` in ``bad`` (rows numbered as in a spreadsheet)."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = values.iloc[i]
        v = v.item() if isinstance(v, np.generic) else v
        raise NetworkError(file, f"row {i + 2}: {col}", problem.format(v=v))


def _check_ids(df: pd.DataFrame, file: Path, ids: pd.Series, problem: str) -> None:
    bad = ~df["store_id"].isin(set(ids)).to_numpy()
    _fail(file, "store_id", bad, df["store_id"], problem)


def _check_weeks(df: pd.DataFrame, file: Path, weeks: np.ndarray) -> None:
    bad = ~df["week"].isin(weeks).to_numpy()
    _fail(file, "week", bad, df["week"], f"week {{v!r}} is outside the weeks of "
          f"store_sales.csv ({weeks[0]}-{weeks[-1]})")


def _check_choice(df: pd.DataFrame, file: Path, col: str, allowed: tuple[str, ...]) -> None:
    bad = ~df[col].isin(allowed).to_numpy()
    _fail(file, col, bad, df[col], f"must be one of {', '.join(allowed)}; got {{v!r}}")


def _by_week(df: pd.DataFrame | None, key: str | None, value: str, weeks: np.ndarray
             ) -> pd.DataFrame | None:
    """Sum ``value`` by week (and ``key``), every week of ``weeks`` a row (0 where none)."""
    if df is None:
        return None
    if key is None:
        return df.groupby("week")[[value]].sum().reindex(weeks, fill_value=0.0)
    wide = df.pivot_table(index="week", columns=key, values=value, aggfunc="sum")
    return wide.reindex(weeks).fillna(0.0).rename_axis(columns=None)


def history_from_simulation(simulation, source: str = "simulated") -> History:
    """The history a finished :class:`~sim.model.engine.Simulation` recorded.

    Store sales by store (``store_units_sold``), online order lines placed
    (``ecommerce_orders``), returns by start week (``returns_units.store_to_store``; online:
    ``online_to_store`` plus ``online_to_mail``) and every exception type's count, for the
    weeks of its horizon (calendar weeks ``1..horizon_weeks``; horizons past the calendar
    wrap, so keep them within a year).
    """
    rec, w = simulation.rec, simulation.world
    weeks = np.arange(1, rec.weeks + 1)

    def total(name: str) -> np.ndarray:
        return rec.counts(name).sum(axis=1)

    sales = pd.DataFrame(rec.by_store("store_units_sold"), index=pd.Index(weeks, name="week"),
                         columns=w.plan.stores["store_id"].to_numpy())
    returns = pd.DataFrame({
        "store": total("returns_units.store_to_store"),
        "online": total("returns_units.online_to_store") + total("returns_units.online_to_mail"),
    }, index=weeks)
    exceptions = pd.DataFrame({t: total(f"exceptions.{t}") for t in EXCEPTION_TYPES},
                              index=weeks)
    return History(source=source, sales=sales.sort_index(axis=1),
                   online=pd.Series(total("ecommerce_orders"), index=weeks),
                   returns=returns, exceptions=exceptions, stores_covered=w.n_stores)


def simulate_history(scenario: Scenario, seed: int, out: Path | str | None = None) -> History:
    """Run one replication of ``scenario`` and return (and write to ``out``) its history.

    Use the legacy baseline (no rollout: the operation a chain's history records) with the
    parameters to recover set in ``[parameters]``, e.g.
    ``overrides=["horizon_weeks=26", "parameters.volume_multiplier_B=1.3"]``
    (``rollout-sim history simulate`` on the command line).

    Raises:
        ValueError: The horizon runs past the calendar's weeks.
    """
    from sim.model.engine import Simulation
    from sim.plan import build_plan

    plan = build_plan(scenario)
    if scenario.horizon_weeks > plan.network.n_weeks:
        raise ValueError(f"horizon_weeks: a history's weeks are calendar weeks: at most "
                         f"{plan.network.n_weeks} (got {scenario.horizon_weeks})")
    s = Simulation(scenario, seed, plan=plan)
    s.run()
    hist = history_from_simulation(s, source=str(out) if out is not None else "simulated")
    if out is not None:
        write_history(hist, Path(out))
    return hist


def write_history(history: History, out: Path) -> None:
    """Write ``history`` as a history folder (long CSV files, atomically each)."""
    sales = history.sales.rename_axis(index="week", columns="store_id").stack().dropna()
    sales = sales.rename("units")  # a store without a row that week gets none
    tables = {"store_sales.csv": sales.reset_index()}
    if history.online is not None:
        tables["online_sales.csv"] = pd.DataFrame({"week": history.weeks,
                                                   "units": history.online.to_numpy()})
    for name, frame, key, value in (("returns.csv", history.returns, "channel", "units"),
                                    ("exceptions.csv", history.exceptions, "type", "count")):
        if frame is not None:
            long = frame.rename_axis(index="week", columns=key).stack().rename(value)
            tables[name] = long.reset_index()
    for name, df in tables.items():
        num = df.columns[-1]
        df[num] = df[num].map(lambda v: f"{v:.10g}")  # whole counts print without ".0"
        atomic_write(out / name, lambda p, d=df: d.to_csv(p, index=False))


def comparable(simulated: History, observed: History) -> History:
    """A simulated history cut to what ``observed`` holds, so one fit reads both alike.

    The same weeks, stores and series; the simulated chain-wide series (online units,
    returns, exceptions), which count every simulated store, are scaled to the observed
    stores' share (of sales for units, of stores for exceptions): 1 when the history covers
    the slice.
    """
    sales = simulated.sales.loc[observed.weeks, observed.sales.columns]
    sales = sales.where(observed.sales.notna())
    all_sales = simulated.sales.loc[observed.weeks].sum().sum()
    unit_share = float(sales.sum().sum() / all_sales) if all_sales > 0 else 1.0
    store_share = observed.stores_covered / max(simulated.stores_covered, 1)

    def cut(frame, like, share):
        if like is None or frame is None:
            return None
        out = frame.loc[observed.weeks]
        return (out[like.columns] if isinstance(like, pd.DataFrame) else out) * share

    return replace(simulated, sales=sales,
                   online=cut(simulated.online, observed.online, unit_share),
                   returns=cut(simulated.returns, observed.returns, unit_share),
                   exceptions=cut(simulated.exceptions, observed.exceptions, store_share),
                   stores_covered=observed.stores_covered)
