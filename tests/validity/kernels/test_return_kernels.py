"""The returns journey's compiled loops give exactly what the NumPy code they replace gave.

Each reference below is the NumPy formulation the returns journey used before its loops were
compiled (same expressions, same dtypes, same order of operations), so a loop that drifts by
one bit, one row or one place in an order fails here. Data come from seeded generators whose
seeds, sizes and tie patterns Hypothesis varies; coarse grids make ties (a draw equal to its
threshold, two equal arrival times) common.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.orders.kernels import ORDER
from sim.model.plumbing.day_chains import BLOCK, DayChains
from sim.model.returns.journey import BENCH_COUNTERS, START_COUNTERS, _members
from sim.model.returns.kernels import (
    DAMAGED,
    MIN_DELAY_HOURS,
    N_DISP,
    ONLINE_TO_MAIL,
    ONLINE_TO_STORE,
    RECORDED,
    STORE_TO_STORE,
    UNDECIDED,
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
    HELD,
    PARCEL,
    REFUND,
    RESTOCK,
    STAGED_ONLINE,
    STAGED_STORE,
    START,
    Records,
    join,
    take,
)
from sim.model.returns.refund_kernels import enqueue, hold, inspect, release, split_refunds

SEED = st.integers(0, 2**32 - 1)
N_STORES, N_DCS, N_SKUS, N_REGIONS, N_WEEKS = 12, 3, 9, 4, 6


def rules(g: np.random.Generator, coarse: bool) -> Rules:
    """Parameters; on a coarse grid, draws on the same grid hit the thresholds exactly."""
    def p() -> float:
        return float(g.integers(0, 5) / 4 if coarse else g.random())

    restock = p()
    return Rules(float(g.integers(0, 100)), float(g.integers(0, 200)), p(), 6.0 * p(), p(),
                 restock, restock + (1.0 - restock) * p(), p(), p(), p() * p(), p())


def uniforms(g: np.random.Generator, shape, coarse: bool, dtype=np.float64) -> np.ndarray:
    return (g.integers(0, 5, shape) / 4 if coarse else g.random(shape)).astype(dtype)


def disposition_np(u_disp, u_unrec, harm, em, r: Rules) -> np.ndarray:
    """The journey's NumPy disposition (``_disposition``)."""
    p_unrec = np.where(harm, r.unrecorded_harmonized, r.unrecorded_legacy) * em
    restock = np.where(u_unrec < p_unrec, UNRECORDED, RECORDED)
    return np.where(u_disp < r.restock_share, restock, np.where(
        u_disp < r.restock_or_damaged, DAMAGED, VENDOR))


def counters_np(cell: np.ndarray, code: np.ndarray, n_codes: int, counters: dict,
                weeks: int, regions: int) -> np.ndarray:
    """The journey's ``_tally``: counts per counter, week and region, from one bincount."""
    wr = weeks * regions
    dense = np.bincount(code * wr + cell, minlength=n_codes * wr).reshape(n_codes, wr)
    return np.stack([dense[list(c)].sum(axis=0).reshape(weeks, regions).astype(float)
                     for c in counters.values()])


def next_open_np(t: np.ndarray, stores: np.ndarray, open_hour: np.ndarray,
                 close_hour: np.ndarray) -> np.ndarray:
    day = np.floor(t / 24.0) * 24.0
    hod = t - day
    o, c = open_hour[stores], close_hour[stores]
    return np.where(hod < o, day + o, np.where(hod >= c, day + 24.0 + o, t))


