"""Orchestrated routing and the go-live dip at the pick move the order metrics as claimed (§5.2).

docs/model_validity.md, Checks: each test runs both sides under the same seeds (common random
numbers) on 30 stores x 6 weeks (``small_runs.scenario``), with a stated margin:

* central routing harmonized and every store live: ship-from-store stays in use and automatic
  reroutes replace the manual ones; failed pickups are rerouted (to a nearby store or to a
  delivery), which the legacy rules never do;
* a 5 % pilot live with the central platform still legacy routes exactly as legacy; with the
  platform harmonized it moves reroutes and oversell only a little of the way to all-live;
* a store whose staff are in their go-live dip (``error_multiplier`` 3 and the work slowdown
  it implies) fails more picks and has fewer pickups ready on time.

The adoption flags and the dip multiplier are set directly on the world before every orders
step (the rollout maintains them in a plan; here the claim is about the orders mechanism).
"""

from __future__ import annotations

import numpy as np
from small_runs import scenario, shared_cache

from sim.model.engine import Simulation
from sim.model.orders.rules import BOPIS
from sim.model.rollout.rules import work_slowdown

SEEDS = (1, 2, 3)
AREA = "fulfillment_routing"


def run(seed: int, live: np.ndarray | None = None, central: bool = False,
        multiplier: dict[int, float] | None = None, **kw) -> dict:
    """One replication with routing adopted at ``live`` stores and, if ``central``, the platform.

    Returns the metrics (``m``), the metrics by region (``region``) and the pickup reroutes
    seen (``moved``: to another store, to a delivery). ``kw`` goes to ``small_runs.scenario``.
    """
    s = Simulation(scenario(**kw), seed)
    w, orders = s.world, s.orders
    flags = np.zeros(w.n_nodes, dtype=bool)
    if live is not None:
        flags[: w.n_stores] = live
    flags[w.n_stores:] = central
    step, reroute = orders.step, orders._reroute_lines
    moved = {"store": 0, "delivery": 0}

    def forced_step(hour: int) -> None:
        w.harmonized[AREA][:] = flags
        for store, m in (multiplier or {}).items():
            # The dip as the rollout sets it: more errors and slower work (picks included).
            w.error_multiplier[store] = m
            w.work_slowdown[store] = work_slowdown(np.array(m), w.params[
                "dip_handling_elasticity"])
        step(hour)

    def spy_reroute(*args):
        g, converted = reroute(*args)
        # Moved lines still pickups went to another pickup store; the others now delivered.
        moved["store"] += int((g["method"] == BOPIS).sum())
        moved["delivery"] += int(converted.sum())
        return g, converted

    orders.step, orders._reroute_lines = forced_step, spy_reroute
    res = s.run()
    return {"m": res.metrics, "region": res.by_region, "moved": moved,
            "store_fails": s.rec.by_store("store_pick_failures").sum(axis=0)}


PILOT = np.zeros(30, dtype=bool)
PILOT[:2] = True  # 2 of 30 stores (~5 %)


@shared_cache
def plan(seed: int, name: str) -> dict:
    """The runs several tests compare, made once per seed."""
    if name == "legacy":
        return run(seed)
    if name == "all live":
        return run(seed, live=np.ones(30, dtype=bool), central=True)
    if name == "pilot, central legacy":
        return run(seed, live=PILOT, central=False)
    if name == "pilot, central harmonized":
        return run(seed, live=PILOT, central=True)
    raise KeyError(name)


def test_orchestration_keeps_ship_from_store_and_reroutes_automatically():
    for seed in SEEDS:
        lm, om = plan(seed, "legacy")["m"], plan(seed, "all live")["m"]
        # Pickups alone are ~18 % of orders: a floor of 25 % means stores still ship.
        assert om["store_fulfilled_share"] >= 0.25, (seed, om["store_fulfilled_share"])
        assert lm["exceptions.manual_reroute"] + lm["exceptions.pickup_failure"] > 20
        assert om["exceptions.manual_reroute"] + om["exceptions.pickup_failure"] == 0
        assert om["auto_reroute_orders"] == om["reroute_orders"] > 0
        assert lm["auto_reroute_orders"] == 0
        # Rerouted at once rather than after a queue: fewer cancelled orders.
        assert om["order_fallout_rate"] < 0.8 * lm["order_fallout_rate"], seed


def test_failed_pickups_are_rerouted_when_orchestrated():
    for seed in SEEDS:
        assert plan(seed, "legacy")["moved"] == {"store": 0, "delivery": 0}  # no legacy rule
        moved = plan(seed, "all live")["moved"]
        assert moved["store"] + moved["delivery"] >= 3, seed
    # Stores of this small network are far apart: with a longer reach, some pickups move to
    # another store instead of being shipped.
    far = run(SEEDS[0], live=np.ones(30, dtype=bool), central=True,
              parameters={"bopis_reroute_max_km": 500.0})
    assert far["moved"]["store"] > 0


def _way(name: str, metric: str) -> float:
    """Mean over seeds of how far a run moved ``metric`` from legacy towards all-live."""
    out = []
    for seed in SEEDS:
        lo, mid, hi = (plan(seed, n)["m"][metric] for n in ("legacy", name, "all live"))
        out.append(abs(mid - lo) / max(abs(hi - lo), 1e-9))
    return float(np.mean(out))


