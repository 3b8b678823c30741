"""Where one replication's time goes: each scheduled task, the desk, set-up, results, hot spots.

Runs one replication under ``cProfile`` (deterministic: each compiled kernel is one call, so
its time is exact; the profiler's overhead makes the whole ~15-20 % slower, all of it in the
Python around the kernels) and prints, longest first:

- the time of each task of the hourly schedule (:data:`sim.model.schedule.HOURLY`, what it
  calls included), the exception desk's own SimPy process, the rollout's processes, the
  set-up (building the components) and the result tables, with what is left (SimPy, the
  clock);
- the time in compiled kernels, against Python, NumPy and the random draws (what a design
  with every component's hour compiled could remove is in the second part only);
- the functions with the most time of their own: the compiled kernels and the NumPy calls.

``bench_replication.py`` prints this when the year misses the 3-second target (DESIGN §10),
or always with ``--profile``. Alone::

    python benchmarks/where_time_goes.py                          # 600 stores, 52 weeks
    python benchmarks/where_time_goes.py --weeks 8 --stores 60
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats
import time
from collections.abc import Callable
from typing import Any

#: Hot spots listed (functions by their own time).
TOP = 15


def _key(fn: Callable[..., Any]) -> tuple[str, int, str]:
    """The ``pstats`` key of a Python function (file, first line, name)."""
    code = fn.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def _short(key: tuple[str, int, str]) -> str:
    """``folder/file.py name`` for a pstats key (``~`` keys are builtins)."""
    file, _, name = key
    if file == "~":
        return name
    parts = file.replace("\\", "/").split("/")
    return f"{'/'.join(parts[-2:])} {name}"


def kernel_keys() -> set[tuple[str, int, str]]:
    """The ``pstats`` keys of every compiled kernel the model's modules hold.

    ``cProfile`` times a numba dispatcher's call under its Python function's key; the time is
    the compiled code's (and the call's argument checks), which the profiler does not slow.
    """
    import sys

    from numba.core.registry import CPUDispatcher

    keys = set()
    for name, module in list(sys.modules.items()):
        if name == "sim" or name.startswith("sim."):
            for value in vars(module).values():
                if isinstance(value, CPUDispatcher):
                    keys.add(_key(value.py_func))
    return keys


def breakdown(scenario: Any, seed: int) -> str:
    """Profile one replication of ``scenario``; the report described in the module docstring.

    Args:
        scenario: A loaded scenario (already cut to the stores and weeks wanted).
        seed: The replication's seed.

    Returns:
        The report's lines, joined.
    """
    from sim.model import engine
    from sim.model.desk.desk import ExceptionDesk
    from sim.model.results import collect
    from sim.model.rollout.waves import Rollout
    from sim.model.schedule import HOURLY

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    sim_ = engine.Simulation(scenario, seed)
    sim_.run()
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # key -> (calls, primitive calls, own, cumulative, callers)
    hours = sim_.world.horizon_hours

    def cumulative(fn: Callable[..., Any]) -> float:
        return stats.get(_key(fn), (0, 0, 0.0, 0.0))[3]

    parts: dict[str, float] = {}
    for task in HOURLY:
        component = sim_.components[task.component]
        name = f"{task.component}.{task.action}"
        parts[name] = parts.get(name, 0.0) + cumulative(getattr(type(component), task.action))
    parts["desk (its own process: release, serve, effects)"] = cumulative(ExceptionDesk._serve)
    # The rollout's SimPy processes are its generator functions. One delegates to another
    # (``yield from``), whose time would then count twice: only time not spent inside
    # another of them counts.
    gens = {_key(fn) for fn in vars(Rollout).values() if inspect.isgeneratorfunction(fn)}
    rollout = 0.0
    for g in gens:
        if g in stats:
            callers = stats[g][4]  # caller -> (calls, primitive calls, own, cumulative)
            rollout += stats[g][3] - sum(v[3] for c, v in callers.items() if c in gens)
    parts["rollout (its own processes: waves, cutovers)"] = rollout
    parts["set-up (building the components)"] = cumulative(engine.Simulation.__init__)
    parts["result tables"] = cumulative(collect)
    rest = total - sum(parts.values())
    lines = [f"one replication under cProfile: {total:.2f} s, {hours} simulated hours "
             f"({total / hours * 1e6:.0f} µs an hour; ~15-20 % faster without the profiler)",
             "by part of the model (what each calls included):"]
    for name, sec in sorted(parts.items(), key=lambda kv: -kv[1]):
        if sec >= 0.0005:
            lines.append(f"  {sec:7.3f} s {sec / total:6.1%}  {name}")
    lines.append(f"  {rest:7.3f} s {rest / total:6.1%}  the rest (SimPy, the clock, the finish)")
    kernels = kernel_keys()
    compiled = sum(v[2] for k, v in stats.items() if k in kernels)
    lines.append(f"in compiled kernels: {compiled:.2f} s ({compiled / total:.0%}; exact, the "
                 f"profiler does not slow them); Python, NumPy and the draws: "
                 f"{total - compiled:.2f} s (the profiler's overhead is all here)")
    lines.append(f"by own time (the compiled kernels, NumPy; top {TOP}):")
    own = sorted(stats.items(), key=lambda kv: -kv[1][2])[:TOP]
    for key, (calls, _, own_s, _, _) in own:
        lines.append(f"  {own_s:7.3f} s {own_s / total:6.1%}  {calls:>9,} calls  {_short(key)}")
    return "\n".join(lines)


def profile(path: str, weeks: int | None, stores: int | None, seed: int) -> str:
    """:func:`breakdown` of a scenario file cut as ``bench_replication.py`` cuts it.

    The kernels load (or compile) on their first call in a process, which is not the
    replication's time: a 20-store, 1-week run loads them first, as for the timed run.
    """
    from bench_replication import bench_scenario

    import sim

    sim.run_replication(bench_scenario(path, 1, 20), seed)
    return breakdown(bench_scenario(path, weeks, stores), seed)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    from bench_replication import add_run_arguments

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(ap)
    a = ap.parse_args(argv)
    print(profile(a.scenario, a.weeks, a.stores, a.seed))


if __name__ == "__main__":
    main()
