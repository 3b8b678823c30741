"""The verdict of a comparison, in words: who is cheapest, why, and whether it can be told apart.

One home for the sentences the CLI and the HTML report print under a ranking. They say:

- which plan has the lowest mean ``total_risk_cost``, its paired difference from the reference
  with its 95 % interval, and the currency (``costs.currency``; USD when a scenario does not
  say, the currency of the published figures the default weights come from);
- which cost components make the winner cheaper than the reference and which work against it
  (the largest paired component differences, each with its sign);
- which plans cannot be told apart from the winner: the 95 % interval of their paired
  difference from the winner holds zero (or there are too few replications for an interval),
  so the order between them is noise, not a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.aggregate import paired_difference
from sim.model.costs import BREAKDOWN
from sim.plotting_data.formatting import fmt_value
from sim.plotting_data.why import component_label

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.experiment import RunResult

#: The currency a scenario's costs are in when it does not say (``costs.currency``).
DEFAULT_CURRENCY = "USD"

#: Components named in the verdict: each side lists at most this many.
TOP_COMPONENTS = 2


@dataclass
class Verdict:
    """A comparison's conclusion as sentences (plain text, no markup).

    Attributes:
        winner: The plan with the lowest mean total_risk_cost.
        currency: The currency of every money figure.
        sentences: The verdict, one finding per sentence.
        tied: Plans whose paired difference from the winner cannot be told from zero.
        drivers: ``(component, paired difference plan - reference)``, largest first, for
            the components named in the verdict (the plan is the winner, or the closest plan
            when the reference wins).
    """

    winner: str
    currency: str
    sentences: list[str] = field(default_factory=list)
    tied: list[str] = field(default_factory=list)
    drivers: list[tuple[str, float]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentences as one paragraph."""
        return " ".join(self.sentences)


def currency_of(runs: list[RunResult]) -> str:
    """The currency of a set of runs' cost figures.

    Args:
        runs: Results whose ``source`` scenario says ``costs.currency`` (or not).

    Returns:
        The currency code, :data:`DEFAULT_CURRENCY` when no scenario names one.
    """
    for r in runs:
        if r.source is not None:
            return r.source.costs.currency
    return DEFAULT_CURRENCY


