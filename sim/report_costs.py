"""The HTML report's cost section: total_risk_cost with its components (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from sim import plotting_data as pdata
from sim.verdict import currency_of

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.experiment import RunResult


def cost_breakdown_html(runs: Sequence[RunResult], cmp: Comparison | None) -> str:
    """The report's section of total_risk_cost with its components, per plan.

    Args:
        runs: The plans (reference first for a comparison).
        cmp: Their comparison (adds each plan's paired difference from the reference).

    Returns:
        An HTML heading, note and table (:func:`sim.plotting_data.cost_breakdown_table`).
    """
    from sim.report import _e, _num  # the report's cell helpers (it imports this module)

    t = pdata.cost_breakdown_table(runs, cmp)
    plans = [r.scenario for r in runs]
    paired = cmp is not None and len(plans) > 1
    head = "".join(f"<th>{_e(p)}<br>mean [95% CI]</th><th>share</th>"
                   + (f"<th>vs {_e(plans[0])} [95% CI]</th>" if paired and i else "")
                   for i, p in enumerate(plans))
    rows = [f"<h2>total_risk_cost by component ({_e(currency_of(runs))})</h2>"
            "<p class='note'>Each component is a metric "
            "(<code>cost.&lt;component&gt;</code>) and the total is their sum; enablement is "
            "what a plan spends on its go-lives (its parts indented).</p>"
            f"<table><tr><th>component</th>{head}</tr>"]

    def ci(lo: float, hi: float) -> str:
        return (f" <span class='note'>[{_e(pdata.fmt_value(lo, 'currency'))}, "
                f"{_e(pdata.fmt_value(hi, 'currency'))}]</span>")

    for m in dict.fromkeys(t["metric"]):
        sub = t[t["metric"] == m].set_index("plan")
        cells = ""
        for i, p in enumerate(plans):
            if p not in sub.index:
                cells += "<td></td><td></td>" + ("<td></td>" if paired and i else "")
                continue
            s = sub.loc[p]
            share = "–" if pd.isna(s["share"]) else f"{s['share']:.1%}"
            cells += (_num(s["mean"], "currency", p, m, "mean", ci(s["ci_low"], s["ci_high"]))
                      + f"<td class='num'>{share}</td>")
            if paired and i:
                cells += _num(s["diff"], "currency", p, m, "difference",
                              ci(s["diff_low"], s["diff_high"]))
        label = "&nbsp;" * 4 * int(sub["depth"].iloc[0]) + _e(m)
        rows.append(f"<tr><td title='{_e(pdata.description_of(m))}'>{label}</td>{cells}</tr>")
    return "".join(rows) + "</table>"
