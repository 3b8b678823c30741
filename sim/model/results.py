"""Turn a finished replication's raw counts into the metric contract (DESIGN §6).

Rates are computed from numerator and denominator totals at each level (week, region,
horizon), never by averaging rates, so the three tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.metrics import CONTRACT, EXCEPTION_TYPES
from sim.model.plumbing.jit import kernel
from sim.model.world import HOURS_PER_WEEK
from sim.numeric import ssum

if TYPE_CHECKING:
    from sim.model.engine import Simulation

#: Row of the by-region table for what belongs to no store: DCs, ledgers, IT.
CENTRAL = "central_functions"

#: Ratio metrics: name -> (numerator counter, denominator counter).
RATIOS = {
    "oversell_rate": ("oversell_orders", "ecommerce_orders"),
    "order_fallout_rate": ("fallout_orders", "ecommerce_orders"),
    "pickup_ready_rate": ("bopis_ready_orders", "bopis_orders"),
    "promo_override_rate": ("price_overrides", "promoted_units"),
    "inventory_sync_latency_hours": ("sync_latency_sum", "promised_orders"),
    "exception_sla_met_rate": ("sla_met", "sla_due"),
    "training_proficiency": ("proficiency_sum", "live_store_weeks"),
}
#: Counters reported as they are.
SUMS = ("ecommerce_orders", "oversell_orders", "reroute_orders", "reroute_cost",
        "margin_leakage", "manual_journals", "close_delay_days", "lost_sales_units")


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


def _exception_tables(sim: Simulation, team_results: dict[str, dict[str, np.ndarray]]
                      ) -> dict[str, np.ndarray]:
    """SLA counts by (week, region) and the hourly backlog of each team, from the queues."""
    w, rec, desk = sim.world, sim.rec, sim.desk
    end = float(w.horizon_hours)
    weeks, regions = rec.weeks, rec.regions
    store_of = np.asarray(desk.store, dtype=np.int64)
    region_of = np.where(store_of >= 0, w.store_region[np.maximum(store_of, 0)], w.n_regions)
    grid = np.arange(1, w.horizon_hours + 1, dtype=float)
    backlog_week = np.zeros((weeks, regions))
    backlog_total = np.zeros(weeks)
    handling_hours = 0.0
    for name, team in desk.teams.items():
        r = team_results[name]
        if not len(r["arrival"]):
            continue
        reg = region_of[r["ref"]]
        arrival, finish = r["arrival"], r["finish"]
        due = arrival + team.sla_hours <= end
        met = finish - arrival <= team.sla_hours
        wk = np.minimum((arrival // HOURS_PER_WEEK).astype(np.int64), weeks - 1)
        rec.add_at("sla_due", wk[due | met], reg[due | met])
        rec.add_at("sla_met", wk[met], reg[met])
        rec.add_at("sla_breaches", wk[due & ~met], reg[due & ~met])
        handling_hours += ssum(np.where(np.isnan(r["start"]), 0.0, r["handling"]))
        fin = np.where(np.isnan(finish), np.inf, finish)
        team_open = np.zeros(len(grid))
        for g in range(regions):
            m = reg == g
            if not m.any():
                continue
            opened = np.searchsorted(np.sort(arrival[m]), grid, side="right")
            closed = np.searchsorted(np.sort(fin[m]), grid, side="right")
            open_g = opened - closed
            team_open += open_g
            weekly_max = open_g[: weeks * HOURS_PER_WEEK].reshape(weeks, -1).max(axis=1)
            backlog_week[:, g] = np.maximum(backlog_week[:, g], weekly_max)
        backlog_total = np.maximum(
            backlog_total, team_open[: weeks * HOURS_PER_WEEK].reshape(weeks, -1).max(axis=1))
    return {"backlog_week_region": backlog_week, "backlog_week": backlog_total,
            "handling_hours": np.array(handling_hours)}


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else float("nan")


def _table(sim: Simulation, axis: str, exc: dict[str, np.ndarray],
           refunds: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
           ) -> tuple[pd.DataFrame, np.ndarray]:
    """Weekly (axis='week') or regional (axis='region') table of contract metrics.

    ``refunds`` is :func:`refund_samples` (millions of rows, in parts that are never joined).
    Returns the table and every refund's hours grouped by the table's rows.
    """
    rec, w = sim.rec, sim.world
    reduce = 1 if axis == "week" else 0
    size = rec.weeks if axis == "week" else rec.regions

    def total(name: str) -> np.ndarray:
        # A running sum along the axis: the same bits whatever the process.
        return np.cumsum(rec.counts(name), axis=reduce).take(-1, axis=reduce)

    cols: dict[str, np.ndarray] = {}
    for name in SUMS:
        cols[name] = total(name)
    for name, (num, den) in RATIOS.items():
        cols[name] = _div(total(num), total(den))
    per_type = {t: total(f"exceptions.{t}") for t in EXCEPTION_TYPES}
    cols["exceptions_total"] = sum(per_type.values())
    for t, v in per_type.items():
        cols[f"exceptions.{t}"] = v
    if axis == "week":
        cols["exception_backlog_peak"] = exc["backlog_week"]
    else:
        cols["exception_backlog_peak"] = exc["backlog_week_region"].max(axis=0)
    key = tuple(part[0 if axis == "week" else 1] for part in refunds)
    hrs = tuple(part[2] for part in refunds)
    mean = np.full(size, np.nan)
    p90 = np.full(size, np.nan)
    h, bounds, sums = _group_parts(key, hrs, size)
    if len(h):
        for i in range(size):
            seg = h[bounds[i]:bounds[i + 1]]
            if len(seg):
                mean[i] = sums[i] / len(seg)  # = smean(seg): a running sum in row order
                p90[i] = np.quantile(seg, 0.9)
    cols["refund_cycle_hours_mean"] = mean
    cols["refund_cycle_hours_p90"] = p90
    cols["total_risk_cost"] = _risk_cost(sim, {k: total(k) for k in _COST_INPUTS}, key, size,
                                         hrs)
    df = pd.DataFrame(cols)
    if axis == "week":
        df.insert(0, "week", np.arange(1, size + 1))
    else:
        df.insert(0, "region", w.region_names + [CENTRAL])
    return df, h


_COST_INPUTS = ("reroute_cost", "fallout_orders", "lost_sales_units", "sla_breaches",
                "margin_leakage", "close_delay_days", "handling_hours")


def _risk_cost(sim: Simulation, t: dict[str, np.ndarray], refund_key: tuple, size: int,
               refund_hours: tuple) -> np.ndarray:
    """total_risk_cost: the scenario's cost weights applied to the risk drivers."""
    c = sim.scenario.costs
    cost = (t["reroute_cost"] + c.fallout_order * t["fallout_orders"]
            + c.lost_sale_unit * t["lost_sales_units"] + c.sla_breach * t["sla_breaches"]
            + t["margin_leakage"] + c.close_delay_day * t["close_delay_days"]
            + c.exception_handling_hour * t["handling_hours"])
    # Refunds are a goodwill cost only for the days beyond two that a customer waits.
    return cost + c.refund_delay_day * _late_days(refund_key, refund_hours, size)


