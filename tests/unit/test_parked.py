"""Lines waiting for a manual reroute are released once, when their exception is worked.

:meth:`sim.model.orders.parked.Parked.take_worked` (one compiled call an hour) against the
rule in plain Python: a line whose customer's patience ran out before its exception finished
is cancelled (one fallout order in the week it finished, in the customer's region); the
others come back with their finish times and weeks; an id holds a line once; ids of other
kinds are skipped.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.orders.kernels import ORDER
from sim.model.orders.parked import Parked
from sim.model.world import HOURS_PER_WEEK

WEEKS, REGIONS = 4, 3


def _parked(patience: list[float], regions: list[int], ids: list[int], t: float) -> Parked:
    b = np.zeros(len(ids), dtype=ORDER)
    b["patience"], b["region"], b["sku"] = patience, regions, np.arange(len(ids))
    p = Parked(ORDER)
    p.hold(np.array(ids, dtype=np.int64), b, t)
    return p


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 300.0), st.integers(0, REGIONS - 1),
                          st.floats(0.0, 700.0)), min_size=1, max_size=12),
       st.integers(0, 5), st.floats(0.0, 10.0))
def test_worked_lines_come_back_once_and_late_ones_are_fallout(lines, extra_ids, t):
    ids = [3 * i + 1 for i in range(len(lines))]  # other kinds' ids sit between
    p = _parked([x[0] for x in lines], [x[1] for x in lines], ids, t)
    finishes = np.array([t + x[2] for x in lines])
    # Worked in reverse order, with ids that hold no line (other kinds, or never parked).
    exc = np.array(ids[::-1] + [3 * i for i in range(extra_ids)] + [10_000], dtype=np.int64)
    fin = np.r_[finishes[::-1], np.full(extra_ids + 1, t)]
    fallout = np.zeros((WEEKS, REGIONS))
    b, got_fin, weeks = p.take_worked(exc, fin, fallout)

    expected_fallout = np.zeros((WEEKS, REGIONS))
    kept = []
    for j in range(len(lines))[::-1]:
        patience, region, _ = lines[j]
        week = min(int(finishes[j] // HOURS_PER_WEEK), WEEKS - 1)
        if finishes[j] > t + patience:
            expected_fallout[week, region] += 1
        else:
            kept.append((j, finishes[j], week))
    np.testing.assert_array_equal(fallout, expected_fallout)
    assert list(b["sku"]) == [j for j, _, _ in kept]  # in the order worked
    np.testing.assert_array_equal(got_fin, [f for _, f, _ in kept])
    np.testing.assert_array_equal(weeks, [w for _, _, w in kept])

    # Taken once: working the same ids again releases nothing and counts nothing.
    again = np.zeros((WEEKS, REGIONS))
    b2, _, _ = p.take_worked(exc, fin, again)
    assert len(b2) == 0 and not again.any()
