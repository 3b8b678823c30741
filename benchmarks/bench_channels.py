"""What each sales channel costs a year: the run with walk-in sales, online orders or both off.

The year's time is mostly the two per-unit channels: every walk-in unit (74 M a year at 600
stores) and every online order line (15 M) is simulated on its own. A cheaper model of one
channel (a store shelf in counts, say) can save at most what the run saves with that channel
switched off altogether, so this prints that bound for each channel before anyone builds one.

Each mode runs ``scenarios/pilot_then_waves.toml`` (600 stores, 52 weeks by default) in a
fresh child process, as ``bench_replication.py`` does, with the channel's hourly step made a
no-op: ``StoreDemand.step`` (no walk-in units: no store sales, shrink or their returns) and
``Orders.step`` (no online orders: no promises, picks, reroutes or their returns). The runs
without a channel are not the model: no sales means fewer exceptions, lighter replenishment
and no returns from that channel, so the differences are each channel's whole cost, what
follows from it included. Modes run in rounds (``--repeat``); medians are printed.

Usage::

    python benchmarks/bench_channels.py                  # 600 stores x 52 weeks, 2 rounds
    python benchmarks/bench_channels.py --weeks 8 --stores 60 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_replication import (  # noqa: E402
    TARGET_YEAR_S,
    _in_child,
    add_run_arguments,
    bench_scenario,
    code_under_test,
)

#: Mode -> (walk-in sales on, online orders on).
MODES = {"both channels": (True, True), "no walk-in sales": (False, True),
         "no online orders": (True, False), "neither": (False, False)}


def channel_job(path: str, weeks: int, stores: int | None, seed: int, walkin: bool,
                online: bool) -> dict[str, Any]:
    """One replication with the channels asked for (meant for a fresh child process)."""
    import sim
    from sim.model.demand.sales import StoreDemand
    from sim.model.orders.channel import Orders

    sc = bench_scenario(path, weeks, stores)
    sim.run_replication(bench_scenario(path, 1, 20), seed)  # loads the kernels, off the clock
    if not walkin:
        StoreDemand.step = lambda self, hour: None
    if not online:
        Orders.step = lambda self, hour: None
    t0 = time.perf_counter()
    res = sim.run_replication(sc, seed)
    return {"seconds": time.perf_counter() - t0,
            "store_units": res.extras.get("store_sales_units", float("nan")),
            "online_orders": res.metrics["ecommerce_orders"]}


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(ap)
    ap.add_argument("--repeat", type=int, default=2, help="rounds of every mode")
    a = ap.parse_args(argv)
    print(f"{Path(a.scenario).name}, {a.weeks} weeks, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(code_under_test())
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for _ in range(max(a.repeat, 1)):  # rounds: the machine's drift falls on every mode
        for mode, (walkin, online) in MODES.items():
            runs[mode].append(_in_child(channel_job, a.scenario, a.weeks, a.stores, a.seed,
                                        walkin, online))
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    for mode, rs in runs.items():
        spread = ", ".join(f"{r['seconds']:.2f}" for r in rs)
        print(f"  {mode:17s} {med[mode]:7.2f} s (runs: {spread}); walk-in units sold "
              f"{rs[0]['store_units']:,.0f}, online orders {rs[0]['online_orders']:,.0f}")
    full = med["both channels"]
    print(f"walk-in sales cost up to {full - med['no walk-in sales']:.2f} s, online orders up to "
          f"{full - med['no online orders']:.2f} s, the rest {med['neither']:.2f} s")
    if a.weeks == 52 and a.stores is None:
        print(f"a free walk-in channel would leave {med['no walk-in sales']:.2f} s, a free online "
              f"one {med['no online orders']:.2f} s (target {TARGET_YEAR_S:g} s)")


if __name__ == "__main__":
    main()
