"""Figures and the HTML report: the numbers behind each figure, not its pixels.

Most tests build small result tables by hand (fast, exact expectations); one module fixture
runs a real two-plan comparison on a 10-week horizon for the report and the CLI.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from typer.testing import CliRunner

import sim
from sim import plots
from sim import plotting_data as pdata
from sim.aggregate import summarize
from sim.cli import app
from sim.compare import compare, compare_runs
from sim.experiment import RunResult, load_run
from sim.model.results import QUANTILE_LEVELS
from sim.report import ReportError, write_report

ROOT = Path(__file__).resolve().parents[2]
IMG = '<img src="data:image/png;base64,'
runner = CliRunner()

WEEKS = 12
PAIRS = ("store_to_store", "online_to_store", "online_to_mail")
METRICS = ("total_risk_cost", "oversell_rate", "reroute_cost", "refund_cycle_hours_mean",
           "exceptions_total", "exception_backlog_peak", "pickup_ready_rate",
           "rollout_completion_week", "oversell_orders")


def fake_run(name: str, reps: int = 5, level: float = 100.0, seed: int = 0,
             waves: bool = True) -> RunResult:
    """A run's tables with known values (no model run)."""
    rng = np.random.default_rng(seed)
    weekly = []
    for r in range(reps):
        for w in range(1, WEEKS + 1):
            row = {"rep": r, "week": w}
            for m in METRICS:
                row[m] = level * (1 + 0.1 * w) + rng.normal(0, 10)
            row["refund_cycle_hours_mean"] = np.nan if (w == 1 or (w == 2 and r == 0)) \
                else row["refund_cycle_hours_mean"]
            weekly.append(row)
    weekly = pd.DataFrame(weekly)
    table = pd.DataFrame({"rep": range(reps), "seed": [1000 + r for r in range(reps)]})
    for m in METRICS:
        table[m] = level * (1 + rng.random(reps))
    table["oversell_rate"] = 0.001 * level * (1 + rng.random(reps))
    timeline = []
    for r in range(reps):
        plan = [(0, "pilot", 3, 3, 0, 0), (1, "wave b", 6, 6 + r % 3, r % 3, 0)] if waves else []
        plan.append((-1, "no wave", np.nan, np.nan, 0, 0))
        for wave, wname, planned, go, gate, frz in plan:
            for w in range(1, WEEKS + 1):
                live = 0 if not np.isfinite(go) or w < go else 4
                timeline.append({
                    "rep": r, "week": w, "wave": wave, "wave_name": wname,
                    "planned_week": planned, "go_live_week": go, "complete_week": go,
                    "freeze_deferral_weeks": frz, "gate_deferrals": gate, "stores": 4,
                    "legacy": 4 - live, "cutover": 0, "live": live, "cutovers": 0,
                    "go_lives": 4 if w == go else 0, "fallbacks": 0,
                    "freeze": 7 <= w <= 8, "peak": 8 <= w <= 10})
    refunds = []
    for r in range(reps):
        for i, pair in enumerate(PAIRS):
            scale = (i + 1) * level / 100 * (1 + 0.1 * r)
            hours = -scale * np.log1p(-np.minimum(QUANTILE_LEVELS, 0.999))
            refunds.append(pd.DataFrame({"channel_pair": pair, "quantile": QUANTILE_LEVELS,
                                         "hours": hours, "returns": 100 + r, "rep": r}))
    metrics = [c for c in table.columns if c not in ("rep", "seed")]
    return RunResult(scenario=name, seed=1, replications=table, weekly=weekly,
                     by_region=pd.DataFrame(), timeline=pd.DataFrame(timeline),
                     refunds=pd.concat(refunds, ignore_index=True),
                     summary=summarize(table, metrics))


@pytest.fixture(scope="module")
def trio() -> list[RunResult]:
    return [fake_run("reference", level=100, seed=1), fake_run("plan_a", level=80, seed=2),
            fake_run("plan_b", level=120, seed=3)]


# ---------------------------------------------------------------- weekly fan chart

def test_weekly_bands_equal_numpy_quantiles(trio):
    run = trio[0]
    bands = pdata.weekly_bands(run.weekly, "exceptions_total")
    mat = run.weekly.pivot(index="week", columns="rep", values="exceptions_total").to_numpy()
    for q in pdata.BAND_LEVELS:
        np.testing.assert_allclose(bands[pdata.level_name(q)], np.quantile(mat, q, axis=1))
    assert list(bands["week"]) == list(range(1, WEEKS + 1))
    assert (bands["n"] == 5).all()


