"""One self-contained HTML report for a run folder or a comparison folder.

The page embeds its figures as base64 PNG and its styles inline: no network, no scripts, so
it can be mailed or attached to a steering-committee pack as it is. Everything on it comes
from the folder's files (``summary.json``, the parquet tables, ``scenario.json``,
``comparison.json``); the model is never run.

Example::

    from sim.report import write_report
    write_report(Path("cmp/"))          # -> cmp/report.html
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import plots
from sim import plotting_data as pdata
from sim.report_costs import cost_breakdown_html
from sim.report_refunds import refund_pairs_html
from sim.report_why import why_weeks_html
from sim.verdict import currency_of, verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.compare import Comparison
    from sim.experiment import RunResult

#: Weekly metrics drawn as fan charts.
FAN_METRICS = ("exception_backlog_peak", "oversell_orders", "total_risk_cost")
#: Weekly metrics whose worst weeks are listed.
RISK_WEEK_METRICS = ("exception_backlog_peak", "oversell_orders")

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1200px;color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;
margin-top:2em} .meta{color:#555} table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top} th{background:#f2f6fa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
img{max-width:100%;margin:.6em 0;border:1px solid #eee} .note{color:#555;font-size:.9em}
.callout{background:#f2f8f2;border-left:4px solid #009E73;padding:.6em 1em}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.8em} .flag{color:#D55E00}
"""


class ReportError(ValueError):
    """The folder is neither a run folder nor a comparison folder (one-line message)."""


def load_folder(out_dir: Path) -> tuple[list[RunResult], Comparison | None]:
    """Read a run folder (``summary.json``) or a comparison folder (``comparison.json``).

    Returns:
        The runs (reference first for a comparison) and the comparison, if any.

    Raises:
        ReportError: The folder holds neither, or a plan's folder is missing.
    """
    from sim.compare import compare_runs

    out_dir = Path(out_dir)
    if (out_dir / "comparison.json").is_file():
        meta = json.loads((out_dir / "comparison.json").read_text())
        runs = []
        for plan in meta["plans"]:
            if not (out_dir / plan / "summary.json").is_file():
                raise ReportError(f"{out_dir}: comparison.json lists plan '{plan}' but "
                                  f"{out_dir / plan}/summary.json is missing")
            runs.append(_load_run(out_dir / plan))
        return runs, compare_runs(runs)
    if (out_dir / "summary.json").is_file():
        return [_load_run(out_dir)], None
    raise ReportError(f"{out_dir}: not a run folder (no summary.json) or a comparison folder "
                      "(no comparison.json)")


def _load_run(folder: Path) -> RunResult:
    """:func:`sim.experiment.load_run`, tolerating a scenario.json of another schema version.

    The figures only use the scenario for freeze windows, hypercare weeks and the start date,
    so a folder written before a schema change still gets a report (settings are then shown
    from the stored JSON as they are).
    """
    from pydantic import ValidationError

    from sim.experiment import RunResult, load_run

    folder = Path(folder)
    try:
        return load_run(folder)
    except ValidationError:
        summary = json.loads((folder / "summary.json").read_text())
        tables = {k: pd.read_parquet(folder / f"{k}.parquet")
                  for k in ("replications", "weekly", "by_region", "timeline", "refunds")}
        return RunResult(scenario=summary["scenario"], seed=summary["seed"],
                         summary=summary["metrics"], source=None, **tables)


