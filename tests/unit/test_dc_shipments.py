"""Unit tests of a DC's shipments to the stores it reviews (order up to, rationed when short):
:func:`sim.model.inventory.kernels.ship_to_stores`, on random positions (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.inventory.kernels import ship_to_stores
from sim.model.world import STOCK

N_STORES, N_SKUS = 5, 4
DC = N_STORES  # the DC's row, after the stores'


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31 - 1), st.lists(st.integers(0, N_STORES - 1), min_size=1,
                                           max_size=N_STORES, unique=True))
def test_a_dc_ships_each_store_its_need_or_the_same_share_of_it(seed, reviewed) -> None:
    g = np.random.default_rng(seed)
    stores = np.array(reviewed, dtype=np.int64)
    target = g.integers(0, 12, (N_STORES, N_SKUS)).astype(np.int64)
    system = g.integers(0, 10, (N_STORES + 1, N_SKUS)).astype(STOCK)
    physical = g.integers(0, 30, (N_STORES + 1, N_SKUS)).astype(STOCK)
    reserved = g.integers(0, 8, (N_STORES + 1, N_SKUS)).astype(STOCK)
    on_order = g.integers(0, 4, (N_STORES + 1, N_SKUS)).astype(np.int64)
    before = physical.copy(), system.copy(), on_order.copy()
    out = [np.empty(N_STORES * N_SKUS, dtype=np.int64) for _ in range(3)]

    n = ship_to_stores(stores, DC, target, physical, system, reserved, on_order, *out)

    nodes, skus, qty = (a[:n] for a in out)
    shipped = np.zeros((N_STORES + 1, N_SKUS), dtype=np.int64)
    shipped[nodes, skus] = qty
    assert (qty > 0).all()
    # Lines by store in the order reviewed, then by SKU; only reviewed stores get any.
    rank = {s: i for i, s in enumerate(reviewed)}
    keys = [(rank[s], k) for s, k in zip(nodes.tolist(), skus.tolist(), strict=True)]
    assert keys == sorted(set(keys))
    need = np.maximum(target[stores] - (before[1][stores].astype(np.int64)
                                        + before[2][stores]), 0)
    have = np.maximum(before[0][DC].astype(np.int64) - reserved[DC], 0)
    total = need.sum(axis=0)
    for k in range(N_SKUS):
        got = shipped[stores, k]
        if total[k] <= have[k]:  # enough: every store gets its whole need
            assert (got == need[:, k]).all()
        else:  # short: the same share of each store's need, never more than the DC can spare
            assert (got == np.floor(need[:, k] * (have[k] / total[k]))).all()
            assert got.sum() <= have[k]
    # What leaves the DC's shelf and record goes on order at the stores, nothing else moves.
    sent = shipped.sum(axis=0)
    assert (physical[DC] == before[0][DC] - sent).all()
    assert (system[DC] == before[1][DC] - sent).all()
    assert (on_order == before[2] + shipped).all()
    assert (physical[:N_STORES] == before[0][:N_STORES]).all()
    assert (system[:N_STORES] == before[1][:N_STORES]).all()
