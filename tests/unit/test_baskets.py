"""Orders of several lines: the line-count law, and the parcels reroutes add (DESIGN §5.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.orders.baskets import MAX_LINES, line_counts, mean_lines, reroute_parcels
from sim.model.orders.rules import RouteCosts, reroute_cost, reroute_shipping

C = RouteCosts(ship_parcel=7.0, ship_per_km=0.005, store_pick=3.5, dc_pick=1.2, expedite=8.0,
               rerelease=1.0, risk_realtime=0.065, risk_batch=0.09, risk_scale=9.0,
               bopis_max_km=25.0)


@pytest.mark.parametrize("mean", [1.0, 1.6, 3.0, 8.0])
def test_line_counts_have_the_mean_the_arrival_rate_divides_by(mean):
    rng = np.random.default_rng(5)
    k = line_counts(rng, 400_000, mean)
    assert k.min() >= 1 and k.max() <= MAX_LINES
    se = k.std() / np.sqrt(len(k))
    assert abs(k.mean() - mean_lines(mean)) < 4 * se + 1e-12
    if mean == 1.0:
        assert (k == 1).all()


@given(st.floats(1.0, 20.0))
def test_the_cap_only_shortens_orders(mean):
    assert 1.0 <= mean_lines(mean) <= mean + 1e-9
    assert mean_lines(mean) <= MAX_LINES


def test_which_moved_lines_replace_a_parcel_or_ride():
    # Order 7: one line. Order 8: 2 of its 3 lines moved, to the same node. Order 9: both of
    # its 2 lines moved, to different nodes.
    basket = np.array([7, 8, 8, 9, 9])
    lines = np.array([1, 3, 3, 2, 2])
    new = np.array([4, 4, 4, 0, 1])
    shipped = np.ones(5, dtype=bool)
    replaces, rides = reroute_parcels(basket, lines, new, shipped, n_nodes=5)
    assert replaces.tolist() == [True, False, False, True, False]
    assert rides.tolist() == [False, False, True, False, False]
    # Split shipments: order 8's new parcel (its third line still ships from the old node),
    # order 9's second line.
    assert (shipped & ~rides & ~replaces).tolist() == [False, True, False, False, True]


def test_a_split_line_pays_a_whole_parcel_and_a_riding_line_nothing():
    old, new = np.array([100.0]), np.array([300.0])
    yes, no = np.array([True]), np.array([False])
    whole = reroute_shipping(old, new, yes, yes, C, replaces=no, rides=no)[0]
    assert whole == pytest.approx(7.0 + 1.5)
    instead = reroute_shipping(old, new, yes, yes, C, replaces=yes, rides=no)[0]
    assert instead == pytest.approx(1.0)  # only the extra distance over the old parcel
    assert reroute_shipping(old, new, yes, yes, C, replaces=no, rides=yes)[0] == 0.0
    # A riding line needs no expedite of its own either; an automatic one its re-release.
    assert reroute_cost(old, new, yes, yes, True, C, no, yes)[0] == pytest.approx(1.0)
    assert reroute_cost(old, new, yes, yes, False, C, no, no)[0] == pytest.approx(8.5 + 8.0)


def _parcels_by_numpy(basket, lines, new, shipped, n_nodes):
    """The rule written with numpy (how it was computed before it was compiled)."""
    first_of_order = np.r_[True, basket[1:] != basket[:-1]]
    moved = np.diff(np.r_[np.flatnonzero(first_of_order), len(basket)])
    replaces = (lines == 1) | ((np.repeat(moved, moved) == lines) & first_of_order)
    rides = np.zeros(len(basket), dtype=bool)
    if shipped.any():
        idx = np.flatnonzero(shipped)
        _, first = np.unique((basket * n_nodes + new)[idx], return_index=True)
        rides[idx] = True
        rides[idx[first]] = False
    return replaces, rides


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.integers(0, 4),
                          st.booleans()), min_size=1, max_size=40))
def test_compiled_parcels_are_the_numpy_rule(rows):
    """Orders drawn from few ids, so an order's lines meet adjacent and apart."""
    basket, lines, new, shipped = (np.array(c) for c in zip(*rows, strict=True))
    shipped = shipped.astype(bool)
    got = reroute_parcels(basket, lines, new, shipped, n_nodes=5)
    want = _parcels_by_numpy(basket, lines, new, shipped, 5)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
