"""Model runs that tests in several files read.

Session scope: the tests reading one run now sit in different files (arranged by the claim they
prove), and each run is still made once per test process, as when they shared a module. A test
reads a shared run; it never changes it.
"""

from __future__ import annotations

import pytest
import small_runs
from small_runs import journey_run, scenario, tiny

import sim
from sim.experiment import run


@pytest.fixture(scope="session", autouse=True)
def _shared_runs(tmp_path_factory, worker_id):
    """Under pytest-xdist, the folder where the workers share runs (``small_runs.shared``):
    next to the workers' own temporary folders, so pytest clears it with them."""
    if worker_id != "master":
        small_runs.SHARED_DIR = tmp_path_factory.getbasetemp().parent / "shared_runs"


@pytest.fixture(scope="session")
def engine_legacy():
    """The legacy operation, ``small_runs.scenario()`` (30 stores, 6 weeks), seed 11."""
    return sim.run_replication(scenario(), seed=11)


@pytest.fixture(scope="session")
def journeys_legacy():
    """The legacy operation, ``small_runs.journey_run()`` (30 stores, 8 weeks), seed 13."""
    return journey_run()


@pytest.fixture(scope="session")
def serial(tmp_path_factory):
    """Three replications of ``small_runs.tiny()`` with one worker, seed 5, in a folder."""
    out = tmp_path_factory.mktemp("serial")
    run(tiny(), 3, seed=5, out=out)
    return out