def refund_rows(start, refund, week, region, pair) -> list[tuple]:
    return list(zip(np.asarray(start).tolist(), np.asarray(refund).tolist(),
                    np.asarray(week).tolist(), np.asarray(region).tolist(),
                    np.asarray(pair).tolist(), strict=True))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Records equal field by field, bit for bit (padding between fields is not data)."""
    return a.dtype == b.dtype and all(a[f].tobytes() == b[f].tobytes() for f in a.dtype.names)


def book_rows(refunds: np.ndarray) -> list[tuple]:
    return refund_rows(refunds["start"], refunds["refund"], refunds["week"], refunds["region"],
                       refunds["pair"])


# --- thinning -----------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 400), SEED, st.booleans())
def test_store_thinning_is_the_float32_comparison(n, seed, coarse):
    g = np.random.default_rng(seed)
    p = uniforms(g, N_WEEKS * N_SKUS, coarse, np.float32)
    u = uniforms(g, n, coarse, np.float32)
    weeks = g.integers(0, N_WEEKS + 3, n).astype(np.int32)  # late weeks clip to the last
    stores = g.integers(0, N_STORES, n).astype(np.int32)
    skus = g.integers(0, N_SKUS, n).astype(np.int32)
    out = np.zeros(n + 5, dtype=STAGED_STORE)
    got = thin_store(u, p, weeks, stores, skus, N_SKUS, N_WEEKS, 77, out, 5)
    back = u < p[np.minimum(weeks, N_WEEKS - 1) * N_SKUS + skus]
    assert got == 5 + back.sum()
    assert np.array_equal(out["store"][5:got], stores[back])
    assert np.array_equal(out["sku"][5:got], skus[back])
    assert (out["hour"][5:got] == 77).all()
    assert not out[:5].tobytes().strip(b"\x00")  # the records before n are left alone


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 400), st.integers(0, N_WEEKS - 1), SEED, st.booleans(), st.booleans())
def test_online_thinning_is_the_float32_comparison_of_the_picked_lines(n, week, seed, coarse,
                                                                       masked):
    g = np.random.default_rng(seed)
    p = uniforms(g, N_WEEKS * N_SKUS, coarse, np.float32)
    batch = np.zeros(n, dtype=ORDER)  # read in place: strided fields
    batch["return_u"] = uniforms(g, n, coarse, np.float32)
    batch["sku"] = g.integers(0, N_SKUS, n)
    batch["region"] = g.integers(0, N_REGIONS, n)
    batch["store"] = g.integers(0, N_STORES, n)
    picked = g.random(n) < 0.7 if masked else np.zeros(0, dtype=bool)
    out = np.zeros(n, dtype=STAGED_ONLINE)
    got = thin_online(batch, picked, p, week, N_SKUS, 9, out, 0)
    back = batch["return_u"] < p[week * N_SKUS:(week + 1) * N_SKUS][batch["sku"]]
    if masked:
        back &= picked
    assert got == back.sum()
    for f in ("sku", "region", "store"):
        assert np.array_equal(out[f][:got], batch[f][back])
    assert (out["hour"][:got] == 9).all()


# --- filing by start day -----------------------------------------------------------------


class World:
    """Opening hours, regions and DCs of a small network."""

    def __init__(self, g: np.random.Generator) -> None:
        self.open_hour = g.integers(0, 12, N_STORES)
        self.close_hour = self.open_hour + g.integers(1, 13, N_STORES)
        self.store_region = g.integers(0, N_REGIONS, N_STORES)
        self.region_dc = N_STORES + g.integers(0, N_DCS, N_REGIONS)


def staged(g: np.random.Generator, day: int, n_store: int, n_online: int
           ) -> tuple[np.ndarray, np.ndarray]:
    store = np.zeros(n_store, dtype=STAGED_STORE)
    store["hour"] = 24 * (day - 1) + np.sort(g.integers(0, 24, n_store))
    store["store"] = g.integers(0, N_STORES, n_store)
    store["sku"] = g.integers(0, N_SKUS, n_store)
    online = np.zeros(n_online, dtype=STAGED_ONLINE)
    online["hour"] = 24 * (day - 1) + np.sort(g.integers(0, 24, n_online))
    online["sku"] = g.integers(0, N_SKUS, n_online)
    online["region"] = g.integers(0, N_REGIONS, n_online)
    online["store"] = g.integers(0, N_STORES, n_online)
    return store, online


def filed_np(w: World, r: Rules, store, e_store, online, u_in, e_online, day: int
             ) -> np.ndarray:
    """The journey's NumPy filing: START records with their start days (``_file_staged``)."""
    s = store["store"].astype(np.int64)
    start = store["hour"].astype(float) + 0.5 + (
        MIN_DELAY_HOURS + e_store.sum(axis=0) * r.delay_scale_store)
    rows_s = np.zeros(len(s), dtype=START)
    rows_s["start"] = next_open_np(start, s, w.open_hour, w.close_hour)
    rows_s["pair"], rows_s["node"] = STORE_TO_STORE, s
    rows_s["sku"], rows_s["region"] = store["sku"], w.store_region[s]
    o = online["store"].astype(np.int64)
    region = online["region"].astype(np.int64)
    in_store = u_in < r.in_store_share
    start = online["hour"].astype(float) + 0.5 + (
        MIN_DELAY_HOURS + e_online.sum(axis=0) * r.delay_scale_online)
    rows_o = np.zeros(len(o), dtype=START)
    rows_o["start"] = np.where(in_store, next_open_np(start, o, w.open_hour, w.close_hour),
                               start)
    rows_o["pair"] = np.where(in_store, ONLINE_TO_STORE, ONLINE_TO_MAIL)
    rows_o["node"] = np.where(in_store, o, w.region_dc[region])
    rows_o["sku"], rows_o["region"] = online["sku"], region
    return np.concatenate([rows_s, rows_o])


