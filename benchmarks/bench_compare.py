"""Time a paired comparison: 4 plans x N replications on 2 worker processes (DESIGN §10).

Runs :func:`sim.compare.compare` on ``baseline_legacy``, ``pilot_then_waves``,
``returns_first`` and ``big_bang`` with ``workers=2`` (a local process pool) and prints the
wall time, the time per replication and a projection to the DESIGN target
(4 plans x 100 replications of a 600-store year in at most 10 minutes on 2 cores).

The default is small (N = 2, 600 stores, 52 weeks: 8 replications, a few minutes at today's
speed); ``-n 100`` runs the real target. It also prints how many workers of this speed the
target needs. With ``--scheduler`` the comparison runs on that Dask cluster (``compare
--scheduler``, its workers counted), so the same measurement sizes a cluster; with
``--local-cluster`` on a Dask LocalCluster of ``--workers`` processes started here, which
measures what Dask costs against the process pool on the same cores.

Usage::

    /work/venv/bin/python benchmarks/bench_compare.py                    # N = 2
    /work/venv/bin/python benchmarks/bench_compare.py -n 100             # the target
    /work/venv/bin/python benchmarks/bench_compare.py -n 4 --stores 60 --weeks 8
    /work/venv/bin/python benchmarks/bench_compare.py -n 10 --local-cluster
    /work/venv/bin/python benchmarks/bench_compare.py -n 24 --scheduler tcp://host:8786
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def dask_cluster(scheduler: str | None, local: bool, workers: int
                 ) -> Iterator[tuple[str | None, int]]:
    """The scheduler address to run on and its worker count (``None``: the process pool).

    ``local`` starts a LocalCluster of ``workers`` single-threaded processes here, as the
    executor tests do, and closes it afterwards.
    """
    if local:
        import distributed

        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            yield cluster.scheduler_address, workers
    elif scheduler:
        from sim.executors import _dask_client
        from sim.experiment import ExperimentError

        try:  # the client `compare --scheduler` makes, and its one-line error
            client = _dask_client(scheduler)
        except ExperimentError as e:
            raise SystemExit(str(e)) from None
        with client:
            n = len(client.scheduler_info()["workers"])
        yield scheduler, n
    else:
        yield None, workers


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--stores", type=int, default=None, help="store subset (default: all 600)")
    ap.add_argument("--seed", type=int, default=7)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None,
                       help="a Dask scheduler address to run on (its workers are counted)")
    where.add_argument("--local-cluster", action="store_true",
                       help="run on a Dask LocalCluster of --workers processes started here")
    a = ap.parse_args(argv)
    with dask_cluster(a.scheduler, a.local_cluster, a.workers) as (scheduler, workers):
        measure(a, scheduler, workers)


def measure(a: argparse.Namespace, scheduler: str | None, workers: int) -> None:
    """Run the comparison on the process pool (``scheduler`` None) or the Dask cluster."""
    from sim.compare import compare

    scenarios = [bench_scenario(ROOT / "scenarios" / f"{p}.toml", a.weeks, a.stores)
                 for p in PLANS]
    n_runs = len(PLANS) * a.replications
    on = f"Dask at {scheduler}" if scheduler else "a process pool"
    print(f"{len(PLANS)} plans x {a.replications} replications, {a.weeks} weeks, "
          f"{a.stores or 'all'} stores, {workers} workers ({on}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print(code_under_test(), flush=True)
    done: list[float] = []
    t0 = time.perf_counter()

    def progress(plan: int, rep: int) -> None:
        done.append(time.perf_counter() - t0)
        print(f"  {len(done):>4}/{n_runs}  {PLANS[plan]:<17} rep {rep:<4} "
              f"{done[-1]:8.1f} s", flush=True)

    cmp = compare(scenarios, a.replications, a.seed, workers=workers, scheduler=scheduler,
                  on_replication=progress)
    wall = time.perf_counter() - t0
    # A cluster's workers are already running; a local pool starts once per plan.
    startup = pool_startup(workers) if workers > 1 and not scheduler else 0.0
    fixed = startup * len(PLANS)
    per_rep = max(wall - fixed, 0.0) / n_runs
    start = (f"of which ~{fixed:.1f} s is starting a {workers}-process pool per plan "
             f"({startup:.1f} s each, measured separately)" if not scheduler else
             "on workers already running")
    print(f"\nwall time: {wall:.1f} s for {n_runs} replications, {start}; {per_rep:.2f} s per "
          f"replication beyond that ({per_rep * workers:.2f} s per replication per worker)")
    scale = len(PLANS) * 100 * (52 / a.weeks)
    full = fixed + per_rep * scale
    print(f"projected 4 plans x 100 replications x 52 weeks at this network size: {full:.0f} s "
          f"({full / 60:.1f} min; target <= {TARGET_SECONDS / 60:.0f} min at 600 stores"
          + ("" if a.weeks >= 52 else "; linear in weeks, so short runs from the low season "
             "underestimate") + ")")
    # Workers of this speed the target needs: `compare` runs the plans one after another, so
    # each plan takes ceil(100 / workers) rounds of one replication per worker (no start-up);
    # the most rounds a plan may take in its share of the target fixes the workers.
    year = per_rep * workers * 52 / a.weeks
    rounds = math.floor(TARGET_SECONDS / (len(PLANS) * year)) if year > 0 else 100
    needed = (f"{math.ceil(100 / min(rounds, 100))}" if rounds else
              "none (one round of the 4 plans takes longer than the target)")
    print(f"workers of this speed that 4 x 100 in {TARGET_SECONDS / 60:.0f} min needs: "
          f"{needed}")
    print("\nranking (mean total_risk_cost):")
    print(cmp.ranking.to_string(index=False))


if __name__ == "__main__":
    main()