def test_a_pilot_moves_little_until_the_platform_is_harmonized():
    for seed in SEEDS:
        legacy, quiet = plan(seed, "legacy")["m"], plan(seed, "pilot, central legacy")["m"]
        for k in ("reroute_orders", "oversell_orders", "order_fallout_rate",
                  "store_fulfilled_share", "pick_failures"):
            assert quiet[k] == legacy[k], (seed, k)
    # With the platform harmonized, the pilot stores' share of the change stays small.
    assert _way("pilot, central harmonized", "auto_reroute_orders") < 0.15
    assert _way("pilot, central harmonized", "reroute_orders") < 0.15
    assert _way("pilot, central harmonized", "order_fallout_rate") < 0.15
    # Oversell differs little between legacy and all-live at this scale (measured 92-94
    # against 97-103 orders: ship-from-store takes more orders from store shelves), so "how
    # far along" is noise; the pilot must leave it within 10 % of legacy instead.
    for seed in SEEDS:
        lo = plan(seed, "legacy")["m"]["oversell_orders"]
        mid = plan(seed, "pilot, central harmonized")["m"]["oversell_orders"]
        assert abs(mid - lo) <= 0.1 * lo, (seed, lo, mid)


def test_a_store_in_its_dip_fails_more_picks_and_has_fewer_pickups_ready():
    base_fail = dip_fail = 0.0
    for seed in SEEDS:
        base = plan(seed, "legacy")
        stores = np.flatnonzero(Simulation(scenario(), seed).world.store_region == 0)
        dip = run(seed, multiplier={int(s): 3.0 for s in stores})
        r0, d0 = base["region"].iloc[0], dip["region"].iloc[0]
        assert r0["region"] == d0["region"]
        assert d0["pick_failures"] > r0["pick_failures"], seed
        assert d0["pickup_ready_rate"] <= r0["pickup_ready_rate"] - 0.1, seed
        base_fail += r0["pick_failures"]
        dip_fail += d0["pick_failures"]
        # The per-store count (what a wave's dip table reads) sees it at the dip stores only,
        # and agrees with the regional total.
        mine = np.zeros(30, dtype=bool)
        mine[stores] = True
        assert dip["store_fails"][mine].sum() > base["store_fails"][mine].sum(), seed
        assert dip["store_fails"][~mine].sum() <= 1.1 * base["store_fails"][~mine].sum() + 3
        assert base["store_fails"].sum() == base["m"]["pick_failures"]
    assert dip_fail >= 1.3 * base_fail, (base_fail, dip_fail)


def test_staff_in_their_dip_phone_some_failed_picks_through_the_old_way():
    """Every store live and orchestrated; region 0's staff in their dip (multiplier 3).

    Settled staff let the platform reroute every failed pick; staff in their dip follow the new
    flow for 1/3 of them and phone the other 2/3 through to a person (a manual exception), so
    the structural gain of orchestration arrives as the store settles.
    """
    manual = dip_fails = 0
    for seed in SEEDS:
        settled = plan(seed, "all live")["m"]
        assert settled["exceptions.manual_reroute"] + settled["exceptions.pickup_failure"] == 0
        stores = np.flatnonzero(Simulation(scenario(), seed).world.store_region == 0)
        dip = run(seed, live=np.ones(30, dtype=bool), central=True,
                  multiplier={int(s): 3.0 for s in stores})
        manual += dip["m"]["exceptions.manual_reroute"] + dip["m"]["exceptions.pickup_failure"]
        mine = np.zeros(30, dtype=bool)
        mine[stores] = True
        dip_fails += dip["store_fails"][mine].sum()
    # Measured 20 manual of 31 failed picks at the dip stores (2/3 expected, less the orders
    # that gave up after their last attempt); the bounds are 2/3 within about two standard
    # deviations of a binomial share of ~30, far from 0 (no dip rule) and 1 (every one manual).
    assert dip_fails >= 20 and 0.45 * dip_fails <= manual <= 0.85 * dip_fails, (
        manual, dip_fails)


@shared_cache
def lines_run(seed: int, mean: float) -> dict:
    """Every store and the platform live, with ``mean`` lines per online order."""
    return run(seed, live=np.ones(30, dtype=bool), central=True,
               parameters={"order_lines_mean": mean})["m"]


def test_orders_of_one_line_are_never_split():
    m = lines_run(SEEDS[0], 1.0)
    assert m["split_parcels"] == 0
    assert m["customer_orders"] == m["ecommerce_orders"]


def test_orders_of_more_lines_split_and_their_reroutes_cost_more():
    dearer = []
    for seed in SEEDS:
        one, three = lines_run(seed, 1.0), lines_run(seed, 3.0)
        # The same online units, in fewer, larger orders (the lines of 6,700 orders of 3
        # vary by ~1.5 %; measured within 3.8 %), in fewer parcels (measured 52-53 %).
        assert abs(three["ecommerce_orders"] / one["ecommerce_orders"] - 1.0) < 0.07, seed
        assert three["fulfillment_cost"] < 0.7 * one["fulfillment_cost"], seed
        assert 2.7 < three["ecommerce_orders"] / three["customer_orders"] < 3.1, seed
        # Orchestration keeps an order's lines together where a node can promise them:
        # splits are a small share of the extra lines (measured 3.6-4.0 %; 12.7-13.4 % when
        # each line is routed as if alone).
        extra_lines = three["ecommerce_orders"] - three["customer_orders"]
        assert 0 < three["split_parcels"] < 0.07 * extra_lines, (seed, three["split_parcels"])
        # A rerouted line whose order's other lines still ship from the failed node needs a
        # parcel of its own (not only the extra distance): reroutes cost more each (measured
        # +13 % to +26 % per seed over seeds 1-8, ~140-170 reroutes a run; +20 % on average).
        per = {k: m["reroute_cost"] / m["reroute_orders"] for k, m in (("1", one), ("3", three))}
        assert per["3"] > 1.05 * per["1"], (seed, per)
        dearer.append(per["3"] / per["1"])
    assert np.mean(dearer) > 1.12, dearer