def write_report(out_dir: Path, output: Path | None = None) -> Path:
    """Write the HTML report of a run or comparison folder.

    Args:
        out_dir: A folder written by ``rollout-sim run --out`` or ``compare --out``.
        output: The HTML file (default ``out_dir/report.html``).

    Returns:
        The path written.

    Raises:
        ReportError: The folder is neither a run nor a comparison.
    """
    out_dir = Path(out_dir)
    runs, comparison = load_folder(out_dir)
    page = render_report(runs, comparison, out_dir)
    target = Path(output) if output is not None else out_dir / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Temp file then rename: a reader never sees half a page; permissions follow the umask.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def render_report(runs: Sequence[RunResult], comparison: Comparison | None,
                  out_dir: Path | None = None) -> str:
    """The report page as an HTML string (see :func:`write_report`)."""
    runs = list(runs)
    plans = [r.scenario for r in runs]
    title = (f"Rollout plan comparison: {len(runs)} plans" if comparison is not None
             else f"Rollout plan: {plans[0]}")
    parts = [page_head(title), _meta(runs, out_dir)]
    if comparison is not None:
        parts += [_conclusion(comparison), "<h2>Ranking on total_risk_cost</h2>",
                  _ranking(comparison), cost_breakdown_html(runs, comparison), _headline(runs),
                  "<h2>Paired differences against the reference</h2>",
                  "<p class='note'>Each plan minus the reference, replication by replication "
                  "(the same customers in both): mean and 95% confidence interval. Panels "
                  "show per cent of the reference's mean.</p>",
                  _img(plots.forest_plot(comparison))]
    else:
        parts += [_headline(runs), cost_breakdown_html(runs, None)]
    parts.append("<h2>Week by week</h2><p class='note'>Median week across replications with "
                 "P25–P75 and P10–P90 bands; grey: peak weeks, hatched: freeze window.</p>")
    for m in FAN_METRICS:
        parts.append(_img(plots.fan_chart(runs, m, inner_only=len(runs) > 3)))
    parts += [why_weeks_html(runs, comparison is not None, currency_of(runs)),
              "<h2>Weeks of highest risk</h2>", _risk_weeks(runs)]
    parts.append("<h2>Rollout schedule</h2>")
    for r in runs:
        if pdata.gantt_table(r).empty:
            parts.append(f"<p>{_e(r.scenario)}: no waves (no store goes live).</p>")
        else:
            parts.append(_img(plots.rollout_gantt(r)))
    parts += ["<h2>Refund cycle time</h2>", _img(plots.refund_cdf(runs)), refund_pairs_html(runs),
              "<h2>Risk appetite: P50 / P80 / P95</h2>",
              "<p class='note'>The value not exceeded in 50%, 80% and 95% of replications.</p>",
              _risk(runs), "<h2>Scenario settings</h2>", _settings(runs, out_dir),
              _how_to_read(currency_of(runs)), "</body></html>"]
    return "\n".join(parts)