@settings(deadline=None, max_examples=25)
@given(SEED, st.booleans(), st.integers(1, 4))
def test_filed_returns_come_back_by_start_day_in_filing_order(seed, coarse, scale):
    """A dict of per-day batches filed by a stable sort (as the journey kept them) is the
    reference; several filings, days over a block's size and block reuse included."""
    g = np.random.default_rng(seed)
    w, r = World(g), rules(g, coarse)
    r = r._replace(delay_scale_store=12.0 * scale, delay_scale_online=30.0 * scale)
    n_days = 12
    chains = DayChains(START, n_days, blocks=1)
    mail = np.zeros(n_days, dtype=np.int64)
    expected: dict[int, list[np.ndarray]] = {}
    for day in range(n_days):
        # Some days file more than a block's worth of returns due on one day.
        store, online = staged(g, day, int(g.integers(0, 3 * BLOCK)), int(g.integers(0, 400)))
        e_store = g.standard_exponential((2, len(store)))
        u_in = uniforms(g, len(online), coarse)
        e_online = g.standard_exponential((2, len(online)))
        total, done = len(store) + len(online), 0
        while done < total:  # as Returns._file_staged does
            rows, ch = chains.reserve(total - done, day)
            done, late = file_returns(store, e_store, online, u_in, e_online, r, w.open_hour,
                                      w.close_hour, w.store_region, w.region_dc, day, rows,
                                      ch, mail, done)
            if late >= 0:
                chains.grow_days(late + 1)
                mail = np.concatenate([mail, np.zeros(late + 1 - len(mail), dtype=np.int64)])
        ref = filed_np(w, r, store, e_store, online, u_in, e_online, day)
        due = np.maximum((ref["start"] / 24.0).astype(np.int64), day)
        order = np.argsort(due, kind="stable")
        for d in np.unique(due).tolist():
            expected.setdefault(d, []).append(ref[order][due[order] == d])
        spans = chains.take(day, day)
        got = np.concatenate([chains.rows[a:a + k] for a, k in spans.tolist()] + [ref[:0]])
        want = np.concatenate(expected.pop(day, []) + [ref[:0]])
        assert same(got, want)
        assert mail[day] == np.count_nonzero(want["pair"] == ONLINE_TO_MAIL)
    # The days after (the table grew for them) hold the rest, in order too.
    for day in range(n_days, chains.n_days):
        spans = chains.take(day, day)
        got = np.concatenate([chains.rows[a:a + k] for a, k in spans.tolist()] + [ref[:0]])
        assert same(got, np.concatenate(expected.pop(day, []) + [ref[:0]]))
    assert not expected and chains.chains.n_free[0] == len(chains.chains.next)


