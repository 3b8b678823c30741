"""rollout-sim: compare retail ERP rollout plans before betting the store network on one.

The public API (DESIGN §8)::

    import sim
    scenario = sim.load_scenario("scenarios/pilot_then_waves.toml", overrides=["network.stores=60"])
    one = sim.run_replication(scenario, seed=7)          # .metrics, .weekly, .by_region
    many = sim.run(scenario, replications=20, seed=7)    # tidy tables + summary
    cmp = sim.compare([a, b], replications=20, seed=7)   # paired differences, wins, ranking
"""

from sim.loader import ScenarioError, load_scenario
from sim.model.engine import Simulation, run_replication
from sim.model.results import ReplicationResult
from sim.scenario import Scenario

__version__ = "0.1.0"

# After the submodules: ``sim.compare`` is the function (binding it here, once the module
# sim.compare is loaded, keeps a later ``import sim.compare`` from shadowing it).
from sim.compare import compare  # noqa: E402
from sim.experiment import run  # noqa: E402

__all__ = [
    "ReplicationResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "__version__",
    "compare",
    "load_scenario",
    "run",
    "run_replication",
]
