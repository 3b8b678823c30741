"""Reference network: committed seeds, generator, validation errors, subsets."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.generate import generate_network, write_network
from sim.network import FILES, SCHEMAS, NetworkError, default_seeds_dir, load_network
from sim.subsets import apportion, select_skus, select_stores

SEEDS = default_seeds_dir()
NET = load_network(SEEDS)


# --------------------------------------------------------------------------- committed seeds


def test_seeds_dir_is_the_repository_folder() -> None:
    assert SEEDS == Path(__file__).resolve().parents[2] / "seeds"


def test_committed_seeds_shape() -> None:
    stores = NET.stores
    assert len(stores) == 600
    assert stores["store_id"].is_unique
    sizes = stores["region"].value_counts()
    assert len(sizes) == 6
    assert sizes.nunique() > 1, "regions should have unequal sizes"
    assert stores["dc_id"].isin(NET.dcs["dc_id"]).all()
    assert set(stores["region"]) <= set(NET.region_dc)
    assert stores["pos_family"].nunique() >= 2
    assert 0.4 <= stores["ship_from_store"].mean() <= 0.6
    assert stores["bopis"].mean() > 0.8
    assert NET.n_weeks == 52
    assert 12 <= len(NET.promotions) <= 20


def test_committed_seeds_match_generator_defaults() -> None:
    generated = generate_network()
    for name, df in generated.items():
        loaded = getattr(NET, name)
        pd.testing.assert_frame_equal(loaded[list(df.columns)], df, check_dtype=False,
                                      obj=name)


def test_loaded_frames_are_typed_and_sorted() -> None:
    for name, schema in SCHEMAS.items():
        df = getattr(NET, name)
        id_col = FILES[name][1]
        assert df[id_col].is_monotonic_increasing
        for col, kind in schema.items():
            if kind in ("int", "flag"):
                assert df[col].dtype == np.int64, (name, col)
            elif kind == "float":
                assert df[col].dtype == np.float64, (name, col)


def test_volumes_and_rates_are_plausible() -> None:
    skus = NET.skus
    assert 1500 <= skus["units_per_store_week"].sum() <= 2500
    by_class = skus.groupby("velocity_class")["units_per_store_week"].mean()
    assert by_class["fast"] > 5 * by_class["slow"]
    assert skus["price"].between(10, 150).all()
    assert ((skus["cost"] / skus["price"]).between(0.40, 0.65)).all()
    revenue = skus["price"] * skus["units_per_store_week"]
    assert np.average(skus["return_rate_store"], weights=revenue) == pytest.approx(0.10, abs=0.005)
    assert np.average(skus["return_rate_online"], weights=revenue) == pytest.approx(0.176,
                                                                                    abs=0.005)


def test_calendar_profile() -> None:
    cal = NET.calendar
    start = date.fromisoformat(cal["week_start"].iloc[0])
    assert start.month == 2 and start.weekday() == 0 and start.day <= 7
    off = cal["is_peak"] == 0
    assert cal.loc[off, "seasonality"].mean() == pytest.approx(1.0, abs=0.01)
    peak = cal.loc[~off, "seasonality"]
    assert 2.0 <= peak.max() <= 3.0
    black_friday_week = cal.loc[~off, "week"].min()
    assert cal.loc[cal["week"] == black_friday_week, "seasonality"].item() == peak.max()
    days_in_nov_dec = np.array([
        sum(date(start.year, 11, 1) <= date.fromisoformat(w) + timedelta(d)
            <= date(start.year, 12, 31) for d in range(7)) for w in cal["week_start"]])
    share = (cal["seasonality"] * days_in_nov_dec / 7).sum() / cal["seasonality"].sum()
    assert 0.19 <= share <= 0.26
    assert cal["holiday_return_multiplier"].max() == pytest.approx(1.17)
    assert cal["online_share_multiplier"].between(1.0, 1.4).all()


# --------------------------------------------------------------------------- generator


def test_generator_is_deterministic() -> None:
    a, b = generate_network(50, seed=7, n_skus=40), generate_network(50, seed=7, n_skus=40)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = generate_network(50, seed=8, n_skus=40)
    assert not a["stores"].equals(c["stores"])
    assert not a["skus"].equals(c["skus"])


def test_generate_write_load_round_trip(tmp_path: Path) -> None:
    tables = generate_network(20, seed=3, n_skus=30)
    write_network(tables, tmp_path / "net")
    net = load_network(tmp_path / "net")
    assert not list((tmp_path / "net").glob(".*tmp"))
    for name, df in tables.items():
        pd.testing.assert_frame_equal(getattr(net, name)[list(df.columns)], df,
                                      check_dtype=False, obj=name)
    assert net.stores["region"].nunique() == 6


def test_generator_scales_to_6000_stores(tmp_path: Path) -> None:
    tables = generate_network(6000)
    stores = tables["stores"]
    assert len(stores) == 6000 and stores["store_id"].is_unique
    shares = stores["region"].value_counts(normalize=True)
    assert shares.max() == pytest.approx(0.24, abs=0.005)
    write_network({"stores": stores}, tmp_path)
    for name in ("dcs", "skus", "calendar", "promotions"):
        shutil.copy(SEEDS / FILES[name][0], tmp_path)
    assert len(load_network(tmp_path).stores) == 6000


@pytest.mark.parametrize(("n_stores", "n_skus"), [(1, 1), (5, 3), (7, 12)])
def test_tiny_networks_load(tmp_path: Path, n_stores: int, n_skus: int) -> None:
    write_network(generate_network(n_stores, seed=11, n_skus=n_skus), tmp_path)
    net = load_network(tmp_path)
    assert len(net.stores) == n_stores and len(net.skus) == n_skus


def test_generator_rejects_empty_network() -> None:
    with pytest.raises(ValueError):
        generate_network(0)


# --------------------------------------------------------------------------- validation


def _broken_copy(tmp_path: Path, file: str, edit) -> Path:
    """Copy the seeds to tmp_path and apply ``edit`` to one file's raw-text frame."""
    for name in FILES.values():
        shutil.copy(SEEDS / name[0], tmp_path)
    df = pd.read_csv(tmp_path / file, dtype=str, keep_default_na=False)
    edit(df).to_csv(tmp_path / file, index=False)
    return tmp_path