def test_taking_several_days_gives_them_day_by_day():
    chains = DayChains(START, 5, blocks=2)
    store = np.zeros(BLOCK + 3, dtype=STAGED_STORE)
    store["store"] = np.arange(len(store)) % N_STORES
    store["sku"] = np.arange(len(store))  # the filing order
    w = World(np.random.default_rng(0))
    w.open_hour[:], w.close_hour[:] = 0, 24
    e = np.zeros((2, len(store)))
    e[0] = (np.arange(len(store)) % 3) * 24.0  # days 1, 2, 3 interleaved
    r = rules(np.random.default_rng(1), False)._replace(delay_scale_store=1.0)
    rows, ch = chains.reserve(len(store), 0)
    online = np.zeros(0, dtype=STAGED_ONLINE)
    assert file_returns(store, e, online, np.zeros(0), np.zeros((2, 0)), r, w.open_hour,
                        w.close_hour, w.store_region, w.region_dc, 0, rows, ch,
                        np.zeros(5, dtype=np.int64), 0) == (len(store), -1)
    spans = chains.take(1, 3)
    got = np.concatenate([chains.rows["sku"][a:a + k] for a, k in spans.tolist()])
    day = np.arange(len(store)) % 3
    assert got.tolist() == np.concatenate([np.flatnonzero(day == d) for d in range(3)]).tolist()


# --- starting a day's returns ------------------------------------------------------------


