"""The order-to-fulfillment rules, one home each (DESIGN §5.2).

Small pure functions, compiled inline into the channel's loops (:mod:`sim.model.orders.kernels`)
where a kernel needs them: the legacy channel rules, which stores orchestration considers,
what a candidate node is expected to cost, what a reroute costs, whether a store's picker
misses a unit that is there.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.model.plumbing.jit import inline_kernel
from sim.model.world import CUTOVER
from sim.scenario import Costs

#: Fulfilment methods of an online order.
SHIP, SFS, BOPIS = 0, 1, 2
#: Golden-ratio step between the pick-error uniforms of an order's successive picks.
GOLDEN = 0.6180339887498949


class RouteCosts(NamedTuple):
    """What orchestration weighs (currency per order, probabilities, km).

    Attributes:
        ship_parcel: Base cost of one parcel to the customer.
        ship_per_km: Shipping cost per km from the node to the customer.
        store_pick: Store labour to pick and pack one order.
        dc_pick: DC labour to pick and pack one order.
        expedite: Premium of a faster service that keeps a rerouted shipment's promise.
        rerelease: Labour of re-releasing an order automatically after a failed pick.
        risk_realtime: Chance a pick fails when a real-time view shows one unit of headroom.
        risk_batch: The same for a batch (snapshot) view.
        risk_scale: Units of headroom over which that chance falls by a factor e.
        bopis_max_km: Farthest another pickup store may be from the customer's chosen one.
    """

    ship_parcel: float
    ship_per_km: float
    store_pick: float
    dc_pick: float
    expedite: float
    rerelease: float
    risk_realtime: float
    risk_batch: float
    risk_scale: float
    bopis_max_km: float


def blocked_picks(node: np.ndarray, n_stores: int, state: np.ndarray, closed: np.ndarray,
                  dc_closed: np.ndarray) -> np.ndarray | None:
    """Which picks cannot be made this hour, or None if all can.

    No labour or system at a store in cutover; nobody at a closed store or DC (a disruption).
    """
    if not (np.count_nonzero(state == CUTOVER) or np.count_nonzero(closed)
            or np.count_nonzero(dc_closed)):
        return None
    at_store = node < n_stores
    blocked = np.zeros(len(node), dtype=bool)
    blocked[at_store] = (state[node[at_store]] == CUTOVER) | closed[node[at_store]]
    blocked[~at_store] = dc_closed[node[~at_store] - n_stores]
    return blocked if np.count_nonzero(blocked) else None


def route_costs(costs: Costs, p: dict[str, float]) -> RouteCosts:
    """The orchestration weights from the scenario's cost section and the parameters."""
    return RouteCosts(costs.ship_parcel, costs.ship_per_km, costs.store_pick_order,
                      costs.dc_pick_order, costs.expedite_premium, costs.auto_reroute_labour,
                      p["atp_fail_risk_realtime"], p["atp_fail_risk_batch"],
                      p["atp_fail_headroom_units"], p["bopis_reroute_max_km"])


@inline_kernel
def legacy_node(stage: int, method: int, dc: int, home: int, store: int) -> int:
    """The node the legacy channel rules try at a routing stage (-1: none).

    Stage 2: a ship order goes to the customer region's DC, a ship-from-store order to the
    customer's home store, a BOPIS order to the store the customer chose. Stage 3: a
    ship-from-store order the home store cannot promise falls back to the DC.
    """
    if stage == 2:
        return dc if method == SHIP else (home if method == SFS else store)
    return dc if method == SFS else -1


@inline_kernel
def ship_cost(km: float, c: RouteCosts) -> float:
    """Cost of one parcel carried ``km`` from the node to the customer."""
    return c.ship_parcel + c.ship_per_km * km


@inline_kernel
def pick_labour(at_store: bool, c: RouteCosts) -> float:
    """Labour to pick and pack one order at a store or a DC."""
    return c.store_pick if at_store else c.dc_pick


@inline_kernel
def fail_risk(headroom: float, realtime: bool, c: RouteCosts) -> float:
    """Chance the pick fails given the units available to promise beyond the buffer.

    A view one unit above the buffer fails with the view's base risk (record errors, and for
    batch views promises made since the snapshot); more headroom needs a larger record error
    to fail, so the risk falls exponentially with it, as the model's own short picks do.
    """
    base = c.risk_realtime if realtime else c.risk_batch
    x = (max(headroom, 1.0) - 1.0) / c.risk_scale
    if x > 50.0:  # under 1e-21: skip exp's slow underflow path (deep DC stock)
        return 0.0
    return base * np.exp(-x)


