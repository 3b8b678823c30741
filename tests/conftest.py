"""Model runs that tests in several files read.

Session scope: the tests reading one run now sit in different files (arranged by the claim they
prove), and each run is still made once per test process, as when they shared a module. A test
reads a shared run; it never changes it.
"""

from __future__ import annotations

import pytest
from small_runs import journey_run, scenario, tiny

import sim
from sim.experiment import run


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