@kernel
def _group(key: np.ndarray, values: np.ndarray, size: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values grouped by a small key ``0..size-1`` (row order kept within a group).

    Returns the grouped values, the group bounds and each group's running sum in row order.
    A counting sort: millions of refund samples are grouped without an index array.
    """
    return _group_parts((key,), (values,), size)


@kernel
def _group_parts(keys: tuple, values: tuple, size: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_group` of the concatenation of several parts, without concatenating them."""
    bounds = np.zeros(size + 1, dtype=np.int64)
    n = 0
    for key in keys:
        n += len(key)
        for i in range(len(key)):
            bounds[key[i] + 1] += 1
    for g in range(size):
        bounds[g + 1] += bounds[g]
    out = np.empty(n)
    sums = np.zeros(size)
    fill = bounds[:-1].copy()
    for p in range(len(keys)):
        key, vals = keys[p], values[p]
        for i in range(len(key)):
            g = key[i]
            out[fill[g]] = vals[i]
            fill[g] += 1
            sums[g] += vals[i]
    return out, bounds, sums


@kernel
def _late_days(keys: tuple, hours: tuple, size: int) -> np.ndarray:
    """Per key, the days beyond two that refunds took (summed in row order, part by part)."""
    out = np.zeros(size)
    for p in range(len(keys)):
        key, hrs = keys[p], hours[p]
        for i in range(len(key)):
            out[key[i]] += max(hrs[i] / 24.0 - 2.0, 0.0)
    return out


@kernel
def _running_sum(parts: tuple) -> float:
    """:func:`sim.numeric.ssum` of the concatenation of several parts."""
    total = 0.0
    for values in parts:
        for i in range(len(values)):
            total += values[i]
    return total


def collect(sim: Simulation) -> ReplicationResult:
    """Build the replication's result tables from the simulation's recorder and queues."""
    rec = sim.rec
    team_results = {name: team.results() for name, team in sim.desk.teams.items()}
    exc = _exception_tables(sim, team_results)
    _record_handling(sim, team_results)
    refunds = refund_samples(rec)
    weekly, hours = _table(sim, "week", exc, refunds)
    by_region, _ = _table(sim, "region", exc, refunds)
    metrics: dict[str, float] = {}
    for name in SUMS:
        metrics[name] = ssum(rec.counts(name))
    for name, (num, den) in RATIOS.items():
        d = ssum(rec.counts(den))
        metrics[name] = ssum(rec.counts(num)) / d if d > 0 else float("nan")
    for t in EXCEPTION_TYPES:
        metrics[f"exceptions.{t}"] = ssum(rec.counts(f"exceptions.{t}"))
    metrics["exceptions_total"] = float(sum(metrics[f"exceptions.{t}"] for t in EXCEPTION_TYPES))
    metrics["exception_backlog_peak"] = float(exc["backlog_week"].max(initial=0.0))
    # In the samples' own order, as smean of their join would sum; the quantile does not
    # depend on the order, so the weekly grouping serves.
    n_refunds = len(hours)
    metrics["refund_cycle_hours_mean"] = (
        _running_sum(tuple(part[2] for part in refunds)) / n_refunds if n_refunds
        else float("nan"))
    metrics["refund_cycle_hours_p90"] = _quantile(hours, 0.9)
    metrics["rollout_completion_week"] = float(sim.rollout.completion_week)
    metrics["total_risk_cost"] = ssum(weekly["total_risk_cost"].to_numpy())
    missing = [m for m in CONTRACT if m not in metrics]
    assert not missing, f"metrics not computed: {missing}"
    inv = sim.inventory.units_accounted()
    extras = {
        "stock": {**inv, "store_sales": sim.demand.sold_units, "online_picked":
                  sim.orders.picked_units, "shrink": sim.demand.shrink_units,
                  "restocked": sim.returns.restocked_units},
        "online_demand_orders": float(rec.counts("ecommerce_orders").sum()),
        "unpromisable_orders": float(rec.counts("online_unpromisable_orders").sum()),
        "bopis_orders": float(rec.counts("bopis_orders").sum()),
        "store_sales_units": float(rec.counts("store_sales_units").sum()),
        "record_error_share": float(np.mean(sim.world.system[: sim.world.n_stores]
                                            != sim.world.physical[: sim.world.n_stores])),
    }
    for sub in CHANNEL_PAIRS:
        extras[f"refund_cycle_hours.{sub}"] = rec.samples(f"refund_cycle_hours.{sub}")[2]
    return ReplicationResult(metrics=metrics, weekly=weekly, by_region=by_region,
                             timeline=sim.rollout.timeline(), seed=sim.seed,
                             refunds=refund_quantiles(rec), extras=extras)


CHANNEL_PAIRS = ("store_to_store", "online_to_store", "online_to_mail")


def refund_samples(rec) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """All refund-cycle observations (week, region, hours), one part per channel pair.

    Each observation is recorded once, under its channel pair; the overall distribution is
    the union of the parts, which are not joined (at full scale a join is ~130 MB).
    """
    return [rec.samples(f"refund_cycle_hours.{p}") for p in CHANNEL_PAIRS]


#: Quantile levels kept per replication for refund-cycle CDFs (0, 1, ..., 100 %).
QUANTILE_LEVELS = np.linspace(0.0, 1.0, 101)


def refund_quantiles(rec) -> pd.DataFrame:
    """Refund-cycle distribution per channel pair as 101 quantiles (compact CDF data)."""
    rows = []
    for pair in CHANNEL_PAIRS:
        hours = rec.samples(f"refund_cycle_hours.{pair}")[2]
        if not len(hours):
            continue
        q = np.quantile(hours, QUANTILE_LEVELS)
        rows.append(pd.DataFrame({"channel_pair": pair, "quantile": QUANTILE_LEVELS,
                                  "hours": q, "returns": len(hours)}))
    if not rows:
        return pd.DataFrame({"channel_pair": [], "quantile": [], "hours": [], "returns": []})
    return pd.concat(rows, ignore_index=True)


def _record_handling(sim: Simulation, team_results: dict[str, dict[str, np.ndarray]]) -> None:
    """Handling hours of started items by arrival week (labour cost input)."""
    w, desk, rec = sim.world, sim.desk, sim.rec
    store_of = np.asarray(desk.store, dtype=np.int64)
    for name in desk.teams:
        r = team_results[name]
        if not len(r["arrival"]):
            continue
        started = ~np.isnan(r["start"])
        reg = np.where(store_of[r["ref"]] >= 0, w.store_region[np.maximum(store_of[r["ref"]], 0)],
                       w.n_regions)
        wk = np.minimum((r["arrival"] // HOURS_PER_WEEK).astype(np.int64), rec.weeks - 1)
        rec.add_at("handling_hours", wk[started], reg[started], r["handling"][started])