def test_weekly_bands_skip_undefined_replications(trio):
    bands = pdata.weekly_bands(trio[0].weekly, "refund_cycle_hours_mean").set_index("week")
    assert np.isnan(bands.loc[1, "p50"]) and bands.loc[1, "n"] == 0
    w2 = trio[0].weekly.query("week == 2 and rep > 0")["refund_cycle_hours_mean"]
    assert bands.loc[2, "n"] == 4
    assert bands.loc[2, "p50"] == pytest.approx(np.median(w2))


def test_fan_chart_draws_median_and_bands_per_plan(trio):
    fig = plots.fan_chart(trio, "exceptions_total")
    ax = fig.axes[0]
    assert len(ax.lines) == len(trio)
    for line, run in zip(ax.lines, trio, strict=True):
        np.testing.assert_allclose(line.get_ydata(),
                                   pdata.weekly_bands(run.weekly, "exceptions_total")["p50"])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 * len(trio)
    assert "5 replications" in ax.get_title(loc="left")
    assert ax.get_ylabel() == "exceptions_total (count)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "peak weeks" in labels and "reference (median)" in labels
    inner = plots.fan_chart(trio[0], "oversell_rate", inner_only=True).axes[0]
    assert len([c for c in inner.collections if isinstance(c, PolyCollection)]) == 1
    assert inner.get_ylabel() == "oversell_rate (%)"


# ---------------------------------------------------------------- Gantt

def test_gantt_table_medians_ranges_and_deferrals(trio):
    tab = pdata.gantt_table(trio[0]).set_index("wave_name")
    assert list(tab.index) == ["pilot", "wave b"]  # stores in no wave are left out
    b = tab.loc["wave b"]
    go = [6 + r % 3 for r in range(5)]  # 6, 7, 8, 6, 7
    assert b["go_live_week"] == np.median(go)
    assert (b["go_live_min"], b["go_live_max"]) == (6, 8)
    assert b["gate_deferrals"] == np.median([r % 3 for r in range(5)])
    assert b["planned_week"] == 6 and b["started_share"] == 1.0
    assert bool(b["in_freeze"])  # week 7 is in the freeze (weeks 7-8)
    first = pdata.gantt_table(trio[0], rep=0).set_index("wave_name").loc["wave b"]
    assert first["go_live_week"] == 6 and not first["in_freeze"]
    assert first["go_live_min"] == first["go_live_max"] == 6
    with pytest.raises(ValueError):
        pdata.gantt_table(trio[0], rep=99)


def test_rollout_gantt_says_which_replication(trio):
    ax = plots.rollout_gantt(trio[0]).axes[0]
    assert "median of 5 replications" in ax.get_title(loc="left")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pilot\n4 stores", "wave b\n4 stores"]
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("+1 wk (gate 1)") for t in texts)
    ax2 = plots.rollout_gantt(trio[0], rep=2).axes[0]
    assert "replication 2" in ax2.get_title(loc="left")
    assert "go-live inside freeze" in [t.get_text() for t in ax2.get_legend().get_texts()]
    ax0 = plots.rollout_gantt(trio[0], rep=0).axes[0]
    assert "go-live inside freeze" not in [t.get_text() for t in ax0.get_legend().get_texts()]
    empty = plots.rollout_gantt(fake_run("legacy", waves=False)).axes[0]
    assert "no waves" in empty.texts[0].get_text()


# ---------------------------------------------------------------- refunds

def test_refund_cdf_table_averages_the_quantile_curves(trio):
    run = trio[1]
    tab = pdata.refund_cdf_table(run.refunds)
    assert list(dict.fromkeys(tab["channel_pair"])) == list(PAIRS)
    mail = tab[tab["channel_pair"] == "online_to_mail"].set_index("quantile")
    raw = run.refunds[run.refunds["channel_pair"] == "online_to_mail"]
    by_q = raw.groupby("quantile")["hours"]
    np.testing.assert_allclose(mail["hours"], by_q.mean())
    np.testing.assert_allclose(mail["hours_min"], by_q.min())
    np.testing.assert_allclose(mail["hours_max"], by_q.max())
    assert (mail["reps"] == 5).all() and mail["returns"].iloc[0] == 102


def test_share_within_reads_the_mean_cdf(trio):
    tab = pdata.refund_cdf_table(trio[0].refunds)
    s2s = tab[tab["channel_pair"] == "store_to_store"]
    h = float(s2s[s2s["quantile"] == 0.5]["hours"].iloc[0])
    assert pdata.share_within(trio[0].refunds, h)["store_to_store"] == pytest.approx(0.5)
    assert pdata.share_within(trio[0].refunds, 1e9).eq(1.0).all()


