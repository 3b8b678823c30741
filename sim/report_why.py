"""The HTML report's "why these weeks" table: each plan's riskiest weeks and their drivers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.plotting_data.weekly import week_events
from sim.plotting_data.why import component_label, why_weeks
from sim.verdict import money

if TYPE_CHECKING:
    from sim.experiment import RunResult


def why_weeks_html(runs: Sequence[RunResult], compared: bool, currency: str, n: int = 3) -> str:
    """Per plan, the ``n`` weeks that cost most, and what drives them.

    Args:
        runs: The plans (reference first when ``compared``).
        compared: Whether the runs are a paired comparison (weeks of the other plans are then
            measured against the reference's same weeks).
        currency: The currency of the money figures.
        n: Weeks per plan.

    Returns:
        An HTML heading, note and table (:func:`sim.plotting_data.why.why_weeks`).
    """
    from sim.report import _e  # the report's escaping helper (it imports this module)

    ref = runs[0] if compared and len(runs) > 1 else None
    out = ["<h2>Why these weeks</h2><p class='note'>Per plan, the weeks that cost most: "
           + (f"for each plan the weeks it costs most above <b>{_e(ref.scenario)}</b> in the "
              "same week and replication, and for the reference its weeks furthest above its "
              "own median week" if ref is not None else
              "the weeks furthest above the plan's median week")
           + ". Driven by: the cost components with the largest excess in that week; "
           "exceptions: the type raised most above the same basis. Medians over replications "
           f"({_e(currency)}).</p><table><tr><th>plan</th><th>week</th><th>cost of the week"
           "</th><th>excess</th><th>driven by</th><th>exceptions</th><th>backlog</th>"
           "<th>events</th></tr>"]
    for r in runs:
        t = why_weeks(r, None if (ref is None or r is ref) else ref, n)
        for w in t.itertuples(index=False):
            drivers = ", ".join(f"{component_label(c)} {money(v, currency, True)}"
                                for c, v in w.drivers) or "–"
            exc = (f"{w.exception} +{w.exception_excess:,.0f}" if w.exception else "–")
            events = week_events(w.peak, w.freeze, w.go_lives, w.disruption)
            out.append(
                f"<tr data-plan='{_e(r.scenario)}' data-week='{w.week}'><td>{_e(r.scenario)}"
                f"</td><td class='num'>{w.week}</td><td class='num'>"
                f"{_e(money(w.cost, currency))}</td><td class='num'>"
                f"{_e(money(w.excess, currency, True))} <span class='note'>{_e(w.basis)}"
                f"</span></td><td>{_e(drivers)}</td><td>{_e(exc)}</td><td class='num'>"
                f"{w.backlog:,.0f}</td><td class='flag'>{_e(', '.join(events))}</td></tr>")
    return "".join(out) + "</table>"