@inline_kernel
def walkin_loss(left: float, walkin_units: float, margin: float) -> float:
    """Expected walk-in margin lost by taking a store's unit for an online order.

    The chance the store's walk-in demand until its next delivery (Poisson with mean
    ``walkin_units``) exceeds the ``left`` units it would still hold, times the SKU's
    ``margin`` (price - cost, what a lost walk-in sale costs, ``cost.lost_margin``): nothing
    while the shelf is deep, a lost sale's margin when it is about to run out. The Poisson
    tail is taken as a normal one (continuity-corrected), through Bowling et al.'s (2009)
    logistic form of the normal distribution (error < 1.4e-4, one ``exp`` rather than an
    ``erfc``: this runs for every nearby store of most online orders).
    """
    if walkin_units <= 0.0:
        return 0.0
    z = (left + 0.5 - walkin_units) / math.sqrt(walkin_units)
    if z > 6.0:  # under 1e-9 of a lost sale (most deep shelves)
        return 0.0
    return margin / (1.0 + math.exp(z * (1.5976 + 0.07056 * z * z)))


@inline_kernel
def handling_cost(shipped: bool, km: float, detour_km: float, at_store: bool, headroom: float,
                  realtime: bool, c: RouteCosts) -> float:
    """A node's expected cost of one order before the walk-in sales at stake (see node_cost).

    Shipping (by distance to the customer) or, for a pickup at another store than the one
    chosen, the customer's detour priced per km (it only ranks nearby stores: the retailer
    pays nothing for it); plus pick labour; plus the expected cost of a failed pick there
    (a rush reshipment, a re-release and a second pick) weighted by :func:`fail_risk`.
    """
    move = ship_cost(km, c) if shipped else c.ship_per_km * detour_km
    pick = pick_labour(at_store, c)
    return move + pick + fail_risk(headroom, realtime, c) * (c.expedite + c.rerelease + pick)


@inline_kernel
def node_cost(shipped: bool, km: float, detour_km: float, at_store: bool, headroom: float,
              realtime: bool, left: float, walkin_units: float, margin: float,
              c: RouteCosts) -> float:
    """Expected cost of fulfilling one order from a node (DESIGN §5.2).

    :func:`handling_cost` plus, at a store, the walk-in sales its unit may have served
    (:func:`walkin_loss`, ``left`` the units the store would still hold, ``margin`` the
    SKU's). The routing loop
    adds the two parts itself, the second only for a candidate the first leaves in the race.
    """
    cost = handling_cost(shipped, km, detour_km, at_store, headroom, realtime, c)
    if at_store:
        cost += walkin_loss(left, walkin_units, margin)
    return cost


@inline_kernel
def line_reroute_shipping(old_km: float, new_km: float, was_shipped: bool, shipped: bool,
                          replaces: bool, rides: bool, c: RouteCosts) -> float:
    """The shipping moving a failed order line to another node adds.

    A new parcel from the new node, less the failed node's parcel where it is no longer sent
    (``replaces``: a one-line order, or the first line of an order all of whose lines
    moved), all of a parcel when a pickup becomes a delivery. A line of a larger order whose
    other lines still ship from the failed node is a **split shipment**: its parcel is all
    extra. A line that ``rides`` in the parcel of another line of its order moved with it to
    the same node adds nothing.
    """
    old = ship_cost(old_km, c) if was_shipped and replaces else 0.0
    new = ship_cost(new_km, c) if shipped and not rides else 0.0
    return max(new - old, 0.0)


@inline_kernel
def line_reroute_cost(ship: float, shipped: bool, rides: bool, automatic: bool,
                      c: RouteCosts) -> float:
    """What moving a failed order line to another node costs, given its extra ``ship``-ping.

    The extra shipping (:func:`line_reroute_shipping`), an expedite premium on a new parcel
    (to keep the promised date after the lost hours), and for automatic reroutes the
    re-release labour. A manual reroute's labour is the ``manual_reroute`` or
    ``pickup_failure`` exception's handling hours, costed by the desk, so it is not counted
    again here. A pickup moved to another store costs nothing extra but the labour.
    """
    return ship + (c.expedite if shipped and not rides else 0.0) + (
        c.rerelease if automatic else 0.0)


