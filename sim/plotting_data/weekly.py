"""Week-by-week tables behind the fan charts, the Gantt chart and the riskiest weeks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.experiment import RunResult
from sim.plotting_data.formatting import BAND_LEVELS, level_name


def weekly_matrix(weekly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Weekly values of one metric as a week × replication matrix."""
    if metric not in weekly.columns:
        raise KeyError(f"weekly table has no metric '{metric}'")
    return weekly.pivot_table(index="week", columns="rep", values=metric, aggfunc="first",
                              dropna=False).sort_index()


def weekly_bands(weekly: pd.DataFrame, metric: str,
                 levels: Sequence[float] = BAND_LEVELS) -> pd.DataFrame:
    """Per-week quantiles across replications (the fan chart's bands and median).

    Weeks where a metric is undefined in some replications (a rate with no denominator)
    use the replications where it is defined; a week undefined everywhere stays NaN.

    Args:
        weekly: A run's weekly table (``rep``, ``week`` and metric columns).
        metric: Metric column.
        levels: Quantile levels.

    Returns:
        One row per week: ``week``, one ``p<level>`` column per level, ``n`` (replications
        with a value) and ``mean``.
    """
    mat = weekly_matrix(weekly, metric).to_numpy(dtype=float)
    out = pd.DataFrame({"week": weekly_matrix(weekly, metric).index.to_numpy()})
    defined = np.isfinite(mat).any(axis=1)
    for q in levels:
        col = np.full(len(mat), np.nan)
        if defined.any():
            col[defined] = np.nanquantile(mat[defined], q, axis=1)
        out[level_name(q)] = col
    out["n"] = np.isfinite(mat).sum(axis=1)
    mean = np.full(len(mat), np.nan)
    if defined.any():
        mean[defined] = np.nanmean(mat[defined], axis=1)
    out["mean"] = mean
    return out


def weekly_window(run: RunResult, metric: str, weeks: Sequence[int],
                  how: str = "sum") -> pd.Series:
    """Per replication, a weekly metric combined over some weeks (e.g. after a go-live).

    Args:
        run: A run.
        metric: Weekly metric column.
        weeks: The weeks (1-based); weeks beyond the horizon are ignored.
        how: ``"sum"`` (counts, currency), ``"max"`` (backlogs) or ``"mean"``.

    Returns:
        One value per replication, indexed by ``rep``.
    """
    mat = weekly_matrix(run.weekly, metric)
    sel = mat.loc[mat.index.isin(list(weeks))]
    return getattr(sel, how)(axis=0).rename(metric)


def flagged_weeks(run: RunResult, column: str = "peak") -> list[int]:
    """Weeks flagged in the run's timeline (``peak`` or ``freeze``); empty if unknown."""
    tl = run.timeline
    if tl is None or tl.empty or column not in tl.columns:
        return []
    flags = tl.groupby("week")[column].any()
    return [int(w) for w in flags.index[flags.to_numpy(dtype=bool)]]


