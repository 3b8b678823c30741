"""The rollout's levers act through mechanisms (issue 15; docs/model_validity.md, Checks).

Each test changes one lever of a small plan (40 stores, the first months of a year) and runs
both sides on three paired seeds (common random numbers); the effect must hold on every seed
and on average by a stated margin:

* the central cutover (DCs and ecommerce) is what makes orders orchestrated and mailed and
  cross-channel refunds harmonized, not a store's go-live (adoption per node);
* a go-live dip follows from state: more process areas changing at a go-live bring more
  cutover defects; hypercare shortens the dip (IT fixes defects sooner, floor walkers coach);
* busier stores get more cutover defects;
* every wave's stores raise more exceptions per store in the three weeks from their go-live
  than in the two before it (the legacy exceptions harmonization removes included), and the
  excess has faded by the end of hypercare.
"""

from __future__ import annotations

import numpy as np
from small_runs import ROOT, shared_run

import sim
from sim.model.desk.taxonomy import KIND
from sim.model.engine import Simulation
from sim.model.world import HOURS_PER_WEEK
from sim.scenario import Central

SEEDS = (21, 22, 23)
SLICE = ["network.stores=40", "network.skus=60", "horizon_weeks=14"]


def big_bang(*extra: str):
    return sim.load_scenario(ROOT / "scenarios" / "big_bang.toml",
                             [*SLICE, "waves.0.go_live_week=4", *extra])


