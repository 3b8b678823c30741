"""A scenario checked against its network: waves resolved to stores, parameters resolved.

Pure functions over the scenario and the network tables; no simulation here. The loader calls
:func:`check_plan` so plan mistakes (an unknown region, a store in two waves) are reported at
load time, and the engine calls :func:`build_plan` for the arrays it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.initial_state import InitialState, load_initial
from sim.network import Network, NetworkError, default_seeds_dir, load_network
from sim.parameters import network_parameters, resolve_parameters
from sim.scenario import PathError, Scenario
from sim.subsets import select_skus, select_stores


@dataclass(frozen=True)
class Plan:
    """What the engine needs from a scenario, resolved against the network.

    Attributes:
        network: The (subset) network the plan runs on.
        stores: Store table of the subset, index 0..n-1 in engine order.
        skus: SKU table of the subset.
        wave_of_store: Wave index per store (-1: never goes live).
        params: Model parameters (seeds/parameters.csv plus scenario overrides).
        volume_share: Unit volume of the SKU subset as a share of the full assortment's
            (default team sizes scale with it).
        param_sources: Where each parameter's value came from: ``package`` (the model's
            defaults), the network folder's ``parameters.csv``, or ``scenario``.
        store_share: Stores of the subset as a share of the whole network's (a slice's
            counts of programme-wide events, such as the defects a pilot finds, stand for
            that share of the full network's).
        initial: Open work items and stock the run starts from (:mod:`sim.initial_state`);
            None: the drawn warm start.
    """

    network: Network
    stores: pd.DataFrame
    skus: pd.DataFrame
    wave_of_store: np.ndarray
    params: dict[str, float]
    volume_share: float = 1.0
    store_share: float = 1.0
    param_sources: dict[str, str] = field(default_factory=dict)
    initial: InitialState | None = None


@lru_cache(maxsize=8)
def _cached_network(path: str, mtime: float) -> Network:
    return load_network(Path(path))


def scenario_network(scenario: Scenario) -> Network:
    """Load the network a scenario names (cached per folder and modification time).

    Raises:
        PathError: The network files are missing or invalid (path ``network.path``).
    """
    folder = scenario.network_dir() or default_seeds_dir()
    stores_csv = folder / "stores.csv"
    if not stores_csv.exists():
        raise PathError("network.path", f"no stores.csv in {folder}")
    try:
        return _cached_network(str(folder.resolve()), stores_csv.stat().st_mtime)
    except NetworkError as e:
        raise PathError("network.path", str(e)) from None


def _subset(scenario: Scenario, net: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    stores, skus = _cached_subset(net, scenario.network.stores, scenario.network.skus)
    return stores.copy(), skus.copy()  # the cached frames stay as selected


@lru_cache(maxsize=16)
def _cached_subset(net: Network, n_stores: int | None, n_skus: int | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stores and SKUs a run keeps, selected once per network and size.

    The selection took ~30 ms, a fifth of a 20-store week's replication, and every
    replication of a slice makes the same one. ``net`` is cached itself
    (:func:`scenario_network`) and hashed by identity.
    """
    stores, skus = net.stores, net.skus
    try:
        if n_stores is not None:
            stores = select_stores(stores, n_stores)
        if n_skus is not None:
            skus = select_skus(skus, n_skus)
    except NetworkError as e:
        raise PathError("network.stores" if "store" in str(e) else "network.skus",
                        e.problem) from None
    return stores.reset_index(drop=True), skus.reset_index(drop=True)


def slice_count(count: int, stores: int, network_stores: int) -> int:
    """A wave's ``count`` on a slice of the network: the same share of stores, at least one.

    ``count`` is written for the whole network the scenario names; a run on ``network.stores``
    of them keeps the wave's share (8 of 600 stores is 1 of 30, not 8), so a slice is a
    miniature of the plan rather than a plan whose pilot is a quarter of the network.
    """
    if stores >= network_stores:
        return count
    return max(1, round(count * stores / network_stores))


