"""Time a paired comparison: 4 plans x N replications on 2 worker processes (DESIGN §10).

Runs :func:`sim.compare.compare` on ``baseline_legacy``, ``pilot_then_waves``,
``returns_first`` and ``big_bang`` with ``workers=2`` (a local process pool) and prints the
wall time, the time per replication and a projection to the DESIGN target
(4 plans x 100 replications of a 600-store year in at most 10 minutes on 2 cores).

The default is small (N = 2, 600 stores, 52 weeks: 8 replications, a few minutes at today's
speed); ``-n 100`` runs the real target.

Usage::

    /work/venv/bin/python benchmarks/bench_compare.py                    # N = 2
    /work/venv/bin/python benchmarks/bench_compare.py -n 100             # the target
    /work/venv/bin/python benchmarks/bench_compare.py -n 4 --stores 60 --weeks 8
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_replication import ROOT, bench_scenario, code_under_test  # noqa: E402

PLANS = ("baseline_legacy", "pilot_then_waves", "returns_first", "big_bang")
TARGET_SECONDS = 600.0
HOLD = 0.5  # seconds each warm-up task holds its worker (so every worker starts)


def _warm_up() -> None:
    import sim.model.engine  # noqa: F401

    time.sleep(HOLD)


def pool_startup(workers: int) -> float:
    """Seconds to start a ``spawn`` pool of ``workers`` processes that have imported ``sim``.

    :func:`sim.experiment.run` starts one such pool per plan, a fixed cost per plan that a
    small benchmark must not extrapolate as if it were per replication.
    """
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as ex:
        for f in [ex.submit(_warm_up) for _ in range(workers)]:
            f.result()
    return max(time.perf_counter() - t0 - HOLD, 0.0)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    from sim.compare import compare

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--stores", type=int, default=None, help="store subset (default: all 600)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    scenarios = [bench_scenario(ROOT / "scenarios" / f"{p}.toml", a.weeks, a.stores)
                 for p in PLANS]
    n_runs = len(PLANS) * a.replications
    print(f"{len(PLANS)} plans x {a.replications} replications, {a.weeks} weeks, "
          f"{a.stores or 'all'} stores, {a.workers} workers; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print(code_under_test(), flush=True)
    done: list[float] = []
    t0 = time.perf_counter()

    def progress(plan: int, rep: int) -> None:
        done.append(time.perf_counter() - t0)
        print(f"  {len(done):>4}/{n_runs}  {PLANS[plan]:<17} rep {rep:<4} "
              f"{done[-1]:8.1f} s", flush=True)

    cmp = compare(scenarios, a.replications, a.seed, workers=a.workers, on_replication=progress)
    wall = time.perf_counter() - t0
    startup = pool_startup(a.workers) if a.workers > 1 else 0.0
    fixed = startup * len(PLANS)
    per_rep = max(wall - fixed, 0.0) / n_runs
    print(f"\nwall time: {wall:.1f} s for {n_runs} replications, of which ~{fixed:.1f} s is "
          f"starting a {a.workers}-process pool per plan ({startup:.1f} s each, measured "
          f"separately); {per_rep:.2f} s per replication beyond that "
          f"({per_rep * a.workers:.2f} s per replication per worker)")
    full = fixed + per_rep * len(PLANS) * 100 * (52 / a.weeks)
    print(f"projected 4 plans x 100 replications x 52 weeks at this network size: {full:.0f} s "
          f"({full / 60:.1f} min; target <= {TARGET_SECONDS / 60:.0f} min at 600 stores"
          + ("" if a.weeks >= 52 else "; linear in weeks, so short runs from the low season "
             "underestimate") + ")")
    print("\nranking (mean total_risk_cost):")
    print(cmp.ranking.to_string(index=False))


if __name__ == "__main__":
    main()
