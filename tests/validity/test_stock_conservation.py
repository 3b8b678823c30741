"""Stock conservation to the unit (docs/model_validity.md, Checks).

start + supplier receipts - store sales - online picks - shrink + restocked returns
= end + in transit, exactly, on the two shared legacy runs of tests/conftest.py: the engine's
6-week run and the journeys' 8-week run, in which returns come back and are restocked. The
per-order reference model's own balance is checked in test_reference_model.py.
"""

from __future__ import annotations


def test_stock_is_conserved_to_the_unit(engine_legacy):
    s = engine_legacy.extras["stock"]
    assert s["start"] + s["supplier_receipts"] - s["store_sales"] - s["online_picked"] \
        - s["shrink"] + s["restocked"] == s["end"] + s["in_transit"]
    assert s["restocked"] > 0 and s["shrink"] > 0


def test_stock_conserved_with_restocked_returns(journeys_legacy):
    s = journeys_legacy.extras["stock"]
    assert s["restocked"] > 0
    assert s["start"] + s["supplier_receipts"] - s["store_sales"] - s["online_picked"] \
        - s["shrink"] + s["restocked"] == s["end"] + s["in_transit"]
