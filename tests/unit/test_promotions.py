"""Unit tests of the promotion-to-settlement journey (sim.model.promotions, DESIGN §5.4).

The promotions component is driven directly on a small world with synthetic sales
(tests/unit/journey_rig.py), without the rest of the engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from journey_rig import WEEKS, Rig, SalesFeed, store_sales

from sim.model.promotions.setup import Promotions
from sim.model.world import World


def promo_calendar(w: World, events: int = WEEKS, discount: float = 0.2):
    """One event per week on every SKU."""
    disc = np.full((WEEKS, w.n_skus), discount)
    event = np.repeat(np.arange(WEEKS) % events, w.n_skus).reshape(WEEKS, w.n_skus)
    return disc, event


def drive_promotions(rig: Rig, units: int = 150, seed: int = 3) -> Promotions:
    disc, event = promo_calendar(rig.w)
    feed = SalesFeed()
    promo = Promotions(rig.w, feed, disc, event, rig.desk, np.random.default_rng(seed), rig.rec)
    sales = store_sales(rig.w, units)
    def hourly(h: int) -> None:
        feed.hour_sales = sales[h]
        promo.step(h)

    rig.run(hourly)
    return promo


def test_harmonized_promotions_lower_overrides_but_not_to_zero() -> None:
    rates = {}
    for harmonized in (False, True):
        rig = Rig(stores=60)
        if harmonized:
            rig.harmonize("promotions")
        drive_promotions(rig)
        rates[harmonized] = rig.total("price_overrides") / rig.total("promoted_units")
        assert rig.total("margin_leakage") > 0
    assert 0 < rates[True] < rates[False]


def test_undercharge_leaks_price_times_discount() -> None:
    """Every store set up wrong, all undercharges, never fixed: leakage = sum(price x disc)."""
    rig = Rig(params={"promo_mismatch_prob_legacy": 1.0, "promo_overcharge_share": 0.0,
                      "promo_fix_hours_legacy": 1e9})
    drive_promotions(rig, units=20)
    sales = store_sales(rig.w, 20)
    skus = np.concatenate([s[0][2] for s in sales])
    assert rig.total("promoted_units") == len(skus)
    expected = (rig.w.sku_price[skus] * 0.2).sum()
    assert rig.total("margin_leakage") == pytest.approx(expected)
    assert rig.total("price_overrides") == 0


def test_customer_service_backlog_prolongs_promo_mismatches() -> None:
    """A resolved dispute fixes the setup early; with nobody to resolve it, the audit does."""
    params = {"promo_mismatch_prob_legacy": 1.0, "promo_overcharge_share": 1.0,
              "promo_override_notice_prob": 1.0, "price_dispute_prob": 1.0}
    overrides = {}
    for staff in (0, 20):
        rig = Rig(teams={"customer_service": {"staff": staff}}, params=params)
        drive_promotions(rig, units=40)
        overrides[staff] = rig.total("price_overrides")
        assert rig.total("exceptions.price_dispute") == overrides[staff]
    assert overrides[0] > 3 * overrides[20]