def test_refund_pairs_table_reads_each_pairs_own_quantiles(trio):
    """Median and P90 per channel pair: each replication's quantile, averaged (issue 16)."""
    tab = pdata.refund_pairs_table(trio)
    assert list(tab["plan"].unique()) == [r.scenario for r in trio]
    for run in trio:
        mine = tab[tab["plan"] == run.scenario].set_index("channel_pair")
        assert list(mine.index) == list(PAIRS)
        for pair in PAIRS:
            raw = run.refunds[run.refunds["channel_pair"] == pair]
            for q, col in ((0.5, "p50_hours"), (0.9, "p90_hours")):
                want = raw[np.isclose(raw["quantile"], q)]["hours"].mean()
                assert mine.loc[pair, col] == pytest.approx(want)
            assert mine.loc[pair, "refunds"] == pytest.approx(
                raw.groupby("rep")["returns"].first().mean())


def test_refund_cdf_figure_has_a_panel_per_pair_and_a_line_per_plan(trio):
    fig = plots.refund_cdf(trio, min_hours=0.01)
    assert len(fig.axes) == 3
    for ax, pair in zip(fig.axes, PAIRS, strict=True):
        assert len(ax.lines) == len(trio)
        ref = pdata.refund_cdf_table(trio[0].refunds)
        ref = ref[ref["channel_pair"] == pair]
        np.testing.assert_allclose(ax.lines[0].get_xdata(), np.maximum(ref["hours"], 0.01))
        assert ax.get_xscale() == "log"


# ---------------------------------------------------------------- comparison

def test_forest_table_relative_differences_and_verdicts(trio):
    cmp = compare_runs(trio)
    tab = pdata.forest_table(cmp, ["total_risk_cost", "pickup_ready_rate"])
    assert list(tab["plan"].unique()) == ["plan_a", "plan_b"]
    ref = trio[0].summary["total_risk_cost"]["mean"]
    row = tab[(tab["plan"] == "plan_a") & (tab["metric"] == "total_risk_cost")].iloc[0]
    assert row["rel_mean"] == pytest.approx(100 * row["mean"] / abs(ref))
    assert row["rel_low"] == pytest.approx(100 * row["ci_low"] / abs(ref))
    for r in tab.itertuples():
        if r.ci_high < 0:
            want = "worse" if r.metric == "pickup_ready_rate" else "better"
        elif r.ci_low > 0:
            want = "better" if r.metric == "pickup_ready_rate" else "worse"
        else:
            want = "inconclusive"
        assert r.verdict == want
    same = compare_runs([trio[0], RunResult(**{**trio[0].__dict__, "scenario": "copy"})])
    assert set(pdata.forest_table(same)["verdict"]) == {"no difference"}


def test_forest_plot_panels_and_labels(trio):
    cmp = compare_runs(trio)
    fig = plots.forest_plot(cmp, ["total_risk_cost", "oversell_rate"])
    axes = [a for a in fig.axes if a.get_visible()]
    assert len(axes) == 2
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["plan_a", "plan_b"]
    assert "reference" in fig.texts[0].get_text()
    assert any(line.get_xdata()[0] == 0 for line in axes[0].lines)  # the zero line


def test_risk_table_equals_summary_and_numpy_percentiles(trio):
    wide = plots.risk_table(trio, ["total_risk_cost", "oversell_rate"])
    assert list(wide.columns.get_level_values(0).unique()) == ["reference", "plan_a", "plan_b"]
    for run in trio:
        for m in ("total_risk_cost", "oversell_rate"):
            values = run.replications[m].to_numpy()
            for lvl in ("p50", "p80", "p95"):
                got = wide.loc[(m, pdata.unit_of(m)), (run.scenario, lvl.upper())]
                assert got == run.summary[m][lvl]
                assert got == pytest.approx(np.percentile(values, int(lvl[1:])))


def test_top_risk_weeks_orders_by_median_and_reports_go_lives(trio):
    run = trio[0]
    top = pdata.top_risk_weeks(run, "exceptions_total", 3)
    bands = pdata.weekly_bands(run.weekly, "exceptions_total").set_index("week")
    assert list(top["week"]) == list(bands["p50"].sort_values(ascending=False).index[:3])
    assert list(top["median"]) == list(bands.loc[top["week"], "p50"])
    week6 = pdata.top_risk_weeks(run, "exceptions_total", WEEKS).set_index("week").loc[6]
    # wave b goes live in week 6 in replications 0 and 3: median over 5 replications is 0
    assert week6["go_lives"] == 0
    assert pdata.top_risk_weeks(run, "exceptions_total", WEEKS).set_index("week").loc[
        3, "go_lives"] == 4
    assert bool(week6["peak"]) is False
    assert pdata.top_risk_weeks(run, "exceptions_total", WEEKS).set_index("week").loc[
        9, "peak"]


