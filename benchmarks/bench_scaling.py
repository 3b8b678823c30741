"""Cost of the fast engine against network size: 60, 600 and 6,000 stores (DESIGN §10).

Runs ``scenarios/pilot_then_waves.toml`` for a few weeks (``--weeks``, plan compressed in
proportion, see ``bench_replication.py``) on a 60-store subset of the reference network, the
600-store reference network, and a 6,000-store network generated for the run
(:func:`sim.generate.generate_network` with seed 1, the equivalent of
``rollout-sim network generate --stores 6000 --seed 1 --out DIR``, plus a copy of
``seeds/parameters.csv``) used through the scenario key ``network.path``. Prints seconds per
simulated week (wall and CPU), peak RSS, and the ratio to the 600-store figure. The target is
linear cost: 6,000 stores at most 10x the 600-store time.

Each size runs in a fresh child process, so peak memory (``ru_maxrss``) is its own, and
``--repeat`` times (default 3), in rounds of every size: this machine's speed drifts by ~15 %
between identical runs, so the figures are medians, the ratio is the ratio of medians, and
each round's own ratio (its sizes run minutes apart at most) is printed too.

Usage::

    /work/venv/bin/python benchmarks/bench_scaling.py                  # 4 weeks each
    /work/venv/bin/python benchmarks/bench_scaling.py --weeks 2 --sizes 60 600
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_replication import DEFAULT_SCENARIO, _in_child, code_under_test, fast_job  # noqa: E402

REFERENCE_STORES = 600


def make_network(stores: int, out: Path, seed: int = 1) -> Path:
    """Write a generated network of ``stores`` stores (and the default parameters) to ``out``."""
    from sim.generate import generate_network, write_network
    from sim.network import default_seeds_dir

    write_network(generate_network(stores, seed=seed), out)
    shutil.copyfile(default_seeds_dir() / "parameters.csv", out / "parameters.csv")
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--weeks", type=int, default=4, help="simulated weeks per size (default 4)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 600, 6000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (median reported)")
    a = ap.parse_args(argv)
    print(f"scenario {Path(a.scenario).name}, {a.weeks} weeks per size, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(code_under_test())
    runs: dict[int, list[dict]] = {n: [] for n in a.sizes}
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        nets = {n: None if n <= REFERENCE_STORES else str(make_network(n, Path(tmp) / f"net{n}"))
                for n in a.sizes}
        # Rounds of every size, not every run of one size then the next: the machine's speed
        # drifts over minutes, and a ratio of sizes measured minutes apart carries the drift.
        for _ in range(max(a.repeat, 1)):
            for n in a.sizes:
                subset = n if nets[n] is None else None  # a proportional subset of the reference
                runs[n].append(_in_child(fast_job, a.scenario, a.weeks, subset, a.seed, nets[n]))
    rows = []
    for n in a.sizes:
        r = dict(runs[n][0])
        for key in ("seconds", "cpu_seconds", "rss_peak_mib"):
            r[key] = statistics.median(x[key] for x in runs[n])
        rows.append(r)
        spread = ", ".join(f"{x['seconds']:.2f}" for x in runs[n])
        print(f"{r['stores']:>6} stores: {r['seconds']:8.2f} s wall, {r['cpu_seconds']:8.2f} s "
              f"CPU, {r['seconds'] / r['weeks']:7.3f} s wall per simulated week, peak RSS "
              f"{r['rss_peak_mib']:.0f} MiB (median of {len(runs[n])}: {spread} s)", flush=True)
    base = next((r for r in rows if r["stores"] == REFERENCE_STORES), None)
    if base is not None:
        print(f"\nratio to {REFERENCE_STORES} stores (target: 6,000 stores <= 10x):")
        for r in rows:
            by_round = ", ".join(
                f"{x['seconds'] / y['seconds']:.2f}"
                for x, y in zip(runs[r["stores"]], runs[REFERENCE_STORES], strict=True))
            print(f"{r['stores']:>6} stores: {r['seconds'] / base['seconds']:6.2f}x wall, "
                  f"{r['cpu_seconds'] / base['cpu_seconds']:6.2f}x CPU "
                  f"({r['stores'] / REFERENCE_STORES:g}x the stores; each round: {by_round})")


if __name__ == "__main__":
    main()
