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


@njit
def _two_kinds_hinted(ints, floats):
    prefetch(ints, 0)
    prefetch(floats, 0)
    prefetch_span(ints, 0, len(ints))
    prefetch_span(floats, 0, len(floats))
    return ints.sum() + floats.sum()


def test_one_kernel_hints_arrays_of_different_element_types():
    """A kernel prefetching an int32 and a float64 array compiles (one declaration of the
    hint serves every element type) and reads the same values."""
    ints, floats = np.arange(40, dtype=np.int32), np.linspace(0.0, 1.0, 70)
    assert _two_kinds_hinted(ints, floats) == ints.sum() + floats.sum()


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