def paired(a, b, metric: str, from_week: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``metric`` of plans ``a`` and ``b`` on each seed (summed over weeks from ``from_week``
    if given, else the horizon value)."""

    def value(sc, seed: int) -> float:
        r = shared_run(sc, seed)  # several tests, and checks, compare the same plans
        if from_week is None:
            return r.metrics[metric]
        return float(r.weekly.loc[r.weekly["week"] >= from_week, metric].sum())

    return (np.array([value(a, s) for s in SEEDS]), np.array([value(b, s) for s in SEEDS]))


def test_central_cutover_not_a_store_go_live_brings_orchestration_and_common_refunds():
    central = big_bang()
    stores_only = central.model_copy(update={"central": Central()})  # no central cutover
    refunds_c, refunds_s = paired(central, stores_only, "refund_cycle_hours_mean")
    # Mailed and BORIS returns need the central systems: refunds stay slower without them.
    assert (refunds_s > 1.3 * refunds_c).all(), (refunds_s, refunds_c)
    rr_c, rr_s = paired(central, stores_only, "exceptions.manual_reroute", from_week=6)
    # Without the ecommerce platform on orchestration, oversold orders wait for a person.
    assert (rr_s > 3 * rr_c + 5).all(), (rr_s, rr_c)


def test_more_areas_changing_at_go_live_bring_more_defects():
    every_area = big_bang()
    harmonized_first = big_bang(*[f"harmonization.{a}.mode=enterprise" for a in (
        "inventory_events", "order_status", "fulfillment_routing", "return_disposition",
        "promotions", "financial_posting")], *[f"harmonization.{a}.from_week=1" for a in (
            "inventory_events", "order_status", "fulfillment_routing", "return_disposition",
            "promotions", "financial_posting")])
    many, few = paired(every_area, harmonized_first, "exceptions.cutover_defect")
    # The system change alone is golive_system_share (0.4) of a full change's defects.
    assert (few < 0.6 * many).all(), (few, many)


def _dip(sc, seed: int) -> dict[str, float]:
    """The dip in the four weeks from the go-live (week 4): what the stores' customers and
    teams see, and how long IT took over the cutover defects (hours from go-live)."""
    s = Simulation(sc, seed)
    r = s.run()
    w = r.weekly.set_index("week").loc[[4, 5, 6, 7]]
    defects = np.flatnonzero(np.asarray(s.desk.kind) == KIND["cutover_defect"])
    return {"fix_hours": float(np.nanmean(s.desk.finish_times(defects))) - 3 * HOURS_PER_WEEK,
            "pickup_ready": float(w["pickup_ready_rate"].mean()),
            "pick_failures": float(w["pick_failures"].sum()),
            "exceptions": float((w["exceptions_total"] - w["exceptions.cutover_defect"]).sum())}


def test_hypercare_shortens_and_softens_the_dip():
    none = big_bang("waves.0.hypercare_staff_per_100_stores=0",
                    "waves.0.hypercare_it_staff_per_100_stores=0")
    double = big_bang("waves.0.hypercare_staff_per_100_stores=6",
                      "waves.0.hypercare_it_staff_per_100_stores=3")
    runs = [(_dip(none, seed), _dip(double, seed)) for seed in SEEDS]
    for a, b in runs:
        # IT fixes the defects sooner with hypercare staff...
        assert b["fix_hours"] < 0.8 * a["fix_hours"], (a, b)
        # ...so the stores' error rates fall back sooner: pickups are ready more often.
        assert b["pickup_ready"] > a["pickup_ready"] + 0.02, (a, b)
    mean = {k: np.mean([[a[k], b[k]] for a, b in runs], axis=0) for k in runs[0][0]}
    # Fewer failed picks and fewer exceptions (cutover defects aside) in the dip, on average.
    assert mean["pick_failures"][1] < 0.95 * mean["pick_failures"][0], mean
    assert mean["exceptions"][1] < 0.95 * mean["exceptions"][0], mean


#: pilot_then_waves in miniature: four waves three weeks apart (the last beyond the horizon),
#: so each wave has two weeks before its go-live and three after inside the run.
WAVES = ["horizon_weeks=15", "waves.0.go_live_week=3", "waves.1.go_live_week=6",
         "waves.2.go_live_week=9", "waves.3.go_live_week=12", "waves.4.go_live_week=15"]


def test_every_wave_shows_its_dip_in_exceptions_and_it_fades_within_hypercare():
    sc = sim.load_scenario(ROOT / "scenarios" / "pilot_then_waves.toml",
                           [*SLICE, *WAVES])
    before, after, late = {}, {}, {}
    for seed in SEEDS:
        tl = sim.run_replication(sc, seed).timeline
        for wave, g in tl[tl["wave"] >= 0].groupby("wave"):
            gl = int(g["go_live_week"].iloc[0])
            per_store = g.set_index("week")["store_exceptions"] / g["stores"].iloc[0]
            if gl + 2 > 15:
                continue
            before[wave] = before.get(wave, 0.0) + per_store.loc[[gl - 2, gl - 1]].mean()
            after[wave] = after.get(wave, 0.0) + per_store.loc[[gl, gl + 1, gl + 2]].mean()
            if gl + 6 <= 15:  # the end of its six weeks of hypercare
                late[wave] = late.get(wave, 0.0) + per_store.loc[[gl + 5, gl + 6]].mean()
    assert len(after) == 4, after
    for wave in after:
        assert after[wave] > 1.1 * before[wave], (wave, before, after)
    for wave in late:
        assert late[wave] < 0.8 * after[wave], (wave, after, late)


def test_busier_stores_get_more_cutover_defects():
    sc = big_bang()
    per_class = {c: 0.0 for c in "ABC"}
    count = {c: 0 for c in "ABC"}
    for seed in SEEDS:
        s = Simulation(sc, seed)
        s.run()
        stores = np.asarray(s.desk.store)[np.asarray(s.desk.kind) == KIND["cutover_defect"]]
        stores = stores[stores >= 0]
        classes = s.world.plan.stores["volume_class"].to_numpy()
        for c in "ABC":
            per_class[c] += np.isin(stores, np.flatnonzero(classes == c)).sum()
            count[c] += int((classes == c).sum())
    rate = {c: per_class[c] / count[c] for c in "ABC"}
    assert rate["A"] > 1.3 * rate["B"] > 1.3 * 1.3 * rate["C"], rate