def start_rows(g: np.random.Generator, w: World, n: int, day: int, coarse: bool) -> np.ndarray:
    rows = np.zeros(n, dtype=START)
    rows["start"] = 24 * day + (g.integers(0, 24, n) if coarse else g.random(n) * 24)
    rows["pair"] = g.integers(0, 3, n)
    stores = g.integers(0, N_STORES, n)
    region = g.integers(0, N_REGIONS, n)
    rows["node"] = np.where(rows["pair"] == ONLINE_TO_MAIL, w.region_dc[region], stores)
    rows["region"] = np.where(rows["pair"] == STORE_TO_STORE, w.store_region[stores], region)
    rows["sku"] = g.integers(0, N_SKUS, n)
    return rows


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 300), st.integers(0, 8 * 7 - 1), SEED, st.booleans())
def test_starting_returns_is_the_numpy_batch(n, day, seed, coarse):
    g = np.random.default_rng(seed)
    w, r = World(g), rules(g, coarse)
    rec_weeks, rec_regions = N_WEEKS, N_REGIONS + 1
    c = start_rows(g, w, n, day, coarse)
    # The returns sit in a bigger store, in spans (blocks of a chain), in order.
    gaps = g.integers(0, 3, n + 1)
    pos = np.cumsum(gaps[:-1]) + np.arange(n)
    store = np.zeros(n + int(gaps.sum()), dtype=START)
    store[pos] = c
    breaks = np.flatnonzero(np.diff(pos) != 1) + 1
    spans = np.array([(pos[a], b - a) for a, b in zip(np.r_[0, breaks], np.r_[breaks, n],
                                                      strict=True) if b > a] or
                     np.zeros((0, 2)), dtype=np.int64).reshape(-1, 2)
    u = uniforms(g, (4, n), coarse)
    e_scan = g.standard_exponential(n)
    mail = c["pair"] == ONLINE_TO_MAIL
    transit = g.gamma(4.0, 18.0, int(mail.sum()))
    harmonized = g.random(N_STORES + N_DCS) < 0.5
    error_multiplier = 1.0 + g.integers(0, 3, N_STORES) / 2
    record_factor = np.where(g.random(N_STORES + N_DCS) < 0.5, 0.5, 1.0)
    price = g.random(N_SKUS) * 100
    members = _members(START_COUNTERS, 3 * N_DISP)
    restock = np.zeros(n, dtype=RESTOCK)
    refunds = np.zeros(n + 2, dtype=REFUND)
    parcels = np.zeros(int(mail.sum()), dtype=PARCEL)
    floor = day + int(g.integers(0, 2))
    central = bool(g.integers(0, 2))
    got = start_returns(store, spans, u, e_scan, transit, harmonized, central, error_multiplier,
                        record_factor, price, r, N_WEEKS, members, rec_weeks, rec_regions,
                        restock, refunds, 2, parcels, floor)

    # The journey's NumPy batch (``_start_returns``).
    start, pair, node, sku, region = c["start"], c["pair"], c["node"], c["sku"], c["region"]
    week = np.minimum((start / 168).astype(np.int64), N_WEEKS - 1)
    # A BORIS return is harmonized only where the ecommerce platform is too (adoption per node).
    harm = harmonized[node] & np.where(pair == ONLINE_TO_STORE, central, True)
    at_store = ~mail
    t_scan = e_scan * np.where(mail, r.first_scan_hours, r.refund_till_hours)
    em = np.where(at_store, error_multiplier[np.where(at_store, node, 0)], 1.0)
    harm = harm & (u[3] * em < 1.0)  # staff in their dip fall back to the old way
    # Unrecorded restocks also follow the node's record-error factor (approvals do not), of
    # which staff in their dip get only the followed share (1/em) of the harmonized gain.
    follow = 1.0 / np.maximum(em, 1.0)
    em_restock = np.where(at_store, em * (follow * record_factor[node] + (1.0 - follow)), 1.0)
    disp = np.where(mail, UNDECIDED, disposition_np(u[0], u[1], harm, em_restock, r))
    cell = week * rec_regions + region
    assert np.array_equal(got.counts, counters_np(cell, pair * N_DISP + disp, 3 * N_DISP,
                                                  START_COUNTERS, rec_weeks, rec_regions))
    value = np.bincount(cell, weights=price[sku], minlength=rec_weeks * rec_regions)
    assert got.value.tobytes() == value.reshape(rec_weeks, rec_regions).tobytes()
    if n:
        assert got.first_week == week.min() and got.last_week == week.max()
    keep = at_store & (disp <= UNRECORDED)
    assert got.n_restock == keep.sum()
    assert np.array_equal(restock["node"][:got.n_restock], node[keep])
    assert np.array_equal(restock["sku"][:got.n_restock], sku[keep])
    assert np.array_equal(restock["recorded"][:got.n_restock], disp[keep] == RECORDED)
    unreceipted = (pair == STORE_TO_STORE) & (u[2] < r.unreceipted_rate * em)
    lookup = (pair == ONLINE_TO_STORE) & ~harm & (u[2] < r.lookup_share)
    now = (at_store & ~(unreceipted & ~harm) & ~lookup) | (mail & harm)
    assert got.n_refunds == 2 + now.sum()
    assert book_rows(refunds[2:got.n_refunds]) == refund_rows(
        start[now], start[now] + t_scan[now], week[now], region[now], pair[now])
    assert np.array_equal(got.unreceipted, pos[unreceipted])
    assert np.array_equal(got.unreceipted_week, week[unreceipted])
    assert np.array_equal(got.unreceipted_waits, ~harm[unreceipted])
    assert np.array_equal(got.lookup, pos[lookup])
    assert np.array_equal(got.lookup_week, week[lookup])
    # Parcels, filed by arrival day: a stable sort of them in row order.
    ml = np.flatnonzero(mail)
    want = np.zeros(len(ml), dtype=PARCEL)
    want["start"], want["arrival"] = start[ml], start[ml] + transit
    want["u_disp"], want["u_unrec"] = u[0][ml], u[1][ml]
    want["week"], want["node"], want["sku"] = week[ml], node[ml], sku[ml]
    want["region"], want["harm"] = region[ml], harm[ml]
    pday = np.maximum((want["arrival"] / 24.0).astype(np.int64), floor)
    order = np.argsort(pday, kind="stable")
    assert same(parcels, want[order])
    assert [b[0] for b in got.parcel_bounds.tolist()] == np.unique(pday).tolist()
    assert got.mail_legacy == (~harm[ml]).sum()


@settings(deadline=None)
@given(st.integers(0, 200), SEED)
def test_putting_back_is_add_at(n, seed):
    g = np.random.default_rng(seed)
    restock = np.zeros(n, dtype=RESTOCK)
    restock["node"] = g.integers(0, 5, n)
    restock["sku"] = g.integers(0, 4, n)
    restock["recorded"] = g.random(n) < 0.7
    physical, system = np.zeros((5, 4), np.int32), np.ones((5, 4), np.int32)
    want_p, want_s = physical.copy(), system.copy()
    assert put_back(restock, physical, system) == n
    np.add.at(want_p, (restock["node"], restock["sku"]), 1)
    rec = restock[restock["recorded"]]
    np.add.at(want_s, (rec["node"], rec["sku"]), 1)
    assert np.array_equal(physical, want_p) and np.array_equal(system, want_s)


