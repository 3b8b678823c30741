"""Business rules of stock records and their visibility (DESIGN §5.1), as pure functions.

Which feed a node publishes through and how often, how often a feed fails, how much a node's
staff get wrong when recording stock, how late a real-time event reaches the record, and the
size of a receiving error. :mod:`sim.model.inventory.feeds` and
:mod:`sim.model.inventory.stock` apply them; the demand and returns loops read the record-error
factor they produce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from sim.model.world import CUTOVER, LIVE


def legacy_intervals(pos_family: np.ndarray, default_hours: float,
                     by_family: Mapping[str, float]) -> np.ndarray:
    """Legacy batch interval of each store: its POS family's own cadence, else the default.

    Args:
        pos_family: POS family per store.
        default_hours: ``inventory.legacy_sync_hours``.
        by_family: ``inventory.legacy_sync_hours_by_pos_family``.

    Returns:
        Hours between legacy batches, per store.
    """
    out = np.full(len(pos_family), float(default_hours))
    for fam, hours in by_family.items():
        out[pos_family == fam] = float(hours)
    return out


def live_nodes(state: np.ndarray, n_nodes: int, central_live: bool) -> np.ndarray:
    """Live nodes: stores on their own go-live, the DCs once the central systems are live."""
    n_stores = len(state)
    live = np.zeros(n_nodes, dtype=bool)
    live[:n_stores] = state == LIVE
    live[n_stores:] = central_live
    return live


def posts_harmonized(state: np.ndarray, harmonized: np.ndarray, central_live: bool
                     ) -> np.ndarray:
    """Nodes that post inventory events the harmonized way: live, with the area harmonized."""
    return harmonized & live_nodes(state, len(harmonized), central_live)


def gap_scan(physical: np.ndarray, system: np.ndarray, stores: np.ndarray, day: int,
             error_multiplier: np.ndarray) -> np.ndarray:
    """Cells a gap scan corrects: an empty shelf whose record says there is stock.

    A store posting harmonized inventory events scans the empty shelf spots at its
    replenishment review with the same handheld that posts its adjustments, and the scan
    sets the record of an empty spot to zero, so the review orders it (phantom stock no
    longer freezes replenishment until the next cycle count). Legacy stores have no such
    posting path: their phantom stock waits for the count. Staff in their go-live dip scan a
    spot the new way ``1 / multiplier`` of the time (:mod:`sim.model.rollout.adherence`).

    Args:
        physical: Shelf stock of the scanning ``stores`` (rows) by SKU.
        system: Their records.
        stores: The scanning stores.
        day: The day of the review.
        error_multiplier: Every store's go-live dip multiplier.
    """
    found = (physical <= 0) & (system > 0)
    rows, skus = np.nonzero(found)  # few: a uniform only for these
    u = scan_uniform(stores[rows] * physical.shape[1] + skus, day)
    found[rows, skus] = u * error_multiplier[stores[rows]] < 1.0
    return found


def scan_uniform(cell: np.ndarray, day: int) -> np.ndarray:
    """A uniform per store-SKU ``cell`` (store x SKUs + SKU) and day, without a draw.

    Golden-ratio and plastic-number steps over the cell and the day spread the values evenly
    and change them from day to day; no stream is read, so plans whose stores scan on
    different days stay paired.
    """
    x = cell * 0.6180339887498949 + day * 0.7548776662466927
    return x - np.floor(x)


def feed_profile(state: np.ndarray, harmonized: np.ndarray, central_live: bool,
                 coexistence: bool, store_legacy_hours: np.ndarray, integration_hours: float,
                 legacy_per_1000: float, integration_per_1000: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each node's feed: batch interval, failure probability per hour, real-time flag.

    * Real time: a node posting harmonized events (:func:`posts_harmonized`) whose events
      the channel reads as they happen, outside the integration layer: it never fails. The
      channel is the ecommerce platform, so a live store is real time only once the central
      systems are live too; before that (a pilot on the legacy platform) the legacy platform
      sees it through the integration layer, like any live store.
    * Integration layer: live stores without harmonized events, legacy stores during
      coexistence or once enterprise event definitions apply to them, DCs whose central
      systems are live without harmonized events or that run alongside live stores
      (coexistence). Live stores and DCs publish on the layer's interval; legacy stores keep
      their POS family's cadence unless enterprise definitions let them use the layer's.
    * Legacy point-to-point: the rest (DCs publish on the integration interval, as their
      WMS feeds always have).

    A layer or point-to-point feed fails at a rate per hour of *operation*, not per publish
    (an outage is a broken interface, whatever its cadence); a store in cutover publishes
    nothing, so its feed cannot fail.

    Args:
        state: Store states.
        harmonized: ``inventory_events`` harmonization per node (stores, then DCs).
        central_live: Whether the central systems (DCs, ecommerce) are live.
        coexistence: Whether the integration layer runs (something went live).
        store_legacy_hours: Each store's legacy batch interval (:func:`legacy_intervals`).
        integration_hours: ``inventory.integration_sync_hours``.
        legacy_per_1000: Point-to-point outages per 1,000 hours of operation.
        integration_per_1000: Integration-layer outages per 1,000 hours of operation.

    Returns:
        ``(interval hours, failure probability per hour, real time)`` per node.
    """
    n_stores = len(state)
    n = len(harmonized)
    live = live_nodes(state, n, central_live)
    realtime = harmonized & live & central_live  # posts_harmonized, read in real time
    interval = np.full(n, float(integration_hours))
    interval[:n_stores] = np.where(live[:n_stores] | harmonized[:n_stores],
                                   integration_hours, store_legacy_hours)
    through_layer = live | harmonized | coexistence
    rate = np.where(through_layer, integration_per_1000, legacy_per_1000) / 1000.0
    rate[realtime] = 0.0
    rate[:n_stores][state == CUTOVER] = 0.0
    return interval, rate, realtime


