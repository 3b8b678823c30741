"""Tidy (long) tables of results, with the unit of every value, and short printed summaries.

Units convention: every table this module returns is long, one value per row, and carries a
``unit`` column giving the unit of that row's ``value`` (from :data:`sim.metrics.REGISTRY`;
``""`` for a name the registry does not know). A statistic that is not in the metric's own
unit says so in its row: ``n`` is in ``replications``, ``win_share`` and
``lowest_cost_share`` are ``fraction``, ``rank`` is ``rank``. Wide tables with one column per
metric (``RunResult.replications``, ``.weekly``, ``.by_region``) get the same form through
:func:`long_frame`. ``docs/outputs.md`` documents the tables and where NaN is legitimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.metrics import REGISTRY, unit_of

#: Columns of :func:`summary_frame` (a comparison's frames add ``plan`` in front).
SUMMARY_COLUMNS = ["metric", "unit", "statistic", "value"]
#: Paired-difference statistics (:attr:`sim.compare.Comparison.differences` columns) and the
#: names they take in :func:`differences_frame`.
DIFFERENCE_STATISTICS = {"mean": "difference_mean", "ci_low": "difference_ci_low",
                         "ci_high": "difference_ci_high",
                         "ci_low_unpaired": "difference_ci_low_unpaired",
                         "ci_high_unpaired": "difference_ci_high_unpaired",
                         "win_share": "win_share"}
#: Units of statistics that are not in their metric's unit.
_OWN_UNIT = {"n": "replications", "win_share": "fraction", "lowest_cost_share": "fraction",
             "rank": "rank", "refunds": "refunds", "p50_hours": "hours", "p90_hours": "hours"}
#: Metrics a printed result shows.
REPR_METRICS = ("total_risk_cost", "oversell_rate", "refund_cycle_hours_mean",
                "exceptions_total", "rollout_completion_week")


def _value(x: Any) -> float:
    return math.nan if x is None else float(x)


def summary_frame(source: Any) -> pd.DataFrame:
    """A run's summary as a tidy table: one row per metric and statistic.

    Args:
        source: A :class:`~sim.experiment.RunResult`, the content of a ``summary.json``
            (with its ``metrics`` key) or a bare ``{metric: {statistic: value}}`` mapping.

    Returns:
        Columns ``metric``, ``unit``, ``statistic``, ``value`` (float). Statistics are what
        ``summary.json`` holds, in its order: ``mean``, ``ci_low`` and ``ci_high`` (its
        ``ci95``), ``se``, ``n`` (replications where the metric is defined), ``p50``,
        ``p80``, ``p90``, ``p95``. Then, per refund channel pair (metric
        ``refund_cycle_hours.<pair>``): ``refunds`` per replication, ``p50_hours`` and
        ``p90_hours`` (each replication's own median and P90, averaged).

        ``value`` is NaN where ``summary.json`` holds null: a metric undefined in every
        replication (``training_proficiency`` of a plan where no store goes live,
        ``rollout_completion_week`` of a rollout that never finishes: ``n`` is 0 and every
        statistic NaN); ``ci_low``/``ci_high`` below
        :data:`sim.aggregate.MIN_INTERVAL_REPLICATIONS` defined replications; ``se`` of a
        single one. Replications where a metric is NaN (a ratio with a zero denominator)
        are left out of its statistics, so ``n`` can be below the run's replications.
    """
    if hasattr(source, "summary"):
        from sim.aggregate import refund_pairs

        metrics, pairs = source.summary, refund_pairs(source.refunds)
    elif isinstance(source, Mapping) and "metrics" in source:
        metrics = source["metrics"]
        pairs = source.get("refund_cycle_by_channel_pair") or {}
    else:
        metrics, pairs = source, {}
    rows = []
    for metric, stats in metrics.items():
        unit = unit_of(metric)
        for stat, v in stats.items():
            if stat == "ci95":
                lo, hi = v if v is not None else (None, None)
                rows += [(metric, unit, "ci_low", _value(lo)), (metric, unit, "ci_high",
                                                                  _value(hi))]
            else:
                rows.append((metric, _OWN_UNIT.get(stat, unit), stat, _value(v)))
    for pair, stats in pairs.items():
        for stat, v in stats.items():
            rows.append((f"refund_cycle_hours.{pair}", _OWN_UNIT.get(stat, "hours"), stat,
                         _value(v)))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype({"value": float})


def differences_frame(comparison: Any) -> pd.DataFrame:
    """A comparison's paired differences as a tidy table.

    Args:
        comparison: A :class:`~sim.compare.Comparison`, or its ``differences`` DataFrame.

    Returns:
        Columns ``plan``, ``metric``, ``unit``, ``statistic``, ``value``: for every plan but
        the reference and every metric, ``difference_mean`` (plan minus reference, paired by
        replication), ``difference_ci_low``/``difference_ci_high`` (paired 95 % CI),
        ``difference_ci_low_unpaired``/``difference_ci_high_unpaired`` (Welch) in the
        metric's unit, and ``win_share`` (``fraction`` of replications in which the plan beats
        the reference on the metric). NaN: the intervals below
        :data:`sim.aggregate.MIN_INTERVAL_REPLICATIONS` pairs, the mean below two, and every
        statistic when no replication defines the metric for both plans.
    """
    diffs = getattr(comparison, "differences", comparison)
    rows = []
    for rec in diffs.to_dict(orient="records"):
        unit = unit_of(rec["metric"])
        for col, stat in DIFFERENCE_STATISTICS.items():
            if col in rec:
                rows.append((rec["plan"], rec["metric"], _OWN_UNIT.get(stat, unit), stat,
                             _value(rec[col])))
    return pd.DataFrame(rows, columns=["plan", *SUMMARY_COLUMNS]).astype({"value": float})


def comparison_frame(comparison: Any) -> pd.DataFrame:
    """Everything a comparison summarizes, as one tidy table.

    Returns:
        Columns ``plan``, ``metric``, ``unit``, ``statistic``, ``value``: each plan's
        :func:`summary_frame` rows, the :func:`differences_frame` rows, and for
        ``total_risk_cost`` each plan's ``rank`` (1 = lowest mean) and
        ``lowest_cost_share`` (share of replications in which it costs least of all plans).
    """
    parts = [summary_frame(r).assign(plan=r.scenario) for r in comparison.runs]
    parts.append(differences_frame(comparison))
    wins = dict(zip(comparison.wins["plan"], comparison.wins["win_share"], strict=True)) \
        if not comparison.wins.empty else {}
    rank = [(r.plan, "total_risk_cost", "rank", "rank", float(r.rank))
            for r in comparison.ranking.itertuples(index=False)]
    rank += [(p, "total_risk_cost", "fraction", "lowest_cost_share", _value(w))
             for p, w in wins.items()]
    parts.append(pd.DataFrame(rank, columns=["plan", *SUMMARY_COLUMNS]))
    out = pd.concat(parts, ignore_index=True)
    return out[["plan", *SUMMARY_COLUMNS]].astype({"value": float})


def long_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A wide result table (one column per metric) in the same long form, with units.

    Args:
        table: ``RunResult.replications``, ``.weekly`` or ``.by_region`` (or any table whose
            metric columns are registry names).

    Returns:
        The identifying columns (``rep``, ``seed``, ``week``, ``region``: those that are not
        metrics), then ``metric``, ``unit``, ``value``. NaN values stay (DESIGN's ratios are
        NaN where their denominator is zero: ``docs/outputs.md``).
    """
    metrics = [c for c in table.columns if c in REGISTRY]
    ids = [c for c in table.columns if c not in REGISTRY]
    out = table.melt(id_vars=ids, value_vars=metrics, var_name="metric", value_name="value")
    out.insert(len(ids) + 1, "unit", out["metric"].map(unit_of))
    return out


