"""The optimiser finds a known optimum, writes a plan that reproduces it, and resumes (#19).

The known answer: in a small big bang, exceptions fall as training completion rises (the
go-live dip is shallower; measured monotone over the grid, 940 exceptions at 0.5 down to 428 at
1.0 over four weeks, three replications), while training's
enablement cost rises with it in proportion (``cost.enablement.training`` = completion x a
fixed amount). Minimising exceptions with that cost capped at 81 % of its full-completion
value puts the optimum where the cap binds: completion 0.81, so 0.80 on a 0.05 grid.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from small_runs import shared
from typer.testing import CliRunner

import sim
import sim.executors
from sim.cli import app
from sim.loader import ScenarioError
from sim.optimize import describe_decisions, optimize, pareto_mask, with_decisions
from sim.space import SpaceError, load_space, parse_constraint

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["network.stores=20", "network.skus=20", "horizon_weeks=4", "waves.0.go_live_week=2"]
SPACE = '[[variables]]\nkey = "training.completion"\nlow = 0.5\nhigh = 1.0\nstep = 0.05\n'


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    """The search several tests read (made once for the suite's test processes; its folder
    is read, not written, by them)."""
    return shared("optimize-search", lambda: _search(tmp_path_factory))


def _search(tmp_path_factory):
    out = tmp_path_factory.mktemp("opt")
    (out / "space.toml").write_text(SPACE)
    sc = sim.load_scenario(ROOT / "scenarios" / "big_bang.toml", SMALL)
    full = sim.run_replication(sc, 1).metrics["cost.enablement.training"] / \
        sc.training.completion
    cap = parse_constraint(f"cost.enablement.training.mean<={0.81 * full}")
    res = optimize(sc, load_space(out / "space.toml", sc), "exceptions_total", "mean", [cap],
                   trials=14, replications=3, seed=1, out=out / "run")
    return sc, out, res


def test_the_search_finds_where_the_cost_cap_binds(search):
    _, _, res = search
    assert res.best == {"training.completion": pytest.approx(0.80)}
    feasible = res.trials[res.trials["feasible"]]
    assert (feasible["training.completion"] <= 0.8 + 1e-9).all()
    assert len(res.finalists) >= 2 and res.finalists["feasible_fresh"].all()


def test_the_written_plan_reproduces_the_reported_statistics_on_the_same_seeds(search):
    _, out, res = search
    best = json.loads((out / "run" / "best.json").read_text())
    sc = sim.load_scenario(out / "run" / "best_scenario.toml")
    values = [sim.run_replication(sc, s).metrics["exceptions_total"]
              for s in best["search_seeds"]]
    reported = res.finalists.set_index("training.completion").loc[0.8, "objective_search"]
    assert sum(values) / len(values) == reported
    assert "report.html" not in {p.name for p in (out / "run").iterdir()}  # the CLI writes it


def test_a_resumed_search_replays_the_same_trials_without_running_them_again(search,
                                                                              monkeypatch):
    sc, out, _ = search
    space = load_space(out / "space.toml", sc)
    kw = {"trials": 10, "replications": 1, "seed": 2}
    whole = optimize(sc, space, "exceptions_total", **kw)
    calls = []
    real = sim.executors.execute_tasks

    def counted(tasks, workers, scheduler):
        calls.append(len(tasks))
        yield from real(tasks, workers, scheduler)

    class Stop(Exception):
        pass

    def stop_at_6(n, total):
        if n == 6:
            raise Stop

    monkeypatch.setattr(sim.executors, "execute_tasks", counted)
    with pytest.raises(Stop):
        optimize(sc, space, "exceptions_total", out=out / "again", on_trial=stop_at_6, **kw)
    first = len(calls)
    again = optimize(sc, space, "exceptions_total", out=out / "again", resume=True, **kw)
    pd.testing.assert_frame_equal(again.trials, whole.trials)
    assert again.best == whole.best
    saved = len(list((out / "again" / "points").glob("*.json")))
    assert len(calls) == saved and first < saved  # each combination ran once in all


@pytest.mark.parametrize("body, problem", [
    ('[[variables]]\nkey = "training.nope"\nlow = 0\nhigh = 1\n',
     "variables.0.key: 'training.nope': unknown key 'nope'"),
    ('[[variables]]\nkey = "training.completion"\nlow = 1\nhigh = 0.5\n', "low < high"),
    ('[[variables]]\nkey = "training.completion"\nlow = 0.5\nhigh = 1\nchoices = [1, 2]\n',
     "not both"),
    ('[[variables]]\nkey = "training.completion"\nlo = 0.5\nhigh = 1\n', "variables.0.lo"),
])
def test_space_mistakes_are_one_line_naming_the_file_and_field(tmp_path, body, problem):
    p = tmp_path / "space.toml"
    p.write_text(body)
    sc = sim.load_scenario(ROOT / "scenarios" / "big_bang.toml")
    with pytest.raises(SpaceError, match="space.toml") as e:
        load_space(p, sc)
    assert problem in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("text", ["total_risk_cost<=5", "total_risk_cost.p85<=5",
                                  "no_metric.mean<=1", "oversell_rate.mean<"])
def test_malformed_constraints_are_refused(text):
    with pytest.raises(SpaceError, match="--constraint"):
        parse_constraint(text)


def test_constraints_parse_both_directions():
    c = parse_constraint("exception_backlog_peak.p90 <= 2000")
    assert (c.metric, c.stat, c.upper, c.bound) == ("exception_backlog_peak", "p90", True, 2000)
    assert c.violation(1500) < 0 < c.violation(2500)
    c = parse_constraint("exception_sla_met_rate.mean>=0.9")
    assert not c.upper and c.violation(0.95) < 0 < c.violation(0.8)


def test_cli_refuses_a_bad_space_with_one_line_and_exit_2(tmp_path):
    (tmp_path / "s.toml").write_text('[[variables]]\nkey = "nope"\nlow = 0\nhigh = 1\n')
    r = CliRunner().invoke(app, ["optimize", str(ROOT / "scenarios" / "big_bang.toml"),
                                 "--space", str(tmp_path / "s.toml"),
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "s.toml" in r.output
    assert not (tmp_path / "o").exists()


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25),
       st.booleans())
def test_the_pareto_front_is_exactly_the_undominated_points(points, lower):
    v = np.array(points, dtype=float)
    keep = pareto_mask(v, [lower, True])
    w = np.column_stack([v[:, 0] if lower else -v[:, 0], v[:, 1]])

    def dominated(i):
        return any((w[j] <= w[i]).all() and (w[j] < w[i]).any() for j in range(len(w)))

    assert keep.any()
    assert all(keep[i] != dominated(i) for i in range(len(w)))


def test_two_objectives_give_the_front_of_a_pure_trade_off(search):
    """Exceptions fall and training's cost rises with completion: every completion tried is
    on the front (none is better on both), and along it one objective rises as the other
    falls."""
    sc, out, _ = search
    res = optimize(sc, load_space(out / "space.toml", sc), "exceptions_total", trials=12,
                   replications=1, seed=3, finalists=20,
                   second=("cost.enablement.training", "mean"))
    tried = res.trials.dropna(subset=["objective"])["training.completion"].nunique()
    front = res.finalists.sort_values("training.completion")
    assert len(front) == tried >= 4
    assert front["objective_search"].is_monotonic_decreasing
    assert front["objective_2_search"].is_monotonic_increasing
    assert res.best == {"training.completion": front["training.completion"].iloc[-1]}


def test_word_choices_choose_a_harmonization_mode(tmp_path):
    p = tmp_path / "space.toml"
    p.write_text('[[variables]]\nkey = "harmonization.return_disposition.mode"\n'
                 'choices = ["at_go_live", "enterprise"]\n')
    sc = sim.load_scenario(ROOT / "scenarios" / "big_bang.toml")
    assert load_space(p, sc).variables[0].choices == ["at_go_live", "enterprise"]
    key = "harmonization.return_disposition.mode"
    week = "harmonization.return_disposition.from_week"
    assert with_decisions(sc, {key: "enterprise", week: 3}).harmonization.return_disposition \
        .mode == "enterprise"
    with pytest.raises(ScenarioError, match="needs from_week"):  # a rejected combination
        with_decisions(sc, {key: "enterprise"})
    assert describe_decisions({key: "enterprise", "training.completion": 0.8}) == \
        f"{key} = enterprise, training.completion = 0.8"
    with pytest.raises(ScenarioError):
        with_decisions(sc, {key: "sometimes"})


def test_the_wave_order_is_a_decision_and_the_search_takes_the_better_order(tmp_path):
    """Two regional waves swap their stores (each slot keeps its week and staff): the
    search tries both orders and chooses the one that costs less on its seeds."""
    p = tmp_path / "space.toml"
    p.write_text('[[variables]]\nkey = "waves.order"\nwaves = [3, 4]\n')
    sc = sim.load_scenario(ROOT / "scenarios" / "pilot_then_waves.toml",
                           ["network.stores=20", "network.skus=20"])
    space = load_space(p, sc)
    swapped = with_decisions(sc, {"waves.order": "4,3"})
    assert [w.regions for w in swapped.waves[3:]] == [sc.waves[4].regions, sc.waves[3].regions]
    assert [w.go_live_week for w in swapped.waves] == [w.go_live_week for w in sc.waves]
    res = optimize(sc, space, trials=4, replications=1, seed=1, finalists=2)
    assert set(res.trials["waves.order"]) == {"3,4", "4,3"}
    costs = res.trials.groupby("waves.order")["objective"].first()
    assert res.best == {"waves.order": costs.idxmin()} or \
        res.finalists["objective_fresh"].min() == res.finalists.set_index("waves.order").loc[
            res.best["waves.order"], "objective_fresh"]
    with pytest.raises(SpaceError, match="no wave 9"):
        p.write_text('[[variables]]\nkey = "waves.order"\nwaves = [3, 9]\n')
        load_space(p, sc)
