"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor runs the same pure task (:func:`replicate`) on the same (replication, seed)
pairs and yields finished replications in completion order; the caller keys them by
replication, so results are the same bits whatever runs them. Progress within a replication
(the week the simulation has reached) is reported in this process and from local worker
processes (through a queue); a Dask cluster reports replications as they finish only.
"""

from __future__ import annotations

import gc
import queue as queue_mod
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.results import ReplicationResult
    from sim.scenario import Scenario

#: Called with (replication, week reached) as a replication's simulation goes on.
OnWeek = Callable[[int, int], None]
#: How often (seconds) the parent looks for progress from worker processes.
POLL_SECONDS = 0.25
#: How long to keep trying to reach a Dask scheduler before saying it cannot be reached.
SCHEDULER_TIMEOUT = "10s"
#: ``progress`` of :func:`replicate` in a worker process: report to the pool's queue.
TO_POOL_QUEUE = "pool-queue"
#: In a worker process, the queue its pool reads progress from (set by :func:`_init_worker`).
_pool_queue: Any = None


def _init_worker(q: Any) -> None:
    global _pool_queue
    _pool_queue = q


def replicate(payload: dict[str, Any], seed: int, rep: int, progress: Any = None
              ) -> dict[str, Any]:
    """Run one replication; a pure task returning plain data (any executor can run it).

    Args:
        payload: The scenario as plain data (:func:`sim.experiment.scenario_payload`).
        seed: The replication's seed.
        rep: The replication's index.
        progress: ``None``, a callable ``(rep, week)``, or :data:`TO_POOL_QUEUE` (in a
            worker process: ``(rep, week)`` tuples to its pool's queue), each time the
            simulation passes a week's end.

    Returns:
        The replication's metrics and tables, each table tagged with ``rep``.
    """
    from sim.experiment import scenario_from_payload

    on_week = None
    if callable(progress):
        def on_week(wk: int) -> None:
            progress(rep, wk)
    elif progress == TO_POOL_QUEUE and _pool_queue is not None:
        def on_week(wk: int) -> None:
            _pool_queue.put((rep, wk))
    res = collected(scenario_from_payload(payload), seed, on_week)
    return {
        "rep": rep,
        "seed": seed,
        "metrics": res.metrics,
        "weekly": res.weekly.assign(rep=rep),
        "by_region": res.by_region.assign(rep=rep),
        "timeline": res.timeline.assign(rep=rep),
        "refunds": res.refunds.assign(rep=rep),
    }


def collected(scenario: Scenario, seed: int,
              on_week: Callable[[int], None] | None = None) -> ReplicationResult:
    """Run one replication and free its simulation before returning the results.

    A simulation's components, SimPy processes and callbacks refer to each other in cycles
    that only a full collection frees; without one, a process running replication after
    replication held up to eight 600-store simulations (~220 MiB each) before Python's
    collector ran, and its peak grew to 2.3 GiB over 10 replications (issue 18). The
    simulation is referred to only here, so the collection frees it. It walks only what was
    made since the first of the replications running in this process began
    (:func:`_elders_frozen`).
    """
    from sim.model.engine import Simulation

    with _elders_frozen():
        sim = Simulation(scenario, seed)
        sim.on_week = on_week
        res = sim.run()
        del sim
        gc.collect()
    return res


_freeze_lock = threading.Lock()
_running = 0  # replications running in this process (a Dask worker may run several)
_froze = False  # whether those froze the objects older than them


@contextmanager
def _elders_frozen() -> Iterator[None]:
    """Keep the objects alive before a replication out of the collector's walks while it runs.

    A full collection over an interpreter with pandas, numba and scipy loaded took ~80 ms,
    half of a 20-store week's replication; frozen (:func:`gc.freeze`), those objects are not
    walked, and the closing collection costs what the replication made. Replications running
    at once in threads share one freeze, undone when the last ends; objects a caller froze
    itself stay frozen.
    """
    global _running, _froze
    with _freeze_lock:
        if _running == 0 and gc.get_freeze_count() == 0:
            gc.freeze()
            _froze = True
        _running += 1
    try:
        yield
    finally:
        with _freeze_lock:
            _running -= 1
            if _running == 0 and _froze:
                gc.unfreeze()
                _froze = False


def execute(payload: dict[str, Any], todo: list[tuple[int, int]], workers: int,
            scheduler: str | None, on_week: OnWeek | None = None
            ) -> Iterator[dict[str, Any]]:
    """Yield finished replications in completion order from the chosen executor.

    Args:
        payload: The scenario as plain data.
        todo: ``(replication, seed)`` pairs to run.
        workers: Local worker processes (1 = this process).
        scheduler: A Dask scheduler address; overrides ``workers``.
        on_week: Progress within replications (not reported from a Dask cluster).

    Yields:
        Each replication's result (:func:`replicate`).
    """
    if scheduler:
        yield from _execute_dask(payload, todo, scheduler)
    elif workers <= 1:
        for rep, s in todo:
            yield replicate(payload, s, rep, on_week)
    else:
        yield from _execute_local(payload, todo, workers, on_week)


def execute_tasks(tasks: list[tuple[Any, dict[str, Any], int]], workers: int,
                  scheduler: str | None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Run replications of several scenarios on one executor; yield them as they finish.

    What a design of many scenario variants needs (sensitivity analysis): one pool or one
    cluster for all of them, where :func:`execute` would start one per scenario.

    Args:
        tasks: ``(key, payload, seed)`` per replication; ``key`` comes back with its result.
        workers: Local worker processes (1 = this process).
        scheduler: A Dask scheduler address; overrides ``workers``.

    Yields:
        ``(key, result)`` in completion order (:func:`replicate`'s result, ``rep`` 0).
    """
    if scheduler:
        client = _dask_client(scheduler)
        from distributed import as_completed as dask_completed

        try:
            futures = {client.submit(replicate, payload, seed, 0, pure=False): key
                       for key, payload, seed in tasks}
            for fut in dask_completed(list(futures)):
                yield futures[fut], fut.result()
        finally:
            client.close()
    elif workers <= 1:
        for key, payload, seed in tasks:
            yield key, replicate(payload, seed, 0)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=mp.get_context("spawn")) as ex:
            futures = {ex.submit(replicate, payload, seed, 0): key
                       for key, payload, seed in tasks}
            try:
                for fut in as_completed(futures):
                    yield futures[fut], fut.result()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


