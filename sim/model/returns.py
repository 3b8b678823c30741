"""Return-to-refund: returns drawn from sales, the refund trigger in force, disposition (§5.3).

A share of every channel's sales comes back. Each sold unit is thinned once at sale time
(vectorised) and the returns it yields wait, as columns of arrays, in a buffer keyed by the day
their return starts; no Python object exists per unit. Channel pairs:

* ``store_to_store``: bought and returned in a store (the same store);
* ``online_to_store`` (BORIS): bought online, returned at the customer's store;
* ``online_to_mail``: bought online, mailed back to the DC serving the customer's region.

Refund cycle = refund time - return start. The trigger is read from
``world.harmonized["return_disposition"]`` at the node taking the return (the store, or the DC
for mail) when the return starts:

* harmonized: one taxonomy and a refund at first scan (the till, or the carrier's first scan);
  nothing waits on a queue;
* legacy store return: refund at the till, except a receipt-less return the till cannot settle,
  which waits for store-operations approval (``unreceipted_return``);
* legacy BORIS: the store system cannot see the online order, so a share of them needs a
  ``return_lookup`` by customer service and the refund waits until that item is finished;
* legacy mail: carrier transit, a FCFS DC inspection queue with a daily capacity, then the next
  finance refund batch.

Refunds not made by the horizon end are *censored*: their cycle is recorded as end - start (a
lower bound) and they are counted in ``refunds_pending_end``. Samples are keyed by the week the
return started, so a week's figure describes the customers who returned then.
"""

from __future__ import annotations

import numpy as np

from sim.model.exceptions import ExceptionDesk
from sim.model.inventory import Inventory
from sim.model.recorder import Recorder
from sim.model.world import HOURS_PER_WEEK, World

STORE_TO_STORE, ONLINE_TO_STORE, ONLINE_TO_MAIL = 0, 1, 2
PAIRS = ("store_to_store", "online_to_store", "online_to_mail")
#: Returns never start the day of the sale: this keeps the day-keyed buffer exact (a return
#: sampled during day d always starts on day d+1 or later, after the buffer was filed).
MIN_DELAY_HOURS = 24.0
#: Shape of the carrier-transit gamma: 1-5 business days is a narrower spread than an
#: exponential. Purchase-to-return delays are one day plus an Erlang-2 (few very quick returns).
#: Assumptions.
TRANSIT_SHAPE = 4.0
#: Disposition codes (UNDECIDED: a mailed return not yet inspected at the DC).
RECORDED, UNRECORDED, DAMAGED, VENDOR, UNDECIDED = 0, 1, 2, 3, 4
N_DISP = 5
_ALL = tuple(range(3 * N_DISP))
#: Counters booked when returns start (code = pair * N_DISP + disposition)...
START_COUNTERS = {
    "returns_units": _ALL,
    **{f"returns_units.{name}": tuple(range(k * N_DISP, (k + 1) * N_DISP))
       for k, name in enumerate(PAIRS)},
    "restocked_units": (0, 1, N_DISP, N_DISP + 1),
    "unrecorded_restock_units": (UNRECORDED, N_DISP + UNRECORDED),
    "damaged_units": (DAMAGED, N_DISP + DAMAGED),
    "vendor_return_units": (VENDOR, N_DISP + VENDOR),
}
#: ...and when the DC bench inspects mailed returns (code = disposition).
BENCH_COUNTERS = {
    "dc_inspected_units": (RECORDED, UNRECORDED, DAMAGED, VENDOR),
    "restocked_units": (RECORDED, UNRECORDED),
    "unrecorded_restock_units": (UNRECORDED,),
    "damaged_units": (DAMAGED,),
    "vendor_return_units": (VENDOR,),
}
Chunk = dict[str, np.ndarray]


def _concat(chunks: list[Chunk]) -> Chunk:
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def _take(c: Chunk, idx: np.ndarray | slice) -> Chunk:
    return {k: v[idx] for k, v in c.items()}