def test_weekly_window_sums_and_maxima(trio):
    run = trio[0]
    m = run.weekly.pivot(index="week", columns="rep", values="exceptions_total")
    np.testing.assert_allclose(pdata.weekly_window(run, "exceptions_total", [3, 4, 99]),
                               m.loc[[3, 4]].sum())
    np.testing.assert_allclose(pdata.weekly_window(run, "exceptions_total", [3, 4], "max"),
                               m.loc[[3, 4]].max())


def test_tornado_orders_by_swing(trio):
    base, low, high = trio
    tab = pdata.tornado_table(base, {"small": (base, base), "big": (low, high)})
    assert list(tab["parameter"]) == ["big", "small"]
    b = base.replications["total_risk_cost"].mean()
    assert tab.loc[0, "low_delta"] == pytest.approx(low.replications["total_risk_cost"].mean() - b)
    fig = plots.tornado(base, {"small": (base, base), "big": (low, high)},
                        settings={"big": ("2 h", "8 h")})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["big", "small"]


def test_fmt_value_by_unit():
    assert pdata.fmt_value(0.0025, "fraction") == "0.25%"
    assert pdata.fmt_value(0.934, "fraction") == "93.4%"
    assert pdata.fmt_value(1234567.8, "currency") == "1,234,568"
    assert pdata.fmt_value(36.0, "week") == "36"
    assert pdata.fmt_value(None, "count") == "–"
    assert pdata.fmt_value(float("nan"), "hours") == "–"


# ---------------------------------------------------------------- report (real results)

@pytest.fixture(scope="module")
def comparison_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cmp")
    small = ["network.stores=20", "network.skus=40", "horizon_weeks=10"]
    plans = [
        sim.load_scenario(ROOT / "scenarios" / "baseline_legacy.toml", small),
        sim.load_scenario(ROOT / "scenarios" / "pilot_then_waves.toml", small + [
            "waves.0.go_live_week=3", "waves.1.go_live_week=5", "waves.2.go_live_week=6",
            "waves.3.go_live_week=7", "waves.4.go_live_week=8",
            "peak.freeze_windows.0.start_week=6", "peak.freeze_windows.0.end_week=7"]),
    ]
    compare(plans, 2, seed=3, out=out)
    return out


def _cells(page: str) -> list[dict[str, str]]:
    pat = re.compile(r"<td class='num' data-plan='([^']*)' data-metric='([^']*)' "
                     r"data-stat='([^']*)' data-value='([^']*)'>([^<]*)")
    return [dict(zip(("plan", "metric", "stat", "value", "text"), m, strict=True))
            for m in pat.findall(page)]


def test_report_of_a_comparison_folder(comparison_folder, monkeypatch):
    from sim.model.engine import Simulation

    def no_model(*_a, **_k):
        raise AssertionError("the report must not run the model")

    monkeypatch.setattr(Simulation, "run", no_model)
    path = write_report(comparison_folder)
    assert path == comparison_folder / "report.html"
    page = path.read_text()
    assert page.count(IMG) >= 4
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for plan in ("baseline_legacy", "pilot_then_waves"):
        assert plan in page
        summary = json.loads((comparison_folder / plan / "summary.json").read_text())["metrics"]
        cells = [c for c in _cells(page) if c["plan"] == plan and c["stat"] in ("mean", "p90")]
        checked = set()
        for c in cells:
            want = summary[c["metric"]][c["stat"]]
            if want is None:
                assert c["value"] == "" and c["text"].strip() == "–"
                continue
            assert float(c["value"]) == want
            assert c["text"].strip() == pdata.fmt_value(want, pdata.unit_of(c["metric"]))
            checked.add(c["metric"])
        assert {"total_risk_cost", "oversell_rate", "exceptions_total"} <= checked
    assert "Weeks of highest risk" in page and "Scenario settings" in page
    assert "freeze policy" in page and "holiday peak wk 6–7" in page
    assert "Paired differences" in page
    # Refund cycle per channel pair, from the run's own table (not the mixed network P90).
    pairs = json.loads((comparison_folder / "pilot_then_waves" / "summary.json").read_text())[
        "refund_cycle_by_channel_pair"]
    assert set(pairs) == set(PAIRS)
    mail = pdata.fmt_value(pairs["online_to_mail"]["p90_hours"], "hours")
    assert "median hours" in page and f"<td>{mail}</td>" in page