def page_head(title: str) -> str:
    """A self-contained page's head (styles inline) and its title heading."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
            f"<h1>{_e(title)}</h1>")


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _img(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    title = fig.texts[0].get_text() if fig.texts else (
        fig.axes[0].get_title(loc="left") if fig.axes else "figure")
    return f"<img src=\"data:image/png;base64,{data}\" alt=\"{_e(title)}\">"


def _num(x: Any, unit: str, plan: str = "", metric: str = "", stat: str = "",
         extra: str = "") -> str:
    """A table cell holding a number; the raw value is kept in ``data-value`` for checks."""
    raw = "" if x is None or pd.isna(x) else repr(float(x))
    return (f"<td class='num' data-plan='{_e(plan)}' data-metric='{_e(metric)}' "
            f"data-stat='{stat}' data-value='{raw}'>{_e(pdata.fmt_value(x, unit))}{extra}</td>")


def _meta(runs: Sequence[RunResult], out_dir: Path | None) -> str:
    r0 = runs[0]
    version = ""
    if out_dir is not None:
        mf = (out_dir / "manifest.json") if len(runs) == 1 else (out_dir / r0.scenario /
                                                                 "manifest.json")
        if mf.is_file():
            version = json.loads(mf.read_text()).get("package_version", "")
    stores = {r.source.network.stores for r in runs if r.source is not None}
    size = ", ".join("full network" if s is None else f"{s} stores" for s in stores) or "?"
    plans = ", ".join(f"<b>{_e(r.scenario)}</b>" for r in runs)
    return (f"<p class='meta'>Plans: {plans}<br>{r0.n} replications per plan, master seed "
            f"{r0.seed}, {_e(size)}. Folder: {_e(out_dir or '-')}. Generated "
            f"{dt.datetime.now():%Y-%m-%d %H:%M} by rollout-sim {_e(version)}.</p>")


def _conclusion(cmp: Comparison) -> str:
    v = verdict(cmp)
    text = "<br>".join(_e(s) for s in v.sentences)
    if cmp.caveats:
        items = "".join(f"<li>{_e(c)}</li>" for c in cmp.caveats)
        text += f"<br><b>Not a ranking to act on:</b><ul>{items}</ul>"
    return f"<div class='callout'>{text}</div>"


def _ranking(cmp: Comparison) -> str:
    ref = cmp.runs[0].scenario
    d = cmp.differences[cmp.differences["metric"] == "total_risk_cost"].set_index("plan")
    wins = cmp.wins.set_index("plan")["win_share"]
    rows = ["<table><tr><th>rank</th><th>plan</th><th>mean total_risk_cost "
            f"({_e(currency_of(cmp.runs))})</th>"
            f"<th>difference vs {_e(ref)} [95% CI]</th><th>lowest-cost share of "
            "replications</th></tr>"]
    for r in cmp.ranking.itertuples(index=False):
        if r.plan in d.index:
            x = d.loc[r.plan]
            diff = (f"{pdata.fmt_value(x['mean'], 'currency')} "
                    f"[{pdata.fmt_value(x['ci_low'], 'currency')}, "
                    f"{pdata.fmt_value(x['ci_high'], 'currency')}]")
        else:
            diff = "reference"
        rows.append(f"<tr><td class='num'>{r.rank}</td><td>{_e(r.plan)}</td>"
                    + _num(r.total_risk_cost_mean, "currency", r.plan, "total_risk_cost",
                           "mean")
                    + f"<td class='num'>{_e(diff)}</td><td class='num'>{wins[r.plan]:.0%}</td>"
                    "</tr>")
    return "".join(rows) + "</table>"


def _headline(runs: Sequence[RunResult]) -> str:
    t = pdata.headline_table(runs)
    plans = [r.scenario for r in runs]
    head = "".join(f"<th>{_e(p)}<br>mean [95% CI]</th><th>P90</th>" for p in plans)
    rows = ["<h2>Headline metrics</h2><table><tr><th>metric</th><th>unit</th>" + head + "</tr>"]
    for m in dict.fromkeys(t["metric"]):
        sub = t[t["metric"] == m].set_index("plan")
        unit = pdata.unit_of(m)
        cells = ""
        for p in plans:
            if p not in sub.index:
                cells += "<td></td><td></td>"
                continue
            s = sub.loc[p]
            ci = (f"{pdata.fmt_value(s['ci_low'], unit)}, {pdata.fmt_value(s['ci_high'], unit)}")
            cells += (_num(s["mean"], unit, p, m, "mean",
                           extra=f" <span class='note'>[{_e(ci)}]</span>")
                      + _num(s["p90"], unit, p, m, "p90"))
        rows.append(f"<tr><td title='{_e(pdata.description_of(m))}'>{_e(m)}</td>"
                    f"<td>{_e(unit)}</td>{cells}</tr>")
    return "".join(rows) + "</table>"


def _risk_weeks(runs: Sequence[RunResult], n: int = 3) -> str:
    out = [f"<p class='note'>Per plan, the {n} weeks with the highest median across "
           "replications (P90 in brackets), with the calendar and the stores going live that "
           "week (median over replications).</p>"]
    for m in RISK_WEEK_METRICS:
        unit = pdata.unit_of(m)
        out.append(f"<h3>{_e(m)} ({_e(unit)}): {_e(pdata.description_of(m))}</h3><table>"
                   "<tr><th>plan</th>" + "".join(f"<th>#{i + 1}</th>" for i in range(n))
                   + "</tr>")
        for r in runs:
            t = pdata.top_risk_weeks(r, m, n)
            cells = []
            for w in t.itertuples(index=False):
                notes = pdata.week_events(w.peak, w.freeze, w.go_lives, w.disruption)
                note = f"<br><span class='flag'>{_e(', '.join(notes))}</span>" if notes else ""
                cells.append(f"<td data-plan='{_e(r.scenario)}' data-metric='{_e(m)}' "
                             f"data-week='{w.week}' data-value='{float(w.median)!r}'>"
                             f"week {w.week}: <b>{_e(pdata.fmt_value(w.median, unit))}</b> "
                             f"(P90 {_e(pdata.fmt_value(w.p90, unit))}){note}</td>")
            cells += ["<td></td>"] * (n - len(cells))
            out.append(f"<tr><td>{_e(r.scenario)}</td>{''.join(cells)}</tr>")
        out.append("</table>")
    return "".join(out)


def _risk(runs: Sequence[RunResult]) -> str:
    t = pdata.risk_table(runs)
    plans = [r.scenario for r in runs]
    head = "".join(f"<th colspan='3'>{_e(p)}</th>" for p in plans)
    sub = "".join("<th>P50</th><th>P80</th><th>P95</th>" for _ in plans)
    rows = [f"<table><tr><th rowspan='2'>metric</th><th rowspan='2'>unit</th>{head}</tr>"
            f"<tr>{sub}</tr>"]
    for m in dict.fromkeys(t["metric"]):
        s = t[t["metric"] == m].set_index("plan")
        unit = pdata.unit_of(m)
        cells = "".join(_num(s.loc[p, k], unit, p, m, k) if p in s.index else "<td></td>"
                        for p in plans for k in ("p50", "p80", "p95"))
        rows.append(f"<tr><td>{_e(m)}</td><td>{_e(unit)}</td>{cells}</tr>")
    return "".join(rows) + "</table>"


def _scenario_dict(run: RunResult, out_dir: Path | None, single: bool) -> dict[str, Any] | None:
    if out_dir is not None:
        f = out_dir / "scenario.json" if single else out_dir / run.scenario / "scenario.json"
        if f.is_file():
            return json.loads(f.read_text())
    return json.loads(run.source.model_dump_json()) if run.source is not None else None


def _key_settings(sc: dict[str, Any]) -> dict[str, str]:
    harm = sc.get("harmonization", {})
    peak = sc.get("peak", {})
    waves = sc.get("waves", [])
    out = {"description": sc.get("description", ""),
           "stores": "full network" if sc.get("network", {}).get("stores") is None
           else str(sc["network"]["stores"]),
           "horizon (weeks)": str(sc.get("horizon_weeks", ""))}
    for area, h in harm.items():
        wk = f" from week {h['from_week']}" if h.get("from_week") is not None else ""
        out[f"harmonization: {area}"] = f"{h.get('mode')}{wk}"
    out["waves (go-live week, hypercare)"] = "\n".join(
        f"{w['name']}: wk {w['go_live_week']}, {w['hypercare_weeks']} wk hypercare"
        for w in waves) or "none"
    out["freeze windows"] = "; ".join(f"{w['name']} wk {w['start_week']}–{w['end_week']}"
                                      for w in peak.get("freeze_windows", [])) or "none"
    out["freeze policy"] = str(peak.get("freeze_policy", ""))
    out["command center"] = str(peak.get("command_center", ""))
    out["training completion"] = str(sc.get("training", {}).get("completion", ""))
    out["master-data cleansing"] = str(sc.get("master_data", {}).get("cleansing", ""))
    out["stage gates"] = str(sc.get("gates", {}).get("enabled", ""))
    out["inventory: legacy sync (hours)"] = str(sc.get("inventory", {}).get(
        "legacy_sync_hours", ""))
    out["parameter overrides"] = ", ".join(f"{k}={v}" for k, v in
                                           sc.get("parameters", {}).items()) or "none"
    return out


def _settings(runs: Sequence[RunResult], out_dir: Path | None) -> str:
    scs = {r.scenario: _scenario_dict(r, out_dir, len(runs) == 1) for r in runs}
    keyed = {p: _key_settings(s) for p, s in scs.items() if s is not None}
    if not keyed:
        return "<p>No scenario.json in the folder.</p>"
    names = list(dict.fromkeys(k for d in keyed.values() for k in d))
    rows = ["<table><tr><th>setting</th>" + "".join(f"<th>{_e(p)}</th>" for p in keyed)
            + "</tr>"]
    for k in names:
        rows.append(f"<tr><td>{_e(k)}</td>"
                    + "".join(f"<td>{_e(d.get(k, '')).replace(chr(10), '<br>')}</td>"
                              for d in keyed.values()) + "</tr>")
    rows.append("</table>")
    for p, s in scs.items():
        if s is not None:
            rows.append(f"<details><summary>{_e(p)}: all settings (scenario.json)</summary>"
                        f"<pre>{_e(json.dumps(s, indent=2))}</pre></details>")
    return "".join(rows)


def _how_to_read(currency: str) -> str:
    return ("<h2>How to read this report</h2><ul class='note'>"
            "<li>Every replication is one simulated year with its own random customers; all "
            "plans see the same customers in replication <i>r</i> (common random numbers), "
            "so differences between plans are paired.</li>"
            "<li>Mean [95% CI]: t-interval for the mean over replications; P50/P80/P90/P95: "
            "percentiles of the per-replication values (few replications give rough "
            "percentiles).</li>"
            f"<li>Fractions are shown as percentages; money in {_e(currency)} (the scenarios' "
            "<code>costs.currency</code>; USD when a scenario does not say).</li></ul>")
