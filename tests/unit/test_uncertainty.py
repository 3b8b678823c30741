"""Declared ranges of the uncertain inputs and how a design point becomes a scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.uncertainty import DUMMY, FactorError, apply_point, load_factors, parse_factor, select

ROOT = Path(__file__).resolve().parents[2]
names = st.from_regex(r"[a-z][a-z_]{0,20}(\.[a-z_]{1,10})?", fullmatch=True)
finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(names, finite, finite)
def test_a_command_line_range_round_trips_or_is_refused(name, a, b):
    text = f"{name}={a!r}:{b!r}"
    if a < b:
        f = parse_factor(text)
        assert (f.name, f.low, f.high) == (name, a, b)
    else:
        with pytest.raises(FactorError, match="low < high"):
            parse_factor(text)


@pytest.mark.parametrize("text", ["misscan_rate", "misscan_rate=0.1", "x=a:b", "=0:1"])
def test_malformed_ranges_are_refused_with_the_option_named(text):
    with pytest.raises(FactorError, match="--factor"):
        parse_factor(text)


def test_every_declared_range_has_provenance_and_moves_the_scenario_it_is_applied_to():
    factors = load_factors()
    assert len(factors) >= 10 and all(f.provenance for f in factors)
    sc = sim.load_scenario(ROOT / "scenarios" / "pilot_then_waves.toml")
    for end in ("low", "high"):
        point = apply_point(sc, factors, [getattr(f, end) for f in factors])
        for f in factors:
            if f.is_key:
                section, key = f.name.split(".")
                assert getattr(getattr(point, section), key) == pytest.approx(getattr(f, end))
            else:
                assert point.parameters[f.name] == getattr(f, end)
    assert point.source == sc.source  # a relative network path still resolves


def test_the_dummy_changes_nothing_and_unknown_names_are_refused():
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline_legacy.toml")
    factors = select(load_factors(), ["misscan_rate", "shrink_rate"], dummy=True)
    assert factors[-1].name == DUMMY
    a = apply_point(sc, factors, [0.006, 0.016, 0.1])
    b = apply_point(sc, factors, [0.006, 0.016, 0.9])
    assert a == b
    with pytest.raises(FactorError, match="not a model parameter"):
        apply_point(sc, [parse_factor("no_such_rate=0:1"), factors[0]], [0.5, 0.006])
    with pytest.raises(FactorError, match="not a declared factor"):
        select(load_factors(), ["no_such_rate"])
    with pytest.raises(FactorError, match="at least two"):
        select(load_factors(), ["misscan_rate"])


def test_a_range_file_without_provenance_is_refused(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("name,low,high,provenance\nmisscan_rate,0.001,0.01,\n")
    with pytest.raises(FactorError, match="row 2.*no provenance"):
        load_factors(p)