def record_error_factor(posting: np.ndarray, harmonized_factor: float) -> np.ndarray:
    """Multiplier of each node's record-error rates from how its inventory events post.

    Where harmonized inventory events are live (``posting``, :func:`posts_harmonized`),
    adjustments, receipts and counts post the same way everywhere, so fewer mistakes reach
    the record (``harmonized_factor``), whatever platform reads the records; elsewhere the
    legacy rates hold (1). The go-live dip multiplies on top.
    """
    return np.where(posting, float(harmonized_factor), 1.0)


def unposted_share(realtime_minutes: float) -> float:
    """Share of an hour's real-time sales the channel has not seen when the hour's orders come.

    The model promises an hour's orders after the hour's store sales; with events reaching
    the channel ``realtime_minutes`` after the till, the sales of the last that many minutes
    before a promise are not in the view it reads: with sales spread evenly over the hour,
    ``minutes / 60`` of them (all of them from an hour on).
    """
    return min(max(float(realtime_minutes), 0.0) / 60.0, 1.0)


def error_units(u_size: np.ndarray, u_sign: np.ndarray, mean_units: float) -> np.ndarray:
    """Signed size of a recording error: geometric with the given mean, either sign.

    Inverse-CDF draws from two uniforms, so the number of draws does not depend on how many
    errors happen (the caller decides which lines err with a third uniform).
    """
    p = 1.0 / max(float(mean_units), 1.0)
    if p >= 1.0:
        size = np.ones(np.shape(u_size))
    else:
        size = np.maximum(np.ceil(np.log1p(-np.asarray(u_size)) / np.log1p(-p)), 1.0)
    return np.where(np.asarray(u_sign) < 0.5, -size, size).astype(np.int64)