# --- the DC bench ------------------------------------------------------------------------


def parcels_of(g: np.random.Generator, n: int, coarse: bool) -> np.ndarray:
    p = np.zeros(n, dtype=PARCEL)
    p["start"] = g.random(n) * 500
    p["arrival"] = 400 + (g.integers(0, 48, n) if coarse else g.random(n) * 48)
    p["u_disp"], p["u_unrec"] = uniforms(g, n, coarse), uniforms(g, n, coarse)
    p["week"] = g.integers(0, N_WEEKS, n)
    p["node"] = N_STORES + g.integers(0, N_DCS, n)
    p["sku"] = g.integers(0, N_SKUS, n)
    p["region"] = g.integers(0, N_REGIONS, n)
    p["harm"] = g.random(n) < 0.4
    return p


@settings(deadline=None)
@given(st.integers(0, 200), st.integers(0, 30), SEED, st.booleans())
def test_enqueue_appends_arrived_parcels_by_arrival_stably(n, queued, seed, coarse):
    g = np.random.default_rng(seed)
    c = parcels_of(g, n, coarse)
    now = 424.0
    queue = Records(PARCEL)
    queue.n = queued
    first = queue.room(queued).copy()[:queued]
    queue.n, waiting = enqueue(c, now, queue.room(n), queue.n)
    ready = c["arrival"] <= now
    idx = np.flatnonzero(ready)
    want = c[idx[np.argsort(c["arrival"][idx], kind="stable")]]
    assert same(queue.view(), join([first, want]))
    assert np.array_equal(waiting, np.flatnonzero(~ready))


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 300), SEED, st.booleans())
def test_the_bench_inspects_each_dcs_first_quota_in_queue_order(n, seed, coarse):
    g = np.random.default_rng(seed)
    r = rules(g, coarse)
    q = parcels_of(g, n, coarse)
    quota = np.floor(g.random(N_DCS) * n / 2)
    physical = np.zeros((N_STORES + N_DCS, N_SKUS), np.int32)
    system = physical.copy()
    refunds = np.zeros(n + 1, dtype=REFUND)
    queue = q.copy()
    record_factor = np.where(g.random(N_STORES + N_DCS) < 0.5, 0.5, 1.0)
    got = inspect(queue, n, N_STORES, quota, r, 432.0, physical, system, record_factor,
                  _members(BENCH_COUNTERS, N_DISP), N_WEEKS, N_REGIONS + 1, refunds, 1)

    # The journey's NumPy bench (``_inspect``).
    dc = q["node"] - N_STORES
    done = np.zeros(n, dtype=bool)
    for d in range(N_DCS):
        mine = dc == d
        done |= mine & (np.cumsum(mine) <= quota[d])
    fin, rest = q[done], q[~done]
    assert got.queued == len(rest) and same(queue[:len(rest)], rest)
    disp = disposition_np(fin["u_disp"], fin["u_unrec"], fin["harm"],
                          record_factor[fin["node"]], r)
    cell = fin["week"].astype(np.int64) * (N_REGIONS + 1) + fin["region"]
    assert np.array_equal(got.counts, counters_np(cell, disp, N_DISP, BENCH_COUNTERS, N_WEEKS,
                                                  N_REGIONS + 1))
    back = disp <= UNRECORDED
    want_p, want_s = np.zeros_like(physical), np.zeros_like(system)
    np.add.at(want_p, (fin["node"][back], fin["sku"][back]), 1)
    rec = back & (disp == RECORDED)
    np.add.at(want_s, (fin["node"][rec], fin["sku"][rec]), 1)
    assert np.array_equal(physical, want_p) and np.array_equal(system, want_s)
    assert got.restocked == back.sum()
    legacy = ~fin["harm"]
    assert got.legacy == legacy.sum() and got.n_refunds == 1 + legacy.sum()
    assert book_rows(refunds[1:got.n_refunds]) == refund_rows(
        fin["start"][legacy], np.full(legacy.sum(), 432.0), fin["week"][legacy],
        fin["region"][legacy], np.full(legacy.sum(), ONLINE_TO_MAIL))


