"""The rest of the network's exception work, served by a slice's teams (issue 16).

A slice of the network (``network.stores`` below the whole, or a ``network.skus`` subset)
keeps the plan's per-store loads, but a team cannot shrink with it: whole people, at least
one, so a 30-store slice's finance team would be one person standing for 0.15, idle most of
the time, and its waits, backlogs and close delays would come out far below the full
network's (a slower person, or a part-timer, makes every item wait longer instead: pooling is
lost either way); and a SKU subset shrinks the volume-driven work but not the per-store work
(reconciliation, feeds, go-lives). So a slice's default-staffed teams are the **whole
network's teams** for the whole assortment, and they also serve the work the slice leaves
out: for every exception a slice store raises, a Poisson number of *stand-ins* with mean
``1 / share - 1``, where ``share`` is the slice's share of the network's stores, times its
share of the unit volume for the types that follow volume
(:data:`~sim.model.desk.taxonomy.SCALES_WITH_VOLUME`), of the same type, at the same store's
pace (its go-live dip). Central items (a DC's feed, the central cutover) need none: a slice
keeps every DC and the central systems, whose failures and defects are the network's. Stand-ins take
their team's time like any other item, so the waits, the backlog the stage gates see and the
utilization are the full network's, but they change nothing in the slice (no handler runs)
and are not counted in its metrics, which stay the slice's own. A team whose ``staff`` the
scenario sets serves the slice's work alone.

When: in the same hour of one of the seven days from their item (the left-out stores' items
come at their own times with the same daily profile; copies at the very same hour would
arrive as one burst), and only later days (a stand-in dated before the desk's clock would
join the queue at once with every other late one, another burst). So the left-out stores'
load runs about three days behind the slice's own (a go-live's surge of stand-ins comes over
its first week). Measured on the legacy baseline (30 stores of 600, 8 weeks, 3 seeds), team
utilizations are 0.94-1.15 of the network's and the slice's own items wait 2.9 h at store
operations (600 stores: 3.1 h), 6 minutes at customer service (4) and IT (1), and 23 h at
finance (19); copies at the same hour made IT's wait 2.2 h, copies up to three days back 1.5 h
(``tests/validity/test_slices.py``). The stand-ins of an hour's items are drawn together at
the next hour (:meth:`StandIns.draw`; a draw per raise cost a 30-store year ~0.25 s more).

Stand-ins draw from their own stream, so the slice's own items keep their draws.
"""

from __future__ import annotations

import numpy as np

from sim.model.desk.taxonomy import EXCEPTION_TYPES, OWNER, SCALES_WITH_VOLUME
from sim.scenario import Scenario

#: Days from an item over which its stand-ins are spread (the same hour of the day).
SPREAD_DAYS = 7
#: Stand-in items carry their type's code plus this offset (so no handler or counter sees
#: them, while the team queue serves them like the type's own).
STAND_IN = len(EXCEPTION_TYPES)
#: Items open when the run starts (:mod:`sim.initial_state`) carry their type's code plus this
#: offset: the run's own work (backlog, SLA, labour) with no handler and no raised-count.
INITIAL = 2 * STAND_IN


def is_own(codes: np.ndarray) -> np.ndarray:
    """Which item codes are the run's own work (not stand-ins for stores a slice leaves out)."""
    return (codes < STAND_IN) | (codes >= INITIAL)


def network_stores(n_stores: int, store_share: float) -> int:
    """Stores of the whole network a run of ``n_stores`` at ``store_share`` stands for."""
    return n_stores if store_share >= 1.0 else max(n_stores, round(n_stores / store_share))


class StandIns:
    """Draws the stand-ins of the stores a slice leaves out.

    Args:
        scenario: The scenario (which teams are default-staffed).
        store_share: The slice's stores over the whole network's.
        volume_share: The run's assortment's unit volume over the whole assortment's.
        rng: The stand-ins' own stream.

    Attributes:
        mean: Per type code, expected stand-ins per item raised (0: none; always 0 for the
            whole network and assortment, and for a team whose staff the scenario sets).
        covered: Per type code, whether its team serves stand-ins.
    """

    def __init__(self, scenario: Scenario, store_share: float, volume_share: float,
                 rng: np.random.Generator) -> None:
        self.paid_share = store_share * volume_share
        default = np.array([getattr(scenario.teams, OWNER[k]).staff is None
                            for k in EXCEPTION_TYPES])
        share = np.array([store_share * (volume_share if k in SCALES_WITH_VOLUME else 1.0)
                          for k in EXCEPTION_TYPES])
        self.mean = np.where(default & (share < 1.0), 1.0 / np.minimum(share, 1.0) - 1.0, 0.0)
        self.covered = self.mean > 0
        self.rng = rng
        self._batches: list[tuple[int, np.ndarray, np.ndarray]] = []

    def share_by_team(self) -> dict[str, float]:
        """Per team serving stand-ins, the share of its people the run pays for.

        The run's stores and volume share of the network's (:meth:`ExceptionDesk.add_staff`'s
        ``paid``), so the staff added on the whole network's team are paid at that share.
        """
        return {OWNER[k]: self.paid_share for k, on in zip(EXCEPTION_TYPES, self.covered,
                                                           strict=True) if on}

    def note(self, code: int, times: np.ndarray, stores: np.ndarray) -> None:
        """Remember items of type ``code`` raised now; :meth:`draw` gives their stand-ins."""
        if self.covered[code]:
            self._batches.append((code, np.array(times, dtype=float), np.array(stores)))

    def draw(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Codes, times and stores of the stand-ins of the items noted since the last call.

        Drawn once per hour for every item raised in it (a draw per raise would cost more
        than the stand-ins themselves); ``None`` when there are none.
        """
        if not self._batches:
            return None
        code = np.concatenate([np.full(len(t), c) for c, t, _ in self._batches])
        times = np.concatenate([t for _, t, _ in self._batches])
        stores = np.concatenate([s for _, _, s in self._batches])
        self._batches.clear()
        k = self.rng.poisson(self.mean[code]) * (stores >= 0)
        if not k.any():
            return None
        at = np.repeat(times, k)
        at += 24.0 * self.rng.integers(0, SPREAD_DAYS, len(at)) + self.rng.random(len(at))
        return np.repeat(code, k), at, np.repeat(stores, k)
