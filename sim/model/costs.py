"""total_risk_cost: the scenario's cost weights applied to the risk drivers (one home).

Computed the same way per week, per region and over the horizon from declared counters
(:data:`COST_INPUTS`) and the refund-cycle samples.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.model.returns.rules import goodwill_days
from sim.scenario import Costs

#: The counters the cost is computed from.
COST_INPUTS = ("reroute_cost", "fallout_orders", "lost_sales_units", "sla_breaches",
               "margin_leakage", "close_delay_days", "handling_hours")


def risk_cost(c: Costs, t: dict[str, np.ndarray], refund_keys: tuple, refund_hours: tuple,
              size: int) -> np.ndarray:
    """The weighted sum of the risk drivers, per row of a table.

    Args:
        c: The scenario's cost weights.
        t: Totals of each of :data:`COST_INPUTS` per row.
        refund_keys: Row of each refund sample, one array per part.
        refund_hours: Cycle hours of each refund sample, aligned with ``refund_keys``.
        size: Rows of the table.
    """
    cost = (t["reroute_cost"] + c.fallout_order * t["fallout_orders"]
            + c.lost_sale_unit * t["lost_sales_units"] + c.sla_breach * t["sla_breaches"]
            + t["margin_leakage"] + c.close_delay_day * t["close_delay_days"]
            + c.exception_handling_hour * t["handling_hours"])
    return cost + c.refund_delay_day * goodwill_days_by_key(refund_keys, refund_hours, size)


@kernel
def goodwill_days_by_key(keys: tuple, hours: tuple, size: int) -> np.ndarray:
    """Per key, the refund-days that cost goodwill (summed in row order, part by part)."""
    out = np.zeros(size)
    for p in range(len(keys)):
        key, hrs = keys[p], hours[p]
        for i in range(len(key)):
            out[key[i]] += goodwill_days(hrs[i])
    return out
