"""Unit tests of the return-to-refund journey (sim.model.returns, DESIGN §5.3).

The returns component is driven directly on a small world with synthetic sales (its own
generator, tests/unit/journey_rig.py), so the tests check the mechanism without the rest of the
engine; the last test reads the refund tables of the shared legacy run (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from journey_rig import HOURS, Rig, online_batch, store_sales

from sim.model.returns.journey import Returns


def drive_returns(rig: Rig, store_units: int = 0, online_units: int = 0, sell_hours: int = HOURS,
                  seed: int = 1) -> Returns:
    """Sell for ``sell_hours`` and run returns to the horizon end (``finish`` included)."""
    r = rig.returns(seed)
    sales = store_sales(rig.w, store_units, hours=sell_hours) if store_units else None
    g = np.random.default_rng(11)

    def hourly(h: int) -> None:
        if h < sell_hours:
            if sales is not None:
                r.store_sold(h, sales[h])
            if online_units:
                r.online_sold(h, online_batch(rig.w, online_units, g))
        r.step(h)

    rig.run(hourly)
    r.finish(float(HOURS))
    return r


# --- returns ------------------------------------------------------------------------------


def test_thinning_matches_configured_return_rates() -> None:
    """Every unit sold in the first hours comes back with its SKU's channel return rate."""
    rig = Rig()
    w = rig.w
    skus = w.plan.skus
    sales = store_sales(w, 4000, hours=6)
    g = np.random.default_rng(11)
    batches = [online_batch(w, 3000, g) for _ in range(6)]
    r = rig.returns()
    for h in range(6):
        r.store_sold(h, sales[h])
        r.online_sold(h, batches[h])
    for h in range(HOURS):  # 8 weeks: every return of these sales starts by the end
        r.step(h)
    # The 8-week horizon has no holiday weeks, so the rates are the skus.csv ones.
    p_store = skus["return_rate_store"].to_numpy()[np.concatenate([s[0][2] for s in sales])]
    p_online = skus["return_rate_online"].to_numpy()[np.concatenate([b["sku"] for b in batches])]
    for got, p in ((rig.total("returns_units.store_to_store"), p_store),
                   (rig.total("returns_units.online_to_store")
                    + rig.total("returns_units.online_to_mail"), p_online)):
        assert abs(got - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())
    online = rig.total("returns_units.online_to_store") + rig.total("returns_units.online_to_mail")
    share = rig.total("returns_units.online_to_store") / online
    assert abs(share - w.params["online_return_in_store_share"]) < 0.05


