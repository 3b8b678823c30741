"""Deterministic generator of a reference network of any size.

``generate_network(n_stores, seed, n_skus)`` builds the five ``seeds/`` tables; the same
arguments always give identical frames (one ``numpy.random.Generator`` from
``SeedSequence(seed)``, drawn in a fixed order). ``write_network`` writes them as CSV,
atomically per file set. The shipped ``seeds/`` are ``generate_network()`` with the
defaults; regenerate them with ``python -m sim.generate --out seeds``.

The provenance of every constant below is in ``seeds/README.md``.
"""

from __future__ import annotations

import argparse
import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sim.network import FILES
from sim.subsets import apportion

__all__ = ["fiscal_year_start", "generate_network", "write_network"]

# Regions: name, share of stores, centre (x_km east, y_km north, a rough US layout),
# legacy POS family mix (pos_a, pos_b, pos_c): acquired chains dominate their regions.
REGIONS: tuple[tuple[str, float, tuple[float, float], tuple[float, float, float]], ...] = (
    ("northeast", 0.24, (4100.0, 1900.0), (0.80, 0.15, 0.05)),
    ("southeast", 0.20, (3500.0, 700.0), (0.70, 0.25, 0.05)),
    ("midwest", 0.18, (3000.0, 1800.0), (0.25, 0.70, 0.05)),
    ("southwest", 0.15, (1500.0, 600.0), (0.30, 0.10, 0.60)),
    ("west", 0.13, (600.0, 1500.0), (0.40, 0.10, 0.50)),
    ("central", 0.10, (2300.0, 1100.0), (0.30, 0.60, 0.10)),
)
POS_FAMILIES = ("pos_a", "pos_b", "pos_c")
# DC id -> (regions served, store replenishment lead time in hours).
DCS: dict[str, tuple[tuple[str, ...], int]] = {
    "DC1": (("northeast",), 36),
    "DC2": (("southeast",), 48),
    "DC3": (("midwest", "central"), 48),
    "DC4": (("southwest", "west"), 72),
}
METROS_PER_REGION = 3
METRO_SPREAD_KM = 300.0
STORE_SPREAD_KM = 40.0
VOLUME_SHARES = {"A": 0.20, "B": 0.50, "C": 0.30}
P_OPEN_9 = {"A": 0.7, "B": 0.5, "C": 0.3}
P_CLOSE_20_21_22 = {"A": (0.0, 0.3, 0.7), "B": (0.2, 0.5, 0.3), "C": (0.5, 0.4, 0.1)}
P_BOPIS = {"A": 0.97, "B": 0.92, "C": 0.80}
P_SHIP_FROM_STORE = {"A": 0.80, "B": 0.50, "C": 0.25}

# Categories: share of SKUs, median price, price log-sd, return-rate factor (store, online).
CATEGORIES: dict[str, tuple[float, float, float, float, float]] = {
    "apparel": (0.35, 45.0, 0.45, 1.30, 1.35),
    "footwear": (0.15, 75.0, 0.35, 1.15, 1.15),
    "accessories": (0.20, 25.0, 0.50, 0.75, 0.75),
    "home": (0.15, 35.0, 0.50, 0.80, 0.75),
    "beauty": (0.15, 22.0, 0.40, 0.55, 0.45),
}
# Slow movers sell under a unit a week per store: that long tail is where thin shelves,
# phantom stock and oversell live.
VELOCITY = {"fast": (0.20, 34.0), "medium": (0.40, 7.0), "slow": (0.40, 0.8)}
UNITS_PER_SKU_WEEK = 10.0  # mean over SKUs at a class-B store: 200 SKUs -> 2,000 units/week
RETURN_RATE_STORE = 0.1002  # NRF & Appriss 2023, store-only
RETURN_RATE_ONLINE = 0.176  # NRF & Appriss 2023, online
HOLIDAY_RETURN_MULT = 1.17  # NRF & Happy Returns 2024: holiday rate 17 % above annual
Q4_ONLINE_UPLIFT = 17.1 / 14.7  # Census: Q4 2023 e-com share vs Q1-Q3
P_PROMO_ELIGIBLE = 0.60

N_WEEKS = 52
FISCAL_YEAR = 2026
# Non-peak demand shape by calendar month of the week's Thursday (normalised to mean 1).
MONTH_SHAPE = {2: 0.85, 3: 0.95, 4: 1.00, 5: 1.05, 6: 1.00, 7: 0.95, 8: 1.10, 9: 1.00,
               10: 0.97, 11: 1.05, 12: 1.00, 1: 0.85}
