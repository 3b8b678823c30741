"""Common random numbers per decision: an area's harmonization changes only what it reaches.

Each random decision draws from a stream of its own, and draws about an entity whose numbers
differ between plans (a sale, an order, an exception) are keyed to it, so two plans that differ
only in one harmonization area give outputs identical to the bit wherever that area has no
mechanism to act. The reach of each area below is the table in docs/model_validity.md ("Which
area reaches which output"). Teams are staffed so that nothing waits: a shared team's queue is a
real channel (customer service works price disputes, return lookups and manual reroutes in one
line), which would let every area reach every team's outputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from small_runs import JOURNEYS, enterprise, shared

import sim
from sim.scenario import Scenario

#: Every area's change moves exception counts and labour, hence the totals.
DESK = {"exceptions_total", "cost.exception_labour", "total_risk_cost",
        "exception_backlog_peak", "exception_sla_met_rate", "cost.sla_breaches"}
#: What a change of store or DC stock reaches: sales, orders, returns and refunds, counts.
STOCK = {"lost_sales_units", "cost.lost_margin", "store_sales_units", "returns_units",
         "unrecorded_restock_units", "count_gap_rate", "dc_count_gap_rate",
         "exceptions.inventory_mismatch", "oversell_orders", "oversell_rate", "pick_failures",
         "reroute_orders", "auto_reroute_orders", "reroute_cost", "cost.reroutes",
         "online_fulfilled_orders", "order_fallout_rate", "cost.fallout", "unpromisable_orders",
         "store_fulfilled_share", "fulfillment_cost", "cost.fulfillment", "cost.holding",
         "split_parcels",
         "pickup_ready_rate", "exceptions.manual_reroute", "exceptions.pickup_failure",
         "exceptions.return_lookup", "exceptions.unreceipted_return", "refund_cycle_hours_mean",
         "refund_cycle_hours_p90", "refunds_pending_end", "refunds_pending_peak",
         "cost.refund_goodwill", "dc_inspection_backlog_peak", "inventory_sync_latency_hours",
         "unposted_sales_units",
         # promoted units sold, and those sold at a store whose promotion is set up wrong
         "promo_override_rate", "margin_leakage", "cost.margin_leakage",
         "exceptions.price_dispute"}
PROMOTION_SETUP = {"promo_mismatch_rate", "promo_override_rate", "margin_leakage",
                   "cost.margin_leakage", "exceptions.price_dispute"}
POSTING = {"exceptions.reconciliation", "manual_journals", "bridge_breaks", "close_delay_days",
           "close_delay_days_per_close", "close_surge_staff_hours", "cost.close_delay",
           "cost.close_surge"}
FEEDS = {"sync_outage_hours", "sync_outage_mean_hours", "exceptions.sync_failure"}

#: Per area: the outputs it can change, and one it must change in this run.
REACH = {
    "inventory_events": (DESK | STOCK | FEEDS | {"gap_scan_corrections"}, "count_gap_rate"),
    "order_status": (DESK | STOCK, "pickup_ready_rate"),
    "fulfillment_routing": (DESK | STOCK, "store_fulfilled_share"),
    "return_disposition": (DESK | STOCK, "refund_cycle_hours_mean"),
    "promotions": (DESK | PROMOTION_SETUP, "promo_mismatch_rate"),
    "financial_posting": (DESK | POSTING, "manual_journals"),
}
AMPLE = {"teams": {t: {"staff": 400} for t in
                   ("store_ops", "customer_service", "it_hypercare", "finance")}}
SEED = 13


def _metrics(**kw) -> dict[str, float]:
    sc = Scenario.model_validate({**JOURNEYS, **AMPLE, **kw})
    return sim.run_replication(sc, SEED).metrics


@pytest.fixture(scope="module")
def legacy() -> dict[str, float]:
    return shared("area-reach-legacy", _metrics)


def _changed(a: dict[str, float], b: dict[str, float]) -> set[str]:
    return {k for k in a if not (a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])))}


@pytest.mark.parametrize("area", list(REACH))
def test_an_area_changes_only_the_outputs_it_reaches(legacy, area):
    reach, acts_on = REACH[area]
    changed = _changed(legacy, _metrics(**enterprise(area)))
    assert acts_on in changed  # the area does act
    assert changed <= reach, f"{area} moved outputs it has no mechanism for: " \
        f"{sorted(changed - reach)}"
