"""Unit tests of the return-to-refund, promotion-to-settlement and finance journeys.

Each component is driven directly on a small world with synthetic sales (its own generator),
so the tests check the mechanisms of DESIGN §5.3, §5.4 and §5.6 without the rest of the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import simpy

from sim.model.desk.desk import ExceptionDesk
from sim.model.finance.reconciliation import Finance
from sim.model.promotions.setup import Promotions
from sim.model.recorder import Recorder
from sim.model.returns.journey import Returns
from sim.model.world import LIVE, World, build_world
from sim.plan import build_plan
from sim.scenario import Scenario

WEEKS = 8
HOURS = WEEKS * 168


class Rig:
    """A small world, its recorder and exception desk, driven hour by hour."""

    def __init__(self, stores: int = 30, skus: int = 40, teams: dict | None = None,
                 params: dict[str, float] | None = None, seed: int = 0) -> None:
        sc = Scenario(network={"stores": stores, "skus": skus}, horizon_weeks=WEEKS,
                      teams=teams or {})
        self.w: World = build_world(sc, build_plan(sc))
        self.w.params = {**self.w.params, **(params or {})}
        self.env = simpy.Environment()
        self.rec = Recorder(WEEKS, self.w.n_regions + 1)
        self.desk = ExceptionDesk(self.env, self.w, np.random.default_rng(seed), self.rec)

    def returns(self, seed: int = 1) -> Returns:
        return Returns(self.w, None, self.desk, np.random.default_rng(seed), self.rec)

    def harmonize(self, area: str) -> None:
        self.w.harmonized[area][:] = True

    def run(self, hourly: Callable[[int], None], hours: int = HOURS) -> None:
        """Call ``hourly(h)`` for every hour, letting the desk serve its queues in between."""
        for h in range(hours):
            hourly(h)
            self.env.run(until=h + 1)
        self.desk.dispatch_until(float(hours))

    def total(self, name: str) -> float:
        return float(self.rec.counts(name).sum())

    def samples(self, name: str) -> np.ndarray:
        return self.rec.samples(name)[2]


def store_sales(w: World, units: int, seed: int = 7, hours: int = HOURS):
    """Synthetic store sales: ``units`` per hour on random stores and SKUs (fixed per seed)."""
    g = np.random.default_rng(seed)
    table = []
    for h in range(hours):
        stores = g.integers(0, w.n_stores, units)
        skus = g.integers(0, w.n_skus, units)
        table.append([(np.full(units, w.week_of(h), np.int32), stores.astype(np.int32),
                       skus.astype(np.int32))])
    return table


def online_batch(w: World, units: int, g: np.random.Generator) -> dict[str, np.ndarray]:
    """Synthetic picked online units: customer region, their store, the SKU."""
    store = g.integers(0, w.n_stores, units)
    return {"sku": g.integers(0, w.n_skus, units), "region": w.store_region[store],
            "store": store, "node": store, "method": np.full(units, 2)}


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


# --- promotions ---------------------------------------------------------------------------


def promo_calendar(w: World, events: int = WEEKS, discount: float = 0.2):
    """One event per week on every SKU."""
    disc = np.full((WEEKS, w.n_skus), discount)
    event = np.repeat(np.arange(WEEKS) % events, w.n_skus).reshape(WEEKS, w.n_skus)
    return disc, event


def drive_promotions(rig: Rig, units: int = 150, seed: int = 3) -> Promotions:
    disc, event = promo_calendar(rig.w)
    promo = Promotions(rig.w, disc, event, rig.desk, np.random.default_rng(seed), rig.rec)
    sales = store_sales(rig.w, units)
    rig.run(lambda h: promo.step(h, sales[h]))
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
        assert rig.total("price_disputes") == overrides[staff]
    assert overrides[0] > 3 * overrides[20]


# --- finance ------------------------------------------------------------------------------


def drive_finance(rig: Rig, seed: int = 5) -> Finance:
    fin = Finance(rig.w, rig.desk, np.random.default_rng(seed), rig.rec)
    rig.run(lambda h: fin.daily(h) if h % 24 == 0 else None)
    fin.finish(float(HOURS))
    return fin


def test_harmonized_posting_lowers_manual_journals() -> None:
    journals = {}
    for harmonized in (False, True):
        rig = Rig(stores=60)
        if harmonized:
            rig.harmonize("financial_posting")
        drive_finance(rig)
        journals[harmonized] = rig.total("manual_journals")
        assert journals[harmonized] == rig.total("exceptions.reconciliation")
    assert 0 < journals[True] < 0.4 * journals[False]


def test_coexistence_adds_bridge_breaks() -> None:
    rig = Rig(stores=60)
    drive_finance(rig)
    assert rig.total("bridge_breaks") == 0
    mixed = Rig(stores=60)
    mixed.w.state[: 30] = LIVE
    drive_finance(mixed)
    assert mixed.total("bridge_breaks") > 0


def test_small_finance_team_delays_the_close() -> None:
    delays = {}
    for staff in (0, 30):
        rig = Rig(stores=60, teams={"finance": {"staff": staff}})
        drive_finance(rig)
        delays[staff] = rig.total("close_delay_days")
        assert rig.total("month_closes") >= 1  # February closes inside the 8 weeks
    assert delays[0] > 0
    assert delays[30] == 0


def test_close_delay_counts_business_days_beyond_the_window() -> None:
    rig = Rig()
    fin = Finance(rig.w, rig.desk, np.random.default_rng(0), rig.rec)
    start = np.datetime64(rig.w.scenario.start_date, "D")
    next_month = (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    month_end = float((next_month - start).astype(int) * 24)  # midnight ending the month
    fin.raised[0] = 1
    fin.last_done[0] = month_end + 7 * 24 + 10  # 10:00 on the 8th day after the month
    (hour, delay), *_ = fin.close_delays(float(HOURS))
    assert hour == month_end
    business = np.busday_count(next_month, next_month + 8)  # those 8 days, weekends excluded
    assert business in (5, 6)
    assert delay == business - rig.w.params["close_window_days"]
    fin.open[0] = 1  # still unresolved at the horizon end: counted to the end
    assert fin.close_delays(float(HOURS))[0][1] > delay
    fin.open[0], fin.last_done[0] = 0, month_end - 5  # resolved before the month ended
    assert fin.close_delays(float(HOURS))[0][1] == 0
