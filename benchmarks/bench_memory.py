"""Memory of one process over many replications (issue 18: 1 GiB per worker, however many).

Runs N replications of a scenario in this one process through :func:`sim.run` (the path a
local worker or an in-process run takes: each replication simulated, its tables kept for the
result) and prints, after each replication, the process's current resident set (from
``/proc/self/statm``) and its peak so far (``ru_maxrss``), then the final assembly's.

Usage::

    python benchmarks/bench_memory.py                       # 600 stores, 10 replications
    python benchmarks/bench_memory.py --stores 60 -n 10
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent
PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mib() -> float:
    """The process's resident set now (MiB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_MIB


def peak_mib() -> float:
    """The process's peak resident set so far (MiB; ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    """Run and print the RSS after each replication."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "pilot_then_waves.toml"))
    ap.add_argument("--stores", type=int, default=None, help="default: all 600")
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    over = {"network.stores": a.stores} if a.stores else {}
    sc = sim.load_scenario(a.scenario, over)
    print(f"{sc.name}, {a.stores or 'all'} stores, {a.n} replications in one process; "
          f"RSS before: {rss_mib():.0f} MiB")
    t0 = time.perf_counter()

    def after(rep: int) -> None:
        print(f"  after replication {rep + 1:3d}: RSS {rss_mib():7.0f} MiB, peak "
              f"{peak_mib():7.0f} MiB, {time.perf_counter() - t0:6.1f} s", flush=True)

    res = sim.run(sc, a.n, a.seed, on_replication=after)
    print(f"  assembled {res.n} replications: RSS {rss_mib():.0f} MiB, peak {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
