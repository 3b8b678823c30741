"""The tables the CLI prints: headline summary, refund cycle per channel pair, cost breakdown."""

from __future__ import annotations

from rich.console import Console

console = Console()

HEADLINE = ("ecommerce_orders", "oversell_rate", "reroute_cost", "order_fallout_rate",
            "pickup_ready_rate", "refund_cycle_hours_mean", "exceptions_total",
            "exception_backlog_peak", "exception_sla_met_rate", "margin_leakage",
            "manual_journals", "close_delay_days", "rollout_completion_week", "total_risk_cost")


def fmt(x, unit: str = "") -> str:
    """A number for a terminal table; ``-`` for none.

    Fractions as percentages (as the report shows them); others thousands-separated, with 1
    or 3 decimals when small.
    """
    if x is None:
        return "-"
    if unit == "fraction":
        return f"{x:.2%}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def summary_table(title: str, summaries: dict[str, dict]) -> None:
    """The headline metrics of one or more plans: mean [95% CI] and P90."""
    from rich.table import Table

    from sim.metrics import REGISTRY

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("unit")
    for plan in summaries:
        table.add_column(f"{plan}\nmean [95% CI]", justify="right")
        table.add_column("P90", justify="right")
    for m in HEADLINE:
        unit = REGISTRY[m].unit
        row = [m, "%" if unit == "fraction" else unit]
        for summary in summaries.values():
            d = summary.get(m, {})
            ci = d.get("ci95", [None, None])
            row += [f"{fmt(d.get('mean'), unit)} [{fmt(ci[0], unit)}, {fmt(ci[1], unit)}]",
                    fmt(d.get("p90"), unit)]
        table.add_row(*row)
    console.print(table)


def refund_table(runs) -> None:
    """Refund cycle per plan and channel pair (median and P90 hours)."""
    from rich.table import Table

    from sim.plotting_data import refund_pairs_table

    t = refund_pairs_table(runs)
    if t.empty:
        return
    table = Table(title="refund cycle by channel pair (hours)")
    for col in ("plan", "channel pair", "refunds/rep", "median", "P90"):
        table.add_column(col, justify="left" if col in ("plan", "channel pair") else "right")
    for r in t.itertuples(index=False):
        table.add_row(r.plan, r.channel_pair, fmt(r.refunds), fmt(r.p50_hours),
                      fmt(r.p90_hours))
    console.print(table)


def cost_table(title: str, summaries: dict[str, dict], differences=None) -> None:
    """total_risk_cost with its components: mean and share of the total per plan.

    With ``differences`` (a comparison's paired differences), each plan after the first also
    gets its mean difference from the first, component by component.
    """
    from rich.table import Table

    from sim.model.costs import BREAKDOWN

    plans = list(summaries)
    diff = {} if differences is None else {
        (r.plan, r.metric): r.mean for r in differences.itertuples(index=False)}
    table = Table(title=title)
    table.add_column("component")
    for i, plan in enumerate(plans):
        table.add_column(f"{plan}\nmean", justify="right")
        table.add_column("share", justify="right")
        if diff and i:
            table.add_column(f"vs {plans[0]}", justify="right")
    for name, depth in BREAKDOWN:
        row = [("  " * depth) + name]
        for i, (plan, summary) in enumerate(summaries.items()):
            mean = summary.get(name, {}).get("mean")
            total = summary.get("total_risk_cost", {}).get("mean")
            share = f"{mean / total:.1%}" if mean is not None and total else "-"
            row += [fmt(mean), share]
            if diff and i:
                d = diff.get((plan, name))
                row.append("-" if d is None else f"{'+' if d > 0 else ''}{fmt(d)}")
        table.add_row(*row)
    console.print(table)