def assign_waves(scenario: Scenario, stores: pd.DataFrame,
                 network_stores: int | None = None) -> np.ndarray:
    """Resolve each wave's selectors to stores, in wave order.

    Args:
        scenario: The plan.
        stores: The stores the plan runs on.
        network_stores: Stores of the whole network, when ``stores`` is a slice of it (wave
            counts keep their share, :func:`slice_count`).

    Returns:
        The wave index of each store (-1 for stores no wave selects).

    Raises:
        PathError: An unknown region or store id, a store listed in two waves, or a wave that
            selects no store.
    """
    wave_of = np.full(len(stores), -1, dtype=np.int64)
    ids = stores["store_id"].astype(str).to_numpy()
    id_pos = {s: i for i, s in enumerate(ids)}
    regions = sorted(stores["region"].unique())
    for w, wave in enumerate(scenario.waves):
        for j, region in enumerate(wave.regions):
            if region not in regions:
                import difflib

                close = difflib.get_close_matches(region, regions, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise PathError(f"waves.{w}.regions.{j}",
                                f"unknown region '{region}' (regions: {', '.join(regions)}){hint}")
        chosen = np.zeros(len(stores), dtype=bool)
        for j, sid in enumerate(wave.store_ids):
            pos = id_pos.get(sid)
            if pos is None:
                raise PathError(f"waves.{w}.store_ids.{j}",
                                f"unknown store id '{sid}' (not among the {len(stores)} stores "
                                "of this network)")
            if wave_of[pos] >= 0 or chosen[pos]:
                other = wave_of[pos] if wave_of[pos] >= 0 else w
                raise PathError(f"waves.{w}.store_ids.{j}",
                                f"store '{sid}' is already in wave {other} "
                                f"('{scenario.waves[other].name}'); a store goes live once")
            chosen[pos] = True
        free = wave_of < 0
        if wave.all_remaining:
            match = free.copy()
        elif wave.regions or wave.volume_classes or (wave.count and not wave.store_ids):
            match = free.copy()
            if wave.regions:
                match &= stores["region"].isin(wave.regions).to_numpy()
            if wave.volume_classes:
                match &= stores["volume_class"].isin(wave.volume_classes).to_numpy()
        else:
            match = np.zeros(len(stores), dtype=bool)
        match &= ~chosen
        if wave.count is not None and match.sum() > 0:
            pool = stores[match]
            count = slice_count(wave.count, len(stores), network_stores or len(stores))
            take = select_stores(pool, min(count, len(pool)))
            match = stores["store_id"].isin(take["store_id"]).to_numpy()
        chosen |= match
        if not chosen.any():
            raise PathError(f"waves.{w}", "selects no store (its stores do not exist in this "
                            "network or an earlier wave took them all)")
        wave_of[chosen] = w
    return wave_of


def check_pos_families(scenario: Scenario, net: Network) -> None:
    """Every POS family given its own legacy cadence must exist in the network's stores.

    Raises:
        PathError: A family no store of the (full) network has, with a suggestion.
    """
    known = sorted(net.stores["pos_family"].astype(str).unique())
    for fam in scenario.inventory.legacy_sync_hours_by_pos_family:
        if fam not in known:
            import difflib

            close = difflib.get_close_matches(fam, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise PathError(f"inventory.legacy_sync_hours_by_pos_family.{fam}",
                            f"unknown POS family '{fam}' (stores.csv has: "
                            f"{', '.join(known)}){hint}")


def build_plan(scenario: Scenario) -> Plan:
    """Resolve a scenario against its network.

    Raises:
        PathError: Any plan problem (see :func:`assign_waves`, :func:`resolve_parameters`,
            :func:`check_pos_families`).
    """
    net = scenario_network(scenario)
    check_pos_families(scenario, net)
    regions = set(net.stores["region"])
    for i, d in enumerate(scenario.disruptions):
        for j, region in enumerate(d.regions or []):
            if region not in regions:
                raise PathError(f"disruptions.{i}.regions.{j}", f"unknown region '{region}' "
                                f"(regions: {', '.join(sorted(regions))})")
        for j, dc in enumerate(d.dcs or []):
            if dc not in set(net.dcs["dc_id"]):
                raise PathError(f"disruptions.{i}.dcs.{j}", f"unknown DC '{dc}' (DCs: "
                                f"{', '.join(net.dcs['dc_id'])})")
    stores, skus = _subset(scenario, net)
    wave_of = assign_waves(scenario, stores, len(net.stores))
    try:
        defaults, sources = network_parameters(scenario.network_dir(), default_seeds_dir())
    except NetworkError as e:
        raise PathError("network.path", str(e)) from None
    initial = load_initial(scenario, net, stores, skus)
    params = resolve_parameters(defaults, scenario.parameters)
    sources.update(dict.fromkeys(scenario.parameters, "scenario"))
    units = net.skus["units_per_store_week"]
    share = float(skus["units_per_store_week"].sum() / units.sum()) if units.sum() > 0 else 1.0
    return Plan(network=net, stores=stores, skus=skus, wave_of_store=wave_of, params=params,
                volume_share=share, store_share=len(stores) / max(len(net.stores), 1),
                param_sources=sources, initial=initial)


def check_plan(scenario: Scenario) -> Plan:
    """Validate a scenario against its network; returns the resolved plan."""
    return build_plan(scenario)
