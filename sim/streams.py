"""Named random streams from one root seed (common random numbers).

Every model component draws from its own ``numpy.random.Generator``, derived from the
replication's seed and a stable hash of the component's name. Adding a component, or a plan
decision that makes one component draw more, never shifts the draws of another: two plans run
with the same seed see the same customers (DESIGN §7).

The engine's streams: ``demand``, ``orders``, ``stock``, ``sync``, ``counts``, ``returns``,
``promotions``, ``exceptions``, ``finance``, ``rollout``, ``learning``, and ``initial`` (the
handling times of the work open at the start, :mod:`sim.initial_state`). Names are part of the
reproducibility contract: renaming one changes every draw it makes. A component with several
separate random decisions spawns child streams for them (``Generator.spawn`` draws nothing
from the parent): each exception type's detection delays and handling times, pick errors,
store and online return thinning, promotion till outcomes. Draws about an entity whose numbers
differ between plans are tied to the entity (docs/model_validity.md, "Which area reaches which
output").
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """Stable 32-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """Seeds for replications 0..n-1 of an experiment, derived with ``SeedSequence``.

    Replication *r* gets the same seed whatever the plan, worker count or executor, which is
    what makes plan comparisons paired.

    Args:
        master_seed: The experiment's seed.
        replications: How many replication seeds to derive.

    Returns:
        One 63-bit integer seed per replication.
    """
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(2, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


class Streams:
    """The named generators of one replication.

    Args:
        seed: The replication's seed.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """Return the generator for ``name``, creating it on first use."""
        gen = self._cache.get(name)
        if gen is None:
            seq = np.random.SeedSequence([self.seed & 0xFFFFFFFF, self.seed >> 32, _name_key(name)])
            gen = np.random.Generator(np.random.PCG64(seq))
            self._cache[name] = gen
        return gen

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.get(name)