def reroute_shipping(old_km: np.ndarray, new_km: np.ndarray, was_shipped: np.ndarray,
                     shipped: np.ndarray, c: RouteCosts, replaces: np.ndarray | bool = True,
                     rides: np.ndarray | bool = False) -> np.ndarray:
    """:func:`line_reroute_shipping` of each line (arguments broadcast together)."""
    lines = zip(*np.broadcast_arrays(old_km, new_km, was_shipped, shipped, replaces, rides),
                strict=True)
    return np.array([line_reroute_shipping(float(o), float(n), bool(w), bool(s), bool(r),
                                           bool(d), c) for o, n, w, s, r, d in lines])


def reroute_cost(old_km: np.ndarray, new_km: np.ndarray, was_shipped: np.ndarray,
                 shipped: np.ndarray, automatic: bool, c: RouteCosts,
                 replaces: np.ndarray | bool = True, rides: np.ndarray | bool = False
                 ) -> np.ndarray:
    """:func:`line_reroute_cost` of each line (arguments broadcast together)."""
    ship = reroute_shipping(old_km, new_km, was_shipped, shipped, c, replaces, rides)
    lines = zip(*np.broadcast_arrays(ship, shipped, rides), strict=True)
    return np.array([line_reroute_cost(float(x), bool(s), bool(d), bool(automatic), c)
                     for x, s, d in lines])


@inline_kernel
def fulfillment_cost(km: float, parcel: bool, at_store: bool, booked: float,
                     c: RouteCosts) -> float:
    """What fulfilling one order line costs when it is picked.

    Its parcel (by distance) if it starts one (``parcel``: delivered, and not riding in the
    parcel of a line of its order picked with it), plus the pick labour at the store or DC:
    the terms of :func:`handling_cost` spent on every line, not only on the ones that fail.
    Shipping its reroutes already ``booked`` as ``reroute_cost`` (:func:`reroute_shipping`)
    is not counted twice.
    """
    ship = max(ship_cost(km, c) - booked, 0.0) if parcel else 0.0
    return ship + pick_labour(at_store, c)


@inline_kernel
def pick_uniform(u: float, tries: int) -> float:
    """The pick-error uniform of an order's pick after ``tries`` failed ones.

    One uniform is drawn per order when it is placed (whatever node or state it meets); each
    later pick turns it by the golden ratio, which gives a fresh, evenly spread value without
    a draw whose position in the stream would depend on the plan.
    """
    x = u + tries * GOLDEN
    return x - np.floor(x)


@inline_kernel
def report_uniform(pick_u: float, tries: int) -> float:
    """The uniform that decides how a failed pick is reported (the new flow or a phone call).

    Taken from the low digits of the failed pick's uniform (:func:`pick_uniform`): the pick
    failed on its leading digits (``u < p``), and the digits below the 24th binary place are
    spread evenly whatever they were, so the order needs no draw of its own and the decision
    does not depend on how many orders failed before it (plans stay paired).
    """
    x = pick_u + tries * GOLDEN
    x = (x - np.floor(x)) * 2.0 ** 24
    return x - np.floor(x)


@inline_kernel
def pick_missed(u: float, error_prob: float, error_multiplier: float) -> bool:
    """Whether a store's picker fails to find a unit that is on the shelf.

    The settled rate times the store's go-live dip multiplier (1 when settled or legacy).
    """
    return u < error_prob * error_multiplier


def nearest_k(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` smallest values, by value then index.

    The same as ``np.argsort(d, axis=1, kind="stable")[:, :k]``, without sorting whole rows
    (a region of a 6,000-store network has ~1,000 stores): a partition finds the ``k``
    smallest, and only rows where the ``k``-th value ties the next one are sorted in full.
    """
    if d.shape[1] <= k:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    part = np.argpartition(d, k, axis=1)
    idx = part[:, :k]
    vals = np.take_along_axis(d, idx, axis=1)
    order = np.take_along_axis(idx, np.lexsort((idx, vals), axis=1), axis=1)
    nxt = np.take_along_axis(d, part[:, k:k + 1], axis=1)[:, 0]
    for row in np.flatnonzero(vals.max(axis=1) >= nxt):  # a tie at the k-th place
        order[row] = np.argsort(d[row], kind="stable")[:k]
    return order
