"""Return-to-refund: returns drawn from sales, the refund trigger in force, disposition (§5.3).

Each sold unit is thinned once at sale time; the returns it yields wait as records (see
:mod:`sim.model.returns.records`) filed by the day their return starts (no Python object per
unit), and each day's returns are started in one compiled pass
(:mod:`sim.model.returns.kernels`, :mod:`sim.model.returns.refund_kernels`) that applies the
rules of :mod:`sim.model.returns.rules`. Channel pairs: ``store_to_store`` (returned to the
store it was bought in), ``online_to_store`` (BORIS, at the customer's store) and
``online_to_mail`` (to the DC serving the customer's region).

Refund cycle = refund time - return start. The trigger is read from
``world.harmonized["return_disposition"]`` at the node taking the return (the store, or the DC
for mail) on the day the return starts:

* harmonized: one taxonomy and a refund at first scan (the till, or the carrier's first scan);
  nothing waits on a queue;
* legacy store return: refund at the till, except a receipt-less return the till cannot settle,
  which waits for store-operations approval (``unreceipted_return``);
* legacy BORIS: the store system cannot see the online order, so a share of them needs a
  ``return_lookup`` by customer service and the refund waits until that item is finished;
* legacy mail: carrier transit, a FCFS DC inspection bench with a daily capacity, then the next
  finance refund batch.

Refunds not made by the horizon end are *censored*: their cycle is recorded as end - start (a
lower bound) and counted in ``refunds_pending_end``. Samples are keyed by the week and region
of the return start (customer region for mail), so a week's figure describes the customers who
returned then.

Every random number is drawn here, from the ``returns`` stream, in a fixed order: each hour a
float32 uniform per unit sold (store sales, then online units as they are picked); at each
day's first hour two exponentials per staged store return (the delay), a uniform and two
exponentials per staged online return (in store or mail; the delay), then for the returns
starting that day three uniforms and an exponential each and a gamma per mailed one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.component import Component
from sim.model.demand.sales import StoreDemand
from sim.model.desk.desk import ExceptionDesk
from sim.model.plumbing.day_chains import DayChains
from sim.model.recorder import Recorder
from sim.model.returns.inspection import DcBench
from sim.model.returns.kernels import (
    DAMAGED,
    MIN_DELAY_HOURS,
    N_DISP,
    RECORDED,
    UNRECORDED,
    VENDOR,
    Rules,
    file_returns,
    put_back,
    start_returns,
    thin_online,
    thin_store,
)
from sim.model.returns.records import (
    PARCEL,
    RESTOCK,
    STAGED_ONLINE,
    STAGED_STORE,
    START,
    Records,
)
from sim.model.returns.refunds import RefundBook
from sim.model.returns.rules import CHANNEL_PAIRS, ONLINE_TO_MAIL
from sim.model.world import HOURS_PER_WEEK, World

#: Shape of the carrier-transit gamma (1-5 business days is narrower than an exponential).
#: Purchase-to-return delays are one day plus an Erlang-2 (few very quick returns). Assumptions.
TRANSIT_SHAPE = 4.0
_DISP = {"restocked_units": (RECORDED, UNRECORDED), "unrecorded_restock_units": (UNRECORDED,),
         "damaged_units": (DAMAGED,), "vendor_return_units": (VENDOR,)}
#: Counters booked when the DC bench inspects mailed returns (code = disposition)...
BENCH_COUNTERS = {"dc_inspected_units": (RECORDED, UNRECORDED, DAMAGED, VENDOR), **_DISP}
#: ...and when returns start (code = pair * N_DISP + disposition; mail is still UNDECIDED).
START_COUNTERS = {
    "returns_units": tuple(range(len(CHANNEL_PAIRS) * N_DISP)),
    **{f"returns_units.{name}": tuple(range(k * N_DISP, (k + 1) * N_DISP))
       for k, name in enumerate(CHANNEL_PAIRS)},
    **{name: tuple(k * N_DISP + c for k in (0, 1) for c in codes)
       for name, codes in _DISP.items()},
}
_EMPTY2 = np.zeros((2, 0))
_ALL = np.zeros(0, dtype=np.bool_)  # no mask: every line of a batch was picked


def _members(counters: dict[str, tuple[int, ...]], n_codes: int) -> np.ndarray:
    """``(codes, counters)`` table: which codes each counter counts."""
    m = np.zeros((n_codes, len(counters)), dtype=np.bool_)
    for c, codes in enumerate(counters.values()):
        m[list(codes), c] = True
    return m


def holiday_multiplier(calendar: pd.DataFrame, uplift: float) -> np.ndarray:
    """Return-rate multiplier by calendar week of sale: the calendar's timing, peak ``uplift``."""
    cal = calendar.sort_values("week")
    col = cal.get("holiday_return_multiplier")
    shape = np.ones(len(cal)) if col is None else col.to_numpy(float)
    top = shape.max(initial=1.0) - 1.0
    if top <= 0:
        return shape
    return 1.0 + (shape - 1.0) / top * (uplift - 1.0)