def store_demand(walkin_week: np.ndarray, online_week: np.ndarray, store_share: np.ndarray,
                 on_stores_share: float) -> np.ndarray:
    """A week's expected demand per store-SKU that a store's shelf serves.

    Its walk-in units plus its share (by volume) of the online units fulfilled at stores
    (pickups and ship-from-store).

    Args:
        walkin_week: Expected walk-in units per store-SKU.
        online_week: Expected online units per SKU, network-wide.
        store_share: Each store's share of the network's volume.
        on_stores_share: Share of online units fulfilled at stores.
    """
    return walkin_week + np.outer(store_share, online_week * on_stores_share)


def busier_week(demand: Callable[[int], np.ndarray], week: int, last: int) -> np.ndarray:
    """The larger, cell by cell, of ``week``'s and the next week's demand.

    A review made during a week must carry the shelf until the next delivery, which may fall
    in this week or the next (weeks past ``last`` read ``last``).
    """
    return np.maximum(demand(min(week, last)), demand(min(week + 1, last)))


def dc_store_demand(store_week: np.ndarray, store_dc: np.ndarray, n_dcs: int) -> np.ndarray:
    """Expected walk-in units per SKU of each DC's stores in a week, ``(n_dcs, n_skus)``.

    Args:
        store_week: Expected walk-in units per store-SKU of the week.
        store_dc: Serving DC of each store.
        n_dcs: Number of DCs.
    """
    out = np.zeros((n_dcs, store_week.shape[1]))
    for d in range(n_dcs):
        out[d] = store_week[store_dc == d].sum(axis=0)
    return out


def forward_cover(dc_store_week: Callable[[int], np.ndarray],
                  online_week: Callable[[int], np.ndarray], week: int, last: int,
                  cover_weeks: float, store_dc: np.ndarray, n_dcs: int, n_skus: int
                  ) -> np.ndarray:
    """A DC's order-up-to level per SKU: the forecast demand of the weeks it must cover.

    The walk-in demand of its stores and its share (by store count) of the online units
    over the ``cover_weeks`` weeks after ``week`` (a fractional last week weighted by its
    fraction), seasonality and promotions included: a DC builds stock ahead of a peak.

    Args:
        dc_store_week: Expected walk-in units per SKU of each DC's stores in a week
            (:func:`dc_store_demand`).
        online_week: Expected online units per SKU of a week.
        week: The week of the review (0-based).
        last: Last week of the horizon (later weeks read it: promotions are known within it).
        cover_weeks: ``dc_order_up_to_weeks``.
        store_dc: Serving DC of each store.
        n_dcs: Number of DCs.
        n_skus: Number of SKUs.
    """
    full = int(cover_weeks)
    out = np.zeros((n_dcs, n_skus))
    # Each DC's share of the online units: its share of the stores.
    shares = [(store_dc == d).sum() / max(len(store_dc), 1) for d in range(n_dcs)]
    for k in range(1, full + 2):
        weight = 1.0 if k <= full else cover_weeks - full
        if weight <= 0:
            break
        ahead = min(week + k, last)
        stores, online = dc_store_week(ahead), online_week(ahead)
        for d in range(n_dcs):
            out[d] += weight * (stores[d] + online * shares[d])
    return np.ceil(out).astype(np.int64)


def order_up_to(weekly_demand: np.ndarray, cover_weeks: float, safety_z: float) -> np.ndarray:
    """A store's order-up-to level per SKU: cover plus safety stock, the (R, S) policy.

    ``cover_weeks`` of the expected demand, plus ``safety_z`` standard deviations of the
    (Poisson) demand over that cover, plus one unit on display. Without the safety stock a
    store runs out so often that any stock it holds beyond its records (a restock nobody
    booked) saves sales, which no store would plan for.

    Args:
        weekly_demand: Expected units a week per store-SKU.
        cover_weeks: Weeks of demand the level covers (review period plus lead time).
        safety_z: Safety factor (standard normal quantile of the cycle service level).
    """
    cover = cover_weeks * np.asarray(weekly_demand, dtype=float)
    return np.ceil(cover + safety_z * np.sqrt(cover)).astype(np.int64) + 1