BACK_TO_SCHOOL = ((7, 27), (8, 31), 1.15)  # weeks with Thursday in this span
# Peak weeks relative to the Black Friday week: multiplier of non-peak mean demand.
PEAK_PROFILE = {0: 2.5, 1: 2.0, 2: 1.6, 3: 1.8, 4: 1.7, 5: 1.2}
# Online-share uplift shape inside calendar Q4 (scaled to give the Census 1.16x).
ONLINE_SHAPE = {"oct": 0.5, "nov_pre": 0.8, "cyber": 1.6, "dec": 1.0, "xmas": 0.4}


def fiscal_year_start(year: int = FISCAL_YEAR) -> date:
    """Return the first Monday of February of ``year`` (retail fiscal year start)."""
    d = date(year, 2, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _labels(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    """Exactly apportioned labels in random order."""
    counts = apportion(n, list(shares.values()))
    return rng.permutation(np.repeat(np.array(list(shares), dtype=object), counts))


def _stores(rng: np.random.Generator, n: int) -> pd.DataFrame:
    names = [r[0] for r in REGIONS]
    counts = apportion(n, [r[1] for r in REGIONS], minimum=1)
    region = rng.permutation(np.repeat(np.array(names, dtype=object), counts))
    volume = np.empty(n, dtype=object)
    x = np.empty(n)
    y = np.empty(n)
    pos = np.empty(n, dtype=object)
    for name, _, centre, pos_mix in REGIONS:
        idx = np.flatnonzero(region == name)
        metros = np.asarray(centre) + rng.normal(0.0, METRO_SPREAD_KM, (METROS_PER_REGION, 2))
        weights = rng.dirichlet(np.full(METROS_PER_REGION, 2.0))
        home = rng.choice(METROS_PER_REGION, size=len(idx), p=weights)
        xy = metros[home] + rng.normal(0.0, STORE_SPREAD_KM, (len(idx), 2))
        x[idx], y[idx] = xy[:, 0], xy[:, 1]
        volume[idx] = _labels(rng, len(idx), VOLUME_SHARES)
        pos[idx] = rng.choice(np.array(POS_FAMILIES, dtype=object), size=len(idx), p=pos_mix)
    u = rng.random((n, 4))
    p_open9 = np.array([P_OPEN_9[v] for v in volume])
    cum_close = np.array([np.cumsum(P_CLOSE_20_21_22[v]) for v in volume])
    region_dc = {r: dc for dc, (regs, _) in DCS.items() for r in regs}
    width = max(4, len(str(n)))
    return pd.DataFrame({
        "store_id": [f"S{i:0{width}d}" for i in range(1, n + 1)],
        "region": region.astype(str),
        "volume_class": volume.astype(str),
        "open_hour": np.where(u[:, 0] < p_open9, 9, 10).astype(np.int64),
        "close_hour": (20 + (u[:, 1:2] >= cum_close[:, :2]).sum(axis=1)).astype(np.int64),
        "pos_family": pos.astype(str),
        "bopis": (u[:, 2] < np.array([P_BOPIS[v] for v in volume])).astype(np.int64),
        "ship_from_store": (u[:, 3] < np.array([P_SHIP_FROM_STORE[v] for v in volume]))
        .astype(np.int64),
        "dc_id": [region_dc[r] for r in region],
        "x_km": np.round(x, 1),
        "y_km": np.round(y, 1),
    })


def _dcs() -> pd.DataFrame:
    centre = {r[0]: r[2] for r in REGIONS}
    share = {r[0]: r[1] for r in REGIONS}
    rows = []
    for dc, (regs, lead) in DCS.items():
        w = np.array([share[r] for r in regs])
        xy = np.array([centre[r] for r in regs]).T @ w / w.sum()
        rows.append((dc, ";".join(regs), lead, round(float(xy[0]), 1), round(float(xy[1]), 1)))
    return pd.DataFrame(rows, columns=["dc_id", "regions", "lead_time_hours", "x_km", "y_km"])


def _lognormal_mean1(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    return rng.lognormal(-0.5 * sigma**2, sigma, size)


def _skus(rng: np.random.Generator, n: int) -> pd.DataFrame:
    cat = _labels(rng, n, {c: v[0] for c, v in CATEGORIES.items()})
    vel = _labels(rng, n, {v: s for v, (s, _) in VELOCITY.items()})
    median = np.array([CATEGORIES[c][1] for c in cat])
    sdlog = np.array([CATEGORIES[c][2] for c in cat])
    raw_price = np.clip(median * np.exp(sdlog * rng.standard_normal(n)), 11.0, 150.0)
    price = np.round(np.round(raw_price) - 0.01, 2)
    cost = np.round(price * rng.uniform(0.40, 0.65, n), 2)
    units = np.array([VELOCITY[v][1] for v in vel]) * _lognormal_mean1(rng, 0.35, n)
    units *= UNITS_PER_SKU_WEEK / units.mean()
    revenue = price * units
    rates = {}
    for k, (col, target) in enumerate((("return_rate_store", RETURN_RATE_STORE),
                                        ("return_rate_online", RETURN_RATE_ONLINE))):
        r = np.array([CATEGORIES[c][3 + k] for c in cat]) * _lognormal_mean1(rng, 0.15, n)
        r *= target / np.average(r, weights=revenue)  # revenue-weighted mean = the figure
        rates[col] = np.round(np.clip(r, 0.0, 0.6), 4)
    width = max(4, len(str(n)))
    return pd.DataFrame({
        "sku_id": [f"K{i:0{width}d}" for i in range(1, n + 1)],
        "category": cat.astype(str),
        "velocity_class": vel.astype(str),
        "price": price,
        "cost": cost,
        "units_per_store_week": np.round(units, 3),
        **rates,
        "promo_eligible": (rng.random(n) < P_PROMO_ELIGIBLE).astype(np.int64),
    })


def _calendar(year: int = FISCAL_YEAR) -> pd.DataFrame:
    start = fiscal_year_start(year)
    starts = [start + timedelta(weeks=w) for w in range(N_WEEKS)]
    thursdays = [s + timedelta(days=3) for s in starts]
    nov1 = date(year, 11, 1)
    thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
    bf_week = (thanksgiving + timedelta(days=1) - start).days // 7  # 0-based
    xmas_week = (date(year, 12, 25) - start).days // 7

    (bts_m0, bts_d0), (bts_m1, bts_d1), bts = BACK_TO_SCHOOL
    base = np.array([bts if date(year, bts_m0, bts_d0) <= t <= date(year, bts_m1, bts_d1)
                     else MONTH_SHAPE[t.month] for t in thursdays])
    peak = np.zeros(N_WEEKS, dtype=bool)
    peak[bf_week:xmas_week + 2] = True
    season = base / base[~peak].mean()
    for offset, mult in PEAK_PROFILE.items():
        season[bf_week + offset] = mult
    season = np.round(season, 3)

    shape = np.zeros(N_WEEKS)
    for w, t in enumerate(thursdays):
        if t.month == 10:
            shape[w] = ONLINE_SHAPE["oct"]
        elif t.month in (11, 12) and w < bf_week:
            shape[w] = ONLINE_SHAPE["nov_pre"]
        elif w in (bf_week, bf_week + 1):
            shape[w] = ONLINE_SHAPE["cyber"]
        elif t.month == 12 and w < xmas_week:
            shape[w] = ONLINE_SHAPE["dec"]
        elif w == xmas_week:
            shape[w] = ONLINE_SHAPE["xmas"]
    q4 = shape > 0
    k = (Q4_ONLINE_UPLIFT - 1) * season[q4].sum() / (season[q4] * shape[q4]).sum()
    online = np.round(1.0 + k * shape, 3)

    holiday_days = np.array([sum(date(year, 11, 1) <= s + timedelta(days=d)
                                 <= date(year, 12, 31) for d in range(7)) for s in starts])
    returns = np.round(1.0 + (HOLIDAY_RETURN_MULT - 1.0) * holiday_days / 7.0, 3)
    return pd.DataFrame({
        "week": np.arange(1, N_WEEKS + 1, dtype=np.int64),
        "week_start": [s.isoformat() for s in starts],
        "seasonality": season,
        "online_share_multiplier": online,
        "is_peak": peak.astype(np.int64),
        "holiday_return_multiplier": returns,
    })


# Promotion template: name, anchor date (month, day) or None for Black Friday, week offset
# from the anchor's week, weeks, category, discount range, lift range. Peak events get the
# deepest discounts but low lifts: the peak seasonality already carries their traffic.
PROMOTIONS: tuple[tuple[str, tuple[int, int] | None, int, int, str,
                        tuple[float, float], tuple[float, float]], ...] = (
    ("Presidents Day sale", (2, 16), 0, 1, "all", (0.15, 0.20), (1.2, 1.4)),
    ("Spring home refresh", (3, 9), 0, 2, "home", (0.15, 0.25), (1.4, 1.8)),
    ("Easter beauty", (3, 30), 0, 1, "beauty", (0.15, 0.25), (1.4, 1.8)),
    ("Mother's Day gifts", (5, 4), 0, 1, "accessories", (0.20, 0.25), (1.5, 2.0)),
    ("Memorial Day sale", (5, 25), 0, 1, "all", (0.20, 0.25), (1.3, 1.5)),
    ("Father's Day", (6, 15), 0, 1, "footwear", (0.15, 0.20), (1.4, 1.8)),
    ("Fourth of July", (6, 29), 0, 1, "all", (0.20, 0.25), (1.3, 1.5)),
    ("Summer clearance", (7, 13), 0, 2, "apparel", (0.30, 0.40), (1.8, 2.5)),
    ("Back to school", (8, 3), 0, 2, "footwear", (0.20, 0.25), (1.5, 2.0)),
    ("Labor Day sale", (9, 7), 0, 1, "all", (0.20, 0.25), (1.3, 1.5)),
    ("Fall apparel event", (10, 5), 0, 1, "apparel", (0.15, 0.25), (1.4, 1.8)),
    ("Early holiday beauty sets", (11, 9), 0, 1, "beauty", (0.15, 0.20), (1.5, 2.0)),
    ("Black Friday", None, 0, 1, "all", (0.30, 0.40), (1.2, 1.4)),
    ("Cyber Week", None, 1, 1, "all", (0.25, 0.35), (1.2, 1.3)),
    ("Holiday gifting", None, 3, 2, "accessories", (0.20, 0.30), (1.2, 1.4)),
    ("After-Christmas clearance", (12, 28), 0, 2, "apparel", (0.30, 0.40), (1.6, 2.2)),
    ("January home clearance", (1, 11), 0, 1, "home", (0.30, 0.40), (1.5, 2.0)),
)


def _promotions(rng: np.random.Generator, year: int = FISCAL_YEAR) -> pd.DataFrame:
    start = fiscal_year_start(year)
    nov1 = date(year, 11, 1)
    black_friday = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 22)
    rows = []
    for i, (name, anchor, offset, weeks, cat, disc, lift) in enumerate(PROMOTIONS, start=1):
        if anchor is None:
            day = black_friday
        else:
            day = date(year + (anchor[0] < start.month), anchor[0], anchor[1])
        week = (day - start).days // 7 + 1 + offset
        d = round(float(rng.uniform(*disc)) / 0.05) * 0.05
        lf = round(float(rng.uniform(*lift)), 1)
        rows.append((f"E{i:02d}", name, week, min(weeks, N_WEEKS - week + 1), cat,
                     round(d, 2), lf))
    return pd.DataFrame(rows, columns=["event_id", "name", "start_week", "weeks", "category",
                                       "discount", "lift"])


def generate_network(n_stores: int = 600, seed: int = 2026,
                     n_skus: int = 200) -> dict[str, pd.DataFrame]:
    """Generate the reference network tables.

    Args:
        n_stores: Number of stores (>= 1).
        seed: Root seed; the only source of randomness is
            ``default_rng(SeedSequence(seed))``.
        n_skus: Number of representative SKUs (>= 1).

    Returns:
        Frames keyed ``stores``, ``dcs``, ``skus``, ``calendar``, ``promotions`` with the
        columns of ``sim.network.SCHEMAS`` (the calendar adds ``week_start``, an ISO date).

    Raises:
        ValueError: If ``n_stores`` or ``n_skus`` is below 1.

    """
    if n_stores < 1 or n_skus < 1:
        raise ValueError(f"n_stores and n_skus must be >= 1, got {n_stores}, {n_skus}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    stores = _stores(rng, n_stores)
    skus = _skus(rng, n_skus)
    promotions = _promotions(rng)
    # A very small assortment may lack a category: drop its events (ids are kept).
    promotions = promotions[promotions["category"].isin(["all", *skus["category"]])]
    return {"stores": stores, "dcs": _dcs(), "skus": skus, "calendar": _calendar(),
            "promotions": promotions.reset_index(drop=True)}


def write_network(tables: dict[str, pd.DataFrame], out_dir: Path) -> None:
    """Write the tables as CSV files into ``out_dir`` (created if needed).

    Every file is first written to a temporary name in ``out_dir``; only when all are
    written are they renamed into place, so a failure leaves the previous files intact.

    Args:
        tables: Frames keyed by table name (``stores``, ``dcs``, ...).
        out_dir: Target directory.

    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, df in tables.items():
            final = out_dir / FILES[name][0]
            tmp = out_dir / f".{final.name}.{os.getpid()}.tmp"
            df.to_csv(tmp, index=False, lineterminator="\n")
            staged.append((tmp, final))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m sim.generate --stores 600 --seed 2026 --out seeds``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_network(generate_network(args.stores, args.seed, args.skus), args.out)
    print(f"wrote {args.stores} stores, {args.skus} SKUs to {args.out}")


if __name__ == "__main__":
    main()