def _set(col: str, row: int, value: str):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df
    return edit


@pytest.mark.parametrize(("file", "edit", "field"), [
    ("stores.csv", lambda df: df.drop(columns="dc_id"), "dc_id"),
    ("skus.csv", lambda df: df.drop(columns="price"), "price"),
    ("stores.csv", _set("store_id", 16, "S0001"), "row 18: store_id"),
    ("dcs.csv", _set("dc_id", 1, "DC1"), "row 3: dc_id"),
    ("stores.csv", _set("dc_id", 16, "DC9"), "row 18: dc_id"),
    ("stores.csv", _set("region", 4, "pacific"), "row 6: region"),
    ("stores.csv", _set("open_hour", 2, "nine"), "row 4: open_hour"),
    ("stores.csv", _set("bopis", 2, "yes"), "row 4: bopis"),
    ("stores.csv", _set("x_km", 9, ""), "row 11: x_km"),
    ("stores.csv", _set("volume_class", 9, "D"), "row 11: volume_class"),
    ("skus.csv", _set("price", 7, "-4.99"), "row 9: price"),
    ("skus.csv", _set("price", 7, "12,99"), "row 9: price"),
    ("skus.csv", _set("return_rate_online", 3, "1.5"), "row 5: return_rate_online"),
    ("skus.csv", _set("return_rate_store", 3, "-0.1"), "row 5: return_rate_store"),
    ("calendar.csv", lambda df: df.drop(index=20), "week"),
    ("calendar.csv", _set("week", 5, "7"), "week"),
    ("calendar.csv", _set("seasonality", 5, "nan"), "row 7: seasonality"),
    ("dcs.csv", _set("regions", 1, "southeast;west"), "row 5: regions"),
    ("promotions.csv", _set("category", 0, "toys"), "row 2: category"),
    ("promotions.csv", _set("start_week", 0, "60"), "row 2: start_week"),
    ("promotions.csv", _set("discount", 0, "1.2"), "row 2: discount"),
])
def test_validation_errors_name_file_and_field(tmp_path: Path, file: str, edit,
                                               field: str) -> None:
    folder = _broken_copy(tmp_path, file, edit)
    with pytest.raises(NetworkError) as info:
        load_network(folder)
    err = info.value
    assert str(err) == f"{err.file}: {err.field}: {err.problem}"
    assert field in err.field
    assert file in str(err) and err.file.endswith(file)


