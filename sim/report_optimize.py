"""The HTML page of an optimisation: the search, the finalists on fresh seeds, the choice."""

from __future__ import annotations

from pathlib import Path

from sim.files import atomic_write
from sim.optimize import OptimizeResult, describe_decisions
from sim.plots.decisions import pareto_chart, trial_history
from sim.report import _e, _img, page_head


def render_optimize(result: OptimizeResult, scenario: str, objective: str,
                    constraints: list[str], minimize: bool, second: str | None = None) -> str:
    """The search as one self-contained HTML page."""
    title = f"Best plan under risk limits: {scenario}"
    limits = ", ".join(constraints) or "none"
    parts = [page_head(title),
             f"<p class='meta'>{'Minimise' if minimize else 'Maximise'} {_e(objective)}"
             f"{f' against {_e(second)} (NSGA-II, the Pareto front)' if second else ''}; "
             f"constraints: {_e(limits)}; {len(result.trials)} trials, every trial on the "
             "same seeds.</p>"]
    if result.best:
        chosen = describe_decisions(result.best)
        parts.append(f"<p class='callout'>Chosen: {_e(chosen)} (written to "
                     "best_scenario.toml).</p>")
    else:
        parts.append("<p class='flag'>No trial kept every constraint: relax a limit or widen "
                     "the space.</p>")
    if len(result.trials) and result.trials["objective"].notna().any():
        parts.append(_img(trial_history(result.trials, objective.split(".")[0], minimize)))
        if second is not None and result.trials["feasible"].any():
            parts += ["<h2>The trade-off</h2>",
                      "<p class='note'>Each point a feasible trial; the line joins the trials "
                      "no other beats on both objectives; diamonds are the same plans on "
                      "fresh seeds.</p>",
                      _img(pareto_chart(result.trials, result.finalists,
                                        [objective, second]))]
    if len(result.finalists):
        parts += ["<h2>Finalists on fresh seeds</h2>",
                  "<p class='note'>The best feasible trials run again on seeds the search never "
                  "saw: the search's best is biased by its own selection (the winner's curse); "
                  "the fresh value is not, and the choice is the best of them on it.</p>",
                  result.finalists.to_html(index=False, float_format=lambda x: f"{x:.6g}")]
    failed = result.trials[result.trials["error"].notna()] if len(result.trials) else []
    if len(failed):
        parts += ["<h2>Combinations the scenario rejects</h2>",
                  failed[["trial", "error"]].to_html(index=False)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_optimize_report(result: OptimizeResult, scenario: str, objective: str,
                          constraints: list[str], minimize: bool, out: Path,
                          second: str | None = None) -> Path:
    """Write ``out/report.html``; return its path."""
    page = out / "report.html"
    text = render_optimize(result, scenario, objective, constraints, minimize, second)
    atomic_write(page, lambda p: p.write_text(text, encoding="utf-8"))
    return page
