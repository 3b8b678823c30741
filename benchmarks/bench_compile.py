"""The kernels' first compile: how long, which kernel, and which are built more than once.

A new machine, a new worker and each of CI's fresh test processes compile the model's kernels
once (then numba's on-disk cache loads them). This runs one small replication of each plan
named with an empty cache folder, times every build (numba's ``Dispatcher.compile`` wrapped:
a build made inside another kernel's is listed under it), and lists the kernels built for more
than one signature, with the arguments that differ. A literal constant passed from one kernel
to another (``False``, ``-1``) or a strided view where another caller passes a contiguous
array builds a kernel again; each build of a big kernel costs seconds.

Usage::

    python benchmarks/bench_compile.py                      # baseline_legacy and big_bang
    python benchmarks/bench_compile.py pilot_then_waves --top 40
"""

from __future__ import annotations

import argparse
import collections
import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plans", nargs="*", default=["baseline_legacy", "big_bang"])
    ap.add_argument("--top", type=int, default=25, help="builds to list, longest first")
    args = ap.parse_args()
    # Before numba is imported: its cache folder is read once.
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-cache-")
    from numba.core import dispatcher
    from numba.core.registry import CPUDispatcher

    builds: collections.Counter[tuple[str, str]] = collections.Counter()
    stack: list[str] = []
    compile_one = dispatcher.Dispatcher.compile

    def timed(self, sig):
        name = f"{self.py_func.__module__.rsplit('.', 1)[-1]}.{self.py_func.__name__}"
        stack.append(name)
        t = time.perf_counter()
        try:
            return compile_one(self, sig)
        finally:
            stack.pop()
            builds[(stack[0] if stack else name, name if stack else "")] += \
                time.perf_counter() - t

    dispatcher.Dispatcher.compile = timed
    import sim
    import sim.model

    t = time.perf_counter()
    for plan in args.plans:
        # Small: the builds depend on the code paths a plan's year takes, not on the scale.
        sc = sim.load_scenario(ROOT / "scenarios" / f"{plan}.toml",
                               ["network.stores=20", "network.skus=30"])
        sim.run_replication(sc, 1)
    total = time.perf_counter() - t
    print(f"load average {os.getloadavg()[0]:.2f}; first runs of {', '.join(args.plans)}: "
          f"{total:.1f} s, of which compiling "
          f"{sum(v for (_, inner), v in builds.items() if not inner):.1f} s")
    print("longest builds (a kernel, or a build inside it):")
    for (outer, inner), secs in builds.most_common(args.top):
        print(f"  {secs:6.2f} s  {outer}" + (f"  <- {inner}" if inner else ""))
    twice = []
    for mod in pkgutil.walk_packages(sim.model.__path__, "sim.model."):
        for name, obj in vars(importlib.import_module(mod.name)).items():
            if isinstance(obj, CPUDispatcher) and len(obj.signatures) > 1 and \
                    obj.py_func.__module__ == mod.name:
                first, *rest = obj.signatures
                diffs = [f"arg {i}: {a} / {b}" for s in rest
                         for i, (a, b) in enumerate(zip(first, s, strict=True)) if a != b]
                twice.append(f"  {mod.name}.{name}: {len(obj.signatures)} builds; "
                             + "; ".join(diffs))
    print("kernels built for more than one signature (called from Python):")
    print("\n".join(twice) if twice else "  none")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