def week_spans(weeks: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs of weeks: ``[40, 41, 42, 47]`` -> ``[(40, 42), (47, 47)]``."""
    spans: list[tuple[int, int]] = []
    for w in sorted(set(int(x) for x in weeks)):
        if spans and w == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], w)
        else:
            spans.append((w, w))
    return spans


def freeze_windows(run: RunResult) -> list[tuple[int, int, str]]:
    """Freeze windows ``(start_week, end_week, name)`` from the scenario, else the timeline."""
    src = run.source
    if src is not None and src.peak.freeze_windows:
        return [(w.start_week, w.end_week, w.name) for w in src.peak.freeze_windows]
    return [(a, b, "freeze") for a, b in week_spans(flagged_weeks(run, "freeze"))]


def median_replication(run: RunResult, metric: str = "total_risk_cost") -> int:
    """The replication whose ``metric`` is closest to the median (lowest rep on ties)."""
    tab = run.replications.sort_values("rep")
    v = tab[metric].to_numpy(dtype=float)
    if not np.isfinite(v).any():
        return int(tab["rep"].iloc[0])
    dist = np.abs(v - np.nanmedian(v))
    dist[~np.isfinite(dist)] = np.inf
    return int(tab["rep"].iloc[int(np.argmin(dist))])


def _hypercare_weeks(run: RunResult) -> list[float]:
    if run.source is None:
        return []
    return [float(w.hypercare_weeks) for w in run.source.waves]


def gantt_table(run: RunResult, rep: int | None = None) -> pd.DataFrame:
    """One row per wave: planned and actual go-live, hypercare and deferrals.

    Args:
        run: A run with a timeline table.
        rep: A replication to show; ``None`` summarises all replications (medians, with the
            earliest and latest actual go-live).

    Returns:
        Columns ``wave``, ``wave_name``, ``stores``, ``planned_week``, ``go_live_week``,
        ``go_live_min``, ``go_live_max``, ``complete_week``, ``hypercare_weeks``,
        ``hypercare_end_week``, ``freeze_deferral_weeks``, ``gate_deferrals``,
        ``started_share`` (replications where the wave started) and ``in_freeze`` (the actual
        go-live falls in a freeze window). Stores in no wave are left out.
    """
    tl = run.timeline
    cols = ["wave", "wave_name", "stores", "planned_week", "go_live_week", "go_live_min",
            "go_live_max", "complete_week", "hypercare_weeks", "hypercare_end_week",
            "freeze_deferral_weeks", "gate_deferrals", "started_share", "in_freeze"]
    if tl is None or tl.empty:
        return pd.DataFrame(columns=cols)
    waves = tl[tl["wave"] >= 0]
    if rep is not None:
        if rep not in set(waves["rep"]):
            raise ValueError(f"replication {rep} is not in this run")
        waves = waves[waves["rep"] == rep]
    per = waves.groupby(["wave", "rep"], sort=True).first().reset_index()
    hyper = _hypercare_weeks(run)
    rows = []
    for wave, g in per.groupby("wave", sort=True):
        go = g["go_live_week"].to_numpy(dtype=float)
        started = np.isfinite(go)
        row = {
            "wave": int(wave), "wave_name": str(g["wave_name"].iloc[0]),
            "stores": int(g["stores"].iloc[0]),
            "planned_week": float(g["planned_week"].iloc[0]),
            "go_live_week": float(np.median(go[started])) if started.any() else math.nan,
            "go_live_min": float(go[started].min()) if started.any() else math.nan,
            "go_live_max": float(go[started].max()) if started.any() else math.nan,
            "complete_week": float(g["complete_week"].median()),
            "hypercare_weeks": hyper[int(wave)] if int(wave) < len(hyper) else math.nan,
            "freeze_deferral_weeks": float(g["freeze_deferral_weeks"].median()),
            "gate_deferrals": float(g["gate_deferrals"].median()),
            "started_share": float(started.mean()),
        }
        end = row["complete_week"] if np.isfinite(row["complete_week"]) else row["go_live_week"]
        row["hypercare_end_week"] = end + row["hypercare_weeks"]
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "in_freeze"])
    windows = freeze_windows(run)
    out["in_freeze"] = [bool(np.isfinite(w) and any(a <= w <= b for a, b, _ in windows))
                        for w in out["go_live_week"]]
    return out[cols]


def week_events(peak: bool, freeze: bool, go_lives: float, disruption: str = "") -> list[str]:
    """What happened in a week, as short labels.

    ``peak``, ``freeze``, ``N stores go live``, and the scenario's disruptions then
    (:func:`disruption_weeks`).
    """
    events = [name for name, on in (("peak", peak), ("freeze", freeze)) if on]
    if go_lives == go_lives and go_lives > 0:  # NaN: no timeline
        events.append(f"{go_lives:g} stores go live")
    if disruption:
        events.append(disruption)
    return events


def disruption_weeks(run: RunResult) -> dict[int, str]:
    """Week (from 1) -> the labels of the scenario's disruptions in force in it."""
    src = run.source
    out: dict[int, list[str]] = {}
    for d in (src.disruptions if src is not None else []):
        if d.start_week is None:
            continue  # strikes at random: its weeks differ by replication
        a, b = d.hours()
        for wk in range(a // 168 + 1, (b - 1) // 168 + 2):
            out.setdefault(wk, []).append(d.label)
    return {wk: ", ".join(v) for wk, v in out.items()}


def top_risk_weeks(run: RunResult, metric: str = "exception_backlog_peak",
                   n: int = 5) -> pd.DataFrame:
    """The weeks with the highest median of a weekly metric, with what happened in them.

    Returns:
        ``n`` rows, highest first: ``plan``, ``week``, ``metric``, ``median``, ``p90``,
        ``go_lives`` (median stores going live that week), ``live_stores`` (median live at
        the week's end), ``peak`` and ``freeze`` (flags).
    """
    bands = weekly_bands(run.weekly, metric, (0.5, 0.9)).dropna(subset=["p50"])
    top = bands.sort_values(["p50", "week"], ascending=[False, True], kind="stable").head(n)
    tl = run.timeline
    if tl is not None and not tl.empty:
        per_rep = tl.groupby(["rep", "week"])[["go_lives", "live"]].sum()
        med = per_rep.groupby("week").median()
    else:
        med = pd.DataFrame(columns=["go_lives", "live"])
    peak, freeze = set(flagged_weeks(run, "peak")), set(flagged_weeks(run, "freeze"))
    hit = disruption_weeks(run)
    rows = []
    for r in top.itertuples(index=False):
        wk = int(r.week)
        rows.append({"plan": run.scenario, "week": wk, "metric": metric, "median": r.p50,
                     "p90": r.p90,
                     "go_lives": float(med["go_lives"].get(wk, math.nan)),
                     "live_stores": float(med["live"].get(wk, math.nan)),
                     "peak": wk in peak, "freeze": wk in freeze,
                     "disruption": hit.get(wk, "")})
    return pd.DataFrame(rows, columns=["plan", "week", "metric", "median", "p90", "go_lives",
                                       "live_stores", "peak", "freeze", "disruption"])
