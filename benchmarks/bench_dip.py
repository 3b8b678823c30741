"""Each wave's go-live dip against the same stores and weeks without a go-live (issue 15).

``bench_plans.py`` compares a wave's stores after their go-live with the same stores before it.
For an early wave that "before" is the network's warm-up (cycle counts are still clearing the
initial record errors, so failed picks fall everywhere in the first weeks), which hides or
fakes a dip. Here each replication of the plan is paired with the legacy baseline on the same
seed, and a wave's dip is the difference in differences: its stores' per-store weekly count
under the plan minus under legacy, in the go-live week and the two after, less the same
difference in the three weeks before.

Usage::

    python benchmarks/bench_dip.py                      # pilot_then_waves, 600 stores, 8 seeds
    python benchmarks/bench_dip.py --stores 60 -n 2     # a quick look
    python benchmarks/bench_dip.py --set waves.0.hypercare_staff_per_100_stores=0  # no coaching
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("store_exceptions", "store_pick_failures", "store_pick_misses")


def _counts(name: str, stores: int, seed: int, overrides: tuple[str, ...] = ()
            ) -> tuple[dict[str, np.ndarray], np.ndarray, pd.DataFrame]:
    """Per-store weekly counts of one replication, its stores' waves and its timeline."""
    import sim
    from sim.model.engine import Simulation

    sc = sim.load_scenario(ROOT / "scenarios" / f"{name}.toml",
                           overrides=[f"network.stores={stores}", *overrides])
    s = Simulation(sc, seed)
    res = s.run()
    return ({m: s.rec.by_store(m).copy() for m in MEASURES}, s.world.plan.wave_of_store.copy(),
            res.timeline)


def dip_table(plan: str, stores: int, seeds: list[int], overrides: tuple[str, ...] = ()
              ) -> pd.DataFrame:
    """Per wave and measure: plan and legacy per store-week before and after, and the DiD.

    ``overrides`` (``key=value``, as the CLI's ``--set``) change the plan, not the baseline.
    """
    rows = []
    for seed in seeds:
        got, wave_of, timeline = _counts(plan, stores, seed, overrides)
        base, _, _ = _counts("baseline_legacy", stores, seed)
        waves = timeline[timeline["wave"] >= 0].groupby("wave").first()
        for wave, info in waves.iterrows():
            # The timeline numbers weeks from 1, the recorder's arrays from 0.
            gl = int(info["go_live_week"]) - 1 if not np.isnan(info["go_live_week"]) else -1
            mine = np.flatnonzero(wave_of == wave)
            if gl < 3 or gl + 3 > len(got[MEASURES[0]]) or not len(mine):
                continue
            for m in MEASURES:
                def per(arr, lo, hi, mine=mine):
                    return float(arr[lo:hi, mine].sum()) / ((hi - lo) * len(mine))
                rows.append({"seed": seed, "wave": int(wave), "name": info["wave_name"],
                             "measure": m,
                             "plan_before": per(got[m], gl - 3, gl),
                             "plan_after": per(got[m], gl, gl + 3),
                             "legacy_before": per(base[m], gl - 3, gl),
                             "legacy_after": per(base[m], gl, gl + 3)})
    df = pd.DataFrame(rows)
    out = df.groupby(["wave", "name", "measure"], sort=True).mean(numeric_only=True)
    out = out.drop(columns="seed")
    out["dip"] = (out["plan_after"] - out["legacy_after"]) - (out["plan_before"]
                                                               - out["legacy_before"])
    return out.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default="pilot_then_waves")
    ap.add_argument("--stores", type=int, default=600)
    ap.add_argument("-n", type=int, default=8, help="paired seeds")
    ap.add_argument("--seed", type=int, default=11, help="first seed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override the plan (not the baseline), e.g. "
                         "waves.0.hypercare_staff_per_100_stores=0")
    a = ap.parse_args()
    start = time.perf_counter()
    table = dip_table(a.plan, a.stores, list(range(a.seed, a.seed + a.n)), tuple(a.set))
    pd.set_option("display.width", 200)
    print(f"== Go-live dip of {a.plan} against the paired legacy baseline "
          f"({a.stores} stores, {a.n} seeds; per store-week; weeks -3..-1 and 0..2)"
          + (f" with {', '.join(a.set)}" if a.set else ""))
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
