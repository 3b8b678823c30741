"""The verdict names the components that make the winner cheaper and the plans it ties with;
the why-weeks table finds the week a plan's cost jumps and what drives it (issue 17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.compare import compare_runs
from sim.experiment import RunResult
from sim.model.costs import TOTAL_OF
from sim.plotting_data.why import COMPONENTS, why_weeks
from sim.scenario import Scenario
from sim.verdict import DEFAULT_CURRENCY, currency_of, verdict

REPS = 6
WEEKS = 8


def _run(name: str, comps: dict[str, np.ndarray], weekly_bump: dict | None = None,
         currency: str | None = None) -> RunResult:
    """A run whose replications' cost components are given (the total is their sum)."""
    rows = {"rep": np.arange(REPS), "seed": np.arange(REPS) + 100}
    for c in TOTAL_OF:
        rows[c] = comps.get(c, np.zeros(REPS))
    rows["total_risk_cost"] = sum(np.asarray(rows[c], float) for c in TOTAL_OF)
    weekly = []
    for rep in range(REPS):
        for wk in range(1, WEEKS + 1):
            w = {"rep": rep, "week": wk, "exception_backlog_peak": 10.0, "go_lives": 0.0,
                 "exceptions.return_lookup": 5.0, "exceptions.cutover_defect": 0.0}
            for c in COMPONENTS:
                w[c] = 100.0 + rep
            for (bw, c), v in (weekly_bump or {}).items():
                if bw == wk:
                    w[c] += v
            w["total_risk_cost"] = sum(w[c] for c in COMPONENTS)
            weekly.append(w)
    src = None
    if currency is not None:
        src = Scenario.model_validate({"name": name, "costs": {"currency": currency}})
    return RunResult(scenario=name, seed=1, replications=pd.DataFrame(rows),
                     weekly=pd.DataFrame(weekly), by_region=pd.DataFrame(),
                     timeline=pd.DataFrame(), source=src)


BASE = np.array([1000.0, 1010, 990, 1005, 995, 1002])
NOISE = np.array([30.0, -25, 40, -35, 20, -30])


def test_the_verdict_names_what_makes_the_winner_cheaper_and_what_works_against_it():
    ref = _run("legacy", {"cost.fulfillment": BASE, "cost.enablement": np.zeros(REPS)})
    win = _run("harmonize", {"cost.fulfillment": BASE - 300,
                             "cost.enablement": np.full(REPS, 120.0),
                             "cost.lost_margin": np.full(REPS, 40.0)})
    v = verdict(compare_runs([ref, win]))
    assert v.winner == "harmonize"
    assert [m for m, _ in v.drivers] == ["cost.fulfillment", "cost.enablement",
                                         "cost.lost_margin"]
    assert v.drivers[0][1] == pytest.approx(-300)
    assert "cheaper on fulfillment (-300.0 USD)" in v.text
    assert "dearer on enablement (+120.0 USD) and lost margin (+40.0 USD)" in v.text
    assert "-140.0 USD" in v.text and v.tied == []
    assert "Every other plan costs more than harmonize" in v.text


def test_plans_whose_paired_interval_holds_zero_are_said_to_be_tied():
    ref = _run("legacy", {"cost.fulfillment": BASE})
    a = _run("a", {"cost.fulfillment": BASE - 100})
    b = _run("b", {"cost.fulfillment": BASE - 100 + NOISE})   # a tie with a: mean 0, wide CI
    c = _run("c", {"cost.fulfillment": BASE - 10})             # clearly dearer than a
    v = verdict(compare_runs([ref, a, b, c]))
    assert v.winner in ("a", "b")
    other = "b" if v.winner == "a" else "a"
    assert v.tied == [other]
    assert f"Cannot be told apart from {v.winner}" in v.text and "c " not in v.text.split(
        "Cannot be told apart")[1]


