"""Across-replication statistics: mean, 95% CI, percentiles; paired plan differences."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import value_range
from sim.numeric import smean, svar

PERCENTILES = {"p50": 50, "p80": 80, "p90": 90, "p95": 95}
#: Fewest replications for which a 95 % interval is reported: a t interval from two values
#: is defined, but with one degree of freedom it is 12.7 standard errors wide and reads as a
#: precision it does not have, so below this the interval is null (shown as "-").
MIN_INTERVAL_REPLICATIONS = 3


def _t975(dof: float) -> float:
    """The t distribution's 97.5 % quantile (a 95 % interval's half-width in standard errors).

    ``scipy.special.stdtrit`` is what ``scipy.stats.t.ppf`` computes, to the bit, without
    importing ``scipy.stats`` (half a second at every start of the CLI, a worker or a kernel).
    """
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.975))


def describe(values: np.ndarray,
             bounds: tuple[float, float] = (-math.inf, math.inf)) -> dict[str, Any]:
    """Mean, t-based 95% CI of the mean, standard error and percentiles of one metric.

    Replications where a metric is undefined (NaN, e.g. no live store yet) are left out; a
    metric undefined everywhere reports nulls, and so does the interval of fewer than
    :data:`MIN_INTERVAL_REPLICATIONS` values. The interval is clipped to ``bounds``, the
    values the metric can take (a share's interval never passes 100 %, a count's never goes
    below zero: the t interval of a few replications near a bound would).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return {"mean": None, "ci95": [None, None], "se": None, "n": 0,
                **{k: None for k in PERCENTILES}}
    mean = smean(v)
    if n > 1:
        se = float(np.sqrt(svar(v) / n))
        half = float(_t975(n - 1) * se)
    else:
        se, half = float("nan"), float("nan")
    lo, hi = bounds
    ci: list[float | None] = [None, None]
    if n >= MIN_INTERVAL_REPLICATIONS:
        ci = [max(mean - half, lo), min(mean + half, hi)]
    out: dict[str, Any] = {"mean": mean, "ci95": ci, "se": se, "n": n}
    for k, q in PERCENTILES.items():
        out[k] = float(np.percentile(v, q))
    return out


def summarize(table: pd.DataFrame, metrics: list[str]) -> dict[str, dict[str, Any]]:
    """Describe every metric column of a per-replication table.

    Each interval stays within its metric's :func:`~sim.metrics.value_range`.
    """
    return {m: describe(table[m].to_numpy(dtype=float), value_range(m)) for m in metrics}


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Difference b − a over replications paired by seed, with paired and unpaired CIs.

    The paired CI uses the per-replication differences (common random numbers make them vary
    less than either plan); the unpaired (Welch) CI is reported alongside to show the gain.
    Below :data:`MIN_INTERVAL_REPLICATIONS` pairs the intervals are null.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = len(a)
    if n < 2:
        return {"mean": None, "ci95": [None, None], "ci95_unpaired": [None, None], "n": n}
    d = b - a
    mean = smean(d)
    if n < MIN_INTERVAL_REPLICATIONS:
        return {"mean": mean, "ci95": [None, None], "ci95_unpaired": [None, None], "n": n}
    half = float(_t975(n - 1) * np.sqrt(svar(d) / n))
    va, vb = svar(a) / n, svar(b) / n
    se_u = float(np.sqrt(va + vb))
    if se_u > 0:
        dof = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1)) if (va + vb) > 0 else n - 1
        half_u = float(_t975(dof) * se_u)
    else:
        half_u = 0.0
    return {"mean": mean, "ci95": [mean - half, mean + half],
            "ci95_unpaired": [mean - half_u, mean + half_u], "n": n}


def mean_refund_curves(refunds: pd.DataFrame) -> pd.DataFrame:
    """Each channel pair's refund-cycle quantile curve averaged over replications.

    Each replication stores its own quantiles; the curves are averaged level by level (the
    hours at each cumulative share). The one place that averages them: the per-pair figures
    of summary.json (:func:`refund_pairs`) and the report's CDF
    (:func:`sim.plotting_data.refund_cdf_table`) read this.

    Args:
        refunds: A run's refunds table (``rep``, ``channel_pair``, ``quantile``, ``hours``,
            ``returns``).

    Returns:
        Columns ``channel_pair``, ``quantile``, ``hours`` (mean over replications),
        ``hours_min``, ``hours_max``, ``returns`` (mean per replication), ``reps``; pairs in
        the order they first appear.
    """
    g = refunds.groupby(["channel_pair", "quantile"], sort=False)
    return g.agg(hours=("hours", "mean"), hours_min=("hours", "min"),
                 hours_max=("hours", "max"), returns=("returns", "mean"),
                 reps=("hours", "size")).reset_index()


def refund_pairs(refunds: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Refund cycle per channel pair: refunds per replication, median and P90 hours.

    ``refund_cycle_hours_p90`` mixes the till's minutes with the mail's days (its P88 and P90
    can sit on either mode), so each pair is reported on its own: each replication's own
    quantile, averaged over replications.

    Args:
        refunds: A run's refunds table (``rep``, ``channel_pair``, ``quantile``, ``hours``,
            ``returns``).

    Returns:
        Channel pair -> ``refunds`` (mean per replication), ``p50_hours``, ``p90_hours``.
    """
    if refunds is None or refunds.empty:
        return {}
    out: dict[str, dict[str, float]] = {}
    curves = mean_refund_curves(refunds)
    for pair, g in refunds.groupby("channel_pair", sort=False):
        q = curves[curves["channel_pair"] == pair].sort_values("quantile")
        level, hours = q["quantile"].to_numpy(float), q["hours"].to_numpy(float)
        out[str(pair)] = {"refunds": float(g.groupby("rep")["returns"].first().mean()),
                          "p50_hours": float(np.interp(0.5, level, hours)),
                          "p90_hours": float(np.interp(0.9, level, hours))}
    return out


def half_width_ratio(values: np.ndarray) -> float:
    """95% CI half-width relative to |mean| (inf when undefined); for --precision."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n < 2:
        return float("inf")
    mean = smean(v)
    half = float(_t975(n - 1) * np.sqrt(svar(v) / n))
    if mean == 0:
        return 0.0 if half == 0 else float("inf")
    return half / abs(mean)
