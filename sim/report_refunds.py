"""The HTML report's refund table: refund cycle per channel pair and plan (issue 16)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim import plotting_data as pdata

if TYPE_CHECKING:
    from sim.experiment import RunResult


def refund_pairs_html(runs: Sequence[RunResult]) -> str:
    """Median and P90 refund cycle of each channel pair, per plan.

    The network-wide ``refund_cycle_hours_p90`` mixes the till's minutes with the mail's days;
    this table shows each pair on its own (:func:`sim.plotting_data.refund_pairs_table`).
    """
    from sim.report import _e  # the report's cell helper (it imports this module)

    t = pdata.refund_pairs_table(runs)
    if t.empty:
        return ""
    rows = ["<table><tr><th>plan</th><th>channel pair</th><th>refunds per replication</th>"
            "<th>median hours</th><th>P90 hours</th></tr>"]
    for r in t.itertuples(index=False):
        rows.append(f"<tr><td>{_e(r.plan)}</td><td>{_e(r.channel_pair)}</td>"
                    f"<td>{pdata.fmt_value(r.refunds, 'count')}</td>"
                    f"<td>{pdata.fmt_value(r.p50_hours, 'hours')}</td>"
                    f"<td>{pdata.fmt_value(r.p90_hours, 'hours')}</td></tr>")
    return "\n".join(rows) + "</table>"
