"""The tables the CLI prints: headline summary, refund cycle, cost breakdown, ranking.

Each table is first built as a :class:`Grid` (its cells as text), then drawn: with rich in a
terminal (:func:`draw`), or as a GitHub pipe table (:func:`markdown`). In a terminal a table
never cuts a cell to ``…``: when the console (80 columns when output is piped) is narrower
than a table with a column pair per plan needs, the table switches to a long layout (one row
per metric and plan), and cells wrap at spaces (``[1,234,`` / ``5,678]``) before any number
would be folded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len
from rich.console import Console

console = Console()

HEADLINE = ("ecommerce_orders", "oversell_rate", "reroute_cost", "order_fallout_rate",
            "pickup_ready_rate", "refund_cycle_hours_mean", "exceptions_total",
            "exception_backlog_peak", "exception_sla_met_rate", "margin_leakage",
            "manual_journals", "close_delay_days", "rollout_completion_week", "total_risk_cost")


def fmt(x: Any, unit: str = "") -> str:
    """A number for a terminal table; ``-`` for none (null or NaN).

    Fractions as percentages (as the report shows them); others thousands-separated, with 1
    or 3 decimals when small.
    """
    if x is None or x != x:
        return "-"
    if unit == "fraction":
        return f"{x:.2%}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def _signed(x: Any) -> str:
    text = fmt(x)
    return f"+{text}" if text != "-" and x > 0 else text


def _unit_label(unit: str) -> str:
    return "%" if unit == "fraction" else unit


@dataclass
class Grid:
    """A table as text: title, columns (header, justify), rows, sections and bold rows."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[list[str]] = field(default_factory=list)
    ends: set[int] = field(default_factory=set)
    bold: set[int] = field(default_factory=set)

    def add(self, *cells: str, end_section: bool = False, bold: bool = False) -> None:
        """Append a row (``end_section`` draws a rule under it in a terminal)."""
        if end_section:
            self.ends.add(len(self.rows))
        if bold:
            self.bold.add(len(self.rows))
        self.rows.append(list(cells))

    def _cells(self, i: int) -> list[str]:
        return [self.columns[i][0]] + [r[i] for r in self.rows]

    def natural(self, header: bool = True) -> list[int]:
        """Each column's width with no cell wrapped (``header=False``: headers wrapped)."""
        def lines(i: int) -> list[int]:
            out = [cell_len(line) for c in self._cells(i)[1:] for line in c.split("\n")]
            if header:
                return out + [cell_len(line) for line in self.columns[i][0].split("\n")]
            return out + [cell_len(w) for w in self.columns[i][0].split()]

        return [max(lines(i)) for i in range(len(self.columns))]

    def minimum(self) -> list[int]:
        """Each column's width with every cell wrapped at its spaces (its longest word)."""
        return [max(cell_len(w) for c in self._cells(i) for line in c.split("\n")
                    for w in line.split(" ")) for i in range(len(self.columns))]


def _table_width(widths: list[int]) -> int:
    """Width of a rich table (heavy head, edges, one space padding) of these columns."""
    return sum(widths) + 3 * len(widths) + 1


def fits(grid: Grid, width: int) -> bool:
    """Whether the grid draws in ``width`` columns without wrapping any cell."""
    return _table_width(grid.natural()) <= width


def fit_widths(grid: Grid, width: int) -> list[int | None]:
    """Column widths that fit ``width``: headers wrap first, then cells at their spaces.

    Each step narrows the column with most room left. No column is made narrower than its
    longest word while that can fit, so numbers stay whole; only when even the longest words
    do not fit are the widest columns folded (never ellipsized). ``None`` leaves a column at
    its natural width.
    """
    natural = grid.natural()
    widths = list(natural)
    excess = _table_width(widths) - width
    for floor in (grid.natural(header=False), grid.minimum(), [4] * len(widths)):
        while excess > 0:
            room = [w - f for w, f in zip(widths, floor, strict=True)]
            i = max(range(len(widths)), key=lambda k: room[k])
            if room[i] <= 0:
                break
            widths[i] -= 1
            excess -= 1
    return [w if w != n else None for w, n in zip(widths, natural, strict=True)]


def draw(grid: Grid, width: int | None = None):
    """The grid as a rich Table fitted to ``width`` (default: the console's)."""
    from rich.table import Table

    widths = fit_widths(grid, console.width if width is None else width)
    table = Table(title=grid.title)
    for (header, justify), w in zip(grid.columns, widths, strict=True):
        table.add_column(header, justify=justify, overflow="fold", width=w)
    for i, row in enumerate(grid.rows):
        table.add_row(*row, end_section=i in grid.ends, style="bold" if i in grid.bold else None)
    return table