def money(x: float | None, currency: str, signed: bool = False) -> str:
    """A money figure with its currency, e.g. ``-1,210,345 USD``."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{fmt_value(x, 'currency', signed=signed)} {currency}"


def _costs(run: RunResult) -> np.ndarray:
    return run.replications.sort_values("rep")["total_risk_cost"].to_numpy(float)


def _interval(lo: float | None, hi: float | None, currency: str) -> str:
    if lo is None or hi is None:
        return "no interval with fewer than 3 replications"
    return f"95% CI {money(lo, currency, True)} to {money(hi, currency, True)}"


def drivers(cmp: Comparison, plan: str) -> list[tuple[str, float]]:
    """A plan's paired cost-component differences from the reference, largest magnitude first.

    Args:
        cmp: The comparison.
        plan: A plan other than the reference.

    Returns:
        ``(component metric, mean paired difference)`` for the top-level components of
        ``total_risk_cost`` (enablement as one), zero differences left out.
    """
    d = cmp.differences
    top = [name for name, depth in BREAKDOWN if depth == 0 and name != "total_risk_cost"]
    rows = d[(d["plan"] == plan) & d["metric"].isin(top)]
    out = [(r.metric, float(r.mean)) for r in rows.itertuples(index=False)
           if r.mean is not None and np.isfinite(r.mean) and r.mean != 0]
    return sorted(out, key=lambda x: -abs(x[1]))


def tied_with(cmp: Comparison, plan: str) -> list[tuple[str, dict]]:
    """Plans whose paired total_risk_cost difference from ``plan`` has an interval holding 0.

    Args:
        cmp: The comparison.
        plan: Usually the winner.

    Returns:
        ``(other plan, paired_difference(plan, other))`` for each plan not told apart.
    """
    by = {r.scenario: r for r in cmp.runs}
    a = _costs(by[plan])
    out = []
    for other in cmp.ranking["plan"]:
        if other == plan:
            continue
        d = paired_difference(a, _costs(by[other]))
        lo, hi = d["ci95"]
        if lo is None or hi is None or lo <= 0 <= hi:
            out.append((other, d))
    return out


def verdict(cmp: Comparison) -> Verdict:
    """The comparison's conclusion: winner, its cost drivers, and the plans tied with it.

    Args:
        cmp: A comparison of two or more plans (the first is the reference).

    Returns:
        The verdict; ``verdict(cmp).text`` is what the CLI and report print.
    """
    cur = currency_of(cmp.runs)
    ref = cmp.runs[0].scenario
    best = cmp.ranking.iloc[0]
    v = Verdict(winner=str(best.plan), currency=cur)
    wins = cmp.wins.set_index("plan")["win_share"]
    v.sentences.append(
        f"Lowest mean total_risk_cost: {best.plan} ({money(best.total_risk_cost_mean, cur)}), "
        f"the cheapest plan in {wins[best.plan]:.0%} of the paired replications.")
    # The plan whose components are explained against the reference: the winner, or, when
    # the reference itself wins, the closest plan (what keeps it from beating the reference).
    explained = str(best.plan)
    if best.plan == ref:
        v.sentences.append(f"No plan beats the reference {ref} on mean total_risk_cost.")
        if len(cmp.ranking) > 1:
            explained = str(cmp.ranking.iloc[1].plan)
    else:
        d = cmp.differences
        row = d[(d["plan"] == best.plan) & (d["metric"] == "total_risk_cost")].iloc[0]
        v.sentences.append(
            f"Against the reference {ref}: {money(row['mean'], cur, True)} "
            f"({_interval(row['ci_low'], row['ci_high'], cur)}).")
    if explained != ref:
        comps = drivers(cmp, explained)
        cheaper = [c for c in comps if c[1] < 0][:TOP_COMPONENTS]
        dearer = [c for c in comps if c[1] > 0][:TOP_COMPONENTS]
        v.drivers = cheaper + dearer
        parts = []
        if cheaper:
            parts.append("cheaper on " + " and ".join(
                f"{component_label(m)} ({money(x, cur, True)})" for m, x in cheaper))
        if dearer:
            parts.append("dearer on " + " and ".join(
                f"{component_label(m)} ({money(x, cur, True)})" for m, x in dearer))
        who = explained if explained == v.winner else f"The closest plan, {explained},"
        if parts:
            v.sentences.append(f"{who} is {'; '.join(parts)} than {ref}.")
    ties = tied_with(cmp, v.winner)
    v.tied = [p for p, _ in ties]
    untested = [(p, d) for p, d in ties if d["ci95"][0] is None]
    ties = [(p, d) for p, d in ties if d["ci95"][0] is not None]
    if untested:
        listed = ", ".join(f"{p} ({money(d['mean'], cur, True)})" for p, d in untested)
        v.sentences.append(
            f"Too few replications ({cmp.runs[0].n}) for an interval: {v.winner} cannot yet be "
            f"told apart from {listed}; run at least 3, better 5 or more.")
    if ties:
        listed = "; ".join(f"{p} {money(d['mean'], cur, True)} "
                           f"({_interval(d['ci95'][0], d['ci95'][1], cur)})" for p, d in ties)
        v.sentences.append(
            f"Cannot be told apart from {v.winner} (paired difference, the interval holds "
            f"zero): {listed}. Their order is noise at {cmp.runs[0].n} replications; run more "
            "to separate them.")
    elif not untested:
        v.sentences.append(f"Every other plan costs more than {v.winner}: each paired 95% "
                           "interval lies above zero.")
    return v
