"""Return-to-refund: returns drawn from sales, the refund trigger in force, disposition (§5.3).

Each sold unit is thinned once at sale time (vectorised); the returns it yields wait, as columns
of arrays, in a buffer keyed by the day their return starts (no Python object per unit).
Channel pairs: ``store_to_store`` (returned to the store it was bought in), ``online_to_store``
(BORIS, at the customer's store) and ``online_to_mail`` (to the DC serving the customer's
region).

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
"""

from __future__ import annotations

import numpy as np

from sim.model.chunks import Chunk, concat, file_by_day, take, unstage
from sim.model.exceptions import ExceptionDesk
from sim.model.inventory import Inventory
from sim.model.jit import kernel, scatter_add
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World

STORE_TO_STORE, ONLINE_TO_STORE, ONLINE_TO_MAIL = 0, 1, 2
PAIRS = ("store_to_store", "online_to_store", "online_to_mail")
#: Returns never start on the day of the sale, which keeps the day-keyed buffer exact: a return
#: thinned during day d starts on day d+1 or later, after the buffer was filed.
MIN_DELAY_HOURS = 24.0
#: Shape of the carrier-transit gamma (1-5 business days is narrower than an exponential).
#: Purchase-to-return delays are one day plus an Erlang-2 (few very quick returns). Assumptions.
TRANSIT_SHAPE = 4.0
#: Disposition codes (UNDECIDED: a mailed return not yet inspected at the DC).
RECORDED, UNRECORDED, DAMAGED, VENDOR, UNDECIDED = 0, 1, 2, 3, 4
N_DISP = 5
_DISP = {"restocked_units": (RECORDED, UNRECORDED), "unrecorded_restock_units": (UNRECORDED,),
         "damaged_units": (DAMAGED,), "vendor_return_units": (VENDOR,)}
