"""The adherence rule: staff in their go-live dip run the new process 1/multiplier of the time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.orders.rules import pick_uniform, report_uniform
from sim.model.rollout.adherence import adhered_factor, followed_at_node, process_followed


@settings(deadline=None)  # the first call compiles the rule
@given(st.floats(0.0, 1.0), st.floats(1.0, 10.0))
def test_the_adhered_factor_lies_between_the_new_and_the_old_process(factor, em):
    got = adhered_factor(factor, em)
    assert min(factor, 1.0) - 1e-12 <= got <= max(factor, 1.0) + 1e-12
    assert adhered_factor(factor, 1.0) == factor  # settled staff: the new process's factor
    # The mean of following or not, transaction by transaction.
    assert got == (1.0 / em) * factor + (1.0 - 1.0 / em)


def test_staff_follow_the_new_process_one_in_multiplier_times():
    u = (np.arange(10_000) + 0.5) / 10_000
    for em in (1.0, 2.0, 4.0):
        share = np.mean([process_followed(True, x, em) for x in u[::10]])
        assert abs(share - 1.0 / em) < 2e-3
    assert not any(process_followed(False, x, 1.0) for x in u[::100])  # no new process: old


def test_dcs_have_no_dip_and_legacy_nodes_never_follow():
    u = np.full(4, 0.9)
    node = np.array([0, 1, 2, 3])  # stores 0-1, DCs 2-3
    em = np.array([3.0, 1.0])
    harmonized = [True, True, True, False]
    got = [followed_at_node(h, x, n, 2, em) for h, x, n in zip(harmonized, u, node, strict=True)]
    assert got == [False, True, True, False]


def test_the_report_uniform_is_even_among_the_picks_that_failed():
    """Failed picks have small pick uniforms; how each is reported must not depend on that."""
    g = np.random.default_rng(5)
    u = g.random(400_000)
    tries = g.integers(0, 3, len(u))
    failed = np.array([pick_uniform(x, t) for x, t in zip(u[:20_000], tries[:20_000],
                                                           strict=True)]) < 0.02
    r = np.array([report_uniform(x, t) for x, t in zip(u[:20_000][failed],
                                                       tries[:20_000][failed], strict=True)])
    assert failed.sum() > 300
    hist = np.histogram(r, bins=4, range=(0, 1))[0]
    expected = failed.sum() / 4
    assert (np.abs(hist - expected) < 4 * np.sqrt(expected)).all(), hist
    whole = np.array([report_uniform(x, t) for x, t in zip(u[:50_000], tries[:50_000],
                                                           strict=True)])
    assert 0.0 <= whole.min() and whole.max() < 1.0
    assert abs(whole.mean() - 0.5) < 0.005