def _fmt(x: Any, unit: str) -> str:
    from sim.plotting_data.formatting import fmt_value

    return fmt_value(x, unit)


def result_repr(result: Any) -> str:
    """A few lines that say what a :class:`~sim.experiment.RunResult` holds."""
    lines = [f"RunResult({result.scenario!r}, n={result.n}, seed={result.seed})"]
    for m in REPR_METRICS:
        d = result.summary.get(m)
        if d is None:
            continue
        unit = unit_of(m)
        lo, hi = d.get("ci95") or (None, None)
        ci = f"  95% CI [{_fmt(lo, unit)}, {_fmt(hi, unit)}]" if lo is not None else ""
        shown = "" if unit == "fraction" else f" {unit}"
        lines.append(f"  {m:<24} {_fmt(d.get('mean'), unit)}{shown}{ci}")
    lines.append("  tables: .replications .weekly .by_region .timeline .refunds; "
                 ".summary_frame()")
    return "\n".join(lines)


def comparison_repr(comparison: Any) -> str:
    """A few lines that say what a :class:`~sim.compare.Comparison` holds: the ranking."""
    runs = comparison.runs
    ref = runs[0].scenario
    lines = [f"Comparison of {len(runs)} plans, {runs[0].n} replications each, seed "
             f"{runs[0].seed} (reference {ref})",
             f"  rank {'plan':<24} {'mean total_risk_cost':>20}  difference"]
    diffs = comparison.differences
    diff = {} if diffs.empty else {
        r.plan: r.mean for r in diffs[diffs["metric"] == "total_risk_cost"].itertuples()}
    for r in comparison.ranking.itertuples(index=False):
        d = "reference" if r.plan == ref else _signed(diff.get(r.plan))
        lines.append(f"  {r.rank:>4} {r.plan:<24} {_fmt(r.total_risk_cost_mean, 'currency'):>20}"
                     f"  {d}")
    if comparison.caveats:
        lines.append(f"  {len(comparison.caveats)} caveat(s): not a ranking to act on "
                     "(.caveats)")
    lines.append("  tables: .differences .ranking .wins; .summary_frame() .differences_frame()")
    return "\n".join(lines)


def _signed(x: Any) -> str:
    from sim.plotting_data.formatting import fmt_value

    return fmt_value(x, "currency", signed=True)
