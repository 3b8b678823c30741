"""The prefetch hints compile for each array the kernels pass them and change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from sim.model.plumbing.prefetch import prefetch, prefetch_span


@njit
def _sum_with_hints(arr, lo, hi):
    prefetch_span(arr, lo, hi)
    total = 0.0
    for i in range(lo, hi):
        prefetch(arr, min(i + 8, len(arr) - 1))
        total += arr[i]
    return total


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float64])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_hinted_loop_reads_what_a_plain_one_reads(dtype, data):
    n = data.draw(st.integers(1, 500))
    lo = data.draw(st.integers(0, n - 1))
    hi = data.draw(st.integers(lo + 1, n))
    arr = np.arange(n, dtype=dtype) % 97
    before = arr.copy()
    assert _sum_with_hints(arr, lo, hi) == float(arr[lo:hi].sum())
    np.testing.assert_array_equal(arr, before)
