"""Orchestration's cost rule, reroute costs, store pick errors and the routing loop (DESIGN §5.2).

The rules (:mod:`sim.model.orders.rules`) as pure functions, then the compiled routing loop
(:func:`sim.model.orders.routing.route`) on a hand-built network of four stores and one DC,
where each choice can be worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.orders.routing import Routing, route
from sim.model.orders.rules import (
    BOPIS,
    SFS,
    SHIP,
    RouteCosts,
    fail_risk,
    fulfillment_cost,
    handling_cost,
    node_cost,
    pick_missed,
    pick_uniform,
    reroute_cost,
    ship_cost,
    walkin_loss,
)

C = RouteCosts(ship_parcel=7.0, ship_per_km=0.005, store_pick=3.5, dc_pick=1.2, expedite=8.0,
               rerelease=1.0, risk_realtime=0.065, risk_batch=0.09, risk_scale=9.0,
               bopis_max_km=25.0)
MARGIN = 20.0  # a SKU's price - cost

heads = st.floats(1.0, 500.0)


# --- the cost rule --------------------------------------------------------------------------


def test_shipping_grows_with_distance_from_one_parcel():
    assert ship_cost(0.0, C) == 7.0
    assert ship_cost(1000.0, C) == pytest.approx(12.0)


@settings(deadline=None)  # the first call compiles the rule
@given(heads, st.floats(0.0, 50.0))
def test_failure_risk_falls_with_headroom_and_is_lower_in_real_time(h, more):
    assert fail_risk(h + more, False, C) <= fail_risk(h, False, C)
    assert fail_risk(h, True, C) <= fail_risk(h, False, C)
    assert fail_risk(min(h, 100.0), True, C) < fail_risk(min(h, 100.0), False, C)
    assert fail_risk(1.0, False, C) == C.risk_batch
    assert fail_risk(1.0 + C.risk_scale, True, C) == pytest.approx(C.risk_realtime / math.e)


@pytest.mark.parametrize(("lam", "tol"), [(0.5, 0.12), (3.0, 0.05), (20.0, 0.03)])
def test_walkin_loss_is_close_to_the_poisson_tail(lam, tol):
    # The normal approximation of the walk-in demand tail against the exact Poisson tail:
    # rough for slow movers, close for busy ones.
    for left in range(0, int(3 * lam) + 4):
        exact = 1.0 - sum(math.exp(-lam) * lam**j / math.factorial(j) for j in range(left + 1))
        assert walkin_loss(float(left), lam, MARGIN) / MARGIN == pytest.approx(exact, abs=tol)


def test_walkin_loss_takes_the_normal_tail():
    for z in (-3.0, -1.0, 0.0, 0.5, 2.0, 5.0):
        lam = 16.0
        left = z * math.sqrt(lam) + lam - 0.5
        tail = 0.5 * math.erfc(z / math.sqrt(2.0))
        assert walkin_loss(left, lam, MARGIN) / MARGIN == pytest.approx(tail, abs=2e-4)


@settings(deadline=None)  # the first call compiles the rule
@given(st.floats(0.0, 200.0), st.floats(0.01, 100.0))
def test_walkin_loss_is_a_probability_times_the_margin(left, lam):
    loss = walkin_loss(left, lam, MARGIN)
    assert 0.0 <= loss <= MARGIN
    assert walkin_loss(left + 5.0, lam, MARGIN) <= loss  # a deeper shelf risks less
    assert walkin_loss(left, lam * 2, MARGIN) >= loss  # busier walk-in trade risks more
    assert walkin_loss(left, 0.0, MARGIN) == 0.0


@settings(deadline=None)  # the first call compiles the rule
@given(st.booleans(), st.floats(0, 3000), st.floats(0, 30), st.booleans(), heads,
       st.booleans(), st.floats(0, 100), st.floats(0, 50))
def test_node_cost_is_handling_plus_walkin_sales_at_a_store(ship, km, det, store, h, rt, left,
                                                           lam):
    got = node_cost(ship, km, det, store, h, rt, left, lam, MARGIN, C)
    want = handling_cost(ship, km, det, store, h, rt, C)
    if store:
        want += walkin_loss(left, lam, MARGIN)
    assert got == want


def test_a_near_deep_store_beats_a_far_dc_and_a_thin_one_does_not():
    def store(head, walkin):
        return node_cost(True, 5.0, 0.0, True, head, False, head, walkin, MARGIN, C)

    dc = node_cost(True, 1200.0, 0.0, False, 500.0, True, 500.0, 0.0, MARGIN, C)
    assert store(40.0, 2.0) < dc  # shipping saved (6 - 0.03) outweighs the labour (2.3)
    assert store(1.0, 2.0) > dc  # one unit left: failure risk and walk-in sales at stake
    near_dc = node_cost(True, 100.0, 0.0, False, 500.0, True, 500.0, 0.0, MARGIN, C)
    assert store(40.0, 2.0) > near_dc  # a DC close to the customer wins on labour


@settings(deadline=None)  # the first call compiles the rule
@given(st.floats(0, 3000), st.floats(0, 3000), st.booleans(), st.booleans(), st.booleans())
def test_reroute_cost_is_extra_shipping_expedite_and_automatic_labour(old, new, was, ship, auto):
    got = float(reroute_cost(np.array([old]), np.array([new]), np.array([was]),
                             np.array([ship]), auto, C)[0])
    assert got >= 0.0
    manual = float(reroute_cost(np.array([old]), np.array([new]), np.array([was]),
                                np.array([ship]), False, C)[0])
    assert got - manual == pytest.approx(C.rerelease if auto else 0.0)
    if not ship:  # a pickup moved to another store: only the automatic re-release labour
        assert manual == 0.0
    else:  # the new parcel beyond the old one, and the expedite to keep the promise
        extra = max(ship_cost(new, C) - (ship_cost(old, C) if was else 0.0), 0.0)
        assert manual == pytest.approx(extra + C.expedite)


def test_fulfilling_an_order_costs_its_parcel_and_its_pick():
    assert fulfillment_cost(100.0, True, True, 0.0, C) == pytest.approx(7.0 + 0.5 + 3.5)
    assert fulfillment_cost(100.0, True, False, 0.0, C) == pytest.approx(7.0 + 0.5 + 1.2)
    assert fulfillment_cost(100.0, False, True, 0.0, C) == 3.5  # a pickup, or a line riding
    # Shipping a reroute already booked as reroute cost is not counted again.
    assert fulfillment_cost(100.0, True, True, 2.5, C) == pytest.approx(7.0 + 0.5 - 2.5 + 3.5)
    assert fulfillment_cost(100.0, True, True, 99.0, C) == 3.5


def test_a_pickup_turned_delivery_pays_a_whole_parcel():
    got = reroute_cost(np.array([0.0]), np.array([200.0]), np.array([False]),
                       np.array([True]), True, C)
    assert got[0] == pytest.approx(7.0 + 1.0 + 8.0 + 1.0)


@settings(deadline=None)  # the first call compiles the rule
@given(st.floats(0.0, 0.999999), st.integers(0, 5))
def test_pick_uniforms_stay_uniforms_and_change_each_try(u, tries):
    v = pick_uniform(u, tries)
    assert 0.0 <= v < 1.0
    if tries:
        assert v != pick_uniform(u, tries - 1)


@settings(deadline=None)  # the first call compiles the rule
@given(st.floats(0.0, 0.999999), st.floats(1.0, 5.0))
def test_a_store_in_its_dip_misses_more(u, mult):
    if pick_missed(u, 0.01, 1.0):
        assert pick_missed(u, 0.01, mult)
    assert pick_missed(0.015, 0.01, 2.0) and not pick_missed(0.015, 0.01, 1.0)


# --- the routing loop on a hand-built network -----------------------------------------------
# Stores 0..3, DC 4. The customer lives at store 0. Store 1 is 10 km away, store 2 20 km,
# store 3 60 km; the DC is 1,200 km away. All stores ship and take pickups.

N_STORES, N_NODES, N_SKUS = 4, 5, 1
X = np.array([0.0, 10.0, 20.0, 60.0, 1200.0])
Y = np.zeros(5)


NEAR_SFS = np.array([[0, 1, 2, 3]] * 4)  # every row lists the stores nearest the customer
NEAR_BOPIS = np.array([[0, 1, 2, 3], [1, 0, 2, 3], [2, 1, 0, 3], [3, 2, 1, 0]])


def _km(near):
    return np.abs(X[near] - X[np.arange(4)][:, None])


def _routing(stock, harm, orchestrated=True, walkin=0.0):
    system = np.asarray(stock, dtype=np.int32)
    return Routing(
        orchestrated=orchestrated, region_dc=np.array([4]), harm=np.asarray(harm, dtype=bool),
        near_sfs=NEAR_SFS, near_sfs_km=np.abs(X[NEAR_SFS] - X[0]), near_bopis=NEAR_BOPIS,
        near_bopis_km=_km(NEAR_BOPIS), node_x=X, node_y=Y,
        realtime=np.ones(N_NODES, dtype=bool), system=system,
        open_res=np.zeros(N_NODES, dtype=np.int32), visible=system.copy(),
        reserved_since_sync=np.zeros(N_NODES, dtype=np.int32), buffer=1, n_skus=N_SKUS,
        n_stores=N_STORES, seen=np.zeros(4 * N_NODES, dtype=np.int32),
        store_walkin=np.full(N_STORES, walkin), sku_units=np.ones(1),
        sku_margin=np.full(1, MARGIN), season=1.0, costs=C)


def _route(rt, method, exclude=-1, store=0, reroute=False, legacy_ok=True):
    node = np.full(1, -1, dtype=np.int64)
    shipped = np.zeros(1, dtype=bool)
    route(node, shipped, np.array([method]), np.array([0]), np.array([store]), np.array([0]),
          np.array([0]), np.array([0]), np.array([exclude]), reroute, legacy_ok, rt)
    return int(node[0]), bool(shipped[0])


ALL = [True] * 5


def test_orchestration_ships_from_the_home_store_when_its_shelf_is_deep():
    assert _route(_routing([50, 50, 50, 50, 500], ALL), SHIP) == (0, True)


def test_orchestration_falls_back_to_the_dc_when_nearby_shelves_are_thin():
    assert _route(_routing([2, 2, 2, 2, 500], ALL, walkin=5.0), SHIP) == (4, True)


def test_orchestration_skips_stores_not_live_on_harmonized_routing():
    harm = [False, True, True, True, True]
    assert _route(_routing([50, 50, 50, 50, 500], harm), SHIP)[0] == 1
    legacy_rt = _routing([50, 50, 50, 50, 500], [False] * 4 + [True])
    assert _route(legacy_rt, SHIP)[0] == 4  # no live store: the DC, as the legacy rules


def test_a_legacy_store_keeps_the_orders_the_legacy_rules_send_it():
    harm = [False, True, True, True, True]  # the home store 0 is legacy
    assert _route(_routing([50, 50, 50, 50, 500], harm), SFS) == (0, True)


def test_without_the_platform_the_legacy_rules_route():
    rt = _routing([50, 50, 50, 50, 500], ALL, orchestrated=False)
    assert _route(rt, SHIP) == (4, True)
    assert _route(rt, SFS) == (0, True)
    assert _route(rt, BOPIS, store=2) == (2, False)


def test_a_failed_pickup_goes_to_a_nearby_store_or_is_shipped():
    rt = _routing([50, 50, 50, 50, 500], ALL)
    # Store 2 failed it: store 1 is 10 km away (within reach), collected there.
    assert _route(rt, BOPIS, exclude=2, store=2, reroute=True) == (1, False)
    # Store 3 failed it and every other pickup store is beyond 25 km: shipped instead.
    assert _route(rt, BOPIS, exclude=3, store=3, reroute=True) == (0, True)
    # The legacy rules have nowhere else to send a pickup.
    legacy_rt = _routing([50, 50, 50, 50, 500], ALL, orchestrated=False)
    assert _route(legacy_rt, BOPIS, exclude=2, store=2, reroute=True)[0] == -1


def test_an_automatic_reroute_never_falls_back_to_a_legacy_store():
    harm = [False, False, False, False, True]
    rt = _routing([50, 50, 50, 50, 0], harm)  # the DC failed and has nothing left
    assert _route(rt, SFS, exclude=4, reroute=True, legacy_ok=False)[0] == -1
    rt = _routing([50, 50, 50, 50, 0], harm)
    assert _route(rt, SFS, exclude=4, reroute=True, legacy_ok=True)[0] == 0  # by hand: legacy


def test_orchestration_counts_what_it_gives_away_in_a_batch():
    rt = _routing([3, 0, 0, 0, 0], ALL)  # two units beyond the buffer at the home store
    n = 3
    node = np.full(n, -1, dtype=np.int64)
    shipped = np.zeros(n, dtype=bool)
    route(node, shipped, np.full(n, SHIP), np.zeros(n, np.int64), np.zeros(n, np.int64),
          np.zeros(n, np.int64), np.zeros(n, np.int64), np.arange(n), np.full(n, -1), False,
          True, rt)
    assert node.tolist() == [0, 0, -1]
    assert rt.open_res[0] == 2 and not rt.seen.any()


def test_a_line_rides_free_in_a_parcel_its_order_already_has():
    # Two SKUs. SKU 0 only at the DC; SKU 1 at the DC and deep at the home store, which
    # alone would ship it (7 + 3.5 beats 7 + 6 + 1.2).
    stock = np.array([[0, 50], [0, 0], [0, 0], [0, 0], [500, 500]], dtype=np.int32).reshape(-1)
    rt = _routing([0] * 5, ALL)._replace(
        system=stock, visible=stock.copy(), open_res=np.zeros(10, np.int32),
        reserved_since_sync=np.zeros(10, np.int32), seen=np.zeros(40, np.int32), n_skus=2,
        sku_units=np.ones(2), sku_margin=np.full(2, MARGIN))

    def lines(basket):
        node = np.full(2, -1, dtype=np.int64)
        shipped = np.zeros(2, dtype=bool)
        route(node, shipped, np.full(2, SHIP), np.zeros(2, np.int64), np.zeros(2, np.int64),
              np.zeros(2, np.int64), np.array([0, 1]), np.asarray(basket), np.full(2, -1),
              False, True, rt._replace(open_res=np.zeros(10, np.int32),
                                       reserved_since_sync=np.zeros(10, np.int32)))
        return node.tolist()

    assert lines([0, 1]) == [4, 0]  # two orders: each from its cheapest node
    assert lines([0, 0]) == [4, 4]  # one order: its second line rides in the DC's parcel