def _drain(q: Any, on_week: OnWeek) -> None:
    while True:
        try:
            rep, wk = q.get_nowait()
        except queue_mod.Empty:
            return
        on_week(rep, wk)


def _execute_local(payload: dict[str, Any], todo: list[tuple[int, int]], workers: int,
                   on_week: OnWeek | None) -> Iterator[dict[str, Any]]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    # A plain queue handed to each worker as it starts (a manager's queue would cost a
    # server process that imports the caller's main module: ~1.5 s per plan in the CLI).
    q = ctx.Queue() if on_week is not None else None
    tag = TO_POOL_QUEUE if q is not None else None
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                 initializer=_init_worker, initargs=(q,)) as ex:
            futures = [ex.submit(replicate, payload, s, rep, tag) for rep, s in todo]
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, timeout=POLL_SECONDS,
                                         return_when=FIRST_COMPLETED)
                    if q is not None and on_week is not None:
                        _drain(q, on_week)
                    for fut in done:
                        yield fut.result()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        if q is not None and on_week is not None:
            _drain(q, on_week)  # what the last replications reported before they ended
    finally:
        if q is not None:
            q.close()


def _dask_client(address: str) -> Any:
    """A client of the Dask scheduler at ``address`` (``ExperimentError``: one line if not)."""
    from sim.experiment import ExperimentError

    try:
        from distributed import Client
    except ImportError:
        raise ExperimentError("--scheduler needs the 'distributed' extra: "
                              "pip install 'rollout-sim[distributed]'") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise ExperimentError(f"--scheduler {address}: cannot reach the Dask scheduler "
                              f"({type(e).__name__})") from None


def _execute_dask(payload: dict[str, Any], todo: list[tuple[int, int]], address: str
                  ) -> Iterator[dict[str, Any]]:
    from distributed import as_completed as dask_completed

    client = _dask_client(address)
    try:
        futures = [client.submit(replicate, payload, s, rep, pure=False) for rep, s in todo]
        for fut in dask_completed(futures):
            yield fut.result()
    finally:
        client.close()