class Returns(Component):
    """Returns, refunds and the disposition of returned stock.

    Args:
        world: Replication state (stock, harmonization, error multipliers).
        demand: Store sales (each hour's sales are thinned into future returns).
        desk: The exception desk (``return_lookup``, ``unreceipted_return``).
        rng: The ``returns`` stream. Whether a store sale comes back is drawn from a child
            stream of its own, one uniform per walk-in unit of the hour whatever the plan
            (a plan that sells more or less does not shift other sales' draws); an online
            sale's is its order's own ``return_u``, drawn when the order is placed.
        rec: The recorder.

    Attributes:
        restocked_units: Units put back into physical stock (for the conservation check).
        n_waiting: Refunds waiting for a lookup or an approval.
        bench: The DCs' returns bench (mailed parcels).
        refunds: The refund book (refunds booked, held by exceptions, recorded daily).

    """

    name = "returns"

    def __init__(self, world: World, demand: StoreDemand, desk: ExceptionDesk,
                 rng: np.random.Generator, rec: Recorder) -> None:
        self.w, self.demand, self.desk, self.rng, self.rec = world, demand, desk, rng, rec
        self.thin_rng = rng.spawn(1)[0]
        p = self.p = world.params
        self.end = float(world.horizon_hours)
        self.n_weeks = world.horizon_hours // HOURS_PER_WEEK
        self.holiday = holiday_multiplier(world.plan.network.calendar, p["holiday_return_uplift"])
        mult = self.holiday[[world.calendar_week(k) for k in range(self.n_weeks)]]
        # skus.csv's return rates times the chain's multipliers (calibrate fits them).
        self.rate_store, self.rate_online = (
            np.minimum(world.plan.skus[f"return_rate_{c}"].to_numpy(float)
                       * p[f"return_rate_{c}_multiplier"], 1.0) for c in ("store", "online"))
        # Return probability per (sale week, SKU), flattened; float32 because the thinning
        # draws 32-bit uniforms (twice as fast as 64-bit ones).
        self.p_store, self.p_online = (
            np.outer(mult, rates).ravel().astype(np.float32)
            for rates in (self.rate_store, self.rate_online))
        self.capacity = self._inspection_capacity()
        self.rules = Rules(
            self._delay_scale(p["return_delay_days_store"]),
            self._delay_scale(p["return_delay_days_online"]),
            p["online_return_in_store_share"], p["first_scan_hours"], p["refund_till_hours"],
            p["restock_share"], p["restock_share"] + p["damaged_share"],
            p["unrecorded_restock_prob_legacy"], p["unrecorded_restock_prob_harmonized"],
            p["receiptless_return_share"] * p["unreceipted_escalation_prob"],
            p["return_lookup_share"])
        self._bench_hour = int(p["dc_inspection_hour"])
        self._start_names, self._bench_names = tuple(START_COUNTERS), tuple(BENCH_COUNTERS)
        self._start_members = _members(START_COUNTERS, len(CHANNEL_PAIRS) * N_DISP)
        self._bench_members = _members(BENCH_COUNTERS, N_DISP)
        self.restocked_units = 0
        # Thinned sales not yet given start times; then filed under their start day.
        self._staged_store = Records(STAGED_STORE)
        self._staged_online = Records(STAGED_ONLINE)
        # Days returns can start on: the horizon and a margin (grown when a delay is longer).
        n_days = -(-world.horizon_hours // 24) + 64
        self._starts = DayChains(START, n_days)
        self._mail_due = np.zeros(n_days, dtype=np.int64)  # mailed returns per start day
        # Today's store restocks (a view of the buffer), shelved at day end, before the next
        # day's are written.
        self._restock: np.ndarray | None = None
        self._restock_buf = Records(RESTOCK)
        self._day = -1
        self.bench = DcBench(self.capacity, world.n_stores, self.rules, self._bench_members)
        self.refunds = RefundBook(rec)
        desk.on_done_batch("return_lookup", self.refunds.exceptions_done)
        desk.on_done_batch("unreceipted_return", self.refunds.exceptions_done)

    # --- set-up ------------------------------------------------------------------------
    def _inspection_capacity(self) -> np.ndarray:
        """Units each DC inspects per day: the factor x its mean daily mailed returns.

        The mean is over the 52-week calendar (not the horizon), so benches are sized for an
        average day whatever the run length, and the holiday surge queues.
        """
        w, p = self.w, self.p
        share = p["ecommerce_share"]
        # Online units per week as the orders module draws them (promotion lift aside).
        online = share / (1.0 - share) * w.store_volume.sum() * w.seasonality * w.online_multiplier
        returned = online * self.holiday * float(w.sku_weekly_units @ self.rate_online)
        mail_day = returned.mean() / 7.0 * (1.0 - p["online_return_in_store_share"])
        region_share = np.bincount(w.store_region, w.store_volume, minlength=w.n_regions)
        dc_share = np.bincount(w.region_dc - w.n_stores, region_share / region_share.sum(),
                               minlength=w.n_dcs)
        return p["dc_inspection_capacity_factor"] * mail_day * dc_share

    @staticmethod
    def _delay_scale(mean_days: float) -> float:
        """Phase mean (hours) of the purchase-to-return delay's Erlang-2 beyond one day."""
        return max(mean_days * 24.0 - MIN_DELAY_HOURS, 0.0) / 2.0

    # --- sales -> future returns ----------------------------------------------------------
    def take_store_sales(self, hour: int) -> None:
        """Thin the store sales :class:`StoreDemand` made this hour (see :meth:`store_sold`)."""
        d = self.demand
        self.store_sold(hour, d.hour_sales, (d.hour_walkins, d.hour_sold_at))

    def store_sold(self, hour: int, sales: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                   keyed: tuple[int, np.ndarray] | None = None) -> None:
        """Thin this hour's store sales: each unit comes back with its SKU's store return rate.

        Only the thinning runs hourly; everything else about the returns is drawn once a day
        for the whole day. With ``keyed`` (the hour's walk-in units and each sale's place
        among them, for a single batch) one uniform is drawn per walk-in unit and each sale
        reads its customer's; without it, one per unit sold.
        """
        k, staged = self.w.n_skus, self._staged_store
        for weeks, stores, skus in sales:
            n = len(skus)
            if not n:
                continue
            if keyed is not None:
                u = self.thin_rng.random(keyed[0], dtype=np.float32)[keyed[1]]
            else:
                u = self.thin_rng.random(n, dtype=np.float32)
            staged.n = thin_store(u, self.p_store, weeks, stores, skus, k, self.n_weeks, hour,
                                  staged.room(n), staged.n)

    def online_sold(self, hour: int, batch: np.ndarray, picked: np.ndarray | None = None
                    ) -> None:
        """Thin this hour's picked online units with their SKU's online return rate.

        ``batch`` is the hour's order lines (:data:`~sim.model.orders.kernels.ORDER`), of
        which those where ``picked`` is set were picked (all if None). The customer's store
        (``store``) is the BOPIS store for pickups, else the one drawn near them.
        """
        staged, n = self._staged_online, len(batch)
        if n:
            staged.n = thin_online(batch, _ALL if picked is None else picked, self.p_online,
                                   self.w.week_of(hour), self.w.n_skus, hour, staged.room(n),
                                   staged.n)

    def _file_staged(self, day: int) -> None:
        """Give the returns thinned since the last day change their start times; file them.

        Only what finds a return again is kept per unit (start, pair, node, SKU, customer
        region); the rest is drawn when it starts. Store returns start in open hours; mailed
        ones whenever the customer drops the parcel off.
        """
        store, online = self._staged_store, self._staged_online
        if not store.n and not online.n:
            return
        rng, w = self.rng, self.w
        e_store = rng.standard_exponential((2, store.n)) if store.n else _EMPTY2
        u_in, e_online = np.zeros(0), _EMPTY2
        if online.n:
            u_in = rng.random(online.n)
            e_online = rng.standard_exponential((2, online.n))
        total, done = store.n + online.n, 0
        while done < total:
            rows, chains = self._starts.reserve(total - done, day)
            done, late_day = file_returns(
                store.view(), e_store, online.view(), u_in, e_online, self.rules, w.open_hour,
                w.close_hour, w.store_region, w.region_dc, day, rows, chains,
                self._mail_due, done)
            if late_day >= 0:  # a return starting past the day table: make room, go on
                n_days = max(late_day + 1, 2 * self._starts.n_days)
                self._starts.grow_days(n_days)
                self._mail_due = np.concatenate(
                    [self._mail_due, np.zeros(n_days - len(self._mail_due), dtype=np.int64)])
        store.n = online.n = 0

    # --- the hourly step ----------------------------------------------------------------
    def step(self, hour: int) -> None:
        """Start the day's returns at its first hour; run the DC inspection once a day.

        The day's returns are decided in one batch at the day's first hour (harmonization and
        error multipliers are read then; refund and exception times are each return's own
        start), one batch per day instead of one per hour. Units restocked in stores go back
        on the shelf at the end of the day (the returns cart is re-shelved at close).
        """
        day = hour // 24
        if day != self._day:
            prev, self._day = self._day, day
            self._shelve()
            self._file_staged(day)
            self._start_returns(prev + 1, day)
            self.refunds.flush(self.end)
        if hour % 24 == self._bench_hour:
            self._inspect(hour)

    def _shelve(self) -> None:
        if self._restock is not None:
            self.restocked_units += put_back(self._restock, self.w.physical, self.w.system)
            self._restock = None

    def _start_returns(self, first: int, last: int) -> None:
        """Start the returns due on days ``first..last``.

        Counters, refund triggers, exceptions, store dispositions, parcels.
        """
        w, rng, rec, booked = self.w, self.rng, self.rec, self.refunds.booked
        spans = self._starts.take(first, last)
        n = int(spans[:, 1].sum())
        if not n:
            return
        rows = self._starts.rows
        u = rng.random((4, n))
        # Time from the start to a refund at the scan: the till, or the carrier's first scan.
        e_scan = rng.standard_exponential(n)
        mail_due = self._mail_due[first: last + 1]
        n_mail = int(mail_due.sum())
        mail_due[:] = 0
        transit = rng.gamma(TRANSIT_SHAPE, self.p["mail_transit_hours"] / TRANSIT_SHAPE,
                            n_mail) if n_mail else np.zeros(0)
        if w.carrier_factor != 1.0:  # a carrier delay in force (sim.model.disruptions)
            transit = transit * w.carrier_factor
        restock = self._restock_buf.room(n)
        parcels = np.empty(n_mail, dtype=PARCEL)
        harm = w.harmonized["return_disposition"]
        day = start_returns(rows, spans, u, e_scan, transit, harm, bool(harm[w.n_stores:].all()),
                            w.error_multiplier, w.record_error_factor, w.sku_price, self.rules,
                            self.n_weeks, self._start_members, rec.weeks, rec.regions, restock,
                            booked.room(n), booked.n, parcels, self.bench.next_day)
        booked.n = day.n_refunds
        self._book(("returns_value",), day.value[None], day.first_week, day.last_week)
        self._book(self._start_names, day.counts, day.first_week, day.last_week)
        self._restock = restock[: day.n_restock]
        for kind, at, week, waits in (
                ("unreceipted_return", day.unreceipted, day.unreceipted_week,
                 day.unreceipted_waits),
                ("return_lookup", day.lookup, day.lookup_week, None)):
            if len(at):
                # Raised at each return's start (the desk holds them until detected).
                ids = self.desk.raise_(kind, rows["start"][at], rows["node"][at])
                if waits is not None:
                    ids, at, week = ids[waits], at[waits], week[waits]
                self.refunds.hold(ids, rows, at, week)
        if n_mail:
            self.bench.file(parcels, day.parcel_bounds, day.mail_legacy)

    def _book(self, names: tuple[str, ...], counts: np.ndarray, first_week: int,
              last_week: int) -> None:
        """Add ``(counters, weeks, regions)`` totals to the recorder's counters.

        Only weeks ``first_week..last_week`` can be non-zero. The totals are counts, or sums
        made in row order from zero, so adding a week's row is adding what the recorder's own
        tally of the rows would have added to it.
        """
        if first_week > last_week:
            return
        rec, span = self.rec, counts[:, first_week: last_week + 1]
        for c, k in zip(*np.nonzero(span.any(axis=2)), strict=True):
            rec.add_row(names[c], first_week + int(k), span[c, k])

    # --- DC inspection ----------------------------------------------------------------
    def _inspect(self, hour: int) -> None:
        """Run the DCs' daily returns bench: FCFS over arrived parcels, up to capacity."""
        w, rec, now = self.w, self.rec, hour + 1.0
        # Legacy refunds are released by the next finance batch after inspection.
        batch = self.p["legacy_refund_batch_hours"]
        refund_at = np.ceil(now / batch) * batch if batch > 0 else now
        run = self.bench.run(hour, refund_at, w.physical, w.system, w.record_error_factor,
                             rec.weeks, rec.regions, self.refunds.booked)
        self._record_backlog(hour, self.bench.backlog)
        if run is not None:
            self._book(self._bench_names, run.counts, run.first_week, run.last_week)
            self.restocked_units += run.restocked
            self.bench.waiting -= run.legacy

    def _record_backlog(self, hour: int, backlog: int) -> None:
        week, central = self.w.week_of(hour), self.w.n_regions
        self.rec.maximum("dc_inspection_backlog_units", week, central, float(backlog))
        self.rec.maximum("refunds_pending_peak", week, central,
                         float(self.refunds.n_waiting + self.bench.waiting))

    def finish(self, end: float) -> None:
        """Shelve the last day's restocks and censor refunds outstanding at ``end``.

        Outstanding: lookups and approvals not finished, and legacy mailed returns in transit
        or in the DC queue. Each is recorded with the time waited so far (end - start, a lower
        bound of its real cycle) and counted in ``refunds_pending_end``. Returns not started by
        ``end`` are not returns of this horizon.
        """
        self.end = float(end)
        self._shelve()
        self.refunds.take_done()
        self.refunds.censor_held()
        for c in self.bench.outstanding():
            self.refunds.censor(c[~c["harm"] & (c["start"] < end)], ONLINE_TO_MAIL)
        self.refunds.flush(self.end)

    def report(self) -> dict[str, int]:
        """Units put back on shelves (stock conservation)."""
        return {"restocked": self.restocked_units}
