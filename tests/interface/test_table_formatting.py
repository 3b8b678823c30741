"""Tables shown to people print numbers by their units: never 9.621e+05, never NaN (issue 17)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import plotting_data as pdata


def test_compact_money():
    money = [pdata.fmt_value(x, "currency", compact=True)
             for x in (962_100, 1_210_000, 3_194_123, 999_960, -22_400, 2.5e9, 648.0)]
    assert money == ["962.1 k", "1.21 M", "3.194 M", "1 M", "-22.4 k", "2.5 bn", "648.0"]
    # Compact is for money only, and off by default (the report and CLI print in full).
    assert pdata.fmt_value(1_234_567.8, "currency") == "1,234,568"
    assert pdata.fmt_value(12_345, "count", compact=True) == "12,345"


def test_fmt_table_by_column():
    df = pd.DataFrame({"plan": ["a", "b"], "total_risk_cost": [3_194_123.0, 962_100.0],
                       "wins": [0.5, 0.25], "vs": [math.nan, -22_400.0], "ci": [None, None],
                       "rank": [1, 2]})
    out = pdata.fmt_table(df, {"wins": "fraction", "vs": "currency", "ci": "currency"},
                          signed=["vs"])
    assert out.to_dict("list") == {
        "plan": ["a", "b"], "total_risk_cost": ["3.194 M", "962.1 k"],  # unit from the registry
        "wins": ["50.0%", "25.0%"], "vs": ["–", "-22.4 k"], "ci": ["–", "–"],
        "rank": ["1", "2"]}
    assert df["total_risk_cost"].iloc[0] == 3_194_123.0, "the table itself is left alone"


def test_fmt_table_by_row_takes_the_unit_column_index_level_or_registry():
    t = pd.DataFrame({"unit": ["currency", "hours", "fraction"], "a": [3.1e6, 12.34, 0.51],
                      "diff": [16_640.0, -2.2, 0.001], "win": [0.5, 1.0, 0.0]},
                     index=["total_risk_cost", "refund_cycle_hours_mean",
                            "exception_sla_met_rate"])
    out = pdata.fmt_table(t, {"win": "fraction"}, by_row=True, signed=["diff"])
    assert out["a"].tolist() == ["3.1 M", "12.3", "51.0%"]
    assert out["diff"].tolist() == ["+16.64 k", "-2.20", "+0.10%"]
    assert out["win"].tolist() == ["50.0%", "100.0%", "0.00%"]
    wide = t.drop(columns="unit").set_index(pd.MultiIndex.from_arrays(
        [t.index, t["unit"]], names=["metric", "unit"]))
    assert pdata.fmt_table(wide, by_row=True)["a"].tolist() == out["a"].tolist()
    assert pdata.fmt_table(t.drop(columns="unit"), by_row=True)["a"].tolist() == \
        out["a"].tolist()


def test_no_scientific_notation_in_a_formatted_table():
    df = pd.DataFrame({"total_risk_cost": np.array([9.621e5, 1.2e7, 3.3e10])})
    text = pdata.fmt_table(df).to_string() + pdata.fmt_table(df).to_html()
    assert "e+" not in text and "NaN" not in text
