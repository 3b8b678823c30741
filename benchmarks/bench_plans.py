"""The 600-store comparison of every shipped plan, read as an architect would (issue 15).

Runs the six shipped plans on the same seeds (paired), then the experiments that show where
each plan's rank comes from, and prints:

* the ranking by mean ``total_risk_cost`` with its components (``cost.*``), completion week,
  backlog peaks (overall, in go-live weeks, in peak weeks) and close delay;
* adoption per node: a 5 % pilot with the central systems on legacy against the legacy
  baseline and an all-live network (how far refunds, reroutes and oversell move);
* the go-live dip of every wave (store exceptions and pick failures per store before, in the
  first weeks after, and at the end of hypercare), and the same plan with no hypercare and
  with double hypercare (dip depth and enablement cost);
* whether the legacy baseline's backlog stays bounded (its January peak in days of work).

Every run is saved under ``--out`` as it finishes (``compare --resume`` semantics), so an
interrupted benchmark continues where it stopped. Measured on two cores (2026-12-04): 600
stores x 8 replications, the six plans 538 s and the whole script 1,038 s; 2026-12-05, after
the dip's adherence rule, 583 s and 1,204 s; later that day, with orders of several lines and
gap scans, 457 s and 897 s.

Usage::

    python benchmarks/bench_plans.py                         # 600 stores, 8 replications
    python benchmarks/bench_plans.py --stores 60 -n 2 --out /tmp/plans   # a quick look
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PLANS = ("baseline_legacy", "big_bang", "pilot_then_waves", "returns_first", "harmonize_first",
         "waves_through_peak")


def _load(name: str, stores: int, extra: list[str] | None = None, rename: str | None = None):
    import sim

    over = [f"network.stores={stores}"] + (extra or [])
    if rename:
        over.append(f"name={rename}")
    return sim.load_scenario(ROOT / "scenarios" / f"{name}.toml", overrides=over)


def _run(scenarios, n: int, seed: int, workers: int, out: Path):
    from sim.compare import compare

    return compare(scenarios, n, seed, workers=workers, out=out, resume=True)


def _mean(run, metric: str) -> float:
    return float(run.replications[metric].mean())


def _weekly_max(run, metric: str, weeks: set[int]) -> float:
    """Mean over replications of the largest weekly value in ``weeks``."""
    w = run.weekly[run.weekly["week"].isin(weeks)]
    return float(w.groupby("rep")[metric].max().mean()) if len(w) else float("nan")


def _go_live_weeks(run) -> set[int]:
    tl = run.timeline
    weeks = tl.loc[tl["go_lives"] > 0, "week"]
    return set(int(x) for x in weeks.unique())


def _peak_weeks(run) -> set[int]:
    tl = run.timeline
    return set(int(x) for x in tl.loc[tl["peak"], "week"].unique())


def ranking(cmp) -> pd.DataFrame:
    """One row per plan: cost and its components, completion, backlogs, close delay."""
    rows = []
    for run in cmp.runs:
        reps = run.replications
        row = {"plan": run.scenario, "total_risk_cost": _mean(run, "total_risk_cost")}
        for c in sorted(c for c in reps.columns if c.startswith("cost.")):
            row[c] = _mean(run, c)
        row["completion_week"] = _mean(run, "rollout_completion_week")
        row["backlog_peak"] = _mean(run, "exception_backlog_peak")
        row["go_live_week_backlog"] = _weekly_max(run, "exception_backlog_peak",
                                                  _go_live_weeks(run))
        row["peak_week_backlog"] = _weekly_max(run, "exception_backlog_peak", _peak_weeks(run))
        row["close_delay_days"] = _mean(run, "close_delay_days")
        row["oversell_rate"] = _mean(run, "oversell_rate")
        row["refund_hours_mean"] = _mean(run, "refund_cycle_hours_mean")
        rows.append(row)
    return pd.DataFrame(rows).sort_values("total_risk_cost").reset_index(drop=True)


def dip_table(run, hypercare_weeks: int) -> pd.DataFrame:
    """Per wave: exceptions, pick failures and failures per pick, before and after go-live.

    Exceptions and failures are per store. ``before`` is the mean of the three weeks before
    the go-live week, ``first`` the go-live week, ``weeks 1-3`` the mean of the go-live week
    and the two after, ``end`` the last week of hypercare. Means over replications.
    ``pick_failure_rate`` is failures per pick attempted at the wave's stores (a go-live also
    changes how many orders a store is sent), ``pick_miss_rate`` the staff's part of it (a
    unit on the shelf not found), apart from the records' part (a live store's real-time view
    also ends the double promises of batch views).
    """
    tl = run.timeline.copy()
    picks = tl["store_picks"].where(tl["store_picks"] > 0) if "store_picks" in tl else None
    for count, rate in (("store_pick_failures", "pick_failure_rate"),
                        ("store_pick_misses", "pick_miss_rate")):
        if picks is not None and count in tl:
            # Per store below, so the rate is multiplied back by the wave's store count.
            tl[rate] = tl[count] / picks * tl["stores"]
    cols = [c for c in ("store_exceptions", "store_pick_failures", "pick_failure_rate",
                        "pick_miss_rate") if c in tl.columns]
    rows = []
    for wave, g in tl[tl["wave"] >= 0].groupby("wave"):
        name = g["wave_name"].iloc[0]
        for col in cols:
            vals = {"before": [], "first": [], "weeks 1-3": [], "end": []}
            for _, r in g.groupby("rep"):
                gl = r["go_live_week"].iloc[0]
                if np.isnan(gl):
                    continue
                gl, n = int(gl), r["stores"].iloc[0]
                per = r.set_index("week")[col] / n
                vals["before"].append(per.reindex(range(gl - 3, gl)).mean())
                vals["first"].append(per.get(gl, np.nan))
                vals["weeks 1-3"].append(per.reindex(range(gl, gl + 3)).mean())
                vals["end"].append(per.get(gl + hypercare_weeks - 1, np.nan))
            rows.append({"wave": wave, "name": name, "measure": col,
                         **{k: float(np.nanmean(v)) if v else np.nan for k, v in vals.items()}})
    return pd.DataFrame(rows)


def adoption(stores: int, n: int, seed: int, workers: int, out: Path) -> pd.DataFrame:
    """Legacy, a 5 % pilot (central legacy) and all stores live (central live), week 2 on.

    Returns the share of the way from legacy to all-live that the pilot moves each network
    figure (weeks 8 to 40: after the go-live dips, before the peak).
    """
    from sim.scenario import Scenario

    n_pilot = max(1, round(stores * 0.05))
    legacy = _load("baseline_legacy", stores, rename="legacy")
    every = _load("big_bang", stores, ["waves.0.go_live_week=2"], rename="all_live")
    spec = every.model_dump()
    spec["name"] = "pilot_5pct"
    spec["waves"][0].update(all_remaining=False, count=n_pilot)
    spec["central"]["with_wave"] = None  # the DCs and ecommerce stay on legacy
    pilot = Scenario.model_validate(spec)
    cmp = _run([legacy, pilot, every], n, seed, workers, out / "adoption")
    weeks = set(range(8, 41))
    rows = []
    for metric in ("refund_cycle_hours_mean", "reroute_orders", "oversell_rate",
                   "oversell_orders"):
        vals = []
        for run in cmp.runs:
            w = run.weekly[run.weekly["week"].isin(weeks)]
            if metric in ("refund_cycle_hours_mean", "oversell_rate"):
                vals.append(float(w.groupby("rep")[metric].mean().mean()))
            else:
                vals.append(float(w.groupby("rep")[metric].sum().mean()))
        moved = (vals[1] - vals[0]) / (vals[2] - vals[0]) if vals[2] != vals[0] else np.nan
        rows.append({"metric": metric, "legacy": vals[0], "pilot_5pct": vals[1],
                     "all_live": vals[2], "share_of_the_way": moved})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=600)
    ap.add_argument("-n", "--replications", type=int, default=8)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("bench_plans_out"))
    ap.add_argument("--skip-extra", action="store_true", help="only the six shipped plans")
    a = ap.parse_args(argv)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.float_format", lambda x: f"{x:,.4g}")
    t0 = time.perf_counter()
    plans = [_load(p, a.stores) for p in PLANS]
    cmp = _run(plans, a.replications, a.seed, a.workers, a.out / "plans")
    rank = ranking(cmp)
    print(f"\n== Ranking ({a.stores} stores, {a.replications} paired replications, seed "
          f"{a.seed}; {time.perf_counter() - t0:.0f} s)")
    print(rank.to_string())
    diffs = cmp.differences
    tot = diffs[diffs["metric"] == "total_risk_cost"][["plan", "mean", "ci_low", "ci_high",
                                                       "win_share"]]
    print("\n== total_risk_cost against baseline_legacy (paired)")
    print(tot.to_string(index=False))
    legacy = cmp.runs[0]
    cs = legacy.weekly.groupby("week")["exception_backlog_peak"].mean()
    print(f"\n== Legacy backlog: peak {cs.max():,.0f} in week {int(cs.idxmax())}, "
          f"median week {cs.median():,.0f}")
    figures = {"ranking": rank.to_dict(orient="records"),
               "total_vs_legacy": tot.to_dict(orient="records")}
    for run in cmp.runs[1:]:
        hc = int(run.source.waves[0].hypercare_weeks) if run.source else 6
        print(f"\n== Go-live dip per wave: {run.scenario}")
        d = dip_table(run, hc)
        print(d.to_string(index=False))
        figures[f"dip.{run.scenario}"] = d.to_dict(orient="records")
    if not a.skip_extra:
        hc_vars = []
        base = "pilot_then_waves"
        sc = _load(base, a.stores)
        none = [f"waves.{i}.hypercare_staff_per_100_stores=0" for i in range(len(sc.waves))] + [
            f"waves.{i}.hypercare_it_staff_per_100_stores=0" for i in range(len(sc.waves))]
        double = []
        for i, w in enumerate(sc.waves):
            double += [f"waves.{i}.hypercare_staff_per_100_stores="
                       f"{2 * w.hypercare_staff_per_100_stores}",
                       f"waves.{i}.hypercare_it_staff_per_100_stores="
                       f"{2 * w.hypercare_it_staff_per_100_stores}"]
        hc_vars = [_load(base, a.stores, rename="hypercare_default"),
                   _load(base, a.stores, none, rename="hypercare_none"),
                   _load(base, a.stores, double, rename="hypercare_double")]
        hcmp = _run(hc_vars, a.replications, a.seed, a.workers, a.out / "hypercare")
        print("\n== Hypercare: none / default / double (pilot_then_waves)")
        print(ranking(hcmp).to_string())
        for run in hcmp.runs:
            d = dip_table(run, 6)
            print(f"-- dip, {run.scenario}")
            print(d.to_string(index=False))
            figures[f"hypercare.{run.scenario}"] = d.to_dict(orient="records")
        ad = adoption(a.stores, a.replications, a.seed, a.workers, a.out)
        print("\n== Adoption per node: a 5 % pilot with central legacy (weeks 8-40)")
        print(ad.to_string(index=False))
        figures["adoption"] = ad.to_dict(orient="records")
    (a.out / "figures.json").write_text(json.dumps(figures, indent=1, default=float))
    print(f"\nall done in {time.perf_counter() - t0:.0f} s; figures in {a.out / 'figures.json'}")


if __name__ == "__main__":
    sys.exit(main())
