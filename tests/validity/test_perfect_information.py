"""Perfect information gives zero oversell (docs/model_validity.md, Checks).

Real-time views everywhere with no event latency, exact store and DC records, no shrink, no
mis-scans, no migration, restock or receiving errors: oversell comes only from stale views and
wrong records, so with none there is none.
"""

from __future__ import annotations

from small_runs import scenario

import sim

PERFECT = {
    "initial_record_error_prob": 0.0, "shrink_rate": 0.0, "misscan_rate": 0.0,
    "migration_error_prob": 0.0, "unrecorded_restock_prob_legacy": 0.0,
    "unrecorded_restock_prob_harmonized": 0.0, "dc_initial_record_error_prob": 0.0,
    "dc_receiving_error_prob": 0.0, "store_pick_error_prob": 0.0,
}


def test_perfect_information_gives_zero_oversell():
    """Real-time views everywhere, exact records, no shrink: nothing promised is missing."""
    sc = scenario(
        parameters=PERFECT,
        # No feed outages either: until its cutover night a store publishes in batches, and
        # a broken batch feed leaves its view stale until IT works the sync failure.
        inventory={"realtime_sync_minutes": 0.0, "legacy_failures_per_1000_hours": 0.0,
                   "integration_failures_per_1000_hours": 0.0},
        harmonization={"inventory_events": {"mode": "at_go_live"}},
        waves=[{"all_remaining": True, "go_live_week": 1, "cutover_downtime_hours": 0,
                "hypercare_weeks": 0}],
        central={"with_wave": 0},  # the DCs publish in real time too
    )
    res = sim.run_replication(sc, seed=3)
    assert res.metrics["ecommerce_orders"] > 1000
    assert res.metrics["inventory_sync_latency_hours"] < 0.2
    assert res.metrics["oversell_orders"] == 0