def show(grid: Grid) -> None:
    """Print a grid on the console."""
    console.print(draw(grid))


def markdown(grid: Grid) -> str:
    """The grid as a GitHub pipe table under a bold title line."""
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    align = {"left": ":---", "right": "---:", "center": ":---:"}
    lines = [f"**{cell(grid.title)}**", "",
             "| " + " | ".join(cell(h) for h, _ in grid.columns) + " |",
             "|" + "|".join(align.get(j, "---") for _, j in grid.columns) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in grid.rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ headline summary

def _ci(d: dict[str, Any], unit: str) -> str:
    lo, hi = d.get("ci95") or (None, None)
    return f"[{fmt(lo, unit)}, {fmt(hi, unit)}]"


def summary_grid(title: str, summaries: dict[str, dict], long: bool = False) -> Grid:
    """Headline metrics of one or more plans: mean [95% CI] and P90.

    Wide (``long=False``): a row per metric, a column pair per plan. Long: a bold row per
    metric (with its unit), then a row per plan.
    """
    from sim.metrics import REGISTRY

    if long:
        grid = Grid(title, [("metric / plan", "left"), ("mean", "right"), ("95% CI", "right"),
                            ("P90", "right")])
        for m in HEADLINE:
            unit = REGISTRY[m].unit
            grid.add(f"{m} ({_unit_label(unit)})", "", "", "", bold=True)
            for k, (plan, summary) in enumerate(summaries.items()):
                d = summary.get(m, {})
                grid.add(f"  {plan}", fmt(d.get("mean"), unit), _ci(d, unit),
                         fmt(d.get("p90"), unit), end_section=k == len(summaries) - 1)
        return grid
    grid = Grid(title, [("metric", "left"), ("unit", "left")])
    for plan in summaries:
        grid.columns += [(f"{plan}\nmean [95% CI]", "right"), ("P90", "right")]
    for m in HEADLINE:
        unit = REGISTRY[m].unit
        row = [m, _unit_label(unit)]
        for summary in summaries.values():
            d = summary.get(m, {})
            row += [f"{fmt(d.get('mean'), unit)} {_ci(d, unit)}", fmt(d.get("p90"), unit)]
        grid.add(*row)
    return grid


def _choose(wide: Grid, long: Grid | None) -> Grid:
    """The wide grid if it fits the console unwrapped (or there is no long one)."""
    return wide if long is None or fits(wide, console.width) else long


def summary_table(title: str, summaries: dict[str, dict]) -> None:
    """Print the headline metrics of one or more plans: mean [95% CI] and P90."""
    long = summary_grid(title, summaries, long=True) if len(summaries) > 1 else None
    show(_choose(summary_grid(title, summaries), long))


# ------------------------------------------------------------------------ refund cycle

def refund_grid(runs) -> Grid | None:
    """Refund cycle per plan and channel pair (median and P90 hours); None if no refunds."""
    from sim.plotting_data import refund_pairs_table

    t = refund_pairs_table(runs)
    if t.empty:
        return None
    grid = Grid("refund cycle by channel pair (hours)",
                [(c, "left" if c in ("plan", "channel pair") else "right")
                 for c in ("plan", "channel pair", "refunds/rep", "median", "P90")])
    for r in t.itertuples(index=False):
        grid.add(r.plan, r.channel_pair, fmt(r.refunds), fmt(r.p50_hours), fmt(r.p90_hours))
    return grid


def refund_table(runs) -> None:
    """Print the refund cycle per plan and channel pair (median and P90 hours)."""
    grid = refund_grid(runs)
    if grid is not None:
        show(grid)


# ------------------------------------------------------------------------ cost breakdown

def cost_grid(title: str, summaries: dict[str, dict], differences=None,
              long: bool = False) -> Grid:
    """total_risk_cost with its components: mean and share of the total per plan.

    With ``differences`` (a comparison's paired differences), each plan after the first also
    gets its mean difference from the first, component by component. Wide: a row per
    component, columns per plan; long: a bold row per component, then a row per plan.
    """
    from sim.model.costs import BREAKDOWN

    plans = list(summaries)
    diff = {} if differences is None else {
        (r.plan, r.metric): r.mean for r in differences.itertuples(index=False)}

    def cells(i: int, plan: str, name: str) -> list[str]:
        summary = summaries[plan]
        mean = summary.get(name, {}).get("mean")
        total = summary.get("total_risk_cost", {}).get("mean")
        out = [fmt(mean), f"{mean / total:.1%}" if mean is not None and total else "-"]
        if diff and i:
            out.append(_signed(diff.get((plan, name))))
        return out

    if long:
        cols = [("component / plan", "left"), ("mean", "right"), ("share", "right")]
        grid = Grid(title, cols + ([(f"vs {plans[0]}", "right")] if diff else []))
        for name, depth in BREAKDOWN:
            grid.add(("  " * depth) + name, *([""] * (len(grid.columns) - 1)), bold=True)
            for i, plan in enumerate(plans):
                row = cells(i, plan, name) + ([""] if diff and not i else [])
                grid.add("  " * (depth + 1) + plan, *row, end_section=i == len(plans) - 1)
        return grid
    grid = Grid(title, [("component", "left")])
    for i, plan in enumerate(plans):
        grid.columns += [(f"{plan}\nmean", "right"), ("share", "right")]
        if diff and i:
            grid.columns.append((f"vs {plans[0]}", "right"))
    for name, depth in BREAKDOWN:
        grid.add(("  " * depth) + name,
                 *[c for i, plan in enumerate(plans) for c in cells(i, plan, name)])
    return grid


def cost_table(title: str, summaries: dict[str, dict], differences=None) -> None:
    """Print total_risk_cost with its components (:func:`cost_grid`)."""
    long = cost_grid(title, summaries, differences, long=True) if len(summaries) > 1 else None
    show(_choose(cost_grid(title, summaries, differences), long))


# ------------------------------------------------------------------------ ranking

def ranking_grid(cmp) -> Grid:
    """Plans by mean total_risk_cost, with the paired difference from the reference."""
    ref = cmp.runs[0].scenario
    grid = Grid(f"ranking on total_risk_cost (paired against {ref})",
                [("rank", "right"), ("plan", "left"), ("mean total_risk_cost", "right"),
                 ("difference", "right"), ("95% CI", "right"), ("wins (lowest cost)", "right")])
    d = cmp.differences
    diffs = d[d["metric"] == "total_risk_cost"].set_index("plan") if not d.empty else d
    wins = cmp.wins.set_index("plan")["win_share"]
    for row in cmp.ranking.itertuples():
        if row.plan in diffs.index:
            r = diffs.loc[row.plan]
            diff, ci = _signed(r["mean"]), f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
        else:
            diff, ci = "reference", ""
        grid.add(str(row.rank), row.plan, fmt(row.total_risk_cost_mean), diff, ci,
                 f"{wins[row.plan]:.0%}")
    return grid


def ranking_table(cmp) -> None:
    """Print the ranking of a comparison (:func:`ranking_grid`)."""
    show(ranking_grid(cmp))


def conclusion(cmp) -> None:
    """Print a comparison's verdict (:func:`sim.verdict.verdict`) and its caveats."""
    from sim.verdict import verdict

    console.print(verdict(cmp).text, markup=False, highlight=False)
    for caveat in cmp.caveats:
        console.print(f"[yellow]not a ranking to act on:[/yellow] {caveat}", highlight=False)


# ------------------------------------------------------------------------ why these weeks

def why_grid(runs, compared: bool, n: int = 2) -> Grid:
    """Each plan's ``n`` costliest weeks and what drives them (:mod:`sim.plotting_data.why`).

    In a comparison the other plans' weeks are measured against the reference's same weeks,
    the reference's against its own median week.
    """
    from sim.plotting_data.weekly import week_events
    from sim.plotting_data.why import component_label, why_weeks

    ref = runs[0] if compared and len(runs) > 1 else None
    grid = Grid("why these weeks: the costliest weeks and their drivers (median over "
                "replications)", [("plan", "left"), ("week", "right"), ("excess", "right"),
                                  ("driven by", "left"), ("events", "left")])
    for r in runs:
        t = why_weeks(r, None if (ref is None or r is ref) else ref, n)
        for w in t.itertuples(index=False):
            drivers = "; ".join(f"{component_label(c)} {_signed(v)}" for c, v in w.drivers)
            if w.exception:
                drivers += f"; {w.exception} exceptions +{w.exception_excess:,.0f}"
            events = week_events(w.peak, w.freeze, w.go_lives, w.disruption)
            grid.add(r.scenario, str(w.week), f"{_signed(w.excess)} {w.basis}",
                     drivers.lstrip("; ") or "-", ", ".join(events) or "-")
    return grid


def why_table(runs, compared: bool) -> None:
    """Print :func:`why_grid`."""
    show(why_grid(runs, compared))
