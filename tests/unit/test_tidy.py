"""The tidy tables of :mod:`sim.tidy`: one value per row, its unit on the row, NaN for null."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import cli_tables
from sim.aggregate import MIN_INTERVAL_REPLICATIONS, summarize
from sim.compare import compare_runs
from sim.experiment import RunResult
from sim.metrics import REGISTRY
from sim.tidy import comparison_frame, differences_frame, long_frame, summary_frame

METRICS = ("total_risk_cost", "oversell_rate", "training_proficiency", "exceptions_total")


def fake(name: str, reps: int, level: float) -> RunResult:
    rng = np.random.default_rng(int(level))
    table = pd.DataFrame({"rep": range(reps), "seed": [100 + r for r in range(reps)]})
    for m in METRICS:
        table[m] = level * (1 + rng.random(reps))
    table["oversell_rate"] = 0.004 * (1 + rng.random(reps))
    table["training_proficiency"] = np.nan  # no store ever live
    weekly = pd.DataFrame({"rep": 0, "week": [1, 2], "oversell_rate": [0.01, 0.02],
                           "training_proficiency": [np.nan, 0.7]})
    return RunResult(scenario=name, seed=1, replications=table, weekly=weekly,
                     by_region=pd.DataFrame(), timeline=pd.DataFrame(),
                     refunds=pd.DataFrame(), summary=summarize(table, list(METRICS)))


def test_summary_frame_has_every_statistic_with_its_unit():
    run = fake("a", 4, 100.0)
    frame = run.summary_frame()
    assert list(frame.columns) == ["metric", "unit", "statistic", "value"]
    assert frame["value"].dtype == float
    got = frame.set_index(["metric", "statistic"])
    for m in METRICS:
        stats = run.summary[m]
        assert set(got.loc[m].index) == {"mean", "ci_low", "ci_high", "se", "n", "p50", "p80",
                                         "p90", "p95"}
        assert got.loc[(m, "n"), "unit"] == "replications"
        assert (got.loc[m].drop("n")["unit"] == REGISTRY[m].unit).all()
        for stat in ("mean", "p50", "p90", "se"):
            want = stats[stat]
            value = got.loc[(m, stat), "value"]
            assert (math.isnan(value) if want is None or want != want else value == want)
    assert got.loc[("total_risk_cost", "ci_low"), "value"] == run.summary["total_risk_cost"][
        "ci95"][0]


def test_null_becomes_nan():
    # A metric missing in every replication, and intervals below the minimum replications.
    run = fake("a", MIN_INTERVAL_REPLICATIONS - 1, 100.0)
    got = summary_frame(run).set_index(["metric", "statistic"])["value"]
    assert got[("training_proficiency", "n")] == 0
    assert all(math.isnan(got[("training_proficiency", s)]) for s in ("mean", "p90", "ci_low"))
    assert math.isnan(got[("total_risk_cost", "ci_low")])
    assert not math.isnan(got[("total_risk_cost", "mean")])


def test_summary_frame_reads_a_summary_json_content():
    data = {"scenario": "x", "metrics": {"oversell_rate": {"mean": 0.01, "ci95": [None, None],
                                                           "n": 2}},
            "refund_cycle_by_channel_pair": {"online_to_mail": {"refunds": 10.0,
                                                                "p50_hours": 100.0,
                                                                "p90_hours": 300.0}}}
    frame = summary_frame(data)
    rows = {(r.metric, r.statistic): (r.unit, r.value) for r in frame.itertuples()}
    assert rows[("oversell_rate", "mean")] == ("fraction", 0.01)
    assert math.isnan(rows[("oversell_rate", "ci_high")][1])
    assert rows[("refund_cycle_hours.online_to_mail", "p90_hours")] == ("hours", 300.0)
    assert rows[("refund_cycle_hours.online_to_mail", "refunds")] == ("refunds", 10.0)


@pytest.fixture(scope="module")
def cmp():
    return compare_runs([fake("ref", 4, 100.0), fake("b", 4, 80.0), fake("c", 4, 120.0)])


def test_differences_frame_is_the_differences_long(cmp):
    frame = differences_frame(cmp)
    assert list(frame.columns) == ["plan", "metric", "unit", "statistic", "value"]
    assert set(frame["plan"]) == {"b", "c"}
    for d in cmp.differences.itertuples():
        rows = frame[(frame["plan"] == d.plan) & (frame["metric"] == d.metric)]
        got = dict(zip(rows["statistic"], rows["value"], strict=True))
        for stat, want in (("difference_mean", d.mean), ("difference_ci_low", d.ci_low),
                           ("win_share", d.win_share)):
            assert got[stat] == want or (math.isnan(got[stat]) and math.isnan(want))
        unit = dict(zip(rows["statistic"], rows["unit"], strict=True))
        assert unit["win_share"] == "fraction"
        assert unit["difference_mean"] == REGISTRY[d.metric].unit
    assert cmp.differences_frame().equals(frame)


def test_comparison_frame_adds_plan_ranking_and_wins(cmp):
    frame = cmp.summary_frame()
    assert list(frame.columns) == ["plan", "metric", "unit", "statistic", "value"]
    ranks = frame[frame["statistic"] == "rank"].set_index("plan")["value"]
    assert list(ranks.sort_values().index) == list(cmp.ranking["plan"])
    shares = frame[frame["statistic"] == "lowest_cost_share"]["value"]
    assert shares.sum() == pytest.approx(1.0)
    means = frame[(frame["statistic"] == "mean") & (frame["metric"] == "total_risk_cost")]
    assert dict(zip(means["plan"], means["value"], strict=True)) == {
        r.scenario: r.summary["total_risk_cost"]["mean"] for r in cmp.runs}
    assert len(comparison_frame(cmp)) == len(frame)


def test_long_frame_gives_wide_tables_their_units():
    weekly = fake("a", 2, 1.0).weekly
    frame = long_frame(weekly)
    assert list(frame.columns) == ["rep", "week", "metric", "unit", "value"]
    assert len(frame) == 2 * len(weekly)
    assert set(frame["unit"]) == {"fraction"}
    first = frame[(frame["metric"] == "training_proficiency") & (frame["week"] == 1)]
    assert math.isnan(first["value"].iloc[0])  # no store live in week 1


def test_repr_is_a_few_lines():
    run = fake("plan_a", 4, 100.0)
    text = repr(run)
    assert text.startswith("RunResult('plan_a', n=4, seed=1)")
    assert len(text.splitlines()) <= 8 and "total_risk_cost" in text
    assert "training_proficiency" not in text or "–" in text


def test_fit_never_cuts_a_word_when_the_words_fit():
    grid = cli_tables.Grid("t", [("plan", "left"), ("mean total_risk_cost", "right"),
                                 ("95% CI", "right")])
    grid.add("waves_through_peak", "61,234,567", "[-2,345,678, -123,456]")
    natural = cli_tables._table_width(grid.natural())
    widths = cli_tables.fit_widths(grid, natural - 12)
    got = [w if w is not None else n for w, n in zip(widths, grid.natural(), strict=True)]
    assert cli_tables._table_width(got) <= natural - 12
    assert all(g >= m for g, m in zip(got, grid.minimum(), strict=True))
    assert cli_tables.fit_widths(grid, natural) == [None, None, None]
