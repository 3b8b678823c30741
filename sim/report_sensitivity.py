"""The HTML page of a sensitivity analysis: charts, index tables, the factors' ranges."""

from __future__ import annotations

from pathlib import Path

from sim.files import atomic_write
from sim.plots.decisions import sensitivity_chart
from sim.report import _e, _img, page_head
from sim.sensitivity import SensitivityResult

_READ = {
    "morris": "Morris screening: each bar is a factor's mean absolute effect on the metric "
              "(mu*), from steps of 2/3 of its range with the other factors held, scaled to "
              "its whole range (for a linear effect: what the metric moves from the range's "
              "low end to its high end), with a 95 % bootstrap "
              "interval; sigma (in the table) is the spread of those effects, large when the "
              "factor interacts with others or acts non-linearly. The dummy factor is read by "
              "nothing: a factor that is not clearly above it has no effect the design can "
              "tell from none. Screen with Morris, then run Sobol on the few that matter.",
    "sobol": "Sobol indices: the share of the metric's variance over the ranges that each "
             "factor explains alone (S1) and with its interactions (ST), with 95 % bootstrap "
             "intervals; the intervals narrow with more samples. Indices near zero with an "
             "interval reaching below zero mean no detectable effect.",
}


def render_sensitivity(result: SensitivityResult, scenario: str) -> str:
    """The analysis as one self-contained HTML page (figures embedded, no scripts)."""
    title = f"Which assumptions matter: {scenario}"
    parts = [page_head(title),
             f"<p class='meta'>{_e(result.method)}: {len(result.design)} design points x "
             f"{result.replications} replication(s), the same seeds at every point.</p>",
             f"<p class='note'>{_e(_READ[result.method])}</p>"]
    for note in result.notes:
        parts.append(f"<p class='flag'>{_e(note)}</p>")
    for metric in result.indices["metric"].unique():
        parts += [f"<h2>{_e(metric)}</h2>", _img(sensitivity_chart(result, metric)),
                  _table(result, metric)]
    parts += ["<h2>Factors and their ranges</h2>", "<table><tr><th>factor</th><th>low</th>"
              "<th>high</th><th>where the range comes from</th></tr>"]
    for f in result.factors:
        parts.append(f"<tr><td>{_e(f.name)}</td><td class='num'>{f.low:g}</td>"
                     f"<td class='num'>{f.high:g}</td><td>{_e(f.provenance)}</td></tr>")
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)


def _table(result: SensitivityResult, metric: str) -> str:
    t = result.indices[result.indices["metric"] == metric]
    wide = t.pivot(index="factor", columns="index", values="value")
    conf = t.pivot(index="factor", columns="index", values="conf")
    order = result.ranking(metric)["factor"]
    cols = ["mu_star", "mu", "sigma"] if result.method == "morris" else ["S1", "ST"]
    rows = ["<table><tr><th>factor</th>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"]
    for f in order:
        cells = []
        for c in cols:
            v, ci = wide.loc[f, c], conf.loc[f, c]
            cells.append(f"<td class='num'>{v:.4g}" + ("" if ci != ci else f" ± {ci:.2g}")
                         + "</td>")
        rows.append(f"<tr><td>{_e(f)}</td>{''.join(cells)}</tr>")
    return "\n".join(rows + ["</table>"])


def write_sensitivity_report(result: SensitivityResult, scenario: str, out: Path) -> Path:
    """Write ``out/report.html`` and one PNG per metric; return the page's path."""
    for metric in result.indices["metric"].unique():
        fig = sensitivity_chart(result, metric)
        atomic_write(out / f"sensitivity_{metric}.png",
                     lambda p, fig=fig: fig.savefig(p, format="png", dpi=120,
                                                    bbox_inches="tight"))
    page = out / "report.html"
    text = render_sensitivity(result, scenario)
    atomic_write(page, lambda p: p.write_text(text, encoding="utf-8"))
    return page
