"""Whole-plan validation (issue 17): every mistake at once, and warnings for silent plan mistakes.

No model runs here: loading, validating and building plans only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.loader import ScenarioError, load_scenario
from sim.plan import build_plan
from sim.plan_checks import RULES, ScenarioWarning, plan_warnings

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
runner = CliRunner()
ERROR = re.compile(r"^error: (?P<file>[^:]+): (?P<path>[^:]+): (?P<problem>.+)$")
WARNING = re.compile(r"^warning: (?P<file>[^:]+): (?P<path>[^:]+): (?P<problem>.+)$")
REGIONS = ("central", "midwest", "northeast", "southeast", "southwest", "west")


def write(tmp_path: Path, text: str, name: str = "plan.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def validate(*args: str, code: int) -> tuple[list[re.Match], list[re.Match], str]:
    """Run ``validate``; expect ``code``, no traceback; return error and warning lines."""
    result = runner.invoke(app, ["validate", *args])
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit) or result.exception is None, \
        result.exception
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    errors = [ERROR.match(ln) for ln in lines if ln.startswith("error:")]
    warnings = [WARNING.match(ln) for ln in lines if ln.startswith("warning:")]
    assert all(errors) and all(warnings), result.output
    return errors, warnings, result.output


# --- every error at once ------------------------------------------------------------------

def test_three_mistakes_give_three_lines(tmp_path):
    p = write(tmp_path, 'horizon_weeks = "a year"\n[inventory]\nlegacy_sync_hour = 3\n'
                        "[training]\ncompletion = 1.5\n")
    errors, warnings, out = validate(str(p), code=2)
    assert sorted(m["path"] for m in errors) == [
        "horizon_weeks", "inventory.legacy_sync_hour", "training.completion"], out
    assert not warnings and "ok:" not in out
    assert "did you mean 'legacy_sync_hours'" in out and "(got 1.5)" in out


def test_mistakes_in_fields_rules_and_network_are_reported_together(tmp_path):
    """A field mistake the later checks do not read leaves them running: rules between fields
    (a week beyond the horizon) and the network (regions, store ids, POS families, parameters)."""
    p = write(tmp_path, "horizon_weeks = 30\n[training]\ncompletion = 1.5\n"
                        "[inventory.legacy_sync_hours_by_pos_family]\npos_q = 8\n"
                        "[parameters]\nshrink_rat = 0.1\nmisscan = 0.2\n"
                        '[[waves]]\nregions = ["northest", "west", "sooth"]\ngo_live_week = 10\n'
                        '[[waves]]\nstore_ids = ["S9999"]\nall_remaining = true\n'
                        "go_live_week = 40\n")
    errors, _, out = validate(str(p), code=2)
    assert [m["path"] for m in errors] == [
        "training.completion", "waves.1.go_live_week",
        "inventory.legacy_sync_hours_by_pos_family.pos_q", "waves.0.regions.0",
        "waves.0.regions.2", "waves.1.store_ids.0", "parameters.shrink_rat",
        "parameters.misscan"], out


def test_a_mistake_later_checks_read_stops_them(tmp_path):
    """A misspelt freeze_policy would leave the default "error" in force: no invented freeze
    error follows from it, and nothing from the region after it."""
    p = write(tmp_path, '[peak]\nfreeze_polcy = "allow"\n'
                        "freeze_windows = [{ start_week = 40, end_week = 49 }]\n"
                        '[[waves]]\nregions = ["northest"]\ngo_live_week = 45\n')
    errors, _, out = validate(str(p), code=2)
    assert [m["path"] for m in errors] == ["peak.freeze_polcy"], out


def test_wave_numbers_and_paths_stay_those_of_the_file(tmp_path):
    p = write(tmp_path, '[[waves]]\nregions = ["centrl"]\ngo_live_week = 5\n'
                        '[[waves]]\nname = "one"\nstore_ids = ["S0001", "S0002"]\n'
                        'go_live_week = 6\n'
                        '[[waves]]\nstore_ids = ["S0003", "S0001", "S9999"]\ngo_live_week = 7\n'
                        '[[waves]]\nregions = ["west"]\ngo_live_week = 8\n'
                        '[[waves]]\nregions = ["west"]\ngo_live_week = 9\n')
    errors, _, out = validate(str(p), code=2)
    assert [m["path"] for m in errors] == ["waves.0.regions.0", "waves.2.store_ids.1",
                                           "waves.2.store_ids.2", "waves.4"], out
    assert "already in wave 1 ('one')" in errors[1]["problem"]


def test_every_freeze_and_horizon_rule_is_reported(tmp_path):
    p = write(tmp_path, "horizon_weeks = 44\n"
                        "[peak]\nfreeze_windows = [{ start_week = 40, end_week = 43 }]\n"
                        '[[waves]]\nregions = ["west"]\ngo_live_week = 41\n'
                        '[[waves]]\nregions = ["central"]\ngo_live_week = 50\n'
                        "[central]\ngo_live_week = 42\nwith_wave = 0\n"
                        '[harmonization]\npromotions = { mode = "enterprise", from_week = 45 }\n')
    errors, _, out = validate(str(p), code=2)
    assert [m["path"] for m in errors] == [
        "waves.0.go_live_week", "waves.1.go_live_week", "central.with_wave",
        "central.go_live_week", "harmonization.promotions.from_week"], out


def test_python_api_keeps_one_line_per_error(tmp_path):
    one = write(tmp_path, "horizon_weeks = -3\n", "one.toml")
    with pytest.raises(ScenarioError) as e:
        load_scenario(one)
    assert str(e.value) == f"{one}: horizon_weeks: Input should be greater than or equal to 1 " \
        "(got -3)"
    assert e.value.errors == [e.value]
    three = write(tmp_path, "horizon_weeks = -3\nhorizon = 4\n[training]\ncompletion = 2\n",
                  "three.toml")
    with pytest.raises(ScenarioError) as e:
        load_scenario(three)
    assert len(e.value.errors) == 3 and "\n" not in str(e.value)
    assert str(e.value).startswith(str(e.value.errors[0]))
    assert str(e.value).endswith("(and 2 more problems: see .errors)")
    assert [x.path for x in e.value.errors] == ["horizon_weeks", "training.completion",
                                                "horizon"]


def test_set_mistakes_are_all_reported():
    errors, _, out = validate(str(SCENARIOS[0]), "--set", "horizon_weeks=abc", "--set",
                              "inventory.legacy_sync=3", "--set", "training.completion=7",
                              code=2)
    assert [m["path"] for m in errors] == ["inventory.legacy_sync", "horizon_weeks",
                                           "training.completion"], out
    assert all("[from --set]" in m["problem"] for m in errors)


def test_directory_is_an_error_that_says_so(tmp_path):
    errors, _, _ = validate(str(tmp_path), code=2)
    assert len(errors) == 1 and errors[0]["path"] == "file"
    assert errors[0]["problem"].startswith("is a directory")


def test_errors_and_oks_for_several_files(tmp_path):
    bad = write(tmp_path, "horizon_weeks = 0\n[training]\ncompletion = 3\n", "bad.toml")
    errors, _, out = validate(str(bad), str(SCENARIOS[1]), code=2)
    assert len(errors) == 2 and out.count("ok:") == 1


# --- warnings -----------------------------------------------------------------------------

WAVES_3 = ('[[waves]]\nregions = ["central", "midwest"]\ngo_live_week = 10\n'
           '[[waves]]\nregions = ["southeast", "southwest"]\ngo_live_week = 20\n')

#: (rule, scenario with the mistake, path warned, words of the warning, the plan fixed).
CASES = [
    ("stores_never_live", WAVES_3, "waves", "222 of 600 stores never go live",
     WAVES_3 + "[[waves]]\nall_remaining = true\ngo_live_week = 30\n"),
    ("region_claimed_twice",
     WAVES_3 + '[[waves]]\nname = "rest"\nregions = ["west", "central", "northeast"]\n'
     "go_live_week = 30\n", "waves.2.regions.1",
     "region 'central' is also claimed by wave 0; earlier waves took all its 60 stores",
     WAVES_3 + '[[waves]]\nregions = ["west", "northeast"]\ngo_live_week = 30\n'),
    ("region_claimed_twice (earlier wave took part: no warning)",
     '[[waves]]\nregions = ["west"]\nvolume_classes = ["A"]\ngo_live_week = 10\n'
     '[[waves]]\nregions = ["west"]\nall_remaining = false\ngo_live_week = 20\n'
     "[[waves]]\nall_remaining = true\ngo_live_week = 30\n", None, None, None),
    ("deferred_past_horizon",
     'horizon_weeks = 48\n[peak]\nfreeze_policy = "defer"\n'
     "freeze_windows = [{ start_week = 40, end_week = 49 }]\n"
     "[[waves]]\nall_remaining = true\ngo_live_week = 45\n[central]\nwith_wave = 0\n",
     "waves.0.go_live_week", "to week 50, beyond the horizon (48 weeks): its 600 stores never",
     'horizon_weeks = 50\n[peak]\nfreeze_policy = "defer"\n'
     "freeze_windows = [{ start_week = 40, end_week = 49 }]\n"
     "[[waves]]\nall_remaining = true\ngo_live_week = 45\n[central]\nwith_wave = 0\n"),
    ("deferred_past_horizon (central)",
     'horizon_weeks = 48\n[peak]\nfreeze_policy = "defer"\n'
     "freeze_windows = [{ start_week = 40, end_week = 49 }]\n[central]\ngo_live_week = 44\n",
     "central.go_live_week", "the DCs and the ecommerce platform never cut over",
     'horizon_weeks = 48\n[peak]\nfreeze_policy = "defer"\n'
     "freeze_windows = [{ start_week = 40, end_week = 49 }]\n[central]\ngo_live_week = 30\n"),
    ("from_week_ignored",
     '[harmonization]\npromotions = { mode = "at_go_live", from_week = 10 }\n'
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\n",
     "harmonization.promotions.from_week", "has no effect: mode is 'at_go_live'",
     '[harmonization]\npromotions = { mode = "enterprise", from_week = 10 }\n'
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\n"),
    ("from_week_ignored (legacy)",
     '[harmonization]\norder_status = { from_week = 10 }\n',
     "harmonization.order_status.from_week", "has no effect: mode is 'legacy'",
     '[harmonization]\norder_status = { mode = "legacy" }\n'),
    ("at_go_live_never_reached",
     '[harmonization]\npromotions = { mode = "at_go_live" }\n'
     'return_disposition = { mode = "at_go_live" }\n', "harmonization",
     "has no effect on return_disposition, promotions: the plan has no waves",
     '[harmonization]\npromotions = { mode = "at_go_live" }\n'
     'return_disposition = { mode = "at_go_live" }\n[central]\ngo_live_week = 20\n'),
    ("hypercare_ignored",
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\nhypercare_weeks = 0\n"
     "hypercare_it_staff_per_100_stores = 2.0\n",
     "waves.0.hypercare_it_staff_per_100_stores", "hypercare_weeks is 0",
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\nhypercare_weeks = 1\n"
     "hypercare_it_staff_per_100_stores = 2.0\n"),
    ("hypercare_ignored (weeks, no staff)",
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\nhypercare_weeks = 8\n",
     "waves.0.hypercare_weeks", "the wave has no hypercare staff",
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\nhypercare_weeks = 8\n"
     "hypercare_staff_per_100_stores = 3.0\n"),
    ("wave_selectors_ignored",
     '[[waves]]\nregions = ["west"]\nall_remaining = true\ngo_live_week = 12\n',
     "waves.0.regions", "all_remaining = true takes every store",
     "[[waves]]\nall_remaining = true\ngo_live_week = 12\n"),
    ("wave_selectors_ignored (count)",
     '[[waves]]\nstore_ids = ["S0001", "S0002"]\ncount = 1\ngo_live_week = 12\n'
     "[[waves]]\nall_remaining = true\ngo_live_week = 20\n",
     "waves.0.count", "selects by store_ids alone",
     '[[waves]]\nstore_ids = ["S0001"]\ngo_live_week = 12\n'
     "[[waves]]\nall_remaining = true\ngo_live_week = 20\n"),
    ("switched_off (command center)", "[peak]\ncommand_center_staff_per_100_stores = 2.0\n",
     "peak.command_center_staff_per_100_stores", "peak.command_center is false",
     "[peak]\ncommand_center = true\ncommand_center_staff_per_100_stores = 2.0\n"),
    ("switched_off (freeze policy)", '[peak]\nfreeze_policy = "defer"\n',
     "peak.freeze_policy", "peak.freeze_windows is empty",
     '[peak]\nfreeze_policy = "defer"\nfreeze_windows = [{ start_week = 40, end_week = 49 }]\n'),
    ("switched_off (gates)", "[gates]\nmax_backlog = 500\n",
     "gates.max_backlog", "gates.enabled is false",
     "[gates]\nenabled = true\nmax_backlog = 500\n"),
    ("switched_off (fallback)", "[fallback]\nbacklog_threshold = 20\n",
     "fallback.backlog_threshold", "fallback.enabled is false",
     "[fallback]\nenabled = true\nbacklog_threshold = 20\n"),
    ("switched_off (central)", "[central]\ndefects = 50\n",
     "central.defects", "the central systems never cut over",
     "[central]\ndefects = 50\ngo_live_week = 20\n"),
    ("gates_never_hold", "[gates]\nenabled = true\n", "gates.enabled", "no threshold is set",
     "[gates]\nenabled = true\nmin_sla_met_rate = 0.7\n"),
    ("gates_never_hold (no deferral)",
     "[gates]\nenabled = true\nmin_sla_met_rate = 0.7\nmax_deferral_weeks = 0\n",
     "gates.max_deferral_weeks", "never hold a wave back",
     "[gates]\nenabled = true\nmin_sla_met_rate = 0.7\nmax_deferral_weeks = 4\n"),
    ("team_settings_ignored", "[teams.finance]\nstaff = 3\nstaff_per_100_stores = 2.0\n",
     "teams.finance.staff_per_100_stores", "staff = 3 is given",
     "[teams.finance]\nstaff_per_100_stores = 2.0\n"),
    ("team_settings_ignored (season)",
     "[teams]\nseason_weeks_after_peak = 4\n[teams.customer_service]\n"
     "seasonal_staff_factor = 1.0\n",
     "teams.season_weeks_after_peak", "no team has a seasonal_staff_factor above 1",
     "[teams]\nseason_weeks_after_peak = 4\n"),
    ("empty_file", "# a plan, one day\n\n   \n", "file", "the file is empty",
     "# a plan, one day\nname = \"legacy\"\n"),
]


@pytest.mark.parametrize("rule,text,path,words,fixed", CASES, ids=[c[0] for c in CASES])
def test_warning_rule_triggers_and_its_fix_silences_it(tmp_path, rule, text, path, words, fixed):
    p = write(tmp_path, text)
    if path is None:  # a pattern that looks like the mistake but is not
        _, warnings, out = validate("--strict", str(p), code=0)
        assert not warnings, out
        return
    errors, warnings, out = validate(str(p), code=0)
    assert not errors and out.count("ok:") == 1, out
    assert [m["path"] for m in warnings] == [path], out
    assert words in warnings[0]["problem"], out
    assert warnings[0]["file"] == str(p)
    _, warnings, out = validate("--strict", str(write(tmp_path, fixed, "fixed.toml")), code=0)
    assert not warnings, out


def test_a_region_taken_by_store_ids_is_warned_only_when_named_twice(tmp_path):
    """Only a region two waves name is "claimed twice": wave 1 is the first to name central
    (wave 0 lists its stores by id), wave 2 names it again."""
    plan = build_plan(load_scenario(SCENARIOS[0]))
    ids = plan.stores.loc[plan.stores["region"] == "central", "store_id"].tolist()
    p = write(tmp_path, f"[[waves]]\nstore_ids = {ids!r}\ngo_live_week = 5\n".replace("'", '"')
              + '[[waves]]\nregions = ["central", "west"]\ngo_live_week = 6\n'
              + '[[waves]]\nregions = ["central", "northeast"]\ngo_live_week = 7\n'
              + "[[waves]]\nall_remaining = true\ngo_live_week = 8\n")
    _, warnings, out = validate(str(p), code=0)
    assert [m["path"] for m in warnings] == ["waves.2.regions.0"], out
    assert "also claimed by wave 1;" in warnings[0]["problem"]


def test_every_rule_has_a_case():
    names = {c[0].split(" ")[0] for c in CASES}
    assert {r.__name__ for r in RULES} <= names


def test_shipped_scenarios_have_no_warnings():
    _, warnings, out = validate("--strict", *map(str, SCENARIOS), code=0)
    assert not warnings and out.count("ok:") == 6, out
    for p in SCENARIOS:
        assert plan_warnings(load_scenario(p)) == [], p


def test_shipped_scenarios_sliced_have_no_warnings():
    _, warnings, out = validate("--strict", *map(str, SCENARIOS), "--set", "network.stores=30",
                                "--set", "network.skus=60", code=0)
    assert not warnings, out


def test_strict_turns_a_warning_into_exit_2(tmp_path):
    p = write(tmp_path, WAVES_3)
    _, warnings, out = validate("--strict", str(p), str(SCENARIOS[0]), code=2)
    assert len(warnings) == 1 and out.count("ok:") == 1, out  # the clean file is still ok
    assert f"ok: {p}" not in out


def test_a_slice_counts_its_own_stores(tmp_path):
    p = write(tmp_path, WAVES_3)
    _, warnings, _ = validate(str(p), "--set", "network.stores=40", code=0)
    plan = build_plan(load_scenario(p, ["network.stores=40"]))
    never = int((plan.wave_of_store < 0).sum())
    assert f"{never} of 40 stores never go live" in warnings[0]["problem"]


def test_load_or_fail_prints_warnings_and_returns_the_scenario(tmp_path, capsys):
    from sim.cli import load_or_fail

    sc = load_or_fail(write(tmp_path, WAVES_3), None)
    assert len(sc.waves) == 2
    err = capsys.readouterr().err
    assert re.search(r"^warning: \S+plan.toml: waves: 222 of 600 stores", err, re.M), err


@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_and_compare_warn_then_still_run(tmp_path, monkeypatch, command):
    """The warning is printed and the command goes on to run (the run itself stubbed out)."""
    import importlib

    experiment = importlib.import_module("sim.experiment")
    calls = []

    def stub(*args, **kwargs):
        calls.append(args)
        raise experiment.ExperimentError("stopped by the test")

    monkeypatch.setattr(experiment, "run", stub)
    monkeypatch.setattr(importlib.import_module("sim.compare"), "compare", stub)
    p = write(tmp_path, WAVES_3)
    files = [str(p)] if command == "run" else [str(SCENARIOS[0]), str(p)]
    result = runner.invoke(app, [command, *files, "-n", "1"])
    assert calls, result.output
    assert "warning: " in result.output and "222 of 600 stores never go live" in result.output
    assert "stopped by the test" in result.output


def test_scenario_warning_is_one_line():
    w = ScenarioWarning("a.toml", "waves", "1 of 2 stores never go live")
    assert str(w) == "a.toml: waves: 1 of 2 stores never go live"


# --- Hypothesis: regional waves warn exactly when stores are left or regions reused -------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(waves=st.lists(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True),
                      min_size=1, max_size=4))
def test_regional_waves_warn_exactly_when_they_should(tmp_path, waves):
    seen: set[str] = set()
    for regions in waves:
        assume(set(regions) - seen)  # a wave with no new region selects no store: an error
        seen |= set(regions)
    text = "".join(f"[[waves]]\nregions = {list(r)!r}\ngo_live_week = {5 + i}\n".replace("'", '"')
                   for i, r in enumerate(waves))
    sc = load_scenario(write(tmp_path, text))
    plan = build_plan(sc)
    got = plan_warnings(sc, plan)
    left = int((plan.wave_of_store < 0).sum())
    never = [w for w in got if w.path == "waves"]
    assert len(never) == (left > 0)
    if left:
        assert never[0].problem.startswith(f"{left} of 600 stores never go live")
    reused = {f"waves.{j}.regions.{k}" for j, regions in enumerate(waves)
              for k, r in enumerate(regions) if any(r in earlier for earlier in waves[:j])}
    assert {w.path for w in got if ".regions." in w.path} == reused
    assert len(got) == len(never) + len(reused)
