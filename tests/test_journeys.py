"""Harmonizing an area moves its journey's metrics through mechanisms (issue 4)."""

from __future__ import annotations

import pytest

import sim
from sim.scenario import Scenario

BASE = {"name": "baseline_legacy", "network": {"stores": 30, "skus": 60}, "horizon_weeks": 8}
SEED = 13


def run(**kw):
    return sim.run_replication(Scenario.model_validate({**BASE, **kw}), SEED)


def enterprise(area: str) -> dict:
    return {"harmonization": {area: {"mode": "enterprise", "from_week": 1}}}


@pytest.fixture(scope="module")
def legacy():
    return run()


def test_enterprise_returns_cut_refund_cycle_and_lookups(legacy):
    harm = run(**enterprise("return_disposition"))
    assert harm.metrics["refund_cycle_hours_mean"] <= 0.7 * legacy.metrics[
        "refund_cycle_hours_mean"]
    assert harm.metrics["exceptions.return_lookup"] < legacy.metrics["exceptions.return_lookup"]
    assert legacy.metrics["exceptions.return_lookup"] > 0
    # Per channel pair: online returns brought to a store no longer wait on a lookup.
    a = legacy.extras["refund_cycle_hours.online_to_store"].mean()
    b = harm.extras["refund_cycle_hours.online_to_store"].mean()
    assert b < a


def test_enterprise_promotions_lower_overrides_and_leakage_not_to_zero(legacy):
    harm = run(**enterprise("promotions"))
    for m in ("promo_override_rate", "margin_leakage"):
        assert 0 < harm.metrics[m] < legacy.metrics[m], m


def test_enterprise_posting_lowers_manual_journals(legacy):
    harm = run(**enterprise("financial_posting"))
    assert harm.metrics["manual_journals"] < legacy.metrics["manual_journals"]
    assert legacy.metrics["manual_journals"] == legacy.metrics["exceptions.reconciliation"]


def test_starved_finance_team_delays_the_close(legacy):
    starved = run(teams={"finance": {"staff": 0}})
    assert starved.metrics["close_delay_days"] > 0
    assert legacy.metrics["close_delay_days"] < starved.metrics["close_delay_days"]


def test_stock_conserved_with_restocked_returns(legacy):
    s = legacy.extras["stock"]
    assert s["restocked"] > 0
    assert s["start"] + s["supplier_receipts"] - s["store_sales"] - s["online_picked"] \
        - s["shrink"] + s["restocked"] == s["end"] + s["in_transit"]


def test_refund_distribution_tables_by_channel_pair(legacy):
    pairs = set(legacy.refunds["channel_pair"])
    assert pairs == {"store_to_store", "online_to_store", "online_to_mail"}
    q = legacy.refunds[legacy.refunds["channel_pair"] == "online_to_mail"]
    assert q["hours"].is_monotonic_increasing
    assert legacy.weekly["refund_cycle_hours_mean"].notna().any()
    assert legacy.by_region["refund_cycle_hours_p90"].notna().any()
