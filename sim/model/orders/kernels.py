"""Compiled per-order loops of the online channel: arrival, routing, promising, scheduling, picks.

:mod:`sim.model.orders.channel` owns the channel's state and rules; these loops apply the rules to a
batch of orders one order at a time, in arrival order (see :mod:`sim.model.plumbing.jit`). The order
arrays are the fields of an :data:`ORDER` batch.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.model.orders.baskets import MAX_LINES, holds
from sim.model.orders.routing import Routing, route
from sim.model.orders.rules import (
    BOPIS,
    SFS,
    SHIP,
    RouteCosts,
    fulfillment_cost,
    pick_missed,
    pick_uniform,
)
from sim.model.plumbing.jit import guide_table, inline_kernel, kernel, search_right
from sim.model.plumbing.prefetch import prefetch
from sim.model.world import HOURS_PER_WEEK, next_open_at, week_index

#: One line of an online order (:mod:`sim.model.orders.baskets`): ``basket`` is its order's
#: id, ``lines`` how many lines that order has, ``booked`` the shipping its reroutes have
#: booked as reroute cost. Batches are structured arrays, so selecting or joining lines is
#: one numpy operation rather than one per field.
ORDER = np.dtype([("node", np.int64), ("sku", np.int64), ("region", np.int64),
                  ("method", np.int64), ("store", np.int64), ("home", np.int64),
                  ("ready_by", np.float64), ("patience", np.float64), ("lag", np.float64),
                  ("tries", np.int64), ("oversold", np.bool_), ("pick_at", np.float64),
                  ("placed", np.float64), ("pick_u", np.float64), ("return_u", np.float32),
                  ("basket", np.int64), ("lines", np.int64), ("booked", np.float64)])

#: Rows of the per-region counts :func:`arrive` returns: lines placed, lines no node could
#: promise, lines promised, pickup lines promised, orders placed, parcels beyond one per
#: order at promise.
PLACED, UNPROMISABLE, PROMISED, BOPIS_PROMISED, CUSTOMER_ORDERS, SPLIT = 0, 1, 2, 3, 4, 5
#: Rows of the per-region counts :func:`pick` returns.
FULFILLED, STORE_FULFILLED, STORE_PICK_FAILED, READY_THIS_WEEK, FULFILLMENT_COST = 0, 1, 2, 3, 4
#: Outcomes of a pick (:func:`pick`): picked; picked and a pickup ready by its promised time;
#: the shelf lacked the unit (oversell); the store's picker missed a unit that was there.
PICKED, READY, SHORT, MISSED = 0, 1, 2, 3
#: The counter each row of :func:`arrive`'s counts is recorded in, then the view latency sums
#: (:meth:`sim.model.recorder.Recorder.add_rows`); a line no node can promise is also fallout.
ARRIVE_COUNTERS = ("ecommerce_orders", "online_unpromisable_orders", "promised_orders",
                   "bopis_orders", "customer_orders", "split_parcels", "sync_latency_sum")
#: The counter each row of :func:`pick`'s counts is recorded in (pickups ready are booked in
#: the week they were promised, like bopis_orders).
PICK_COUNTERS = ("online_fulfilled_orders", "store_fulfilled_orders", "pick_failures",
                 "bopis_ready_orders", "fulfillment_cost")


@inline_kernel
def _pick_store(stores: np.ndarray, keys: np.ndarray, guide: np.ndarray, region: int,
                u: float) -> int:
    # u < 1, so region + u stays inside the region's key range (see Orders._region_picker).
    pos = search_right(keys, guide, region + u, keys[-1])
    return stores[min(pos, len(stores) - 1)]


class Channel(NamedTuple):
    """Per-replication tables the arrival kernel reads (arrays are the world's, live)."""

    region_cdf: np.ndarray
    bopis_stores: np.ndarray
    bopis_keys: np.ndarray
    bopis_guide: np.ndarray
    sfs_stores: np.ndarray
    sfs_keys: np.ndarray
    sfs_guide: np.ndarray
    open_hour: np.ndarray
    close_hour: np.ndarray
    last_sync: np.ndarray
    order_status_harmonized: np.ndarray
    slowdown: np.ndarray
    n_stores: int


class Rules(NamedTuple):
    """The channel's parameters (hours, shares) for the arrival kernel."""

    bopis_share: float
    bopis_or_sfs_share: float
    patience_hours: float
    lag_hours: float
    promised_ready_hours: float
    realtime_latency: float
    dc_pick_hours: float
    store_pick_hours: float


@kernel
def arrive(u: np.ndarray, pick_u: np.ndarray, return_u: np.ndarray, order_lines: np.ndarray,
           first_order: int, t: float, sku_cdf: np.ndarray, sku_total: float,
           b: np.ndarray, due: np.ndarray, week: int, block: np.ndarray, fallout: np.ndarray,
           ch: Channel, rules: Rules, rt: Routing) -> int:
    """Turn an hour's customer draws ``u`` (lines x 7) into order lines ``b``; route, promise.

    Each line's SKU comes from its row of ``u``; its order's customer region, method, BOPIS
    store, nearby store, patience and order-status lag from the row of the order's first
    line (``order_lines``: lines of each order, the orders numbered from ``first_order``,
    their lines adjacent); its pick-error uniform from ``pick_u`` and
    the uniform that decides whether its unit comes back from ``return_u``; then
    the batch is routed (:func:`route`, with ``rt`` its state), and each promised BOPIS order
    gets the ready time promised at
    checkout: within the promise window of open hours, or that long after the next opening
    when today's hours are too short. The hour's counts per customer region (rows: see the
    module constants), then the age of the view each promise was made from (hours), are
    added to ``week`` of the recorder's row block ``block`` (:data:`ARRIVE_COUNTERS` x week x
    region) once, as the recorder's ``add_rows`` does; the lines no node can promise are
    also cancelled at once: ``fallout`` (week x region).

    Every field of ``b[:len(u)]`` is written (``b`` is a reused buffer). Returns the number of
    promised orders, moved (in arrival order) to the front of ``b`` with their pick times, and
    their due hours in ``due`` (:func:`schedule`).
    """
    n_skus, realtime = rt.n_skus, rt.realtime
    region_cdf, open_hour, close_hour = ch.region_cdf, ch.open_hour, ch.close_hour
    b_node, b_sku, b_region, b_method = b.node, b.sku, b.region, b.method
    b_store, b_home, b_ready_by, b_patience, b_lag = b.store, b.home, b.ready_by, b.patience, b.lag
    n = u.shape[0]
    n_regions = len(region_cdf)
    counts = np.zeros((len(ARRIVE_COUNTERS) - 1, n_regions))
    latency = np.zeros(n_regions)
    guide = guide_table(sku_cdf, sku_total)
    region_total = region_cdf[-1]
    basket = np.empty(n, dtype=np.int64)  # each line's order id
    lines = np.empty(n, dtype=np.int64)  # lines of each line's order
    i = 0
    for o in range(len(order_lines)):
        for _ in range(order_lines[o]):
            basket[i], lines[i] = first_order + o, order_lines[o]
            i += 1
    for i in range(n):
        b_sku[i] = min(search_right(sku_cdf, guide, u[i, 0] * sku_total, sku_total), n_skus - 1)
        b.basket[i] = basket[i]
        b.lines[i] = lines[i]
        b.booked[i] = 0.0
        b_node[i] = -1
        b.tries[i] = 0
        b.oversold[i] = False
        b.placed[i] = t
        b.pick_u[i] = pick_u[i]
        b.return_u[i] = return_u[i]
        if i > 0 and basket[i] == basket[i - 1]:  # the order's customer: its first line's
            b_region[i], b_method[i] = b_region[i - 1], b_method[i - 1]
            b_store[i], b_home[i] = b_store[i - 1], b_home[i - 1]
            b_patience[i], b_lag[i] = b_patience[i - 1], b_lag[i - 1]
            continue
        x = u[i, 1] * region_total
        r = 0
        for j in range(n_regions):  # searchsorted(side="right"), branch-free for a few regions
            r += region_cdf[j] <= x
        r = min(r, n_regions - 1)
        b_region[i] = r
        if u[i, 2] < rules.bopis_share:
            b_method[i] = BOPIS
        elif u[i, 2] < rules.bopis_or_sfs_share:
            b_method[i] = SFS
        else:
            b_method[i] = SHIP
        b_store[i] = _pick_store(ch.bopis_stores, ch.bopis_keys, ch.bopis_guide, r, u[i, 3])
        b_home[i] = _pick_store(ch.sfs_stores, ch.sfs_keys, ch.sfs_guide, r, u[i, 4])
        b_patience[i] = -np.log1p(-u[i, 5]) * rules.patience_hours
        # How long a legacy store takes to see the order (order-status polling); drawn for
        # every order so the draws do not depend on which stores are live.
        b_lag[i] = -np.log1p(-u[i, 6]) * rules.lag_hours
    exclude = np.full(n, -1, dtype=np.int64)
    shipped = np.empty(n, dtype=np.bool_)
    # Routing and scheduling get contiguous copies, as the channel's reroutes pass them: one
    # build of each kernel (the batch's fields are strided views, which built both again, ~3 s
    # of a new process's first compile).
    to_node, method, region = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    store, home, sku = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    for i in range(n):
        to_node[i], method[i], region[i] = -1, b_method[i], b_region[i]
        store[i], home[i], sku[i] = b_store[i], b_home[i], b_sku[i]
    # Plain bools, not the constants False and True: numba types a constant argument as a
    # literal, which built route again for this call site.
    reroute, legacy_ok = n < 0, n >= 0
    route(to_node, shipped, method, region, store, home, sku, basket, exclude, reroute,
          legacy_ok, rt)
    for i in range(n):
        b_node[i] = to_node[i]
    parcels = np.empty(MAX_LINES, dtype=np.int64)  # nodes shipping the order's lines so far
    n_parcels = 0
    for i in range(n):
        r = b_region[i]
        counts[PLACED, r] += 1.0
        first = i == 0 or basket[i] != basket[i - 1]
        if first:
            counts[CUSTOMER_ORDERS, r] += 1.0
            n_parcels = 0
        node = b_node[i]
        if node < 0:
            counts[UNPROMISABLE, r] += 1.0
            continue
        counts[PROMISED, r] += 1.0
        if shipped[i] and not holds(parcels, n_parcels, node):
            if n_parcels > 0:
                counts[SPLIT, r] += 1.0
            if n_parcels < MAX_LINES:
                parcels[n_parcels] = node
                n_parcels += 1
        if b_method[i] == BOPIS:
            counts[BOPIS_PROMISED, r] += 1.0
            s = b_store[i]
            start = next_open_at(t, open_hour[s], close_hour[s])
            ready = start + rules.promised_ready_hours
            closes = np.floor(start / 24.0) * 24.0 + close_hour[s]
            if ready > closes:
                ready = (next_open_at(closes, open_hour[s], close_hour[s])
                         + rules.promised_ready_hours)
            b_ready_by[i] = ready
        else:
            b_ready_by[i] = np.inf
        if realtime[node]:
            latency[r] += rules.realtime_latency
        else:
            latency[r] += max(t - ch.last_sync[node], 0.0)
    for r in range(n_regions):
        for k in range(counts.shape[0]):
            block[k, week, r] += counts[k, r]
        block[counts.shape[0], week, r] += latency[r]
        if counts[UNPROMISABLE, r]:  # whole counts: the order of these additions changes no bit
            fallout[week, r] += counts[UNPROMISABLE, r]
    kept = 0
    for i in range(n):
        if b_node[i] < 0:
            continue
        if kept != i:
            b_node[kept], b_sku[kept], b_region[kept] = b_node[i], b_sku[i], b_region[i]
            b_method[kept], b_store[kept], b_home[kept] = b_method[i], b_store[i], b_home[i]
            b_ready_by[kept], b_patience[kept] = b_ready_by[i], b_patience[i]
            b_lag[kept], b.pick_u[kept] = b_lag[i], b.pick_u[i]
            b.return_u[kept] = b.return_u[i]
            b.basket[kept], b.lines[kept] = b.basket[i], b.lines[i]
        kept += 1
    lag, pick_at = np.empty(kept), np.empty(kept)
    for i in range(kept):
        to_node[i], lag[i] = b_node[i], b_lag[i]
    schedule(to_node[:kept], lag, np.full(kept, t), ch.n_stores, ch.order_status_harmonized,
             open_hour, close_hour, ch.slowdown, rules.dc_pick_hours, rules.store_pick_hours,
             pick_at, due[:kept])
    for i in range(kept):
        b.pick_at[i] = pick_at[i]
    return kept


@kernel
def schedule(node: np.ndarray, lag: np.ndarray, t: np.ndarray, n_stores: int,
             order_status_harmonized: np.ndarray, open_hour: np.ndarray,
             close_hour: np.ndarray, slowdown: np.ndarray, dc_pick_hours: float,
             store_pick_hours: float, pick_at: np.ndarray, due: np.ndarray) -> None:
    """Pick times: DCs pick within a shift, stores in open hours after they see the order.

    A store's pick takes longer by its go-live dip's slowdown (staff still learning the new
    handhelds and screens, ``world.work_slowdown``); one that would run past closing is done
    after the next opening.
    ``due`` is the simulated hour whose step performs the pick (never the hour the order was
    placed in).
    """
    for i in range(len(node)):
        s = node[i]
        if s < n_stores:
            seen_at = t[i] + (0.0 if order_status_harmonized[s] else lag[i])
            start = next_open_at(seen_at, open_hour[s], close_hour[s])
            hours = store_pick_hours * slowdown[s]
            pick = start + hours
            if pick - np.floor(start / 24.0) * 24.0 > close_hour[s]:
                pick = next_open_at(pick, open_hour[s], close_hour[s]) + hours
        else:
            pick = t[i] + dc_pick_hours
        pick_at[i] = max(pick, t[i])
        due[i] = np.int64(max(np.ceil(pick), np.floor(t[i]) + 1))


@kernel
def pick(b: np.ndarray, week: int, n_stores: int, error_multiplier: np.ndarray,
         error_prob: float, n_skus: int, open_res: np.ndarray, physical: np.ndarray,
         system: np.ndarray, node_x: np.ndarray, node_y: np.ndarray, c: RouteCosts,
         outcome: np.ndarray, block: np.ndarray, store_picks: np.ndarray,
         store_failures: np.ndarray, store_misses: np.ndarray) -> tuple[int, int]:
    """Pick a batch ``b`` of :data:`ORDER` lines in order, in ``week``; count what happened.

    Each order releases its reservation and takes a unit if the shelf still has one and, at
    a store, the picker finds it (:func:`sim.model.orders.rules.pick_missed`; the uniform is
    read for every pick, DC or store, live or not). ``outcome`` gets each order's result (see
    the module constants; a pickup is ``READY`` when picked by the promised time, the pick
    being done at its own time within the hour the step stands for).

    The counts go straight into the recorder's storage (one call an hour, not one per
    counter). ``block`` is the :data:`PICK_COUNTERS` row block (counter, week, region): the
    hour's sums per region (orders fulfilled, those fulfilled from stores, the failed picks
    at stores, pickups ready, what the orders picked cost to fulfil) are added to ``week``
    once, as the recorder's ``add_rows`` does; a pickup ready that was placed in an earlier
    week counts in that week, as its promise did. The cost is
    :func:`sim.model.orders.rules.fulfillment_cost`, the customer at their ``home`` store's
    location: delivered lines of one order (``basket``) picked together at one node go in
    one parcel, and ``booked`` is the shipping each line's reroutes already counted. The
    per-store counters (week x store) count the picks at each store, their failures and the
    picker's misses among them. Returns the units picked and the lines that failed.
    """
    # The record array, not its fields, is passed: a field view is typed contiguous when it
    # holds one line and strided otherwise, which built this kernel twice.
    node, sku, region, method, home, basket = b.node, b.sku, b.region, b.method, b.home, b.basket
    pick_at, ready_by, pick_u, tries = b.pick_at, b.ready_by, b.pick_u, b.tries
    placed, booked = b.placed, b.booked
    weeks = block.shape[1]
    counts = np.zeros((block.shape[0], block.shape[2]))
    week_start = float(week * HOURS_PER_WEEK)
    picked = failed = 0
    last_basket, last_node = -1, -1  # the parcel the last delivered line picked went in
    for i in range(len(node)):
        # The cells of the pick eight ahead (random over the network) are fetched now, so
        # they are in cache when it comes.
        if i + 8 < len(node):
            ahead = node[i + 8] * n_skus + sku[i + 8]
            prefetch(open_res, ahead)
            prefetch(physical, ahead)
            prefetch(system, ahead)
        s = node[i]
        cell = s * n_skus + sku[i]
        open_res[cell] -= 1
        at_store = s < n_stores
        if at_store:
            store_picks[week, s] += 1.0
        u = pick_uniform(pick_u[i], tries[i])
        missed = at_store and pick_missed(u, error_prob, error_multiplier[s])
        if physical[cell] <= 0:
            outcome[i] = SHORT
        elif missed:
            outcome[i] = MISSED
        else:
            physical[cell] -= 1
            system[cell] -= 1
            picked += 1
            counts[FULFILLED, region[i]] += 1.0
            if at_store:
                counts[STORE_FULFILLED, region[i]] += 1.0
            h = home[i]
            dx, dy = node_x[s] - node_x[h], node_y[s] - node_y[h]
            delivered = method[i] != BOPIS
            parcel = delivered and not (basket[i] == last_basket and s == last_node)
            if delivered:
                last_basket, last_node = basket[i], s
            counts[FULFILLMENT_COST, region[i]] += fulfillment_cost(
                math.sqrt(dx * dx + dy * dy), parcel, at_store, booked[i], c)
            ready = method[i] == BOPIS and pick_at[i] <= ready_by[i]
            outcome[i] = READY if ready else PICKED
            if ready:
                if placed[i] >= week_start:
                    counts[READY_THIS_WEEK, region[i]] += 1.0
                else:  # whole counts: the order of these additions changes no bit
                    placed_week = week_index(placed[i], weeks)
                    block[READY_THIS_WEEK, placed_week, region[i]] += 1.0
            continue
        failed += 1
        if at_store:
            counts[STORE_PICK_FAILED, region[i]] += 1.0
            store_failures[week, s] += 1.0
            if outcome[i] == MISSED:
                store_misses[week, s] += 1.0
    for k in range(counts.shape[0]):
        for r in range(counts.shape[1]):
            block[k, week, r] += counts[k, r]
    return picked, failed
