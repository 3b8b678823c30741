"""The model moves the way an architect expects, through mechanisms (DESIGN §9).

docs/model_validity.md, Checks: the directional and metamorphic properties. Each test changes
one thing and runs both sides under the same seeds (common random numbers), so a difference
comes from the change, not from the customers; where the outcome is random it must hold on three
paired seeds, each with a stated margin:

* the operations engine on 30 stores x 6 weeks (``small_runs.scenario``): sync interval, staff,
  order routing, order status, unresolved mismatches;
* the journeys on 30 stores x 8 weeks against the shared legacy run (``small_runs.journey_run``,
  tests/conftest.py): harmonizing an area moves its journey's metrics (issue 4);
* the shipped plans, full year, on a 60-store slice: the differences a PMO lead recognises
  (issue 5); training and hypercare on big_bang brought forward to week 4 and run through its
  hypercare (``EARLY``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from small_runs import enterprise, journey_run, scenario, shared, shared_run

import sim
from sim.loader import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
SLICE = ["network.stores=60", "network.skus=60"]
SEED = 3


def plan(name: str, *extra: str):
    return sim.load_scenario(ROOT / "scenarios" / f"{name}.toml", SLICE + list(extra))


# --- the operations engine ----------------------------------------------------------------------


#: Paired seeds: each check must hold on every one, with its margin.
SEEDS = (1, 2, 3)


def both(a: dict, b: dict) -> list[tuple]:
    """Two small-engine scenarios (``small_runs.scenario`` keywords) under each seed."""
    return [(shared_run(scenario(**a), s), shared_run(scenario(**b), s)) for s in SEEDS]


def test_longer_legacy_sync_gives_more_oversell():
    """On stores without safety stock, where a stale view is what oversells (with it, record
    errors dominate: 1 h and 24 h measured 92-93 and 89-96 oversold orders). Lean, seeds 1-6
    measured +4 % to +10 % (161-176 vs 171-183 on seeds 1-3): more on every seed, and at
    least 4 % more over the three."""
    lean = {"store_safety_z": 0.0}
    runs = both({"inventory": {"legacy_sync_hours": 1}, "parameters": lean},
                {"inventory": {"legacy_sync_hours": 24}, "parameters": lean})
    for short, long in runs:
        assert long.metrics["inventory_sync_latency_hours"] > 2 * short.metrics[
            "inventory_sync_latency_hours"]
        assert long.metrics["oversell_orders"] > short.metrics["oversell_orders"]
    short, long = (sum(r[i].metrics["oversell_orders"] for r in runs) for i in (0, 1))
    assert long > 1.04 * short


def test_fewer_staff_gives_larger_backlog():
    """60 stores with the whole assortment need about three store-ops staff; one drowns."""
    net = {"stores": 60, "skus": 200}
    for lean, rich in both({"network": net, "teams": {"store_ops": {"staff": 1}}},
                           {"network": net, "teams": {"store_ops": {"staff": 6}}}):
        # Measured 335-458 against 27-31 open items, SLA 0.50-0.53 against ~1.
        assert lean.metrics["exception_backlog_peak"] > 5 * rich.metrics[
            "exception_backlog_peak"]
        assert lean.metrics["exception_sla_met_rate"] < rich.metrics[
            "exception_sla_met_rate"] - 0.2


def test_orchestrated_routing_reroutes_automatically():
    for legacy_r, orch in both({}, {"harmonization": {
            "fulfillment_routing": {"mode": "enterprise", "from_week": 1}}}):
        assert legacy_r.metrics["exceptions.manual_reroute"] > 30  # measured 62-72
        assert orch.metrics["exceptions.manual_reroute"] == 0
        # Measured 0.46-0.56 % against 0.14-0.17 %.
        assert orch.metrics["order_fallout_rate"] < 0.5 * legacy_r.metrics["order_fallout_rate"]


def test_harmonized_order_status_improves_pickup_readiness():
    for a, b in both({}, {"harmonization": {"order_status": {"mode": "enterprise",
                                                             "from_week": 1}}}):
        # Measured 0.914-0.921 against 0.973-0.977.
        assert b.metrics["pickup_ready_rate"] > a.metrics["pickup_ready_rate"] + 0.03


def test_unresolved_mismatches_keep_records_wrong():
    """A starved store-ops team leaves counted mismatches uncorrected: more record errors."""
    for lean, ok in both({"teams": {"store_ops": {"staff": 0}}}, {}):
        # Measured 0.68-0.70 against 0.65-0.67 of store-SKU records wrong.
        assert lean.extras["record_error_share"] > ok.extras["record_error_share"] + 0.01
        assert np.isfinite(lean.metrics["exception_sla_met_rate"])


# --- the journeys: harmonizing an area (issue 4) ------------------------------------------------


@pytest.fixture
def legacy(journeys_legacy):
    """The shared 30-store, 8-week journeys legacy run (tests/conftest.py)."""
    return journeys_legacy


def test_enterprise_returns_cut_refund_cycle_and_lookups(legacy):
    harm = journey_run(**enterprise("return_disposition"))
    assert harm.metrics["refund_cycle_hours_mean"] <= 0.7 * legacy.metrics[
        "refund_cycle_hours_mean"]
    assert harm.metrics["exceptions.return_lookup"] < legacy.metrics["exceptions.return_lookup"]
    assert legacy.metrics["exceptions.return_lookup"] > 0
    # Per channel pair: online returns brought to a store no longer wait on a lookup.
    a = legacy.extras["refund_cycle_hours.online_to_store"].mean()
    b = harm.extras["refund_cycle_hours.online_to_store"].mean()
    assert b < a


def test_enterprise_promotions_lower_overrides_and_leakage_not_to_zero(legacy):
    harm = journey_run(**enterprise("promotions"))
    for m in ("promo_override_rate", "margin_leakage"):
        assert 0 < harm.metrics[m] < legacy.metrics[m], m


def test_enterprise_posting_lowers_manual_journals(legacy):
    harm = journey_run(**enterprise("financial_posting"))
    assert harm.metrics["manual_journals"] < legacy.metrics["manual_journals"]
    assert legacy.metrics["manual_journals"] == legacy.metrics["exceptions.reconciliation"]


def test_starved_finance_team_delays_the_close(legacy):
    starved = journey_run(teams={"finance": {"staff": 0}})
    assert starved.metrics["close_delay_days"] > 0
    assert legacy.metrics["close_delay_days"] < starved.metrics["close_delay_days"]


# --- the shipped plans (issue 5) ----------------------------------------------------------------


def shipped_run(side: tuple[str, ...], seed: int):
    """One replication of a plan on the slice; tests that need the same run share it (the
    pilot_then_waves and big_bang runs of several tests here, whichever test process runs
    them: ``small_runs.shared``). Callers only read it."""
    return shared(f"directional-{side}-{seed}", lambda: sim.run_replication(plan(*side), seed))


def paired(*sides: tuple[str, ...]) -> list[list[dict]]:
    """Metrics of each side (a plan name and overrides) on every seed of SEEDS."""
    return [[shipped_run(tuple(side), seed).metrics for seed in SEEDS] for side in sides]


def test_big_bang_finishes_earlier_but_peaks_higher():
    big_bang, phased = paired(("big_bang",), ("pilot_then_waves",))
    for b, p in zip(big_bang, phased, strict=True):
        assert b["rollout_completion_week"] < p["rollout_completion_week"]
        # Measured 857-879 against 20-55 open items (60 stores).
        assert b["exception_backlog_peak"] > 3 * p["exception_backlog_peak"], (b, p)
        assert b["exceptions.cutover_defect"] > 0


def test_no_rollout_is_the_legacy_baseline():
    base = sim.run_replication(plan("baseline_legacy", "horizon_weeks=8"), SEED)
    default = sim.run_replication(sim.Scenario.model_validate(
        {"name": "baseline_legacy", "network": {"stores": 60, "skus": 60},
         "horizon_weeks": 8}), SEED)
    assert math.isnan(base.metrics["rollout_completion_week"])
    assert base.metrics == pytest.approx(default.metrics, nan_ok=True)


def test_peak_go_live_costs_more_than_off_peak():
    """The same big bang in week 47 (freeze allowed) against week 20, three paired seeds.

    The cutover's downtime falls on peak volume and the dip meets peak traffic: more sales
    lost to the downtime, more exceptions in the six weeks from go-live, a higher year's cost.
    """
    lost = {"off": 0.0, "peak": 0.0}
    raised = {"off": 0.0, "peak": 0.0}
    for seed in (1, 2, 3):
        off = shipped_run(("big_bang",), seed)  # big_bang goes live in week 20
        peak = sim.run_replication(plan("big_bang", "waves.0.go_live_week=47",
                                        "peak.freeze_policy=allow"), seed)
        assert peak.metrics["total_risk_cost"] > 1.01 * off.metrics["total_risk_cost"], seed
        for side, r, first in (("off", off, 19), ("peak", peak, 46)):
            lost[side] += r.metrics["downtime_lost_units"]
            raised[side] += r.weekly["exceptions_total"].iloc[first:first + 6].sum()
    assert lost["peak"] > 1.3 * lost["off"], lost
    assert raised["peak"] > 1.05 * raised["off"], raised


def test_defer_finishes_later_than_allow_and_error_is_rejected():
    allow = sim.run_replication(plan("waves_through_peak"), SEED)
    defer = sim.run_replication(plan("waves_through_peak", "peak.freeze_policy=defer"), SEED)
    assert defer.metrics["rollout_completion_week"] > allow.metrics["rollout_completion_week"]
    with pytest.raises(ScenarioError, match="freeze"):
        plan("waves_through_peak", "peak.freeze_policy=error")


#: big_bang brought forward to week 4, run to the end of its 8 weeks of hypercare: the
#: go-live and its dip at a third of the full year's simulated hours.
EARLY = ("big_bang", "waves.0.go_live_week=4", "horizon_weeks=12")


def test_low_training_raises_exceptions():
    lows, highs = paired((*EARLY, "training.completion=0.1"), (*EARLY, "training.completion=1.0"))
    for low, high in zip(lows, highs, strict=True):
        # Measured 7,900-8,100 against 2,600-2,800 exceptions (seeds 1-5).
        assert low["exceptions_total"] > 1.3 * high["exceptions_total"], (low, high)
        assert low["training_proficiency"] < high["training_proficiency"] - 0.1


#: A third of every support team's default staff per 100 stores (store operations, customer
#: service, IT): the slice's teams are still the whole network's, serving its stand-ins.
SWAMPED = ("pilot_then_waves", "teams.store_ops.staff_per_100_stores=1.5",
           "teams.customer_service.staff_per_100_stores=0.4",
           "teams.it_hypercare.staff_per_100_stores=0.17")


def test_swamped_teams_trip_the_gates_and_finish_later():
    """The shipped plan with its shipped gates, staffed as shipped and with a third of the
    support staff. Measured (seeds 1-3): staffed, no deferral and done in week 36; a third,
    the live stores' SLA met 3 % of the time and the gates hold the last wave every day, into
    the freeze, so the plan does not finish within the year (a half: 0-3 days held back, done
    in week 36; 0.4: seeds apart, 46-448 days)."""
    for seed in SEEDS:
        ok, s = shipped_run(("pilot_then_waves",), seed), shipped_run(SWAMPED, seed)
        deferrals = [r.timeline.groupby("wave")["gate_deferrals"].max().sum() for r in (s, ok)]
        assert deferrals[0] >= deferrals[1] + 14, deferrals  # at least two weeks held back
        done_s, done_ok = (r.metrics["rollout_completion_week"] for r in (s, ok))
        assert done_ok <= 36, done_ok  # the staffed plan finishes: "later" means something
        assert math.isnan(done_s) or done_s > done_ok + 1, done_s


def test_shipped_gates_pass_the_plan_and_hold_back_a_risky_version_of_it():
    """pilot_then_waves' gates come from the model's own ranges: the plan as shipped never
    trips them; with 40 % training and no IT hypercare its live regions cancel too many
    orders and later waves wait (checked daily; 60 stores, seeds 1-3: 75-168 days held by
    week 37, a week past the last planned go-live, which the risky side runs to; 145-210 by
    week 52)."""
    risky = ["training.completion=0.4", "horizon_weeks=37",
             *(f"waves.{i}.hypercare_it_staff_per_100_stores=0" for i in range(3))]
    shipped, held = ([shipped_run(("pilot_then_waves", *extra), seed) for seed in SEEDS]
                     for extra in ([], risky))
    for a, b in zip(shipped, held, strict=True):
        assert a.timeline.groupby("wave")["gate_deferrals"].max().sum() == 0
        assert b.timeline.groupby("wave")["gate_deferrals"].max().sum() >= 5


def test_more_hypercare_staff_gives_smaller_backlog():
    less, more = paired(EARLY, (*EARLY, "waves.0.hypercare_staff_per_100_stores=30",
                                "waves.0.hypercare_it_staff_per_100_stores=15"))
    for a, b in zip(less, more, strict=True):
        # Measured 630-780 against 22-27 open items at the peak (seeds 1-5).
        assert b["exception_backlog_peak"] < 0.5 * a["exception_backlog_peak"], (a, b)