def test_region_dropped_from_dcs_is_reported_on_the_stores(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, "dcs.csv", _set("regions", 1, "gulf"))
    with pytest.raises(NetworkError, match=r"stores\.csv: row \d+: region: .*not served"):
        load_network(folder)


def test_missing_file(tmp_path: Path) -> None:
    for name in FILES.values():
        shutil.copy(SEEDS / name[0], tmp_path)
    (tmp_path / "skus.csv").unlink()
    with pytest.raises(NetworkError, match=r"skus\.csv: \(file\): file not found"):
        load_network(tmp_path)


# --------------------------------------------------------------------------- subsets


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=1, max_value=600))
def test_select_stores_keeps_regions_in_proportion(n: int) -> None:
    stores = NET.stores
    sub = select_stores(stores, n)
    assert len(sub) == n
    assert sub["store_id"].is_unique and sub["store_id"].isin(stores["store_id"]).all()
    sizes = stores["region"].value_counts()
    got = sub["region"].value_counts().reindex(sizes.index, fill_value=0)
    quota = n * sizes / len(stores)
    assert ((got - quota).abs() < 1).all(), (got - quota)
    if n >= len(sizes):
        assert (got >= 1).all()
    shuffled = stores.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(select_stores(shuffled, n), sub)


def test_select_stores_spreads_volume_classes() -> None:
    sub = select_stores(NET.stores, 60)
    mix = sub["volume_class"].value_counts(normalize=True)
    full = NET.stores["volume_class"].value_counts(normalize=True)
    assert ((mix - full).abs() < 0.08).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=1, max_value=200))
def test_select_skus_keeps_velocity_classes_in_proportion(n: int) -> None:
    skus = NET.skus
    sub = select_skus(skus, n)
    assert len(sub) == n and sub["sku_id"].isin(skus["sku_id"]).all()
    sizes = skus["velocity_class"].value_counts()
    got = sub["velocity_class"].value_counts().reindex(sizes.index, fill_value=0)
    assert ((got - n * sizes / len(skus)).abs() < 1).all()
    pd.testing.assert_frame_equal(select_skus(skus, n), sub)


@pytest.mark.parametrize("n", [0, 601])
def test_select_stores_out_of_range(n: int) -> None:
    with pytest.raises(NetworkError, match="network.stores"):
        select_stores(NET.stores, n)


def test_small_subset_keeps_every_region() -> None:
    stores, skus = select_stores(NET.stores, 20), select_skus(NET.skus, 50)
    assert len(stores) == 20 and len(skus) == 50
    assert stores["region"].nunique() == 6
    assert len(NET.stores) == 600


@given(n=st.integers(0, 1000), weights=st.lists(st.integers(1, 50), min_size=1, max_size=8))
def test_apportion_sums_and_stays_near_quota(n: int, weights: list[int]) -> None:
    parts = apportion(n, weights)
    assert parts.sum() == n
    quota = n * np.asarray(weights) / sum(weights)
    assert (np.abs(parts - quota) < 1).all()
