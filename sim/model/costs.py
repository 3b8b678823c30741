"""total_risk_cost and its components: the scenario's cost weights on the model's counters.

The one home of the composition (DESIGN §6). Every component is a registered metric
(``cost.<component>``), computed the same way per week, per region and over the horizon from
declared counters (and the refund-cycle samples), and ``total_risk_cost`` is their sum, row by
row, in the order of :data:`TOTAL_OF`.

What each component pays for, and what it leaves to another so nothing is paid twice:

* ``cost.lost_margin``: walk-in units not served, each at its SKU's margin (price - cost).
* ``cost.reroutes``: the ``reroute_cost`` counter: extra shipping and expedite, and an
  automatic reroute's re-release labour (no exception is raised for it).
* ``cost.fulfillment``: shipping and pick labour of every online order picked, so routing's
  choice of node is judged on both sides: what ship-from-store saves in parcels and what its
  picks put at stake in walk-in sales (``cost.lost_margin``).
* ``cost.fallout``: cancelled online orders (lost margin and goodwill).
* ``cost.sla_breaches``: exceptions resolved late or overdue.
* ``cost.margin_leakage``: value lost to promotion mismatches.
* ``cost.refund_goodwill``: refund-days beyond the free days.
* ``cost.close_delay``: business days month-end closes ran late.
* ``cost.close_surge``: the staff-hours finance added at month ends (overtime, borrowed).
* ``cost.exception_labour``: hours of exception work by the permanent teams (a manual
  reroute's labour is here, not in ``reroute_cost``); the hours added staff worked are paid
  with their staff-hours (enablement, close surge), so they are left out here.
* ``cost.holding``: the stock on hand, valued at cost each day, at the annual holding rate.
* ``cost.enablement``: what a plan spends on its go-lives, the sum of its parts: hypercare and
  command-center staff-hours, training (share trained x staff per store), master-data
  cleansing (cleansing share x a store's full cleansing) and cutover IT, the last three per
  store go-live (a retried cutover pays again), in the go-live's week and region.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.model.returns.rules import goodwill_days
from sim.scenario import Scenario

#: Days per year of the daily stock valuation (``stock_value_days``).
DAYS_PER_YEAR = 365.0

#: The parts of ``cost.enablement``, in the order they are summed.
ENABLEMENT_PARTS = ("cost.enablement.hypercare", "cost.enablement.command_center",
                    "cost.enablement.training", "cost.enablement.cleansing",
                    "cost.enablement.cutover_it")

#: The components ``total_risk_cost`` sums, in the order they are summed.
TOTAL_OF = ("cost.lost_margin", "cost.reroutes", "cost.fulfillment", "cost.fallout",
            "cost.sla_breaches",
            "cost.margin_leakage", "cost.refund_goodwill", "cost.close_delay",
            "cost.close_surge", "cost.exception_labour", "cost.holding", "cost.enablement")

#: The cost metrics in report order with their depth (1: a part of ``cost.enablement``), the
#: total last: the breakdown the CLI and the HTML report show next to ``total_risk_cost``.
BREAKDOWN: tuple[tuple[str, int], ...] = (
    *((name, 0) for name in TOTAL_OF[:-1]), ("cost.enablement", 0),
    *((name, 1) for name in ENABLEMENT_PARTS), ("total_risk_cost", 0))

#: The cost metrics that are sums of others, in the order they are computed.
COMPOSITES: dict[str, tuple[str, ...]] = {"cost.enablement": ENABLEMENT_PARTS,
                                          "total_risk_cost": TOTAL_OF}

#: Every cost metric with the declared counters it is computed from and what it is.
COMPONENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "cost.lost_margin": (("lost_margin",), "walk-in units not served, at their SKU's margin"),
    "cost.reroutes": (("reroute_cost",), "extra shipping and expedite of reroutes, automatic "
                      "re-release labour"),
    "cost.fulfillment": (("fulfillment_cost",), "shipping and pick labour of the online orders "
                         "picked"),
    "cost.fallout": (("fallout_orders",), "cancelled online orders x costs.fallout_order"),
    "cost.sla_breaches": (("sla_breaches",), "exceptions resolved late x costs.sla_breach"),
    "cost.margin_leakage": (("margin_leakage",), "value lost to promotion mismatches"),
    "cost.refund_goodwill": ((), "refund-days beyond the free days x costs.refund_delay_day"),
    "cost.close_delay": (("close_delay_days",), "late business days x costs.close_delay_day "
                         "(x a slice's share of the network)"),
    "cost.close_surge": (("close_surge_staff_hours",),
                         "month-end surge staff-hours x costs.close_surge_staff_hour"),
    "cost.exception_labour": (("handling_hours", "added_staff_handling_hours"),
                              "permanent teams' exception hours x "
                              "costs.exception_handling_hour"),
    "cost.holding": (("stock_value_days",),
                     "stock on hand at cost x costs.holding_rate_per_year, by day"),
    "cost.enablement.hypercare": (("hypercare_staff_hours",),
                                  "hypercare staff-hours x costs.enablement_staff_hour"),
    "cost.enablement.command_center": (("command_center_staff_hours",),
                                       "command-center staff-hours x "
                                       "costs.enablement_staff_hour"),
    "cost.enablement.training": (("go_lives",), "go-lives x training.completion x "
                                 "costs.staff_per_store x costs.training_per_trainee"),
    "cost.enablement.cleansing": (("go_lives",), "go-lives x master_data.cleansing x "
                                  "costs.cleansing_per_store"),
    "cost.enablement.cutover_it": (("go_lives",), "go-lives x costs.cutover_it_per_store"),
    "cost.enablement": ((), "hypercare, command center, training, cleansing, cutover IT"),
}

#: Every counter the costs read (the refund-cycle samples besides).
COST_INPUTS: tuple[str, ...] = tuple(dict.fromkeys(c for of, _ in COMPONENTS.values()
                                                    for c in of))


def cost_columns(sc: Scenario, t: dict[str, np.ndarray], refund_keys: tuple,
                 refund_hours: tuple, size: int, volume_share: float = 1.0,
                 store_share: float = 1.0) -> dict[str, np.ndarray]:
    """Every cost component and ``total_risk_cost``, per row of a table.

    Args:
        sc: The scenario (its ``[costs]`` weights, training completion, cleansing share).
        t: Totals of each of :data:`COST_INPUTS` per row.
        refund_keys: Row of each refund sample, one array per part.
        refund_hours: Cycle hours of each refund sample, aligned with ``refund_keys``.
        size: Rows of the table.
        volume_share: The run's SKU subset as a share of the assortment's volume: a
            ``network.skus`` slice simulates that share of every store's business, so the
            per-store enablement (training, cleansing, cutover IT) is that share of a store's
            too (1 for the whole assortment).
        store_share: The run's stores as a share of the network's. A month-end close is the
            whole company's, and a slice's finance team is the network's (it works the
            stand-ins of the left-out stores' breaks, :mod:`sim.model.desk.stand_ins`), so
            its close runs as late as the network's; the slice pays its share of a late day
            (``store_share x volume_share``), as it pays its share of hypercare.

    Returns:
        ``cost.<component>`` (enablement parts included) and ``total_risk_cost``, each an
        array of ``size`` rows; the total is the sum of :data:`TOTAL_OF` in that order.
    """
    c = sc.costs
    go_lives = t["go_lives"]
    cols = {
        "cost.lost_margin": 1.0 * t["lost_margin"],
        "cost.reroutes": 1.0 * t["reroute_cost"],
        "cost.fulfillment": 1.0 * t["fulfillment_cost"],
        "cost.fallout": c.fallout_order * t["fallout_orders"],
        "cost.sla_breaches": c.sla_breach * t["sla_breaches"],
        "cost.margin_leakage": 1.0 * t["margin_leakage"],
        "cost.refund_goodwill": c.refund_delay_day * goodwill_days_by_key(
            refund_keys, refund_hours, size),
        "cost.close_delay": c.close_delay_day * store_share * volume_share
        * t["close_delay_days"],
        "cost.close_surge": c.close_surge_staff_hour * t["close_surge_staff_hours"],
        "cost.exception_labour": c.exception_handling_hour * (
            t["handling_hours"] - t["added_staff_handling_hours"]),
        "cost.holding": c.holding_rate_per_year / DAYS_PER_YEAR * t["stock_value_days"],
        "cost.enablement.hypercare": c.enablement_staff_hour * t["hypercare_staff_hours"],
        "cost.enablement.command_center": (c.enablement_staff_hour
                                           * t["command_center_staff_hours"]),
        "cost.enablement.training": (sc.training.completion * c.staff_per_store
                                     * c.training_per_trainee * volume_share) * go_lives,
        "cost.enablement.cleansing": (sc.master_data.cleansing * c.cleansing_per_store
                                      * volume_share) * go_lives,
        "cost.enablement.cutover_it": c.cutover_it_per_store * volume_share * go_lives,
    }
    return with_composites(cols)


def with_composites(cols: dict) -> dict:
    """Add the sums (``cost.enablement``, then ``total_risk_cost``) to their parts' values.

    Each sum adds its parts left to right, so re-adding a table's components in the order of
    :data:`COMPOSITES` gives the total's exact bits, per row and over the horizon alike.

    Args:
        cols: Every part's value (arrays of table rows, or horizon floats).

    Returns:
        ``cols``, with the sums added.
    """
    for name, parts in COMPOSITES.items():
        total = 0.0 * cols[parts[0]]
        for p in parts:
            total = total + cols[p]
        cols[name] = total
    return cols


@kernel
def goodwill_days_by_key(keys: tuple, hours: tuple, size: int) -> np.ndarray:
    """Per key, the refund-days that cost goodwill (summed in row order, part by part)."""
    out = np.zeros(size)
    for p in range(len(keys)):
        key, hrs = keys[p], hours[p]
        for i in range(len(key)):
            out[key[i]] += goodwill_days(hrs[i])
    return out
