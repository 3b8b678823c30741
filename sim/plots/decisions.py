"""Figures of decision support: the sensitivity tornado and Sobol bars, an optimisation's trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, _fig_ax, axis_label

if TYPE_CHECKING:
    from sim.sensitivity import SensitivityResult


def sensitivity_chart(result: SensitivityResult, metric: str, ax: Axes | None = None
                      ) -> Figure:
    """The factors' influence on ``metric``, most influential on top.

    Morris: a tornado of ``mu_star`` (mean absolute effect of the factor's steps scaled to its
    whole range, in the metric's units: what a linear effect moves from low to high) with its
    95 % bootstrap interval; a factor whose bar
    reaches no further than the dummy's has no effect the design can tell from none.
    Sobol: the first-order (``S1``) and total-order (``ST``) shares of the metric's
    variance side by side, with their intervals; ``ST`` well above ``S1`` means the factor
    acts through interactions.
    """
    t = result.indices[result.indices["metric"] == metric]
    order = result.ranking(metric)["factor"].tolist()[::-1]  # barh draws bottom-up
    fig, ax = _fig_ax(ax, (7.5, 0.45 * len(order) + 1.6))
    y = np.arange(len(order))
    if result.method == "morris":
        mu = t[t["index"] == "mu_star"].set_index("factor").loc[order]
        # mu* is a mean of absolute effects: its interval stops at zero.
        low = np.minimum(mu["conf"], mu["value"])
        ax.barh(y, mu["value"], xerr=[low, mu["conf"]], color=PALETTE[0], capsize=3)
        ax.set_xlabel(f"mu* (effect over a factor's whole range): {axis_label(metric)}")
    else:
        for k, (name, off) in enumerate((("S1", 0.2), ("ST", -0.2))):
            s = t[t["index"] == name].set_index("factor").loc[order]
            ax.barh(y + off, s["value"], height=0.4, xerr=s["conf"], capsize=3,
                    color=PALETTE[k], label=f"{name} ({'first' if k == 0 else 'total'} order)")
        ax.set_xlabel(f"share of the variance of {metric}")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_yticks(y, order, fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_title(f"What drives {metric} ({result.method}, {len(result.design)} design "
                 f"points x {result.replications} replication"
                 f"{'s' if result.replications != 1 else ''})", loc="left", fontsize=10)
    return fig


def trial_history(trials: pd.DataFrame, objective: str, minimize: bool = True,
                  ax: Axes | None = None) -> Figure:
    """Each trial's objective (feasible, infeasible, rejected) and the best feasible so far."""
    fig, ax = _fig_ax(ax, (7.5, 3.8))
    ok = trials[trials["feasible"]]
    bad = trials[~trials["feasible"] & trials["objective"].notna()]
    ax.scatter(ok["trial"], ok["objective"], s=18, color=PALETTE[2], label="feasible")
    ax.scatter(bad["trial"], bad["objective"], s=18, marker="x", color=PALETTE[1],
               label="breaks a constraint")
    if len(ok):
        best = ok.set_index("trial")["objective"].reindex(trials["trial"]).ffill()
        best = best.cummin() if minimize else best.cummax()
        ax.step(best.index, best.to_numpy(), where="post", color="black", lw=1,
                label="best feasible so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(axis_label(objective))
    ax.legend(fontsize=8)
    ax.set_title(f"Search: {objective} by trial", loc="left", fontsize=10)
    return fig


def pareto_chart(trials: pd.DataFrame, finalists: pd.DataFrame, objectives: list[str],
                 ax: Axes | None = None) -> Figure:
    """Two objectives: every feasible trial, the Pareto front, and the front on fresh seeds."""
    fig, ax = _fig_ax(ax, (7.0, 4.6))
    ok = trials[trials["feasible"]]
    ax.scatter(ok["objective"], ok["objective_2"], s=14, color="#bbbbbb", label="feasible trial")
    if len(finalists):
        front = finalists.sort_values("objective_search")
        ax.plot(front["objective_search"], front["objective_2_search"], "o-", ms=5,
                color=PALETTE[0], label="Pareto front (search seeds)")
        ax.scatter(front["objective_fresh"], front["objective_2_fresh"], marker="D", s=22,
                   color=PALETTE[1], label="the front on fresh seeds", zorder=3)
    ax.set_xlabel(objectives[0])
    ax.set_ylabel(objectives[1])
    ax.legend(fontsize=8)
    ax.set_title(f"Trade-off: {objectives[0]} against {objectives[1]}", loc="left",
                 fontsize=10)
    return fig