def test_harmonized_disposition_shortens_refund_cycles() -> None:
    """Same customers and seed: the common refund-at-first-scan trigger refunds sooner."""
    cycles = {}
    for harmonized in (False, True):
        rig = Rig(teams={"customer_service": {"staff": 1}})
        if harmonized:
            rig.harmonize("return_disposition")
        drive_returns(rig, store_units=100, online_units=60, sell_hours=HOURS // 2)
        cycles[harmonized] = {k: rig.samples(f"refund_cycle_hours.{k}")
                              for k in ("store_to_store", "online_to_store", "online_to_mail")}
        cycles[harmonized]["all"] = np.concatenate(list(cycles[harmonized].values()))
    legacy, harm = cycles[False], cycles[True]
    assert len(harm["all"]) == len(legacy["all"])  # every return gets one refund sample
    assert harm["all"].mean() < legacy["all"].mean()
    assert harm["online_to_mail"].mean() < 0.2 * legacy["online_to_mail"].mean()
    assert harm["online_to_store"].mean() < legacy["online_to_store"].mean()
    assert np.quantile(harm["online_to_mail"], 0.9) < 24  # first scan within hours
    # Legacy mail waits for transit, the bench and the refund batch: days, not hours.
    assert legacy["online_to_mail"].mean() > 72


def test_legacy_boris_refund_waits_for_the_return_lookup() -> None:
    """Each legacy BORIS return raises return_lookup; its refund is the lookup's finish."""
    params = {"online_return_in_store_share": 1.0, "return_lookup_share": 1.0,
              "detection_hours": 1e-9}
    rig = Rig(teams={"customer_service": {"staff": 3, "shift": "24x7"}}, params=params)
    drive_returns(rig, online_units=40, sell_hours=HOURS // 2)
    n = rig.total("returns_units.online_to_store")
    assert n > 100
    assert rig.total("exceptions.return_lookup") == n
    team = rig.desk.teams["customer_service"].results()
    assert not np.isnan(team["finish"]).any()
    waited = np.sort(team["finish"] - team["arrival"])
    got = np.sort(rig.samples("refund_cycle_hours.online_to_store"))
    # Detection is instant, so the refund cycle is exactly the lookup's wait plus handling.
    np.testing.assert_allclose(got, waited, atol=1e-6)

    # Nobody to do the lookups: no refund is ever made; all are censored and pending at the end.
    rig0 = Rig(teams={"customer_service": {"staff": 0}}, params=params)
    drive_returns(rig0, online_units=40, sell_hours=HOURS // 2)
    assert rig0.total("refunds_pending_end") == rig0.total("exceptions.return_lookup") > 100


def test_harmonized_boris_needs_no_lookup() -> None:
    rig = Rig(params={"online_return_in_store_share": 1.0, "return_lookup_share": 1.0})
    rig.harmonize("return_disposition")
    drive_returns(rig, online_units=20, sell_hours=HOURS // 2)
    assert rig.total("returns_units.online_to_store") > 50
    assert rig.total("exceptions.return_lookup") == 0


def test_receiptless_returns_raise_exceptions_and_legacy_refunds_wait_for_approval() -> None:
    params = {"receiptless_return_share": 1.0, "unreceipted_escalation_prob": 1.0}
    result = {}
    for harmonized in (False, True):
        rig = Rig(teams={"store_ops": {"staff": 0}}, params=params)  # nobody approves
        if harmonized:
            rig.harmonize("return_disposition")
        drive_returns(rig, store_units=100, sell_hours=HOURS // 2)
        n = rig.total("returns_units.store_to_store")
        assert rig.total("exceptions.unreceipted_return") == n > 1000
        result[harmonized] = (rig.total("refunds_pending_end"),
                              rig.samples("refund_cycle_hours.store_to_store"))
    pending, cycles = result[False]
    assert pending == len(cycles)  # legacy: every refund still waits at the end
    pending, cycles = result[True]
    assert pending == 0 and cycles.max() < 5  # harmonized: refunded at the till anyway


def test_restocks_conserve_units_and_unrecorded_restocks_leave_records_short() -> None:
    rig = Rig()
    w = rig.w
    w.physical[:] = 5
    w.system[:] = 5
    r = drive_returns(rig, store_units=100, online_units=40)
    added = w.physical - 5
    assert r.restocked_units > 0
    assert added.sum() == r.restocked_units == rig.total("restocked_units")
    assert (added >= 0).all()  # returns only ever add stock
    short = w.physical - w.system
    assert (short >= 0).all()
    assert short.sum() == rig.total("unrecorded_restock_units") > 0
    units = rig.total("returns_units")
    disposed = sum(rig.total(k) for k in ("restocked_units", "damaged_units",
                                          "vendor_return_units"))
    # Every started return is disposed of, except mailed ones still at the DC.
    assert disposed <= units
    assert rig.total("restocked_units") / disposed == pytest.approx(
        w.params["restock_share"], abs=0.03)


def test_harmonized_disposition_records_more_restocks() -> None:
    short = {}
    for harmonized in (False, True):
        rig = Rig()
        if harmonized:
            rig.harmonize("return_disposition")
        drive_returns(rig, store_units=100)
        short[harmonized] = rig.total("unrecorded_restock_units") / rig.total("restocked_units")
    assert short[True] < short[False] / 3


def test_dc_inspection_queue_backs_up_when_arrivals_exceed_capacity() -> None:
    params = {"online_return_in_store_share": 0.0}
    small, big = (Rig(params={**params, "dc_inspection_capacity_factor": f}) for f in (0.3, 20))
    for rig in (small, big):
        drive_returns(rig, online_units=30, sell_hours=HOURS // 2)
    backlog_small = small.rec.counts("dc_inspection_backlog_units")[:, -1]
    backlog_big = big.rec.counts("dc_inspection_backlog_units")[:, -1]
    assert backlog_small.max() > 10 * max(backlog_big.max(), 1)
    # Under-capacity benches keep growing a queue while returns keep arriving.
    assert backlog_small[5] > backlog_small[2] > 0
    mail_small = small.samples("refund_cycle_hours.online_to_mail")
    mail_big = big.samples("refund_cycle_hours.online_to_mail")
    assert mail_small.mean() > mail_big.mean() + 48


# --- the refund tables of an engine run ------------------------------------------------------


@pytest.fixture
def legacy(journeys_legacy):
    """The shared 30-store, 8-week journeys legacy run (tests/conftest.py)."""
    return journeys_legacy


def test_refund_distribution_tables_by_channel_pair(legacy):
    pairs = set(legacy.refunds["channel_pair"])
    assert pairs == {"store_to_store", "online_to_store", "online_to_mail"}
    q = legacy.refunds[legacy.refunds["channel_pair"] == "online_to_mail"]
    assert q["hours"].is_monotonic_increasing
    assert legacy.weekly["refund_cycle_hours_mean"].notna().any()
    assert legacy.by_region["refund_cycle_hours_p90"].notna().any()


def test_a_store_sales_return_draw_belongs_to_its_customer() -> None:
    """Common random numbers per sale: whether a sale comes back does not depend on which
    other walk-in units of the hour sold (a plan that loses some sales to empty shelves
    must not reshuffle the returns of the sales both plans make)."""
    w = Rig().w
    # One walk-in unit per store-SKU cell, so a staged return names its sale.
    stores, skus = (a.ravel().astype(np.int32) for a in np.meshgrid(
        np.arange(w.n_stores), np.arange(w.n_skus), indexing="ij"))
    walkins = len(skus)
    weeks = np.zeros(walkins, dtype=np.int32)
    kept = np.sort(np.random.default_rng(5).choice(walkins, walkins // 2, replace=False))
    returned = []
    for sold in (np.arange(walkins, dtype=np.int32), kept.astype(np.int32)):
        r = Rig().returns(seed=3)
        r.store_sold(0, [(weeks[sold], stores[sold], skus[sold])], (walkins, sold))
        rows = r._staged_store.view()
        returned.append(set((rows["store"] * w.n_skus + rows["sku"]).tolist()))
    everyone, some = returned
    assert len(some) > 20
    assert some == everyone & set(kept.tolist())