# --- refunds -----------------------------------------------------------------------------


@settings(deadline=None)
@given(st.integers(0, 300), SEED)
def test_splitting_refunds_by_pair_censors_at_the_end(n, seed):
    g = np.random.default_rng(seed)
    b = np.zeros(n, dtype=REFUND)
    b["start"] = g.random(n) * 100
    end = 110.0
    # Refunds never made (inf), made after the end, made exactly at it, made before it.
    b["refund"] = np.where(g.random(n) < 0.2, np.inf, b["start"] + g.random(n) * 30)
    b["refund"][g.random(n) < 0.2] = end
    b["week"] = g.integers(0, N_WEEKS + 2, n)
    b["region"] = g.integers(0, N_REGIONS, n)
    b["pair"] = g.integers(0, 3, n)
    got = split_refunds(b, end, 3, N_WEEKS, N_REGIONS)
    late = b["refund"] > end
    cycle = np.where(late, end - b["start"], b["refund"] - b["start"])
    for k in range(3):
        m = b["pair"] == k
        lo, hi = got.bounds[k], got.bounds[k + 1]
        assert np.array_equal(got.week[lo:hi], b["week"][m])
        assert np.array_equal(got.region[lo:hi], b["region"][m])
        assert got.cycle[lo:hi].tobytes() == cycle[m].tobytes()
    want = np.zeros((N_WEEKS, N_REGIONS))
    np.add.at(want, (np.minimum(b["week"][late], N_WEEKS - 1), b["region"][late]), 1.0)
    assert np.array_equal(got.late, want)


@settings(deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), SEED)
def test_held_refunds_are_released_once_by_their_exceptions(n_held, n_done, seed):
    g = np.random.default_rng(seed)
    held = np.zeros(40, dtype=HELD)
    held["start"] = np.nan
    rows = start_rows(g, World(g), n_held, 3, False)
    ids = g.permutation(40)[: min(n_held, 40)]
    at = np.arange(len(ids))
    week = g.integers(0, N_WEEKS, len(ids)).astype(np.int32)
    hold(held, ids, rows, at, week)
    want_start = np.full(40, np.nan)
    want_start[ids] = rows["start"][at]
    assert np.array_equal(held["start"], want_start, equal_nan=True)
    # Finished exceptions: some hold a refund, some not, some are past the table.
    done = g.permutation(np.unique(g.integers(0, 50, n_done)))
    finish = g.random(len(done)) * 100
    refunds = np.zeros(len(done) + 1, dtype=REFUND)
    before = held.copy()
    n_ref, released = release(held, done, finish, refunds, 1)
    known = done < 40
    ids_k, fin_k = done[known], finish[known]
    real = ~np.isnan(before["start"][ids_k])
    ids_r, fin_r = ids_k[real], fin_k[real]
    assert released == len(ids_r) and n_ref == 1 + len(ids_r)
    assert book_rows(refunds[1:n_ref]) == refund_rows(
        before["start"][ids_r], fin_r, before["week"][ids_r], before["region"][ids_r],
        before["pair"][ids_r])
    assert np.isnan(held["start"][ids_r]).all()
    # Released refunds are not held any more: finishing again books nothing.
    assert release(held, done, finish, refunds, 0) == (0, 0)


def test_record_helpers_copy_records():
    g = np.random.default_rng(4)
    p = parcels_of(g, 20, False)
    mask = g.random(20) < 0.5
    assert same(take(p, mask), p[mask])
    assert same(take(p, np.array([3, 3, 1])), p[[3, 3, 1]])
    assert same(join([p[:5], p[5:]]), p)
    buf = Records(PARCEL, capacity=2)
    buf.room(20)[:20] = p
    buf.n = 20
    assert same(buf.view(), p)
