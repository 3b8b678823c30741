"""Promotion-to-settlement: store setup mismatches, price overrides, disputes, leakage (§5.4).

When a promotion event starts, each store's setup is drawn once: wrong with probability
``promo_mismatch_prob_legacy`` (or ``_harmonized`` where ``promotions`` is harmonized at that
store), times the store's training-dip error multiplier. A wrong setup is one of two kinds:

* overcharge (the promotion is missing at the till): a customer who notices gets a price
  override (counted); some overrides escalate to a ``price_dispute`` exception for customer
  service, each with a goodwill credit that is margin leakage;
* undercharge (a wrong or doubled discount): every promoted unit leaks price x discount.

A wrong setup lasts until the audit finds it (``promo_fix_hours_legacy`` after the event
start) or, sooner, until customer service finishes the first dispute it caused (the handler on
``price_dispute``), so a customer-service backlog prolongs the mismatch. Per-unit work is
vectorised over the hour's sales; only the rare disputes are handled one by one.
"""

from __future__ import annotations

import numpy as np

from sim.model.component import Component
from sim.model.demand.sales import StoreDemand
from sim.model.desk.desk import ExceptionDesk
from sim.model.promotions.kernels import promoted
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World


class Promotions(Component):
    """Setup mismatches and their consequences at the tills.

    Args:
        world: Replication state.
        demand: Store sales (each hour's promoted sales are settled at the tills).
        discount: Discount fraction per ``(week, sku)`` (0: not promoted).
        event: Index of the event in force per ``(week, sku)`` (-1: none).
        desk: The exception desk (``price_dispute``).
        rng: The ``promotions`` stream (event setups); the till outcomes of mismatched sales
            draw from a child stream spawned from it, so how many units sell (which depends
            on the plan) never shifts the setup draws (common random numbers).
        rec: The recorder.

    Attributes:
        until: Hour at which each ``(event, store)`` mismatch is fixed (-inf: set up right).
        overcharge: Kind of each ``(event, store)`` mismatch (True: promotion missing).

    """

    name = "promotions"

    def __init__(self, world: World, demand: StoreDemand, discount: np.ndarray,
                 event: np.ndarray, desk: ExceptionDesk, rng: np.random.Generator,
                 rec: Recorder) -> None:
        self.w, self.demand, self.desk, self.rng, self.rec = world, demand, desk, rng, rec
        self.rng_till = rng.spawn(1)[0]
        self.p = world.params
        weeks = min(len(discount), world.horizon_hours // HOURS_PER_WEEK)
        self.n_weeks = weeks
        self.discount = np.asarray(discount, float)[:weeks]
        self.event = np.asarray(event, np.int64)[:weeks]
        self.disc_flat = self.discount.ravel()
        self.event_flat = self.event.ravel()
        self.promoted = self.discount > 0
        self.promo_week = self.promoted.any(axis=1)
        n_events = int(self.event.max(initial=-1)) + 1
        self.n_events = n_events
        # Weeks in which an event starts (again: a multi-week event is one occurrence).
        active = np.zeros((weeks, n_events), dtype=bool)
        for k in range(weeks):
            ev = np.unique(self.event[k])
            active[k, ev[ev >= 0]] = True
        before = np.vstack([np.zeros((1, n_events), bool), active[:-1]])
        self.starts = active & ~before
        self.until = np.full((n_events, world.n_stores), -np.inf)
        self.overcharge = np.zeros((n_events, world.n_stores), dtype=bool)
        self._disputes: dict[int, tuple[int, int]] = {}
        self._set_up_to = -1  # last week whose event setups were drawn
        #: No mismatch lasts beyond this hour (disputes only shorten them): a cheap skip.
        self.latest_fix = -np.inf
        desk.on_done("price_dispute", self._dispute_done)

    def _setup(self, hour: int, week: int) -> None:
        """Draw each store's setup for the events starting this week."""
        w, p, rng = self.w, self.p, self.rng
        harm = w.harmonized["promotions"][: w.n_stores]
        base = np.where(harm, p["promo_mismatch_prob_harmonized"], p["promo_mismatch_prob_legacy"])
        prob = np.minimum(base * w.error_multiplier, 1.0)
        for e in np.flatnonzero(self.starts[week]):
            # Two uniforms per store whatever the plan, so plans see the same draws.
            u = rng.random((2, w.n_stores))
            wrong = u[0] < prob
            self.until[e] = np.where(wrong, hour + p["promo_fix_hours_legacy"], -np.inf)
            if wrong.any():
                self.latest_fix = max(self.latest_fix, hour + p["promo_fix_hours_legacy"])
            self.overcharge[e] = u[1] < p["promo_overcharge_share"]
            self.rec.add("promo_mismatch_setups", week, w.store_region[wrong])
            self.rec.add("promo_setups", week, w.store_region)

    def step(self, hour: int) -> None:
        """Set up events starting now and settle this hour's promoted store sales."""
        w = self.w
        sales = self.demand.hour_sales
        week = w.week_of(hour)
        if week >= self.n_weeks:
            return
        while self._set_up_to < week:  # setups are drawn once, at the first hour of a week
            self._set_up_to += 1
            if self.starts[self._set_up_to].any():
                self._setup(self._set_up_to * HOURS_PER_WEEK, self._set_up_to)
        if not sales or not self.promo_week[week]:
            return
        for weeks, stores, skus in sales:
            if len(skus):
                self._sold(hour, week, weeks, stores, skus)

    def _sold(self, hour: int, week: int, weeks: np.ndarray, stores: np.ndarray,
              skus: np.ndarray) -> None:
        """Count one batch's promoted units and settle those sold at mismatched stores."""
        w = self.w
        counts = np.zeros(self.rec.regions)
        # Few stores are set up wrong at a time: the kernel returns only their promoted units.
        wrong = promoted(weeks, stores, skus, self.n_weeks, w.n_skus, self.disc_flat,
                          self.event_flat, self.until, float(hour), self.latest_fix > hour,
                          w.store_region, counts)
        if counts.any():
            self.rec.add_row("promoted_units", week, counts)
        if len(wrong):
            flat = (np.minimum(weeks[wrong], self.n_weeks - 1).astype(np.int64) * w.n_skus
                    + skus[wrong])
            self._settle(hour, week, stores[wrong].astype(np.int64),
                         skus[wrong].astype(np.int64), self.event_flat[flat],
                         self.disc_flat[flat])

    def _settle(self, hour: int, week: int, stores: np.ndarray, skus: np.ndarray,
                ev: np.ndarray, disc: np.ndarray) -> None:
        """Book overrides, disputes and leakage of promoted units sold at mismatched stores."""
        w, p, rec = self.w, self.p, self.rec
        region = w.store_region[stores]
        over = self.overcharge[ev, stores]
        u = self.rng_till.random((2, len(stores)))
        override = over & (u[0] < p["promo_override_notice_prob"])
        dispute = override & (u[1] < p["price_dispute_prob"])
        under = ~over
        price = w.sku_price[skus]
        rec.add("promo_mismatch_units", week, region)
        rec.add("price_overrides", week, region[override])
        rec.add("promo_overcharged_units", week, region[over & ~override])
        rec.add("promo_undercharged_units", week, region[under])
        # An undercharge gives the discount away on a unit that should not have it.
        rec.add("margin_leakage", week, region[under], price[under] * disc[under])
        if dispute.any():
            rec.add("margin_leakage", week, region[dispute], p["dispute_goodwill"])
            ids = self.desk.raise_("price_dispute", np.full(int(dispute.sum()), hour + 0.5),
                                   stores[dispute])
            for i, e, s in zip(ids.tolist(), ev[dispute].tolist(), stores[dispute].tolist(),
                               strict=True):
                self._disputes[i] = (e, s)

    def _dispute_done(self, finish: float, exc_id: int) -> None:
        """Correct the store's setup when customer service resolves a dispute it caused."""
        item = self._disputes.pop(exc_id, None)
        if item is not None:
            e, s = item
            if self.until[e, s] > finish:
                self.until[e, s] = finish