#: Counters booked when the DC bench inspects mailed returns (code = disposition)...
BENCH_COUNTERS = {"dc_inspected_units": (RECORDED, UNRECORDED, DAMAGED, VENDOR), **_DISP}
#: ...and when returns start (code = pair * N_DISP + disposition; mail is still UNDECIDED).
START_COUNTERS = {
    "returns_units": tuple(range(len(PAIRS) * N_DISP)),
    **{f"returns_units.{name}": tuple(range(k * N_DISP, (k + 1) * N_DISP))
       for k, name in enumerate(PAIRS)},
    **{name: tuple(k * N_DISP + c for k in (STORE_TO_STORE, ONLINE_TO_STORE) for c in codes)
       for name, codes in _DISP.items()},
}
class Returns:
    """Returns, refunds and the disposition of returned stock.

    Args:
        world: Replication state (stock, harmonization, error multipliers).
        inventory: Stock records (kept for the engine's wiring; stock is updated on ``world``).
        desk: The exception desk (``return_lookup``, ``unreceipted_return``).
        rng: The ``returns`` stream.
        rec: The recorder.

    Attributes:
        restocked_units: Units put back into physical stock (for the conservation check).
        n_waiting: Refunds waiting for a lookup or an approval.

    """

    def __init__(self, world: World, inventory: Inventory, desk: ExceptionDesk,
                 rng: np.random.Generator, rec: Recorder) -> None:
        self.w, self.inv, self.desk, self.rng, self.rec = world, inventory, desk, rng, rec
        self.p = world.params
        self.end = float(world.horizon_hours)
        self.n_weeks = world.horizon_hours // HOURS_PER_WEEK
        self.holiday = self._holiday_multiplier()
        mult = self.holiday[[world.calendar_week(k) for k in range(self.n_weeks)]]
        # Return probability per (sale week, SKU), flattened; float32 because the thinning
        # draws 32-bit uniforms (twice as fast as 64-bit ones).
        self.p_store, self.p_online = (
            np.outer(mult, world.plan.skus[col].to_numpy(float)).ravel().astype(np.float32)
            for col in ("return_rate_store", "return_rate_online"))
        self.region_dc = self._region_dc()
        self.capacity = self._inspection_capacity()
        self.restocked_units = 0
        # Thinned sales not yet given start times, (hour, stores, skus) and
        # (hour, skus, regions, stores); then filed in `_starts` (start day -> chunks).
        self._staged_store: list[tuple] = []
        self._staged_online: list[tuple] = []
        self._starts: dict[int, list[Chunk]] = {}
        self._restock: Chunk | None = None  # today's store restocks, shelved at day end
        self._day = -1
        # Mailed parcels by day of arrival at the DC; arrived after the last bench run; queued.
        self._arrivals: dict[int, list[Chunk]] = {}
        self._arr_next_day = 0
        self._carry: list[Chunk] = []
        self._fifo: Chunk | None = None
        self._frac = np.zeros(world.n_dcs)  # bench time carried over, units
        self._mail_waiting = 0
        # Refunds waiting on a person, indexed by exception id (ids are dense and increasing,
        # so arrays beat a dict of tuples): return start (nan: none), week, region, pair.
        self._w_start = np.full(1024, np.nan)
        self._w_info = np.zeros((3, 1024), dtype=np.int64)
        self.n_waiting = 0
        self._done_ids: list[int] = []  # lookups and approvals finished, not yet booked
        self._done_fin: list[float] = []
        self._refunds: list[tuple[np.ndarray, ...]] = []  # (start, refund, week, region, pair)
        desk.on_done("return_lookup", self._exception_done)
        desk.on_done("unreceipted_return", self._exception_done)

    # --- set-up ------------------------------------------------------------------------
    def _holiday_multiplier(self) -> np.ndarray:
        """Return-rate multiplier per calendar week (applied by week of sale).

        The calendar's ``holiday_return_multiplier`` gives the timing; its size is rescaled so
        the peak equals the ``holiday_return_uplift`` parameter, which a scenario can override.
        """
        cal = self.w.plan.network.calendar.sort_values("week")
        col = cal.get("holiday_return_multiplier")
        shape = np.ones(len(cal)) if col is None else col.to_numpy(float)
        top = shape.max(initial=1.0) - 1.0
        if top <= 0:
            return shape
        return 1.0 + (shape - 1.0) / top * (self.p["holiday_return_uplift"] - 1.0)

    def _region_dc(self) -> np.ndarray:
        """DC node receiving each customer region's mailed returns (the region's online DC)."""
        w = self.w
        out = np.full(w.n_regions, -1, dtype=np.int64)
        for d, regs in enumerate(w.dc_regions):
            out[regs] = w.n_stores + d
        for r in np.flatnonzero(out < 0):  # a region no DC lists: its stores' usual DC
            dcs = w.store_dc[w.store_region == r]
            out[r] = w.n_stores + (np.bincount(dcs).argmax() if len(dcs) else 0)
        return out

    def _inspection_capacity(self) -> np.ndarray:
        """Units each DC inspects per day: the factor x its mean daily mailed returns.

        The mean is over the 52-week calendar (not the horizon), so benches are sized for an
        average day whatever the run length, and the holiday surge queues.
        """
        w, p = self.w, self.p
        share = p["ecommerce_share"]
        # Online units per week as the orders module draws them (promotion lift aside).
        online = share / (1.0 - share) * w.store_volume.sum() * w.seasonality * w.online_multiplier
        returned = online * self.holiday * float(
            w.sku_weekly_units @ w.plan.skus["return_rate_online"].to_numpy(float))
        mail_day = returned.mean() / 7.0 * (1.0 - p["online_return_in_store_share"])
        region_share = np.bincount(w.store_region, w.store_volume, minlength=w.n_regions)
        dc_share = np.bincount(self.region_dc - w.n_stores, region_share / region_share.sum(),
                               minlength=w.n_dcs)
        return p["dc_inspection_capacity_factor"] * mail_day * dc_share

    # --- sales -> future returns ----------------------------------------------------------
    def store_sold(self, hour: int, sales: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                   ) -> None:
        """Thin this hour's store sales: each unit comes back with its SKU's store return rate.

        Only the thinning runs hourly (one uniform per unit sold); everything else about the
        returns is drawn once a day for the whole day.
        """
        k = self.w.n_skus
        for weeks, stores, skus in sales:
            if not len(skus):
                continue
            u = self.rng.random(len(skus), dtype=np.float32)
            kept = _thin(u, self.p_store, weeks, skus, stores, k, self.n_weeks)
            if len(kept[0]):
                self._staged_store.append((hour, kept[0], kept[1]))

    def online_sold(self, hour: int, batch: dict[str, np.ndarray]) -> None:
        """Thin this hour's picked online units with their SKU's online return rate."""
        sku = batch["sku"]
        if not len(sku):
            return
        wk, k = self.w.week_of(hour), self.w.n_skus
        back = self.rng.random(len(sku), dtype=np.float32) < self.p_online[wk * k:
                                                                           (wk + 1) * k][sku]
        if back.any():
            # The customer's store: the BOPIS store for pickups, else the one drawn near them.
            self._staged_online.append((hour, sku[back], batch["region"][back],
                                        batch["store"][back]))

    def _delay_hours(self, n: int, mean_days: float) -> np.ndarray:
        """Purchase-to-return delay: one day plus an Erlang-2 (sum of two exponentials)."""
        scale = max(mean_days * 24.0 - MIN_DELAY_HOURS, 0.0) / 2.0
        return MIN_DELAY_HOURS + self.rng.standard_exponential((2, n)).sum(axis=0) * scale

    def _file_staged(self, day: int) -> None:
        """Give the returns thinned since the last day change their start times; file them.

        Only what finds a return again is kept per unit (start, pair, node, SKU, customer
        region, in small dtypes); the rest is drawn when it starts. Store returns start in
        open hours; mailed ones whenever the customer drops the parcel off.
        """
        w, p = self.w, self.p
        chunks = []
        if self._staged_store:
            hours, stores, skus = unstage(self._staged_store)
            self._staged_store = []
            start = hours + 0.5 + self._delay_hours(len(stores), p["return_delay_days_store"])
            chunks.append({"start": w.next_open(start, stores),
                           "pair": np.full(len(stores), STORE_TO_STORE, np.int8),
                           "node": stores.astype(np.int32), "sku": skus.astype(np.int32),
                           "region": w.store_region[stores].astype(np.int16)})
        if self._staged_online:
            hours, sku, region, store = unstage(self._staged_online)
            self._staged_online = []
            in_store = self.rng.random(len(sku)) < p["online_return_in_store_share"]
            start = hours + 0.5 + self._delay_hours(len(sku), p["return_delay_days_online"])
            node = np.where(in_store, store, self.region_dc[region])
            chunks.append({"start": np.where(in_store, w.next_open(start, store), start),
                           "pair": np.where(in_store, ONLINE_TO_STORE, ONLINE_TO_MAIL)
                           .astype(np.int8), "node": node.astype(np.int32),
                           "sku": sku.astype(np.int32), "region": region.astype(np.int16)})
        if chunks:
            file_by_day(self._starts, concat(chunks), "start", day)

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
            chunks = [c for d in range(prev + 1, day + 1) for c in self._starts.pop(d, [])]
            if chunks:
                self._start_returns(concat(chunks))
            self._flush_refunds()
        if hour % 24 == int(self.p["dc_inspection_hour"]):
            self._inspect(hour)

    def _shelve(self) -> None:
        if self._restock is not None:
            self._put_back(self._restock)
            self._restock = None

    def _start_returns(self, c: Chunk) -> None:
        """Start a day's returns: counters, refund triggers, exceptions, store dispositions."""
        w, p, rng = self.w, self.p, self.rng
        start, pair, node, sku, region = c["start"], c["pair"], c["node"], c["sku"], c["region"]
        week = np.minimum((start / HOURS_PER_WEEK).astype(np.int64), self.n_weeks - 1)
        harm = w.harmonized["return_disposition"][node]
        mail = pair == ONLINE_TO_MAIL
        at_store = ~mail
        u = rng.random((3, len(start)))
        # Time from the start to a refund at the scan: the till, or the carrier's first scan.
        t_scan = rng.standard_exponential(len(start)) * np.where(
            mail, p["first_scan_hours"], p["refund_till_hours"])
        em = np.where(at_store, w.error_multiplier[np.where(at_store, node, 0)], 1.0)
        disp = np.where(mail, UNDECIDED, self._disposition(u[0], u[1], harm, em))
        self.rec.add_at("returns_value", week, region, w.sku_price[sku])
        self._tally(week * self.rec.regions + region, pair * N_DISP + disp,
                    len(PAIRS) * N_DISP, START_COUNTERS)
        restock = at_store & (disp <= UNRECORDED)
        self._restock = {"node": node[restock], "sku": sku[restock],
                         "recorded": disp[restock] == RECORDED}
        # A receipt-less return the till cannot settle goes to store operations; more of them
        # at newly live stores (error multiplier). Legacy refunds wait for the approval; the
        # harmonized trigger refunds at the scan and the item is checked afterwards.
        unreceipted = (pair == STORE_TO_STORE) & (
            u[2] < p["receiptless_return_share"] * p["unreceipted_escalation_prob"] * em)
        lookup = (pair == ONLINE_TO_STORE) & ~harm & (u[2] < p["return_lookup_share"])
        now = (at_store & ~(unreceipted & ~harm) & ~lookup) | (mail & harm)
        self._refunds.append((start[now], start[now] + t_scan[now], week[now], region[now],
                              pair[now]))
        for kind, sel, wait in (("unreceipted_return", unreceipted, ~harm),
                                ("return_lookup", lookup, lookup)):
            if sel.any():
                # Raised at each return's start (the desk holds them until detected).
                ids = self.desk.raise_(kind, start[sel], node[sel])
                wt = wait[sel]
                self._wait(ids[wt], start[sel][wt], week[sel][wt], region[sel][wt],
                           pair[sel][wt])
        ml = np.flatnonzero(mail)
        if len(ml):
            transit = rng.gamma(TRANSIT_SHAPE, p["mail_transit_hours"] / TRANSIT_SHAPE, len(ml))
            parcels = {"start": start[ml], "arrival": start[ml] + transit, "pair": pair[ml],
                       "node": node[ml], "sku": sku[ml], "region": region[ml],
                       "week": week[ml], "harm": harm[ml], "u_disp": u[0][ml],
                       "u_unrec": u[1][ml]}
            self._mail_waiting += int((~harm[ml]).sum())
            file_by_day(self._arrivals, parcels, "arrival", self._arr_next_day)

    def _disposition(self, u_disp: np.ndarray, u_unrec: np.ndarray, harm: np.ndarray,
                     em: np.ndarray | float) -> np.ndarray:
        """Disposition code per unit: restocked (recorded or not), damaged, vendor return.

        An unrecorded restock (a legacy return system not posting to stock, more often at
        newly live stores) puts the unit on the shelf but not on the record.
        """
        p = self.p
        p_unrec = np.where(harm, p["unrecorded_restock_prob_harmonized"],
                           p["unrecorded_restock_prob_legacy"]) * em
        restock = np.where(u_unrec < p_unrec, UNRECORDED, RECORDED)
        return np.where(u_disp < p["restock_share"], restock, np.where(
            u_disp < p["restock_share"] + p["damaged_share"], DAMAGED, VENDOR))

    def _tally(self, cell: np.ndarray, code: np.ndarray, n_codes: int,
               counters: dict[str, tuple[int, ...]]) -> None:
        """Add unit counts to several counters with one ``bincount``.

        Args:
            cell: ``week * regions + region`` of each unit.
            code: Category of each unit, ``0 <= code < n_codes``.
            n_codes: Number of categories.
            counters: Counter name -> the categories it counts.

        """
        rec = self.rec
        wr = rec.weeks * rec.regions
        dense = np.bincount(code * wr + cell, minlength=n_codes * wr).reshape(n_codes, wr)
        for name, codes in counters.items():
            v = dense[list(codes)].sum(axis=0)
            nz = np.flatnonzero(v)
            if len(nz):
                rec.add_at(name, nz // rec.regions, nz % rec.regions, v[nz])

    def _put_back(self, r: Chunk) -> None:
        """Put restocked units on the shelf; an unrecorded one is not on the record."""
        w = self.w
        cells = r["node"].astype(np.int64) * w.n_skus + r["sku"]
        ones = np.ones(len(cells), dtype=w.physical.dtype)
        scatter_add(w.physical.reshape(-1), cells, ones, 1)
        rec = cells[r["recorded"]]
        scatter_add(w.system.reshape(-1), rec, ones[: len(rec)], 1)
        self.restocked_units += len(cells)

    # --- DC inspection ----------------------------------------------------------------
    def _inspect(self, hour: int) -> None:
        """Run the DCs' daily returns bench: FCFS over arrived parcels, up to capacity."""
        w, now = self.w, hour + 1.0
        chunks, self._carry = self._carry, []
        for d in range(self._arr_next_day, hour // 24 + 1):
            chunks += self._arrivals.pop(d, [])
        self._arr_next_day = hour // 24 + 1
        q = self._fifo
        if chunks:
            c = concat(chunks)
            ready = c["arrival"] <= now
            if not ready.all():
                self._carry = [take(c, ~ready)]
            new = take(c, np.flatnonzero(ready)[np.argsort(c["arrival"][ready], kind="stable")])
            # Queued parcels arrived before the last bench run: appending keeps FCFS order.
            q = new if q is None else concat([q, new])
        budget = self._frac + self.capacity
        quota = np.floor(budget)
        self._frac = budget - quota  # a fraction of a unit of bench time carries over
        if q is None or not len(q["start"]):
            self._fifo = q
            self._record_backlog(hour, 0)
            return
        dc = q["node"] - w.n_stores
        done = np.zeros(len(dc), dtype=bool)
        for d in range(w.n_dcs):
            mine = dc == d
            done |= mine & (np.cumsum(mine) <= quota[d])
        fin, self._fifo = take(q, done), take(q, ~done)
        self._record_backlog(hour, len(self._fifo["start"]))
        if not len(fin["start"]):
            return
        disp = self._disposition(fin["u_disp"], fin["u_unrec"], fin["harm"], 1.0)
        self._tally(fin["week"] * self.rec.regions + fin["region"], disp, N_DISP,
                    BENCH_COUNTERS)
        restock = disp <= UNRECORDED
        self._put_back({"node": fin["node"][restock], "sku": fin["sku"][restock],
                        "recorded": disp[restock] == RECORDED})
        legacy = ~fin["harm"]
        self._mail_waiting -= int(legacy.sum())
        # Legacy refunds are released by the next finance batch after inspection.
        batch = self.p["legacy_refund_batch_hours"]
        refund = np.ceil(now / batch) * batch if batch > 0 else now
        self._refunds.append((fin["start"][legacy], np.full(int(legacy.sum()), refund),
                              fin["week"][legacy], fin["region"][legacy], fin["pair"][legacy]))

    def _record_backlog(self, hour: int, backlog: int) -> None:
        week, central = self.w.week_of(hour), self.w.n_regions
        self.rec.maximum("dc_inspection_backlog_units", week, central, float(backlog))
        self.rec.maximum("refunds_pending_peak", week, central,
                         float(self.n_waiting + self._mail_waiting))

    # --- refunds ----------------------------------------------------------------------
    def _wait(self, ids: np.ndarray, start: np.ndarray, week: np.ndarray, region: np.ndarray,
              pair: np.ndarray) -> None:
        """Hold refunds until their exceptions are finished."""
        if not len(ids):
            return
        if int(ids.max()) >= len(self._w_start):
            extra = max(int(ids.max()) + 1, 2 * len(self._w_start)) - len(self._w_start)
            self._w_start = np.r_[self._w_start, np.full(extra, np.nan)]
            self._w_info = np.hstack([self._w_info, np.zeros((3, extra), np.int64)])
        self._w_start[ids] = start
        self._w_info[:, ids] = (week, region, pair)
        self.n_waiting += len(ids)

    def _exception_done(self, finish: float, exc_id: int) -> None:
        """Refund when a lookup or approval is finished (booked in bulk once a day)."""
        self._done_ids.append(exc_id)
        self._done_fin.append(finish)

    def _take_done(self) -> None:
        """Book the refunds of the lookups and approvals finished since the last call."""
        if not self._done_ids:
            return
        ids, finish = np.array(self._done_ids, np.int64), np.array(self._done_fin)
        self._done_ids, self._done_fin = [], []
        # Approvals of harmonized returns were refunded at the scan: nothing waits on them.
        known = ids < len(self._w_start)
        ids, finish = ids[known], finish[known]
        real = ~np.isnan(self._w_start[ids])
        ids, finish = ids[real], finish[real]
        week, region, pair = self._w_info[:, ids]
        self._refunds.append((self._w_start[ids], finish, week, region, pair))
        self._w_start[ids] = np.nan
        self.n_waiting -= len(ids)

    def _flush_refunds(self) -> None:
        """Record the refund samples booked so far (censored at the horizon end)."""
        self._take_done()
        if not self._refunds:
            return
        start, refund, week, region, pair = (np.concatenate(x) for x in zip(*self._refunds,
                                                                          strict=True))
        self._refunds = []
        late = refund > self.end
        cycle = np.where(late, self.end - start, refund - start)
        rec = self.rec
        for k, name in enumerate(PAIRS):
            m = pair == k
            if m.any():
                rec.sample(f"refund_cycle_hours.{name}", week[m], region[m], cycle[m])
        if late.any():
            rec.add_at("refunds_pending_end", week[late], region[late])

    def finish(self, end: float) -> None:
        """Shelve the last day's restocks and censor refunds outstanding at ``end``.

        Outstanding: lookups and approvals not finished, and legacy mailed returns in transit
        or in the DC queue. Each is recorded with the time waited so far (end - start, a lower
        bound of its real cycle) and counted in ``refunds_pending_end``. Returns not started by
        ``end`` are not returns of this horizon.
        """
        self.end = float(end)
        self._shelve()
        self._take_done()
        ids = np.flatnonzero(~np.isnan(self._w_start))
        week, region, pair = self._w_info[:, ids]
        self._refunds.append((self._w_start[ids], np.full(len(ids), np.inf), week, region, pair))
        self._w_start[ids] = np.nan
        self.n_waiting = 0
        parcels = [c for cs in self._arrivals.values() for c in cs] + self._carry
        for c in parcels + ([self._fifo] if self._fifo is not None else []):
            legacy = ~c["harm"] & (c["start"] < end)
            self._refunds.append((c["start"][legacy], np.full(int(legacy.sum()), np.inf),
                                  c["week"][legacy], c["region"][legacy], c["pair"][legacy]))
        self._flush_refunds()


@kernel
def _thin(u: np.ndarray, p: np.ndarray, weeks: np.ndarray, skus: np.ndarray,
          stores: np.ndarray, n_skus: int, n_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """The sold units that come back: ``u < p[week, sku]`` (32-bit), as (stores, skus)."""
    out_st = np.empty(len(u), dtype=stores.dtype)
    out_sk = np.empty(len(u), dtype=skus.dtype)
    j = 0
    for i in range(len(u)):
        if u[i] < p[min(weeks[i], n_weeks - 1) * n_skus + skus[i]]:
            out_st[j] = stores[i]
            out_sk[j] = skus[i]
            j += 1
    return out_st[:j], out_sk[:j]
