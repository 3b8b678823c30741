"""Is a small slice a miniature of the 600-store network? (issue 16, "faithful slices").

Runs one shipped plan on a slice (``--stores``, default 30) and on the whole network under the
same seeds, and prints per exception type the exceptions per store over the year, and per team
its utilization (handling hours over staff-hours on duty, hypercare and surges included), with
the slice's ratio to the full network and a mark where they differ by more than ``--tol``.

A slice keeps the plan's shares (a wave's ``count`` is of the whole network, the pilot's
learning counts for the full network), so per-store loads should match; its default-staffed
teams are the whole network's, serving stand-ins for the stores it leaves out
(:mod:`sim.model.desk.stand_ins`), so utilizations and the waits of the slice's own items
(printed too, with the SLA rate, feed outages, fallout and close delay) should match as well.

Usage::

    python benchmarks/bench_slice.py                          # pilot_then_waves, 30 vs 600
    python benchmarks/bench_slice.py --plan big_bang --stores 60 --seeds 1,2
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.metrics import EXCEPTION_TYPES
from sim.model.desk.outcomes import own_items
from sim.model.engine import Simulation

ROOT = Path(__file__).resolve().parents[1]


def measure(plan: str, stores: int, seed: int) -> dict[str, float]:
    """Exceptions per store by type and utilization per team, one replication."""
    sc = sim.load_scenario(ROOT / "scenarios" / f"{plan}.toml", [f"network.stores={stores}"])
    s = Simulation(sc, seed)
    r = s.run()
    hours = sc.horizon_weeks * 168
    out = {f"per store: {t}": r.metrics[f"exceptions.{t}"] / stores for t in EXCEPTION_TYPES}
    for name, team in s.desk.teams.items():
        res = team.results()  # stand-ins included: the team's whole work
        out[f"utilization: {name}"] = float(res["handling"].sum()
                                            / max(team.staff_by_hour[:hours].sum(), 1))
    for name, team in s.desk.teams.items():
        res = own_items(team.results())  # the slice's own items wait as the network's
        started = ~np.isnan(res["start"])
        out[f"mean wait h: {name}"] = float(np.mean(res["start"][started]
                                                    - res["arrival"][started]))
    for m in ("exception_sla_met_rate", "sync_outage_mean_hours", "order_fallout_rate",
              "close_delay_days_per_close"):
        out[m] = float(r.metrics[m])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default="pilot_then_waves")
    ap.add_argument("--stores", type=int, default=30)
    ap.add_argument("--full", type=int, default=600)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--tol", type=float, default=0.15)
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",")]
    t0 = time.perf_counter()
    cols = {}
    for n in (a.stores, a.full):
        cols[n] = pd.DataFrame([measure(a.plan, n, s) for s in seeds]).mean()
    df = pd.DataFrame({f"{a.stores} stores": cols[a.stores], f"{a.full} stores": cols[a.full]})
    df["ratio"] = df.iloc[:, 0] / df.iloc[:, 1]
    df["off"] = np.where((df["ratio"] - 1).abs() > a.tol, "<--", "")
    print(f"{a.plan}: {a.stores}-store slice vs {a.full} stores, seeds {seeds} "
          f"(load {os.getloadavg()[0]:.1f}, {time.perf_counter() - t0:.0f} s)")
    print(df.to_string(float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