def test_report_shows_total_risk_cost_with_its_components(comparison_folder):
    from sim.model.costs import BREAKDOWN

    page = write_report(comparison_folder).read_text()
    section = page[page.index("<h2>total_risk_cost by component"):]
    section = section[: section.index("</table>")]
    cells = _cells(section)
    diffs = json.loads((comparison_folder / "comparison.json").read_text())["differences"]
    diff = {(d["plan"], d["metric"]): d["mean"] for d in diffs}
    for plan in ("baseline_legacy", "pilot_then_waves"):
        summary = json.loads((comparison_folder / plan / "summary.json").read_text())["metrics"]
        means = {c["metric"]: float(c["value"]) for c in cells
                 if c["plan"] == plan and c["stat"] == "mean"}
        assert list(means) == [name for name, _ in BREAKDOWN]
        assert all(means[m] == summary[m]["mean"] for m in means)
    paired = {c["metric"]: float(c["value"]) for c in cells if c["stat"] == "difference"}
    assert paired and all(v == diff[("pilot_then_waves", m)] for m, v in paired.items())


def test_report_explains_the_ranking_in_the_scenarios_currency(comparison_folder):
    """Issue 17: the verdict says which components make the winner cheaper and when plans
    cannot be told apart; money names its currency; the riskiest weeks say why."""
    from sim.report import load_folder
    from sim.verdict import verdict

    _, cmp = load_folder(comparison_folder)
    page = write_report(comparison_folder).read_text()
    callout = page[page.index("<div class='callout'>"):]
    callout = callout[: callout.index("</div>")]
    v = verdict(cmp)
    assert v.sentences and all(html.escape(s, quote=True) in callout for s in v.sentences)
    assert "Too few replications (2) for an interval" in callout  # two replications: no CI
    saved = json.loads((comparison_folder / "comparison.json").read_text())
    assert saved["verdict"] == v.sentences and saved["currency"] == "USD"
    assert saved["tied_with_winner"] == v.tied
    assert "total_risk_cost by component (USD)" in page
    assert "mean total_risk_cost (USD)" in page and "money in USD" in page
    why = page[page.index("<h2>Why these weeks</h2>"):]
    why = why[: why.index("</table>")]
    rows = re.findall(r"<tr data-plan='([^']*)' data-week='(\d+)'>", why)
    assert {p for p, _ in rows} == {"baseline_legacy", "pilot_then_waves"}
    assert "vs baseline_legacy" in why and "vs median week" in why
    assert "stores go live" in why  # the compressed waves go live in the weeks that cost most


def test_cli_prints_the_cost_breakdown(tmp_path):
    res = runner.invoke(app, ["run", str(ROOT / "scenarios" / "baseline_legacy.toml"), "-n",
                              "1", "--set", "network.stores=20", "--set", "network.skus=40",
                              "--set", "horizon_weeks=2"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "total_risk_cost by component" in res.output
    for name in ("cost.lost_margin", "cost.holding", "cost.enablement.training"):
        assert name in res.output
    assert "refund cycle by channel pair" in res.output and "online_to_mail" in res.output
    # Fractions as percentages, as the report shows them (issue 17: 0.005 vs 0.52 %).
    row = next(line for line in res.output.splitlines() if "oversell_rate" in line)
    assert re.search(r"\d+\.\d\d% \[", row), row


def test_report_of_a_run_folder_and_custom_output(comparison_folder, tmp_path):
    out = write_report(comparison_folder / "pilot_then_waves", tmp_path / "sub" / "r.html")
    page = out.read_text()
    assert out == tmp_path / "sub" / "r.html"
    assert page.count(IMG) >= 4
    run = load_run(comparison_folder / "pilot_then_waves")
    p95 = [c for c in _cells(page) if c["metric"] == "total_risk_cost" and c["stat"] == "p95"]
    assert p95 and float(p95[0]["value"]) == run.summary["total_risk_cost"]["p95"]


def test_report_refuses_other_folders(tmp_path):
    with pytest.raises(ReportError, match="not a run folder"):
        write_report(tmp_path)


def test_cli_report(comparison_folder, tmp_path):
    res = runner.invoke(app, ["report", str(comparison_folder), "--output",
                              str(tmp_path / "x.html")])
    assert res.exit_code == 0, res.output
    assert str(tmp_path / "x.html") in res.output
    assert (tmp_path / "x.html").read_text().count(IMG) >= 4
    bad = runner.invoke(app, ["report", str(tmp_path)])
    assert bad.exit_code == 2
    lines = [ln for ln in bad.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2
