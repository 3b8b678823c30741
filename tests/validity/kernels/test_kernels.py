"""The compiled helpers give exactly what the NumPy expressions they replace give.

The engine's outputs are reproducible bit for bit only if these hold: a guide-table search must
land on the same index as ``searchsorted`` for every draw, a tally must sum in the same order
as ``bincount``, the pick queue must hand orders back in the order they were queued.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model.orders.kernels import ORDER
from sim.model.orders.pick_queue import PickQueue, select
from sim.model.orders.rules import nearest_k
from sim.model.plumbing.grouping import cells_by_key, group_parts, running_sum
from sim.model.plumbing.jit import (
    MODEL_DIR,
    drop_stale_builds,
    guide_table,
    model_cache_dirs,
    scatter_add,
    search_right,
)
from sim.model.plumbing.sorting import counting_sort, stable_argsort
from sim.model.recorder import Recorder
from sim.numeric import ssum

weights = arrays(np.float64, st.integers(1, 300),
                 elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e6)))


@settings(max_examples=200, deadline=None)
@given(weights, st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=50))
def test_guided_search_is_searchsorted(w, us):
    cdf = np.cumsum(w)
    total = float(cdf[-1])
    if total <= 0:
        return
    guide = guide_table(cdf, total)
    for u in us + [0.0, np.nextafter(1.0, 0.0)]:
        x = u * total
        assert search_right(cdf, guide, x, total) == np.searchsorted(cdf, x, side="right")


def test_guided_search_at_bucket_edges_and_flat_runs():
    # Zero weights make flat runs in the CDF (closed stores); edges are where rounding bites.
    cdf = np.cumsum(np.array([0.0, 1.0, 0.0, 0.0, 3.0, 1e-9, 2.0, 0.0]))
    total = float(cdf[-1])
    guide = guide_table(cdf, total)
    xs = np.concatenate([cdf, np.nextafter(cdf, 0.0), np.nextafter(cdf, np.inf),
                         np.linspace(0.0, total, 4097)])
    for x in xs[(xs >= 0) & (xs <= total)]:
        assert search_right(cdf, guide, x, total) == np.searchsorted(cdf, x, side="right")


@settings(deadline=None)  # the first example loads the compiled kernel
@given(arrays(np.int64, st.integers(0, 200), elements=st.integers(0, 19)))
def test_scatter_add_is_add_at(cells):
    values = np.arange(len(cells), dtype=np.int64) % 7 - 3
    a = np.zeros(20, dtype=np.int32)
    b = np.zeros(20, dtype=np.int32)
    scatter_add(a, cells, values, -1)
    np.add.at(b, cells, -values)
    assert np.array_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 200),
              elements=st.one_of(st.sampled_from([0.0, 1.5, -2.0, 7.25]),
                                 st.floats(-1e6, 1e6))))
def test_stable_argsort_is_numpys_stable_argsort(keys):
    """Ties (drawn often) keep their order, as the DC bench queue needs (bit-identical runs)."""
    assert stable_argsort(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@settings(deadline=None)
@given(arrays(np.int64, st.integers(0, 300), elements=st.integers(0, 9)),
       st.integers(0, 2**32 - 1))
def test_group_keeps_row_order_and_sums_like_the_running_sum(keys, seed):
    values = np.random.default_rng(seed).random(len(keys)) * 100
    grouped, bounds, sums = group_parts((keys,), (values,), 10)
    for g in range(10):
        mine = values[keys == g]
        assert np.array_equal(grouped[bounds[g]:bounds[g + 1]], mine)
        assert sums[g] == (np.cumsum(mine)[-1] if len(mine) else 0.0)



@settings(deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_grouping_parts_is_grouping_their_join(sizes, seed):
    # The refund samples stay in one part per channel pair; grouping and summing the parts
    # must give the bits the joined array would.
    rng = np.random.default_rng(seed)
    keys = tuple(rng.integers(0, 7, n).astype(np.int32) for n in sizes)
    values = tuple(rng.random(n) * 300 for n in sizes)
    joined = group_parts((np.concatenate(keys),), (np.concatenate(values),), 7)
    for mine, want in zip(group_parts(keys, values, 7), joined, strict=True):
        assert np.array_equal(mine, want)
    assert running_sum(values) == ssum(np.concatenate(values))

def test_recorder_tallies_match_bincount_bits():
    rng = np.random.default_rng(3)
    weeks = rng.integers(-2, 12, 5000)
    regions = rng.integers(0, 4, 5000)
    values = rng.random(5000) * 1e3
    rec = Recorder(10, 4)
    rec.add_at("reroute_cost", weeks, regions, values)
    flat = np.clip(weeks, 0, 9) * 4 + regions
    want = np.bincount(flat, weights=values, minlength=40).reshape(10, 4)
    assert np.array_equal(rec.counts("reroute_cost"), want)
    rec.add("margin_leakage", 3, regions, values)
    assert np.array_equal(rec.counts("margin_leakage")[3],
                          np.bincount(regions, weights=values, minlength=4))
    # A second batch is tallied from zero, then added: a running sum would differ in its bits.
    more = rng.random(5000) * 1e3
    rec.add_at("reroute_cost", weeks, regions, more)
    again = np.bincount(flat, weights=more, minlength=40).reshape(10, 4)
    assert np.array_equal(rec.counts("reroute_cost"), want + again)


def test_a_row_block_adds_what_a_row_per_counter_adds():
    rng = np.random.default_rng(4)
    names = ("ecommerce_orders", "sync_latency_sum", "split_parcels")
    by_row, by_block = Recorder(6, 3), Recorder(6, 3)
    block = by_block.row_block(names)
    for week in rng.integers(0, 6, 40).tolist():
        rows = rng.random((3, 3)) * 100
        for name, row in zip(names, rows, strict=True):
            by_row.add_row(name, week, row)
        by_block.add_rows(block, week, rows)
    by_block.add_at("split_parcels", np.array([2, 9]), np.array([1]))  # the same counters
    by_row.add_at("split_parcels", np.array([2, 9]), np.array([1]))
    for name in names:
        assert np.array_equal(by_block.counts(name), by_row.counts(name)), name
    with pytest.raises(ValueError, match="before its row block"):
        by_row.row_block(names)
    with pytest.raises(ValueError, match="named twice"):
        Recorder(2, 2).row_block(("ecommerce_orders", "ecommerce_orders"))


def test_recording_or_reading_an_undeclared_counter_raises():
    rec = Recorder(4, 2)
    with pytest.raises(KeyError, match="not declared"):
        rec.add("reroute_costs", 0, 1)
    with pytest.raises(KeyError, match="not declared"):
        rec.counts("ecommerce_order")
    with pytest.raises(KeyError, match="not declared"):
        rec.sample("refund_cycle_hours", np.zeros(1), np.zeros(1), np.ones(1))


def test_pick_queue_returns_orders_due_in_queue_order():
    q = PickQueue(ORDER)
    rng = np.random.default_rng(5)
    expected: dict[int, list[int]] = {}
    serial = 0
    for hour in range(200):
        n = int(rng.integers(0, 30))
        b = np.zeros(n, dtype=ORDER)
        b["sku"] = np.arange(serial, serial + n)
        # Batches of one due hour too (the picks a closed store puts off), as an int or not.
        due = hour + 1 + rng.integers(0, 6, n) if hour % 3 else np.full(n, hour + 2)
        for s, d in zip(b["sku"].tolist(), due.tolist(), strict=True):
            expected.setdefault(d, []).append(s)
        serial += n
        q.push(b, int(due[0]) if hour % 6 == 0 and n else due)
        got = q.pop(hour)
        assert got.dtype == ORDER
        assert got["sku"].tolist() == expected.pop(hour, [])
        got["sku"] = -1  # the picks write to their batch: no other hour's orders change
    assert len(q) == sum(len(v) for v in expected.values())


@settings(deadline=None)
@given(st.lists(st.integers(3, 9), max_size=200), st.integers(0, 3))
def test_counting_sort_is_a_stable_sort_split_by_key(days, floor):
    day = np.maximum(np.array(days, dtype=np.int64), floor)
    pos, bounds = counting_sort(day, floor)
    order = np.argsort(day, kind="stable")
    assert np.array_equal(pos[order], np.arange(len(day)))
    want = [(d, int(np.searchsorted(day[order], d)), int(np.searchsorted(day[order], d, "right")))
            for d in np.unique(day).tolist()]
    assert [tuple(b) for b in bounds.tolist()] == want


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_cells_by_key_is_nonzero_of_each_key(n_keys, rows, cols, seed):
    keys = np.random.default_rng(seed).integers(0, n_keys, (rows, cols))
    cells = cells_by_key(keys, n_keys + 1)  # a key no cell has gives no cells
    assert len(cells) == n_keys + 1
    for k, (r, c) in enumerate(cells):
        want_r, want_c = np.nonzero(keys == k)
        assert r.tolist() == want_r.tolist() and c.tolist() == want_c.tolist()


def test_select_is_fancy_indexing():
    b = np.zeros(50, dtype=ORDER)
    b["sku"] = np.arange(50)
    b["pick_at"] = np.linspace(0, 1, 50)
    mask = np.arange(50) % 3 == 1
    assert select(b, mask).tobytes() == b[mask].tobytes()
    idx = np.array([4, 2, 2, 40])
    assert select(b, idx).tobytes() == b[idx].tobytes()


@settings(deadline=None)
@given(st.integers(1, 30), st.integers(1, 40), st.integers(1, 10), st.integers(0, 2**32 - 1),
       st.booleans())
def test_nearest_k_is_the_stable_argsort_prefix(rows, cols, k, seed, ties):
    rng = np.random.default_rng(seed)
    # Integer distances make ties at the k-th place common; floats make them rare.
    d = rng.integers(0, 5, (rows, cols)).astype(float) if ties else rng.random((rows, cols))
    assert np.array_equal(nearest_k(d, k), np.argsort(d, axis=1, kind="stable")[:, :k])


def test_cached_builds_are_dropped_when_a_model_source_changes(tmp_path):
    # A build of a kernel inlines helpers from other files; numba would reuse it after such a
    # helper changed. The stamp is the digest of every source under sim/model.
    cache = tmp_path / "cache"
    cache.mkdir()
    builds = [cache / "demand._sell_hour-120.py311.1.nbc", cache / "demand.nbi"]
    for b in builds:
        b.write_bytes(b"old build")
    (cache / "sources.sha256").write_text("digest of older sources")
    assert drop_stale_builds([cache])
    assert not any(b.exists() for b in builds)
    builds[0].write_bytes(b"build of the current sources")
    assert not drop_stale_builds([cache])
    assert builds[0].exists()


def test_an_edit_in_a_nested_model_folder_drops_every_build(tmp_path):
    model = tmp_path / "model"
    (model / "orders").mkdir(parents=True)
    (model / "engine.py").write_text("x = 1\n")
    nested = model / "orders" / "kernels.py"
    nested.write_text("y = 2\n")
    caches = [tmp_path / "c1", tmp_path / "c2"]
    drop_stale_builds(caches, root=model)  # stamps the current sources
    for c in caches:
        (c / "kernels.route-1.py311.1.nbc").write_bytes(b"build")
    assert not drop_stale_builds(caches, root=model)
    nested.write_text("y = 3\n")
    assert drop_stale_builds(caches, root=model)
    assert not any(list(c.glob("*.nbc")) for c in caches)


def test_every_model_subpackage_has_a_cache_folder():
    folders = {p.parent for p in MODEL_DIR.rglob("*.py")}
    assert len(model_cache_dirs()) == len(folders) > 5
