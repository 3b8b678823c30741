"""Scenario files: every shipped plan validates; every kind of mistake is one clear line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.loader import ScenarioError, apply_override, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
runner = CliRunner()
LINE = re.compile(r"^error: (?P<file>[^:]+): (?P<path>[^:]+): (?P<problem>.+)$")


def write(tmp_path: Path, text: str, name: str = "plan.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def cli_error(args: list[str]) -> re.Match:
    """Run the CLI, expect exit 2 and exactly one well-formed error line, no traceback."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    m = LINE.match(lines[0])
    assert m, lines[0]
    return m


def test_six_shipped_scenarios_exist_and_validate():
    names = {p.stem for p in SCENARIOS}
    assert names == {"baseline_legacy", "big_bang", "pilot_then_waves", "returns_first",
                     "harmonize_first", "waves_through_peak"}
    result = runner.invoke(app, ["validate", *map(str, SCENARIOS)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok:") == 6


def test_shipped_scenarios_are_commented():
    for p in SCENARIOS:
        comments = [ln for ln in p.read_text().splitlines() if ln.lstrip().startswith("#")]
        assert len(comments) >= 3, p


def test_missing_file(tmp_path):
    m = cli_error(["validate", str(tmp_path / "nope.toml")])
    assert m["problem"] == "no such file"


def test_toml_syntax_error_names_line(tmp_path):
    p = write(tmp_path, 'name = "x"\nhorizon_weeks = = 3\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "line 2"
    assert "TOML" in m["problem"]


def test_unknown_key_suggests_closest(tmp_path):
    p = write(tmp_path, "[inventory]\nlegacy_sync_hour = 3\n")
    m = cli_error(["validate", str(p)])
    assert m["path"] == "inventory.legacy_sync_hour"
    assert "did you mean 'legacy_sync_hours'" in m["problem"]


def test_unknown_top_level_key(tmp_path):
    p = write(tmp_path, "horizon = 3\n")
    m = cli_error(["validate", str(p)])
    assert "did you mean 'horizon_weeks'" in m["problem"]


def test_wrong_type(tmp_path):
    p = write(tmp_path, 'horizon_weeks = "a year"\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "horizon_weeks"
    assert "integer" in m["problem"]


@pytest.mark.parametrize("text,path", [
    ("horizon_weeks = -3\n", "horizon_weeks"),
    ("[training]\ncompletion = 1.5\n", "training.completion"),
    ("[inventory]\nintegration_failures_per_1000_hours = 2000\n",
     "inventory.integration_failures_per_1000_hours"),
    ("[inventory.legacy_sync_hours_by_pos_family]\npos_c = 0\n",
     "inventory.legacy_sync_hours_by_pos_family.pos_c"),
    ("[[waves]]\nall_remaining = true\ngo_live_week = -1\n", "waves.0.go_live_week"),
])
def test_out_of_range(tmp_path, text, path):
    m = cli_error(["validate", str(write(tmp_path, text))])
    assert m["path"] == path
    assert "greater than" in m["problem"] or "less than" in m["problem"]


def test_bad_mode_lists_allowed_values(tmp_path):
    p = write(tmp_path, '[harmonization]\npromotions = { mode = "sometimes" }\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "harmonization.promotions.mode"
    assert "'legacy', 'at_go_live' or 'enterprise'" in m["problem"]


def test_enterprise_without_from_week(tmp_path):
    p = write(tmp_path, '[harmonization]\nreturn_disposition = { mode = "enterprise" }\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "harmonization.return_disposition"
    assert "from_week" in m["problem"]


def test_unknown_region_in_wave(tmp_path):
    p = write(tmp_path, '[[waves]]\nregions = ["northest"]\ngo_live_week = 5\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.0.regions.0"
    assert "unknown region 'northest'" in m["problem"]
    assert "did you mean 'northeast'" in m["problem"]


def test_unknown_store_id(tmp_path):
    p = write(tmp_path, '[[waves]]\nstore_ids = ["S9999"]\ngo_live_week = 5\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.0.store_ids.0"
    assert "S9999" in m["problem"]


def test_store_in_two_waves(tmp_path):
    p = write(tmp_path, '[[waves]]\nstore_ids = ["S0001"]\ngo_live_week = 5\n'
                        '[[waves]]\nstore_ids = ["S0002", "S0001"]\ngo_live_week = 9\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.1.store_ids.1"
    assert "already in wave 0" in m["problem"]


def test_wave_selecting_no_store(tmp_path):
    p = write(tmp_path, '[[waves]]\nregions = ["west"]\ngo_live_week = 5\n'
                        '[[waves]]\nregions = ["west"]\ngo_live_week = 9\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.1"
    assert "selects no store" in m["problem"]


def test_wave_covering_no_store_is_rejected(tmp_path):
    p = tmp_path / "empty.toml"
    p.write_text('[[waves]]\nregions = ["west"]\ngo_live_week = 5\n'
                 '[[waves]]\nregions = ["west"]\ngo_live_week = 9\n')
    with pytest.raises(ScenarioError, match="selects no store"):
        sim.load_scenario(p)


def test_go_live_beyond_horizon(tmp_path):
    p = write(tmp_path, 'horizon_weeks = 20\n[[waves]]\nall_remaining = true\ngo_live_week = 30\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.0.go_live_week"
    assert "beyond the horizon" in m["problem"]


def test_go_live_in_freeze_with_error_policy(tmp_path):
    p = write(tmp_path, '[[waves]]\nall_remaining = true\ngo_live_week = 45\n'
                        '[peak]\nfreeze_policy = "error"\n'
                        'freeze_windows = [{ start_week = 40, end_week = 49 }]\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "waves.0.go_live_week"
    assert "freeze" in m["problem"]


@pytest.mark.parametrize("policy", ["defer", "allow"])
def test_go_live_in_freeze_accepted_with_other_policies(tmp_path, policy):
    p = write(tmp_path, '[[waves]]\nall_remaining = true\ngo_live_week = 45\n'
                        f'[peak]\nfreeze_policy = "{policy}"\n'
                        'freeze_windows = [{ start_week = 40, end_week = 49 }]\n')
    assert load_scenario(p).peak.freeze_policy == policy


def test_set_overrides_are_typed(tmp_path):
    sc = load_scenario(SCENARIOS[0].parent / "pilot_then_waves.toml",
                       ["waves.0.go_live_week=12", "network.stores=40", "peak.command_center=true",
                        "harmonization.promotions.mode=enterprise",
                        "harmonization.promotions.from_week=3", "inventory.legacy_sync_hours=8"])
    assert sc.waves[0].go_live_week == 12
    assert sc.network.stores == 40
    assert sc.peak.command_center is True
    assert sc.harmonization.promotions.from_week == 3
    assert sc.inventory.legacy_sync_hours == 8.0


def test_set_unknown_key(tmp_path):
    m = cli_error(["validate", str(SCENARIOS[0]), "--set", "inventory.legacy_sync=3"])
    assert m["path"] == "inventory.legacy_sync"
    assert "did you mean 'legacy_sync_hours'" in m["problem"]


def test_set_unparsable_value():
    m = cli_error(["validate", str(SCENARIOS[0]), "--set", "horizon_weeks=abc"])
    assert m["path"] == "horizon_weeks"
    assert "--set" in m["problem"]


def test_set_without_equals_and_bad_index():
    m = cli_error(["validate", str(SCENARIOS[0]), "--set", "horizon_weeks"])
    assert "dotted.key=value" in m["problem"]
    m = cli_error(["validate", str(ROOT / "scenarios/big_bang.toml"), "--set",
                   "waves.3.go_live_week=5"])
    assert "out of range" in m["problem"]


def test_unknown_parameter_override(tmp_path):
    p = write(tmp_path, "[parameters]\nshrink_rat = 0.02\n")
    m = cli_error(["validate", str(p)])
    assert m["path"] == "parameters.shrink_rat"
    assert "did you mean 'shrink_rate'" in m["problem"]


def test_network_subset_too_large(tmp_path):
    p = write(tmp_path, "[network]\nstores = 100000\n")
    m = cli_error(["validate", str(p)])
    assert m["path"] == "network.stores"


def test_bad_network_folder(tmp_path):
    p = write(tmp_path, '[network]\npath = "nowhere"\n')
    m = cli_error(["validate", str(p)])
    assert m["path"] == "network.path"


def test_own_network_needs_no_copy_of_the_model_parameters(tmp_path):
    """A network folder without parameters.csv uses the package's; one with a few rows
    overrides those by name; validate says where each came from (issue 17)."""
    import shutil

    from sim.generate import generate_network, write_network
    from sim.plan import build_plan

    net = tmp_path / "net"
    write_network(generate_network(20, seed=3, n_skus=30), net)
    (net / "parameters.csv").unlink(missing_ok=True)
    p = write(tmp_path, '[network]\npath = "net"\n[parameters]\nshrink_rate = 0.01\n')
    plan = build_plan(load_scenario(p))
    ref = build_plan(load_scenario(ROOT / "scenarios" / "baseline_legacy.toml"))
    assert {k: v for k, v in plan.params.items() if k != "shrink_rate"} == \
        {k: v for k, v in ref.params.items() if k != "shrink_rate"}
    assert plan.params["shrink_rate"] == 0.01
    (net / "parameters.csv").write_text("name,value,unit,provenance\n"
                                        "misscan_rate,0.5,fraction,my chain's audit 2025\n")
    plan = build_plan(load_scenario(p))
    assert plan.params["misscan_rate"] == 0.5
    assert plan.param_sources["misscan_rate"] == str(net / "parameters.csv")
    assert plan.param_sources["shrink_rate"] == "scenario"
    out = runner.invoke(app, ["validate", str(p)]).output
    assert "from package" in out and "(misscan_rate)" in out and "(shrink_rate)" in out
    (net / "parameters.csv").write_text("name,value,unit,provenance\n"
                                        "misscan_rat,0.5,fraction,typo\n")
    m = cli_error(["validate", str(p)])
    assert m["path"] == "network.path" and "did you mean 'misscan_rate'" in m.group(0)
    shutil.rmtree(net)


# --- Hypothesis: no mutation of a valid scenario lets a traceback escape -----------------

BASE = tomllib.loads((ROOT / "scenarios" / "pilot_then_waves.toml").read_text())
LEAVES = []


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*prefix, k))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, v in enumerate(node):
            yield from _leaves(v, (*prefix, i))
    else:
        yield prefix


LEAVES = list(_leaves(BASE))
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=True), st.text(max_size=12),
                   st.lists(st.integers(-5, 60), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _mutate(raw, path, value, action):
    node = raw
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if action == "set":
        node[last] = value
    elif action == "delete" and isinstance(node, dict):
        node.pop(last, None)
    elif action == "rename" and isinstance(node, dict):
        node[str(last) + "x"] = node.pop(last)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(LEAVES), value=VALUES,
       action=st.sampled_from(["set", "delete", "rename"]))
def test_random_mutations_never_escape_as_tracebacks(path, value, action):
    import copy

    raw = copy.deepcopy(BASE)
    raw.setdefault("network", {})["stores"] = 30
    _mutate(raw, path, value, action)
    try:
        sc = parse_scenario(raw, "mutated.toml")
        from sim.plan import check_plan

        try:
            check_plan(sc)
        except Exception as e:  # the loader turns PathError into ScenarioError
            from sim.scenario import PathError

            assert isinstance(e, PathError), repr(e)
    except ScenarioError as e:
        assert "\n" not in str(e)
        assert str(e).startswith("mutated.toml: ")


@settings(max_examples=100, deadline=None)
@given(key=st.text(min_size=0, max_size=20), value=st.text(max_size=10))
def test_random_set_assignments_only_raise_path_errors(key, value):
    from sim.scenario import PathError

    raw = {"waves": [{"all_remaining": True, "go_live_week": 3}]}
    try:
        apply_override(raw, f"{key}={value}")
    except PathError:
        pass


def test_overriding_team_staff_keeps_its_shift():
    sc = load_scenario(SCENARIOS[0], ["teams.customer_service.staff=3"])
    assert sc.teams.customer_service.staff == 3
    assert sc.teams.customer_service.shift == "24x7"
    assert sc.teams.finance.sla_hours == 72.0