def _unstage(staged: list[tuple]) -> tuple[np.ndarray, ...]:
    """Concatenate staged ``(hour, arrays...)`` tuples; the hour is repeated per row."""
    cols = list(zip(*staged, strict=True))
    hours = np.repeat(np.asarray(cols[0], float), [len(a) for a in cols[1]])
    return (hours, *(np.concatenate(c).astype(np.int64) for c in cols[1:]))


def _file_by_day(buckets: dict[int, list[Chunk]], c: Chunk, key: str, floor_day: int) -> None:
    """Append a chunk's rows to ``buckets`` by the day of column ``key``.

    One sort and one reordering per call; each day's rows are then a view (a slice).
    """
    if not len(c[key]):
        return
    # Times are positive, so truncation is floor (and much cheaper than float //).
    day = np.maximum((c[key] / 24.0).astype(np.int64), floor_day)
    # A 16-bit key lets the stable sort run as a radix sort.
    key16 = (day - floor_day).astype(np.int16) if day.max() - floor_day < 2**15 else day
    order = np.argsort(key16, kind="stable")
    day = day[order]
    c = _take(c, order)
    cuts = np.flatnonzero(np.diff(day)) + 1
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(day)].tolist(), strict=True):
        buckets.setdefault(int(day[lo]), []).append(_take(c, slice(lo, hi)))


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

    """

    def __init__(self, world: World, inventory: Inventory, desk: ExceptionDesk,
                 rng: np.random.Generator, rec: Recorder) -> None:
        self.w, self.inv, self.desk, self.rng, self.rec = world, inventory, desk, rng, rec
        p = world.params
        self.p = p
        self.end = float(world.horizon_hours)
        self.n_weeks = world.horizon_hours // HOURS_PER_WEEK
        skus = world.plan.skus
        mult = self._holiday_multiplier()
        # Return probability per (sale week, SKU), flattened for one gather per batch.
        # float32: the thinning draws 32-bit uniforms, twice as fast as 64-bit ones.
        self.p_store = np.outer(mult, skus["return_rate_store"].to_numpy(float)).ravel().astype(
            np.float32)
        self.p_online = np.outer(mult, skus["return_rate_online"].to_numpy(float)).ravel(
        ).astype(np.float32)
        self.region_dc = self._region_dc()
        self.capacity = self._inspection_capacity()
        self.restocked_units = 0
        # Thinned sales not yet given return times: (hour, stores, skus) and
        # (hour, skus, regions, stores); filed into `_starts` (day of return start -> chunks).
        self._staged_store: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._staged_online: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._starts: dict[int, list[Chunk]] = {}
        # Store restocks decided today, shelved at the end of the day (node, sku, recorded).
        self._restock: Chunk | None = None
        self._day = -1
        self._arrivals: dict[int, list[Chunk]] = {}
        self._arr_next_day = 0
        self._carry: list[Chunk] = []
        self._fifo: Chunk | None = None  # parcels at the DCs awaiting inspection, FCFS
        self._frac = np.zeros(world.n_dcs)  # bench time carried over, units
        self._mail_waiting = 0
        # Refunds waiting on a person, indexed by exception id (ids are dense and increasing,
        # so arrays beat a dict of tuples): return start (nan: not a waiting refund), week,
        # region, pair; `_done` holds (exception id, finish) until the next daily booking.
        self._w_start = np.full(1024, np.nan)
        self._w_info = np.zeros((3, 1024), dtype=np.int64)
        self.n_waiting = 0
        self._done: list[tuple[int, float]] = []
        self._refunds: list[tuple[np.ndarray, ...]] = []
        desk.on_done("return_lookup", self._exception_done)
        desk.on_done("unreceipted_return", self._exception_done)

    # --- set-up ------------------------------------------------------------------------
    def _holiday_multiplier(self) -> np.ndarray:
        """Return-rate multiplier per horizon week, by week of sale.

        The calendar's ``holiday_return_multiplier`` gives the timing; its size is rescaled so
        the peak equals the ``holiday_return_uplift`` parameter, which a scenario can override.
        """
        w = self.w
        cal = w.plan.network.calendar.sort_values("week")
        col = cal.get("holiday_return_multiplier")
        shape = np.ones(len(cal)) if col is None else col.to_numpy(float)
        excess = shape - 1.0
        top = excess.max(initial=0.0)
        if top > 0:
            shape = 1.0 + excess / top * (self.p["holiday_return_uplift"] - 1.0)
        return np.array([shape[w.calendar_week(k)] for k in range(self.n_weeks)])

    def _region_dc(self) -> np.ndarray:
        """DC node receiving each customer region's mailed returns (the region's online DC)."""
        w = self.w
        out = np.full(w.n_regions, -1, dtype=np.int64)
        for d, regs in enumerate(w.dc_regions):
            for r in regs:
                out[r] = w.n_stores + d
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
        skus = w.plan.skus
        share = p["ecommerce_share"]
        online_scale = share / (1.0 - share) * w.store_volume.sum()
        mult = self._holiday_multiplier()
        cal = np.arange(len(w.seasonality))
        hol = np.ones(len(cal))
        hol[: min(len(cal), len(mult))] = mult[: len(cal)]
        per_week = (online_scale * w.seasonality[cal] * w.online_multiplier[cal] * hol
                    * float(w.sku_weekly_units @ skus["return_rate_online"].to_numpy(float)))
        mail_day = per_week.mean() / 7.0 * (1.0 - p["online_return_in_store_share"])
        region_share = np.bincount(w.store_region, w.store_volume, minlength=w.n_regions)
        region_share = region_share / region_share.sum()
        dc_share = np.bincount(self.region_dc - w.n_stores, region_share, minlength=w.n_dcs)
        return p["dc_inspection_capacity_factor"] * mail_day * dc_share

    # --- sales -> future returns ----------------------------------------------------------
    def store_sold(self, hour: int, sales: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                   ) -> None:
        """Thin this hour's store sales: each unit comes back with its SKU's store return rate.

        Only the thinning runs hourly (one uniform per unit sold); the returns' own draws are
        made once a day for the whole day (see :meth:`_file_staged`).
        """
        if not sales:
            return
        w = self.w
        if len(sales) == 1:
            weeks, stores, skus = sales[0]
        else:
            weeks, stores, skus = (np.concatenate(x) for x in zip(*sales, strict=True))
        if not len(weeks):
            return
        wk = int(weeks[0])
        if wk == weeks.min() == weeks.max() and wk < self.n_weeks:  # one week: a row gather
            p = self.p_store[wk * w.n_skus: (wk + 1) * w.n_skus][skus]
        else:
            p = self.p_store[np.minimum(weeks, self.n_weeks - 1).astype(np.int64) * w.n_skus
                             + skus]
        back = self.rng.random(len(p), dtype=np.float32) < p
        if back.any():
            self._staged_store.append((hour, stores[back], skus[back]))

    def online_sold(self, hour: int, batch: dict[str, np.ndarray]) -> None:
        """Thin this hour's picked online units with their SKU's online return rate."""
        sku = batch["sku"]
        if not len(sku):
            return
        wk = self.w.week_of(hour)
        p = self.p_online[wk * self.w.n_skus: (wk + 1) * self.w.n_skus][sku]
        back = self.rng.random(len(sku), dtype=np.float32) < p
        if back.any():
            # The customer's store: the BOPIS store for pickups, else the one drawn near them.
            self._staged_online.append((hour, sku[back], batch["region"][back],
                                        batch["store"][back]))

    def _delay_hours(self, n: int, mean_days: float) -> np.ndarray:
        """Purchase-to-return delay: one day plus an Erlang-2 (sum of two exponentials)."""
        scale = max(mean_days * 24.0 - MIN_DELAY_HOURS, 0.0) / 2.0
        return MIN_DELAY_HOURS + self.rng.standard_exponential((2, n)).sum(axis=0) * scale

    def _file_staged(self, day: int) -> None:
        """Give the returns thinned since the last day change their start times and file them.

        Only what is needed to find a return again is kept per unit (start, channel pair,
        node, SKU, customer region, in small dtypes); the rest is drawn when it starts.
        """
        w, p = self.w, self.p
        chunks = []
        if self._staged_store:
            hours, stores, skus = _unstage(self._staged_store)
            self._staged_store = []
            start = hours + 0.5 + self._delay_hours(len(stores), p["return_delay_days_store"])
            chunks.append({"start": w.next_open(start, stores),
                           "pair": np.full(len(stores), STORE_TO_STORE, np.int8),
                           "node": stores.astype(np.int32), "sku": skus.astype(np.int32),
                           "region": w.store_region[stores].astype(np.int16)})
        if self._staged_online:
            hours, sku, region, store = _unstage(self._staged_online)
            self._staged_online = []
            m = len(sku)
            in_store = self.rng.random(m) < p["online_return_in_store_share"]
            start = hours + 0.5 + self._delay_hours(m, p["return_delay_days_online"])
            chunks.append({"start": np.where(in_store, w.next_open(start, store), start),
                           "pair": np.where(in_store, ONLINE_TO_STORE, ONLINE_TO_MAIL)
                           .astype(np.int8),
                           "node": np.where(in_store, store, self.region_dc[region])
                           .astype(np.int32),
                           "sku": sku.astype(np.int32), "region": region.astype(np.int16)})
        if chunks:
            _file_by_day(self._starts, _concat(chunks), "start", day)

    # --- the hourly step ----------------------------------------------------------------
    def step(self, hour: int) -> None:
        """Start the day's returns at its first hour; run the DC inspection once a day.

        The day's returns are decided in one batch at the day's first hour (harmonization
        and error multipliers are read then; refund and exception times are each return's own
        start time), which costs one batch per day instead of one per hour. Units restocked
        in stores go back on the shelf at the end of the day (the returns cart is re-shelved
        at close), so nothing per unit runs hourly.
        """
        day = hour // 24
        if day != self._day:
            self._load_day(day)
        if hour % 24 == int(self.p["dc_inspection_hour"]):
            self._inspect(hour)

    def _load_day(self, day: int) -> None:
        """Shelve yesterday's store restocks, file new returns, start today's."""
        prev, self._day = self._day, day
        self._shelve()
        self._file_staged(day)
        chunks = [c for d in range(prev + 1, day + 1) for c in self._starts.pop(d, [])]
        if chunks:
            self._start_returns(_concat(chunks))
        self._flush_refunds()

    def _shelve(self) -> None:
        if self._restock is not None:
            self._put_back(self._restock)
            self._restock = None

    def _start_returns(self, c: Chunk) -> None:
        """Start a day's returns: counters, refund triggers, exceptions, store dispositions."""
        w, p, rng = self.w, self.p, self.rng
        start, pair, node, sku, region = c["start"], c["pair"], c["node"], c["sku"], c["region"]
        m = len(start)
        week = np.minimum((start / HOURS_PER_WEEK).astype(np.int64), self.n_weeks - 1)
        harm = w.harmonized["return_disposition"][node]
        mail = pair == ONLINE_TO_MAIL
        at_store = ~mail
        u = rng.random((3, m))
        # Time from the start to a refund at the scan: the till, or the carrier's first scan.
        t_scan = rng.standard_exponential(m) * np.where(mail, p["first_scan_hours"],
                                                        p["refund_till_hours"])
        em = np.where(at_store, w.error_multiplier[np.where(at_store, node, 0)], 1.0)
        disp = np.where(mail, UNDECIDED, self._disposition(u[0], u[1], harm, em))
        cell = week * self.rec.regions + region
        self.rec.add_at("returns_value", week, region, w.sku_price[sku])
        self._tally(cell, pair * N_DISP + disp, len(PAIRS) * N_DISP, START_COUNTERS)
        restock = at_store & (disp <= UNRECORDED)
        # Shelved at the end of the day (see step); recorded = posted to the system record.
        self._restock = {"node": node[restock], "sku": sku[restock],
                         "recorded": disp[restock] == RECORDED}
        # A receipt-less return the till cannot settle goes to store operations; more of them
        # at newly live stores (error multiplier). Legacy refunds wait for the approval; the
        # harmonized trigger refunds at the scan and the item is checked afterwards.
        unreceipted = (pair == STORE_TO_STORE) & (u[2] < p["receiptless_return_share"]
                                                  * p["unreceipted_escalation_prob"] * em)
        lookup = (pair == ONLINE_TO_STORE) & ~harm & (u[2] < p["return_lookup_share"])
        now = (at_store & ~(unreceipted & ~harm) & ~lookup) | (mail & harm)
        self._refunds.append((start[now], start[now] + t_scan[now], week[now], region[now],
                              pair[now]))
        for kind, sel, wait in (("unreceipted_return", unreceipted, ~harm),
                                ("return_lookup", lookup, lookup)):
            if not sel.any():
                continue
            # Raised at each return's start (the desk holds them until detected).
            ids = self.desk.raise_(kind, start[sel], node[sel])
            wt = wait[sel]
            self._wait(ids[wt], start[sel][wt], week[sel][wt], region[sel][wt], pair[sel][wt])
        ml = np.flatnonzero(mail)
        if len(ml):
            transit = rng.gamma(TRANSIT_SHAPE, p["mail_transit_hours"] / TRANSIT_SHAPE, len(ml))
            parcels = {"start": start[ml], "arrival": start[ml] + transit, "pair": pair[ml],
                       "node": node[ml], "sku": sku[ml], "region": region[ml],
                       "week": week[ml], "harm": harm[ml], "u_disp": u[0][ml],
                       "u_unrec": u[1][ml]}
            self._mail_waiting += int((~harm[ml]).sum())
            _file_by_day(self._arrivals, parcels, "arrival", self._arr_next_day)

    def _disposition(self, u_disp: np.ndarray, u_unrec: np.ndarray, harm: np.ndarray,
                     em: np.ndarray | float) -> np.ndarray:
        """Disposition code per unit: restocked (recorded or not), damaged, vendor return.

        An unrecorded restock (a legacy return system not posting to stock, more often at
        newly live stores) puts the unit on the shelf but not on the record.
        """
        p = self.p
        p_unrec = np.where(harm, p["unrecorded_restock_prob_harmonized"],
                           p["unrecorded_restock_prob_legacy"]) * em
        restock_code = np.where(u_unrec < p_unrec, UNRECORDED, RECORDED)
        return np.where(u_disp < p["restock_share"], restock_code,
                        np.where(u_disp < p["restock_share"] + p["damaged_share"], DAMAGED,
                                 VENDOR))

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
        """Restocked units go back on the shelf; an unrecorded one is not on the record."""
        w = self.w
        cells = r["node"].astype(np.int64) * w.n_skus + r["sku"]
        # Flat 1-D add.at is several times faster than the 2-D form.
        np.add.at(w.physical.reshape(-1), cells, 1)
        # An unrecorded restock is on the shelf but not on the record: system < physical.
        np.add.at(w.system.reshape(-1), cells[r["recorded"]], 1)
        self.restocked_units += len(cells)

    # --- DC inspection ----------------------------------------------------------------
    def _inspect(self, hour: int) -> None:
        """Run the DCs' daily returns bench: FCFS over arrived parcels, up to capacity."""
        w = self.w
        now = hour + 1.0
        day = hour // 24
        chunks = self._carry
        for d in range(self._arr_next_day, day + 1):
            chunks += self._arrivals.pop(d, [])
        self._arr_next_day = day + 1
        self._carry = []
        q = self._fifo
        if chunks:
            c = _concat(chunks)
            ready = c["arrival"] <= now
            if not ready.all():
                self._carry = [_take(c, ~ready)]
            new = _take(c, np.flatnonzero(ready)[np.argsort(c["arrival"][ready], kind="stable")])
            # Parcels already queued arrived before the last bench run, so appending keeps the
            # queue in arrival order (FCFS).
            q = new if q is None else _concat([q, new])
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
        fin, self._fifo = _take(q, done), _take(q, ~done)
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
        need = int(ids.max()) + 1
        if need > len(self._w_start):
            size = max(need, 2 * len(self._w_start))
            grown = np.full(size, np.nan)
            grown[: len(self._w_start)] = self._w_start
            info = np.zeros((3, size), dtype=np.int64)
            info[:, : self._w_info.shape[1]] = self._w_info
            self._w_start, self._w_info = grown, info
        self._w_start[ids] = start
        self._w_info[:, ids] = (week, region, pair)
        self.n_waiting += len(ids)

    def _exception_done(self, finish: float, exc_id: int) -> None:
        """Refund when a lookup or approval is finished (booked in bulk once a day)."""
        self._done.append((exc_id, finish))

    def _take_done(self) -> None:
        """Book the refunds of the lookups and approvals finished since the last call."""
        if not self._done:
            return
        ids = np.array([d[0] for d in self._done], dtype=np.int64)
        finish = np.array([d[1] for d in self._done])
        self._done = []
        start = self._w_start[ids]
        real = ~np.isnan(start)  # approvals of harmonized returns were refunded at the scan
        ids, start, finish = ids[real], start[real], finish[real]
        self._w_start[ids] = np.nan
        self.n_waiting -= len(ids)
        week, region, pair = self._w_info[:, ids]
        self._refunds.append((start, finish, week, region, pair))

    def _flush_refunds(self) -> None:
        self._take_done()
        if not self._refunds:
            return
        start, refund, week, region, pair = (np.concatenate(x) for x in zip(*self._refunds,
                                                                          strict=True))
        self._refunds = []
        if not len(start):
            return
        late = refund > self.end
        cycle = np.where(late, self.end - start, refund - start)
        rec = self.rec
        rec.sample("refund_cycle_hours", week, region, cycle)
        for k, name in enumerate(PAIRS):
            m = pair == k
            if m.any():
                rec.sample(f"refund_cycle_hours.{name}", week[m], region[m], cycle[m])
        if late.any():
            rec.add_at("refunds_pending_end", week[late], region[late])

    def finish(self, end: float) -> None:
        """Censor refunds still outstanding at the horizon end (cycle = end - start).

        Outstanding: lookups and approvals not finished, and legacy mailed returns in transit
        or in the DC queue. Each is recorded with the time waited so far, a lower bound of its
        real cycle, and counted in ``refunds_pending_end``; returns not yet started are not
        returns of this horizon.
        """
        self.end = float(end)
        self._shelve()  # the last day's returns cart
        self._take_done()
        ids = np.flatnonzero(~np.isnan(self._w_start))
        if len(ids):
            week, region, pair = self._w_info[:, ids]
            self._refunds.append((self._w_start[ids], np.full(len(ids), np.inf), week, region,
                                  pair))
            self._w_start[ids] = np.nan
            self.n_waiting = 0
        parcels = [c for cs in self._arrivals.values() for c in cs] + self._carry
        parcels += [self._fifo] if self._fifo is not None else []
        for c in parcels:
            legacy = ~c["harm"] & (c["start"] < end)
            self._refunds.append((c["start"][legacy], np.full(int(legacy.sum()), np.inf),
                                  c["week"][legacy], c["region"][legacy], c["pair"][legacy]))
        self._flush_refunds()