def test_too_few_replications_for_an_interval_is_said_not_hidden():
    ref = _run("legacy", {"cost.fulfillment": BASE})
    a = _run("a", {"cost.fulfillment": BASE - 100})
    cmp = compare_runs([ref, a])
    for r in cmp.runs:
        r.replications = r.replications.head(2)
    v = verdict(compare_runs(cmp.runs))
    assert "Too few replications (2) for an interval" in v.text
    assert "Every other plan" not in v.text


def test_a_reference_that_wins_is_named():
    ref = _run("legacy", {"cost.fulfillment": BASE - 500})
    a = _run("a", {"cost.fulfillment": BASE})
    v = verdict(compare_runs([ref, a]))
    assert "No plan beats the reference legacy" in v.text
    # What keeps the closest plan from beating the reference is named.
    assert v.drivers == [("cost.fulfillment", 500.0)]
    assert "The closest plan, a, is dearer on fulfillment (+500.0 USD) than legacy." in v.text


def test_the_currency_comes_from_the_scenario_and_defaults_to_usd():
    assert currency_of([_run("x", {})]) == DEFAULT_CURRENCY == "USD"
    ref = _run("legacy", {"cost.fulfillment": BASE}, currency="EUR")
    a = _run("a", {"cost.fulfillment": BASE - 100}, currency="EUR")
    assert currency_of([ref, a]) == "EUR"
    assert "EUR" in verdict(compare_runs([ref, a])).text and "USD" not in verdict(
        compare_runs([ref, a])).text


def test_the_why_table_finds_the_week_a_plan_pays_for_and_its_driver():
    ref = _run("legacy", {}, )
    plan = _run("big_bang", {}, weekly_bump={(5, "cost.enablement"): 900.0,
                                             (5, "cost.exception_labour"): 300.0,
                                             (6, "cost.exception_labour"): 200.0})
    t = why_weeks(plan, ref, n=3)
    assert list(t["week"][:2]) == [5, 6]
    assert t.iloc[0]["excess"] == pytest.approx(1200)
    assert [c for c, _ in t.iloc[0]["drivers"]] == ["cost.enablement", "cost.exception_labour"]
    assert t.iloc[0]["basis"] == "vs legacy"
    # On its own, the plan's week 5 stands out against its median week.
    alone = why_weeks(plan, None, n=1)
    assert int(alone.iloc[0]["week"]) == 5 and alone.iloc[0]["basis"] == "vs median week"


def test_the_why_table_names_the_exception_type_that_rose_most():
    ref = _run("legacy", {})
    plan = _run("big_bang", {}, weekly_bump={(3, "cost.exception_labour"): 500.0,
                                             (3, "exceptions.cutover_defect"): 40.0})
    row = why_weeks(plan, ref, n=1).iloc[0]
    assert row["week"] == 3 and row["exception"] == "cutover_defect"
    assert row["exception_excess"] == pytest.approx(40)


def test_plans_in_different_currencies_are_not_compared(tmp_path):
    """One error line and exit 2 before anything runs; the API refuses them too."""
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.compare import compare
    from tests.small_runs import ROOT, TINY, tiny

    eur = tmp_path / "legacy_eur.toml"
    eur.write_text((ROOT / "scenarios" / "baseline_legacy.toml").read_text()
                   .replace('name = "baseline_legacy"', 'name = "legacy_eur"')
                   + '\n[costs]\ncurrency = "EUR"\n')
    res = CliRunner().invoke(app, ["compare", str(ROOT / "scenarios" / "baseline_legacy.toml"),
                                   str(eur), "-n", "1", *sum((["--set", s] for s in TINY), [])])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines == ["error: compare: plans must state their costs in one currency to be "
                     "compared (costs.currency: EUR, USD); set the same costs.currency in each "
                     "file"], res.output
    with pytest.raises(ValueError, match="one currency"):
        compare([tiny(), tiny("baseline_legacy", ["costs.currency=EUR", "name=x"])], 1, 1)
    bad = CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / "big_bang.toml"),
                                   "--set", "costs.currency=euro"])
    assert bad.exit_code == 2 and "costs.currency" in bad.output
