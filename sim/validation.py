"""Analytic checks of the engine's mechanisms (DESIGN §9).

A team queue with steady Poisson arrivals, exponential handling and constant staff is an
M/M/c queue, whose mean wait is given by Erlang C. :func:`team_queue` runs the engine's own
:class:`~sim.model.desk.teams.TeamQueue` under those conditions so tests can compare the two.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.desk.teams import TeamQueue

#: Share of the horizon discarded before measuring, so the empty start does not bias waits.
WARMUP_SHARE = 0.05
#: Time batches used for the batch-means standard error of the mean wait.
BATCHES = 20


def erlang_c_wait(arrival_rate: float, staff: int, mean_handling: float) -> float:
    """Mean wait in queue (hours) of an M/M/c queue, from Erlang C.

    Uses the Erlang B recursion ``B_k = a B_{k-1} / (k + a B_{k-1})``, which stays stable for
    large ``staff`` where factorials overflow.

    Args:
        arrival_rate: Arrivals per hour.
        staff: Number of servers.
        mean_handling: Mean handling time in hours.

    Returns:
        Mean time from arrival to start of service in hours; ``inf`` if the queue is unstable
        (offered load ``arrival_rate * mean_handling >= staff``).

    """
    a = arrival_rate * mean_handling  # offered load in erlangs
    if a >= staff:
        return math.inf
    b = 1.0
    for k in range(1, staff + 1):
        b = a * b / (k + a * b)
    p_wait = staff * b / (staff - a * (1.0 - b))
    return p_wait * mean_handling / (staff - a)


def team_queue(
    arrival_rate_per_hour: float,
    staff: int,
    mean_handling_hours: float,
    hours: float,
    seed: int,
) -> dict:
    """Run the engine's real TeamQueue standalone as an M/M/c queue (24x7, constant staff).

    Arrivals are Poisson over ``[0, hours)`` and handling times exponential. The queue is
    served hour by hour as the engine does, then drained (staff continues past ``hours``), so
    every measured item has a start. Measurements use the observation window
    ``[WARMUP_SHARE * hours, hours)``, discarding the first 5% as warm-up:

    - waits are those of items arriving in the window;
    - ``mean_in_queue`` is the exact time average of the number waiting over the window (each
      item's interval ``[arrival, start)`` clipped to it, summed, divided by its length);
    - ``utilization`` is busy server time inside the window over ``staff`` times its length.

    Args:
        arrival_rate_per_hour: Poisson arrival rate.
        staff: Servers on duty at all hours.
        mean_handling_hours: Mean of the exponential handling time.
        hours: Arrival horizon in hours.
        seed: Seed of the run's generator.

    Returns:
        ``mean_wait_hours``, ``mean_in_queue``, ``utilization``, ``served`` (items finished
        within the arrival horizon), plus ``mean_wait_stderr`` (batch means over
        ``BATCHES`` equal time batches of the window) and ``arrivals_per_hour`` (observed in
        the window), for Little's law.

    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n = rng.poisson(arrival_rate_per_hour * hours)
    arrivals = np.sort(rng.uniform(0.0, hours, n))
    handlings = rng.exponential(mean_handling_hours, n)

    # Room to drain the queue left at the horizon: ample for any stable load we test.
    drain = int(math.ceil(hours)) + 1000
    last_hour = int(math.ceil(hours))
    queue = TeamQueue("validation", np.full(last_hour + drain, staff, dtype=np.int64), 0.0)
    edges = np.searchsorted(arrivals, np.arange(1, last_hour + 1), side="left")
    lo = 0
    for h, hi in enumerate(edges, start=1):
        # Like the engine: add the hour's arrivals, then serve up to the end of the hour.
        queue.add_many(arrivals[lo:hi], handlings[lo:hi], kind=0)
        queue.serve_until(float(h))
        lo = hi
    queue.serve_until(float(last_hour + drain))
    r = queue.results()
    if np.isnan(r["start"]).any():
        raise RuntimeError("queue did not drain; offered load too close to staff")

    t0, t1 = WARMUP_SHARE * hours, float(hours)
    span = t1 - t0
    in_window = (r["arrival"] >= t0) & (r["arrival"] < t1)
    waits = (r["start"] - r["arrival"])[in_window]
    queued_time = np.clip(r["start"], t0, t1) - np.clip(r["arrival"], t0, t1)
    busy_time = np.clip(r["finish"], t0, t1) - np.clip(r["start"], t0, t1)

    batch = np.minimum(((r["arrival"][in_window] - t0) / span * BATCHES).astype(int), BATCHES - 1)
    counts = np.bincount(batch, minlength=BATCHES)
    batch_means = np.bincount(batch, weights=waits, minlength=BATCHES) / np.maximum(counts, 1)
    return {
        "mean_wait_hours": float(waits.mean()),
        "mean_in_queue": float(queued_time.sum() / span),
        "utilization": float(busy_time.sum() / (staff * span)),
        "served": int(np.count_nonzero(r["finish"] <= t1)),
        "mean_wait_stderr": float(batch_means.std(ddof=1) / math.sqrt(BATCHES)),
        "arrivals_per_hour": float(in_window.sum() / span),
    }
