"""Quantiles from one sort are NumPy's, to the bit (sim.numeric.quantiles)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model.results import QUANTILE_LEVELS
from sim.numeric import quantiles

#: Refund cycles: non-negative hours, many ties (batches, censoring at the horizon).
samples = arrays(np.float64, st.integers(1, 400),
                 elements=st.one_of(st.floats(0.0, 1e4, allow_nan=False),
                                    st.sampled_from([0.0, 0.1, 24.0, 1e4])))
levels = st.one_of(st.just(QUANTILE_LEVELS),
                   arrays(np.float64, st.integers(1, 20), elements=st.floats(0.0, 1.0)))


@settings(max_examples=300, deadline=None)
@given(samples, levels)
def test_quantiles_from_one_sort_are_numpys_bits(values, q):
    expected = np.quantile(values, q)
    got = quantiles(values, q)
    assert got.view(np.int64).tolist() == np.asarray(expected).view(np.int64).tolist()


def test_the_ends_and_a_single_sample():
    x = np.array([5.0, 1.0, 3.0])
    assert quantiles(x, np.array([0.0, 0.5, 1.0])).tolist() == [1.0, 3.0, 5.0]
    assert quantiles(np.array([2.5]), QUANTILE_LEVELS).tolist() == [2.5] * 101
    # Not reordered in place: the caller's samples keep their order (they are keyed by week).
    assert x.tolist() == [5.0, 1.0, 3.0]
