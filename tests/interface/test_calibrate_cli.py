"""``rollout-sim calibrate``: the files it writes, and one line for a bad history (issue 20).

The command writes the parameters file (every parameter, the fitted ones with their
provenance), the estimates table and the fit plot beside it, and with ``--network-out`` a
network folder a scenario can name. A history with a mistake (a missing file or column, an
unknown store, a bad number, a week outside the calendar, an unknown channel) is one
``error:`` line naming the file and the field, exit code 2, and nothing written.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sim
from sim.calibrate_history import load_history, write_history
from sim.cli import app
from sim.network import NetworkError, load_network
from sim.plan import build_plan

ROOT = Path(__file__).resolve().parents[2]
SLICE = ["--set", "network.stores=12", "--set", "network.skus=20"]


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A chain the model simulates, written by ``rollout-sim history simulate``."""
    out = tmp_path_factory.mktemp("history")
    r = _invoke("history", "simulate", ROOT / "scenarios" / "baseline_legacy.toml", "--out",
                out, "--seed", "5", *SLICE, "--set", "horizon_weeks=8", "--set",
                "parameters.volume_multiplier_B=1.2")
    assert r.exit_code == 0, r.output
    assert "12 stores, weeks 1-8" in r.stdout
    return out


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_calibrate_writes_parameters_estimates_plot_and_a_network(history, tmp_path):
    out, net = tmp_path / "cal" / "params.csv", tmp_path / "calibrated_network"
    r = _invoke("calibrate", history, "--out", out, "--network-out", net, "-n", "1",
                "--seed", "2", *SLICE)
    assert r.exit_code == 0, r.output
    assert "volume_multiplier_B" in r.stdout and "95% interval" in r.stdout
    with out.open() as fh:
        rows = {row["name"]: row for row in csv.DictReader(fh)}
    with (ROOT / "seeds" / "parameters.csv").open() as fh:
        shipped = {row["name"]: row for row in csv.DictReader(fh)}
    assert list(rows) == list(shipped)  # every parameter, in the shipped order
    fit = pd.read_csv(out.with_name("params_fit.csv"))
    assert list(fit.columns) == ["parameter", "estimate", "low", "high", "method", "base"]
    fitted = fit.set_index("parameter")
    for name in ("volume_multiplier_A", "volume_multiplier_B", "ecommerce_share",
                 "return_rate_store_multiplier", "recon_error_prob_legacy"):
        prov = rows[name]["provenance"]
        assert prov.startswith(f"calibrated from {history}: ") and "weeks 1-8" in prov, prov
        assert float(rows[name]["value"]) == pytest.approx(fitted.loc[name, "estimate"],
                                                           rel=1e-5)
    assert rows["shrink_rate"] == shipped["shrink_rate"]  # not fitted: as shipped
    assert out.with_name("params_fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The network folder loads, and a scenario naming it runs on the fitted values.
    cal = load_network(net).calendar.set_index("week")["seasonality"]
    base = load_network().calendar.set_index("week")["seasonality"]
    for w in range(1, 9):
        assert cal[w] == pytest.approx(fitted.loc[f"seasonality_week_{w}", "estimate"],
                                       abs=1e-4)
    assert (cal.loc[9:] == base.loc[9:]).all()
    sc = sim.load_scenario(ROOT / "scenarios" / "pilot_then_waves.toml",
                           [f"network.path={net}", "network.stores=12"])
    plan = build_plan(sc)
    assert plan.params["volume_multiplier_B"] == pytest.approx(
        fitted.loc["volume_multiplier_B", "estimate"], rel=1e-5)


def _break(folder: Path, file: str, edit) -> None:
    df = pd.read_csv(folder / file, dtype=str)
    edit(df)
    df.to_csv(folder / file, index=False)


def _set(col: str, row: int, value: str):
    def edit(df: pd.DataFrame) -> None:
        df.loc[row, col] = value
    return edit


BAD = [
    ("store_sales.csv", lambda df: df.pop("units"),
     "store_sales.csv: units: missing column"),
    ("store_sales.csv", _set("store_id", 3, "S9999"), "store_sales.csv: row 5: store_id: "
     "store 'S9999' is not in the network's stores.csv"),
    ("store_sales.csv", _set("store_id", 3, "S0599"), "store_sales.csv: row 5: store_id: "
     "store 'S0599' is not in the slice"),
    ("store_sales.csv", _set("units", 2, "lots"), "store_sales.csv: row 4: units: must be a "
     "finite number"),
    ("store_sales.csv", _set("units", 2, "-3"), "store_sales.csv: row 4: units: must not be "
     "negative"),
    ("online_sales.csv", _set("week", 0, "60"), "online_sales.csv: row 2: week: week 60 is not "
     "a week of the calendar (1..52)"),
    ("online_sales.csv", _set("week", 0, "9"), "online_sales.csv: row 2: week: week 9 is "
     "outside the weeks of store_sales.csv (1-8)"),
    ("returns.csv", _set("channel", 1, "mail"), "returns.csv: row 3: channel: must be one of "
     "store, online"),
    ("exceptions.csv", _set("type", 0, "paperwork"), "exceptions.csv: row 2: type: must be one"),
    ("store_sales.csv", None, "store_sales.csv: (file): file not found"),
]


@pytest.mark.parametrize(("file", "edit", "message"), BAD, ids=[b[2] for b in BAD])
def test_a_bad_history_is_one_line_exit_2_and_nothing_written(history, tmp_path, file, edit,
                                                              message):
    bad = tmp_path / "bad"
    shutil.copytree(history, bad)
    if edit is None:
        (bad / file).unlink()
    else:
        _break(bad, file, edit)
    out = tmp_path / "cal" / "params.csv"
    r = _invoke("calibrate", bad, "--out", out, "--network-out", tmp_path / "net", *SLICE)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert message in lines[0], lines[0]
    assert not (tmp_path / "cal").exists() and not (tmp_path / "net").exists()


def test_history_simulate_keeps_to_the_calendar_and_to_new_folders(history, tmp_path):
    plan = ROOT / "scenarios" / "baseline_legacy.toml"
    r = _invoke("history", "simulate", plan, "--out", tmp_path / "h", *SLICE, "--set",
                "horizon_weeks=60")
    assert r.exit_code == 2 and "horizon_weeks: a history's weeks are calendar weeks" in r.stderr
    r = _invoke("history", "simulate", plan, "--out", history, *SLICE)
    assert r.exit_code == 2 and "not an empty folder" in r.stderr


def test_bad_outputs_are_refused_before_anything_runs(history, tmp_path):
    r = _invoke("calibrate", history, "--out", tmp_path / "params.txt", *SLICE)
    assert r.exit_code == 2 and "--out" in r.stderr and "give a .csv file" in r.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    r = _invoke("calibrate", history, "--out", tmp_path / "p.csv", "--network-out", busy,
                *SLICE)
    assert r.exit_code == 2 and "not an empty folder" in r.stderr
    assert (busy / "keep.txt").read_text() == "mine" and not (tmp_path / "p.csv").exists()


STORES = load_network().stores["store_id"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(3, 6), st.sampled_from(list(STORES[:5])),
                               st.integers(0, 50), st.sampled_from(["K0001", "K0002"])),
                     min_size=1, max_size=40))
def test_rows_of_a_store_week_are_summed_whatever_their_breakdown(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("h")
    df = pd.DataFrame(rows, columns=["week", "store_id", "units", "sku_id"])
    df.to_csv(folder / "store_sales.csv", index=False)
    weeks = sorted(set(df["week"]))
    if weeks != list(range(weeks[0], weeks[-1] + 1)):
        with pytest.raises(NetworkError, match="without gaps"):
            load_history(folder, STORES, 52)
        return
    h = load_history(folder, STORES, 52)
    want = df.groupby(["week", "store_id"])["units"].sum()
    got = h.sales.stack().dropna()  # NaN: no row for that store and week
    assert got.to_dict() == {k: float(v) for k, v in want.items()}
    # What is read is what is written: a history round-trips through its files.
    again = tmp_path_factory.mktemp("again")
    write_history(h, again)
    pd.testing.assert_frame_equal(load_history(again, STORES, 52).sales, h.sales)
