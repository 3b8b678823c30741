"""The metric contract (DESIGN §6) from the recorder's counters and the components' reports.

Every metric of the registry (:mod:`sim.metrics`) declares how it is computed from declared
counters; this module applies those declarations per week, per region and over the horizon.
Rates come from numerator and denominator totals at each level, never by averaging rates, so
the three tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import CONTRACT, REGISTRY, Metric
from sim.model.costs import COMPONENTS, COMPOSITES, COST_INPUTS, cost_columns, with_composites
from sim.model.plumbing.grouping import group_parts, running_sum
from sim.model.recorder import Recorder
from sim.model.returns.rules import CHANNEL_PAIRS
from sim.numeric import quantiles, ssum
from sim.scenario import Scenario

#: Row of the by-region table for what belongs to no store: DCs, ledgers, IT.
CENTRAL = "central_functions"
#: Quantile levels kept per replication for refund-cycle CDFs (0, 1, ..., 100 %).
QUANTILE_LEVELS = np.linspace(0.0, 1.0, 101)

Samples = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass
class ReplicationResult:
    """The results of one replication.

    Attributes:
        metrics: Horizon value of every metric, keyed by the contract names.
        weekly: One row per week (``week`` 1-based) and a column per metric.
        by_region: One row per region (and ``central_functions`` for DCs, ledgers and IT).
        timeline: Store states and wave go-lives per week (for the Gantt chart).
        refunds: Refund-cycle quantiles per channel pair (for CDF plots).
        seed: The replication's seed.
        extras: Diagnostic totals (stock conservation, samples) for tests and reports.
    """

    metrics: dict[str, float]
    weekly: pd.DataFrame
    by_region: pd.DataFrame
    timeline: pd.DataFrame
    seed: int
    refunds: pd.DataFrame = field(default_factory=pd.DataFrame)
    extras: dict[str, Any] = field(default_factory=dict)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile`` of grouped samples, reordering them in place.

    No copy of millions of samples: a quantile is two order statistics, the same whatever
    the samples' order.
    """
    return float(np.quantile(values, q, overwrite_input=True)) if len(values) else float("nan")


def _samples(rec: Recorder, m: Metric) -> Samples:
    """All observations (week, region, hours) of a samples metric, one part per counter.

    Each observation is recorded once, under one counter (a channel pair); the distribution
    is the union of the parts, which are never joined.
    """
    return [rec.samples(name) for name in m.of]


def _costs(rec: Recorder, sc: Scenario, axis: str, total, volume_share: float = 1.0,
           store_share: float = 1.0) -> dict[str, np.ndarray]:
    """Every cost metric per row of the table (:func:`sim.model.costs.cost_columns`)."""
    size = rec.weeks if axis == "week" else rec.regions
    refunds = [rec.samples(c) for c in REGISTRY["cost.refund_goodwill"].of]
    key = tuple(part[0 if axis == "week" else 1] for part in refunds)
    return cost_columns(sc, {k: total(k) for k in COST_INPUTS}, key,
                        tuple(part[2] for part in refunds), size, volume_share, store_share)


def _table(rec: Recorder, axis: str, reports: dict[str, dict[str, Any]], sc: Scenario,
           region_names: list[str], volume_share: float = 1.0, store_share: float = 1.0
           ) -> tuple[pd.DataFrame, dict[tuple[str, ...], np.ndarray]]:
    """Weekly (axis='week') or regional (axis='region') table of the registry's metrics.

    Returns the table and, per set of sample counters, every observation grouped by the
    table's rows (the horizon quantiles reuse it).
    """
    reduce = 1 if axis == "week" else 0
    size = rec.weeks if axis == "week" else rec.regions

    def total(name: str) -> np.ndarray:
        # A running sum along the axis: the same bits whatever the process.
        return np.cumsum(rec.counts(name), axis=reduce).take(-1, axis=reduce)

    grouped: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    cols: dict[str, np.ndarray] = {}
    costs: dict[str, np.ndarray] = {}
    for m in REGISTRY.values():
        if m.agg == "sum":
            cols[m.name] = sum(total(c) for c in m.of)
        elif m.agg == "ratio":
            cols[m.name] = _div(total(m.of[0]), total(m.of[1]))
        elif m.agg == "max":
            cols[m.name] = rec.counts(m.of[0]).max(axis=reduce)
        elif m.agg == "level":
            counts = rec.counts(m.of[0])
            cols[m.name] = total(m.of[0]) if axis == "week" else counts[-1]
        elif m.agg == "peak":
            backlog = reports["desk"]
            cols[m.name] = (backlog["backlog_week"] if axis == "week"
                            else backlog["backlog_week_region"].max(axis=0))
        elif m.agg in ("samples_mean", "samples_quantile"):
            if m.of not in grouped:
                parts = _samples(rec, m)
                key = tuple(part[0 if axis == "week" else 1] for part in parts)
                grouped[m.of] = group_parts(key, tuple(part[2] for part in parts), size)
            h, bounds, sums = grouped[m.of]
            col = np.full(size, np.nan)
            for i in range(size):
                seg = h[bounds[i]:bounds[i + 1]]
                if len(seg):
                    # sums[i] / len = smean(seg): a running sum in row order.
                    col[i] = (sums[i] / len(seg) if m.agg == "samples_mean"
                              else _quantile(seg, m.q))
            cols[m.name] = col
        elif m.agg == "cost":
            costs = costs or _costs(rec, sc, axis, total, volume_share, store_share)
            cols[m.name] = costs[m.name]
    df = pd.DataFrame(cols)
    if axis == "week":
        df.insert(0, "week", np.arange(1, size + 1))
    else:
        df.insert(0, "region", region_names + [CENTRAL])
    return df, {k: v[0] for k, v in grouped.items()}


