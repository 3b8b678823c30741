"""DC and integration-layer outages, and disruptions that strike at random (issue 20).

A DC outage stops the DC's picks and its replenishment of stores: orders wait (customers
cancel), store shelves run down. An integration-layer outage stops every batch stock feed:
the channel's views go stale for the window. Random disruptions are drawn per replication
from their own stream, so two plans with one seed meet the same events.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.loader import parse_scenario
from sim.scenario_disruptions import Disruption, realized

ROOT = Path(__file__).resolve().parents[2]
BASE = {"name": "legacy", "network": {"stores": 30, "skus": 60}, "horizon_weeks": 5}
DC_DOWN = {"kind": "dc_outage", "name": "DC fire", "start_week": 3, "days": 4}


def _run(seed: int, *disruptions: dict, **extra):
    return sim.run_replication(parse_scenario({**BASE, **extra,
                                               "disruptions": list(disruptions)}), seed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_dc_outage_makes_orders_wait_and_shelves_run_down(seed):
    a, b = _run(seed), _run(seed, DC_DOWN)
    wa, wb = a.weekly.set_index("week"), b.weekly.set_index("week")
    # Nothing before the outage changes (no draw is added).
    cols = ["lost_sales_units", "oversell_orders", "order_fallout_rate"]
    assert wa.loc[:2, cols].equals(wb.loc[:2, cols])
    # Measured (seeds 1-3, week 3): fallout 0.3-0.7 % -> 1.6-2.5 %, lost sales 329-389 ->
    # 1,298-1,609 units (no deliveries to stores for four days), oversell 15-24 -> 59-73.
    assert wb.loc[3, "order_fallout_rate"] > 2 * wa.loc[3, "order_fallout_rate"]
    assert wb.loc[3, "lost_sales_units"] > 2 * wa.loc[3, "lost_sales_units"]
    # A DC's picks wait for the reopening: an outage over a week's last two days moves the
    # DC's orders of those days into the next week (measured: week 3's fulfilled orders
    # 3,530-3,746 -> 2,951-3,085, the stores' share 39-41 % -> 48-49 %).
    c = _run(seed, {**DC_DOWN, "start_day": 5})
    wc = c.weekly.set_index("week")
    assert wc.loc[3, "online_fulfilled_orders"] < 0.9 * wa.loc[3, "online_fulfilled_orders"]
    assert wc.loc[3, "store_fulfilled_share"] > wa.loc[3, "store_fulfilled_share"] + 0.04


def test_an_integration_outage_leaves_every_batch_view_stale_for_its_window():
    a = _run(4)
    b = _run(4, {"kind": "integration_outage", "start_week": 3, "days": 2})
    wa, wb = a.weekly.set_index("week"), b.weekly.set_index("week")
    assert wa.loc[:2].equals(wb.loc[:2])
    # Every batch-fed node (30 stores and 4 DCs, none real time in the legacy plan) is out
    # for the window's 48 hours, on top of the feeds' own failures.
    out = wb.loc[3, "sync_outage_hours"] - wa.loc[3, "sync_outage_hours"]
    assert out >= 0.9 * 34 * 48
    assert wb.loc[4, "sync_outage_hours"] < wa.loc[4, "sync_outage_hours"] + 34 * 4


def test_random_disruptions_strike_at_their_rate_from_their_own_stream():
    d = Disruption.model_validate({"kind": "store_closure", "rate_per_year": 6, "days": 2})
    counts = [len(realized([d], 52, ["east", "west"], ["DC1"], np.random.default_rng(s)))
              for s in range(400)]
    # Poisson(6) a year: mean 6 (standard error 0.12 over 400 years).
    assert np.mean(counts) == pytest.approx(6, abs=0.4)
    years = [realized([d], 52, ["east", "west"], ["DC1"], np.random.default_rng(s))
             for s in range(50)]
    hit = [e.regions[0] for y in years for e in y]
    assert set(hit) == {"east", "west"}
    assert all(e.start_week is not None and 1 <= e.start_week <= 52 for y in years for e in y)


def test_paired_plans_meet_the_same_random_disruptions():
    storms = {"kind": "store_closure", "rate_per_year": 20, "days": 2}
    hit = []
    for extra in ({}, {"harmonization": {"inventory_events": {"mode": "enterprise",
                                                              "from_week": 1}}}):
        hit.append([_run(seed, storms, **extra).weekly.groupby("week")["closed_store_hours"]
                    .sum().tolist() for seed in (1, 3)])
    legacy, harmonized = hit
    assert legacy == harmonized
    assert legacy[0] != legacy[1] and sum(legacy[0]) > 0