def _horizon(rec: Recorder, reports: dict[str, dict[str, Any]], weekly: pd.DataFrame,
             grouped: dict[tuple[str, ...], np.ndarray]) -> dict[str, float]:
    """Every metric's horizon value, computed as its declaration says."""
    metrics: dict[str, float] = {}
    for m in REGISTRY.values():
        if m.agg == "sum":
            metrics[m.name] = float(sum(ssum(rec.counts(c)) for c in m.of))
        elif m.agg == "ratio":
            d = ssum(rec.counts(m.of[1]))
            metrics[m.name] = ssum(rec.counts(m.of[0])) / d if d > 0 else float("nan")
        elif m.agg == "max":
            metrics[m.name] = float(rec.counts(m.of[0]).max())
        elif m.agg == "level":
            metrics[m.name] = ssum(rec.counts(m.of[0])[-1])
        elif m.agg == "peak":
            metrics[m.name] = float(reports["desk"]["backlog_week"].max(initial=0.0))
        elif m.agg == "samples_mean":
            # In the samples' own order, as smean of their join would sum.
            hours = tuple(part[2] for part in _samples(rec, m))
            n = sum(len(h) for h in hours)
            metrics[m.name] = running_sum(hours) / n if n else float("nan")
        elif m.agg == "samples_quantile":
            # The quantile does not depend on the order: the weekly grouping serves.
            metrics[m.name] = _quantile(grouped[m.of], m.q)
        elif m.agg == "last":
            metrics[m.name] = float(reports["rollout"][m.name])
    # Each cost component over the horizon is the sum of its weeks; the sums of components
    # (enablement, total_risk_cost) add those horizon values, so they add up exactly.
    parts = {name: ssum(weekly[name].to_numpy()) for name in COMPONENTS
             if name not in COMPOSITES}
    metrics.update({k: float(v) for k, v in with_composites(parts).items()})
    missing = [m for m in CONTRACT if m not in metrics]
    assert not missing, f"metrics not computed: {missing}"
    return metrics


def refund_quantiles(rec: Recorder) -> pd.DataFrame:
    """Refund-cycle distribution per channel pair as 101 quantiles (compact CDF data)."""
    rows = []
    for pair in CHANNEL_PAIRS:
        hours = rec.samples(f"refund_cycle_hours.{pair}")[2]
        if not len(hours):
            continue
        q = quantiles(hours, QUANTILE_LEVELS)
        rows.append(pd.DataFrame({"channel_pair": pair, "quantile": QUANTILE_LEVELS,
                                  "hours": q, "returns": len(hours)}))
    if not rows:
        return pd.DataFrame({"channel_pair": [], "quantile": [], "hours": [], "returns": []})
    return pd.concat(rows, ignore_index=True)


def collect(rec: Recorder, reports: dict[str, dict[str, Any]], sc: Scenario,
            region_names: list[str], seed: int, volume_share: float = 1.0,
            store_share: float = 1.0
            ) -> ReplicationResult:
    """Build the replication's result tables.

    Args:
        rec: The recorder, with every component's counters.
        reports: Each component's :meth:`~sim.model.component.Component.report`, by name.
        sc: The scenario (its cost weights and the enablement shares the costs read).
        region_names: The regions, in index order.
        seed: The replication's seed.
        volume_share: The SKU subset's share of the assortment's volume (per-store
            enablement costs scale with it, :func:`sim.model.costs.cost_columns`).
        store_share: The run's stores' share of the network's (a late close's cost).
    """
    weekly, grouped = _table(rec, "week", reports, sc, region_names, volume_share, store_share)
    by_region, _ = _table(rec, "region", reports, sc, region_names, volume_share, store_share)
    metrics = _horizon(rec, reports, weekly, grouped)
    inv = dict(reports["inventory"])
    extras = {
        "stock": {**{k: inv[k] for k in ("start", "supplier_receipts", "in_transit", "end")},
                  **reports["demand"], **reports["orders"], **reports["returns"]},
        "online_demand_orders": float(rec.counts("ecommerce_orders").sum()),
        "unpromisable_orders": float(rec.counts("online_unpromisable_orders").sum()),
        "bopis_orders": float(rec.counts("bopis_orders").sum()),
        "store_sales_units": float(rec.counts("store_sales_units").sum()),
        "record_error_share": inv["record_error_share"],
        "record_phantom_share": inv["record_phantom_share"],
    }
    for pair in CHANNEL_PAIRS:
        extras[f"refund_cycle_hours.{pair}"] = rec.samples(f"refund_cycle_hours.{pair}")[2]
    return ReplicationResult(metrics=metrics, weekly=weekly, by_region=by_region,
                             timeline=reports["rollout"]["timeline"], seed=seed,
                             refunds=refund_quantiles(rec), extras=extras)
