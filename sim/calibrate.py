"""Calibration from history (issue 20): the model's parameters fitted to a chain's own weeks.

``calibrate(HISTORY_DIR)`` reads a history folder (:mod:`sim.calibrate_history` has the
format) and fits the parameters it informs: the class volume multipliers and each covered
week's seasonality (Poisson maximum likelihood), ``ecommerce_share`` and the return-rate
multipliers (method of moments), ``recon_error_prob_legacy`` and ``return_lookup_share``
(maximum likelihood); :mod:`sim.calibrate_fit` has the estimators and their intervals.

The closed forms read the model's intended rates, but the model delivers slightly different
ones: stock-outs turn some demand into lost sales, returns come weeks after their sales. So
each estimate is then **corrected by simulation**: the legacy baseline (the shipped
``baseline_legacy.toml``: the operation a history records) runs on the history's network,
stores and weeks with the closed-form values, and the same fits of its simulated history
(:func:`~sim.calibrate_history.comparable`) say what the model delivers for what it was
asked. Each estimate is divided by that ratio (the geometric mean over ``replications``
runs), and the runs' own noise (each fit's variance on the simulated history, over
``replications``) is added to the estimate's. The seasonality is normalised again after the
correction, the class multipliers taking the level. A history simulated by the model is
recovered without bias. A last run at the calibrated values (another seed) gives the fit
plot: observed and simulated, week by week.

Everything random comes from the model's seeded streams: the same history, settings and
``seed`` give the same calibration.
"""

from __future__ import annotations

import csv
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate_fit import CLASSES, Expectations, Fit, delay_kernel, fit_history
from sim.calibrate_history import History, comparable, history_from_simulation, load_history
from sim.files import atomic_write
from sim.parameters import Parameter, network_parameters
from sim.plan import Plan, build_plan
from sim.scenario import PathError, Scenario
from sim.shipped import REFERENCE_PLAN, scenarios_dir, seeds_dir
from sim.streams import replication_seeds

__all__ = ["Calibration", "CalibrationError", "calibrate", "write_network",
           "write_parameters"]

#: Exception types whose rate is fitted (drawn in the fit plot).
FITTED_EXCEPTIONS = ("reconciliation", "return_lookup")


class CalibrationError(ValueError):
    """Settings a calibration cannot run with (one line)."""


@dataclass
class Calibration:
    """A finished calibration.

    Attributes:
        estimates: One row per fitted value: ``parameter, estimate, low, high, method,
            base`` (a week's seasonality as ``seasonality_week_N``); 95 % intervals.
        params: The fitted model parameters by name (seasonality apart).
        seasonality: The fitted seasonality by calendar week (the weeks covered).
        fit: Observed vs simulated at the calibrated values: ``series, week, observed,
            simulated``.
        history: The history fitted.
        plan: The plan the simulations ran (its network is the base network).
        notes: What the history did not allow, in sentences.
    """

    estimates: pd.DataFrame
    params: dict[str, float]
    seasonality: pd.Series
    fit: pd.DataFrame
    history: History
    plan: Plan
    notes: list[str] = field(default_factory=list)


def calibration_scenario(network: Path | None, overrides: list[str] | None,
                         horizon: int | None = None) -> Scenario:
    """The shipped legacy baseline on ``network`` with ``overrides`` (and ``horizon``)."""
    from sim.loader import load_scenario

    sets = ([f"network.path={Path(network).resolve()}"] if network is not None else [])
    sets += list(overrides or []) + ([f"horizon_weeks={horizon}"] if horizon else [])
    return load_scenario(scenarios_dir() / f"{REFERENCE_PLAN}.toml", sets)


def expectations(plan: Plan, weeks: np.ndarray) -> Expectations:
    """What the model expects of calendar ``weeks`` on ``plan`` (see :class:`Expectations`)."""
    from sim.model.promotions.calendar import promo_tables
    from sim.model.returns.journey import holiday_multiplier
    from sim.model.returns.kernels import MIN_DELAY_HOURS

    p, cal = plan.params, plan.network.calendar.sort_values("week")
    lift = promo_tables(plan.network.promotions, plan.skus, int(weeks[-1]))[0][weeks - 1]
    weight = lift * plan.skus["units_per_store_week"].to_numpy(float)[None, :]
    units = weight.sum(axis=1)
    holiday = holiday_multiplier(cal, p["holiday_return_uplift"])[weeks - 1]
    rate = {ch: holiday * (weight @ plan.skus[f"return_rate_{ch}"].to_numpy(float)) / units
            for ch in ("store", "online")}
    delay = {ch: delay_kernel(p[f"return_delay_days_{ch}"], MIN_DELAY_HOURS)
             for ch in ("store", "online")}
    row = cal.set_index("week").loc[weeks]
    return Expectations(
        store_class=plan.stores.set_index("store_id")["volume_class"], units=units,
        base_season=row["seasonality"].to_numpy(float),
        online_mult=row["online_share_multiplier"].to_numpy(float), return_rate=rate,
        delay=delay, in_store_share=p["online_return_in_store_share"])


def calibrate(history_dir: Path | str, network: Path | None = None,
              overrides: list[str] | None = None, seed: int = 1, replications: int = 2,
              correct: bool = True, on_run: Callable[[str], None] | None = None
              ) -> Calibration:
    """Fit the model to a history folder.

    Args:
        history_dir: The history (format: :mod:`sim.calibrate_history`).
        network: The base network folder (None: the shipped reference network).
        overrides: ``--set`` strings for the simulations (``network.stores=N``,
            ``network.skus=N``: the slice the history was made on); the horizon is the
            history's last week.
        seed: Master seed of the simulations.
        replications: Runs of the correction by simulation.
        correct: Apply the correction (False: the closed forms alone).
        on_run: Called with a line before each simulation (progress; the history is valid).

    Raises:
        NetworkError: A bad history or network file (file, field, problem).
        ScenarioError: A bad ``--set``.
        CalibrationError: Settings the calibration cannot run with.
    """
    if replications < 1:
        raise CalibrationError("--replications: at least 1")
    plan = _plan(calibration_scenario(network, overrides))
    net = plan.network
    slice_note = "; ".join(s for s in (overrides or []) if s.startswith("network."))
    hist = load_history(Path(history_dir), net.stores["store_id"], net.n_weeks,
                        plan.stores["store_id"], slice_note)
    scenario = calibration_scenario(network, overrides, int(hist.weeks[-1]))
    plan = _plan(scenario)
    exp = expectations(plan, hist.weeks)
    fits, notes = fit_history(hist, exp)
    seeds = replication_seeds(seed, replications + 1)
    method = {k: f.method for k, f in fits.items()}
    say = on_run or (lambda line: None)
    if correct:
        fits = _corrected(fits, hist, exp, scenario, plan, seeds[:-1], say)
        method = {k: f"{m}; corrected by simulation ({replications} run"
                  f"{'s' if replications > 1 else ''})" for k, m in method.items()}
    values = _model_values(fits)
    say(f"check run at the calibrated values ({len(plan.stores)} stores, weeks 1-{hist.weeks[-1]})")
    check = comparable(_simulate(scenario, plan, values, hist, seeds[-1]), hist)
    estimates = _table(fits, method, plan)
    season = estimates[estimates["parameter"].str.startswith("seasonality_week_")]
    return Calibration(
        estimates=estimates, params={k: v for k, v in values.items() if "_week_" not in k},
        seasonality=pd.Series(season["estimate"].to_numpy(), name="seasonality",
                              index=pd.Index(hist.weeks, name="week")),
        fit=fit_table(hist, check), history=hist, plan=plan, notes=notes)


def _plan(scenario: Scenario) -> Plan:
    try:
        return build_plan(scenario)
    except PathError as e:
        raise CalibrationError(f"{e.path}: {e.problem}") from None


def _model_values(fits: dict[str, Fit]) -> dict[str, float]:
    """Fitted quantities as model values (the online odds as a share)."""
    out = {k: f.value for k, f in fits.items()}
    if "ecommerce_share" in out:
        out["ecommerce_share"] = out["ecommerce_share"] / (1.0 + out["ecommerce_share"])
    if "return_lookup_share" in out:
        out["return_lookup_share"] = min(out["return_lookup_share"], 1.0)
    return out


def _simulate(scenario: Scenario, plan: Plan, values: dict[str, float], hist: History,
              seed: int) -> History:
    """One run of the legacy baseline with ``values`` (seasonality in its calendar weeks)."""
    from sim.model.engine import Simulation

    cal = plan.network.calendar.copy()
    for k, v in values.items():
        if k.startswith("seasonality_week_"):
            cal.loc[cal["week"] == int(k.rsplit("_", 1)[1]), "seasonality"] = v
    params = {**plan.params, **{k: v for k, v in values.items() if k in plan.params}}
    run = replace(plan, params=params, network=replace(plan.network, calendar=cal))
    sim = Simulation(scenario, seed, plan=run)
    sim.run()
    return history_from_simulation(sim)


def _corrected(fits: dict[str, Fit], hist: History, exp: Expectations, scenario: Scenario,
               plan: Plan, seeds: list[int], say: Callable[[str], None]) -> dict[str, Fit]:
    """Each fit divided by what the model delivers per unit asked (see the module docstring)."""
    values = _model_values(fits)
    logs = {k: [] for k in fits}
    noise = {k: [] for k in fits}
    for i, seed in enumerate(seeds):
        say(f"correction run {i + 1} of {len(seeds)} ({len(plan.stores)} stores, weeks "
            f"1-{hist.weeks[-1]})")
        again, _ = fit_history(comparable(_simulate(scenario, plan, values, hist, seed), hist),
                               exp)
        for k, f in fits.items():
            g = again.get(k)
            if g is not None and g.value > 0 and f.value > 0:
                logs[k].append(math.log(g.value / f.value))
                noise[k].append(g.se ** 2)
    out = {}
    for k, f in fits.items():
        if not logs[k]:
            out[k] = f
            continue
        bias = float(np.mean(logs[k]))
        se = math.sqrt(f.se ** 2 + float(np.mean(noise[k])) / len(logs[k]))
        out[k] = replace(f, value=f.value * math.exp(-bias), se=se)
    # The normalisation again: the weeks keep the base mean, the classes take the level.
    weeks = [k for k in out if k.startswith("seasonality_week_")]
    if weeks:
        level = float(np.mean(exp.base_season)) / float(np.mean([out[k].value for k in weeks]))
        for k in weeks:
            out[k] = replace(out[k], value=out[k].value * level)
        for c in CLASSES:
            k = f"volume_multiplier_{c}"
            if k in out:
                out[k] = replace(out[k], value=out[k].value / level)
    return out


def _table(fits: dict[str, Fit], method: dict[str, str], plan: Plan) -> pd.DataFrame:
    """The estimates with their 95 % intervals (Student's t on the log scale)."""
    from scipy.stats import t as student

    cal = plan.network.calendar.set_index("week")["seasonality"]
    rows = []
    for k, f in fits.items():
        q = student.ppf(0.975, max(f.dof, 1))
        lo, hi = f.value * math.exp(-q * f.se), f.value * math.exp(q * f.se)
        est = f.value
        if k == "ecommerce_share":  # the odds' interval, as shares
            est, lo, hi = (x / (1.0 + x) for x in (est, lo, hi))
        base = (float(cal.loc[int(k.rsplit("_", 1)[1])]) if k.startswith("seasonality_week_")
                else plan.params.get(k, math.nan))
        rows.append({"parameter": k, "estimate": est, "low": lo, "high": hi,
                     "method": method[k], "base": base})
    order = {k: i for i, k in enumerate(plan.params)}
    df = pd.DataFrame(rows)
    key = df["parameter"].map(lambda k: (1, int(k.rsplit("_", 1)[1])) if "_week_" in k
                              else (0, order.get(k, 0)))
    return df.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)


def fit_table(observed: History, simulated: History) -> pd.DataFrame:
    """``series, week, observed, simulated`` of every series a history holds (long)."""
    def series(h: History) -> dict[str, pd.Series]:
        out = {"store units": h.sales.sum(axis=1)}
        if h.online is not None:
            out["online units"] = h.online
        for ch in ("store", "online"):
            if h.returns is not None and ch in h.returns:
                out[f"{ch} returns"] = h.returns[ch]
        for t in FITTED_EXCEPTIONS:
            if h.exceptions is not None and t in h.exceptions:
                out[f"{t} exceptions"] = h.exceptions[t]
        return out

    sim = series(simulated)
    return pd.concat([pd.DataFrame({"series": name, "week": observed.weeks,
                                    "observed": obs.to_numpy(float),
                                    "simulated": sim[name].to_numpy(float)})
                      for name, obs in series(observed).items()], ignore_index=True)


def _provenance(cal: Calibration, row: pd.Series) -> str:
    return (f"calibrated from {cal.history.source}: {row['method']}, 95% interval "
            f"[{row['low']:.4g}, {row['high']:.4g}], weeks {cal.history.span}")


def base_parameters(cal: Calibration) -> dict[str, Parameter]:
    """The base network's parameters: the package's, with the network's own file over them."""
    folder = cal.plan.network.path
    params, _ = network_parameters(folder, seeds_dir())
    return params


def parameter_rows(cal: Calibration) -> list[list[str]]:
    """``parameters.csv`` rows: every base parameter, the fitted ones replaced."""
    rows = cal.estimates.set_index("parameter")
    lines = [["name", "value", "unit", "provenance"]]
    for name, p in base_parameters(cal).items():
        if name in cal.params:
            lines.append([name, f"{cal.params[name]:.6g}", p.unit,
                          _provenance(cal, rows.loc[name])])
        else:
            lines.append([name, _fmt(p.value), p.unit, p.provenance])
    return lines


def write_parameters(cal: Calibration, out: Path) -> list[Path]:
    """Write ``out`` (:func:`parameter_rows`), ``OUT_fit.csv`` (the estimates) and ``OUT_fit.png``.

    Returns:
        The files written.
    """
    from sim.plots.calibration import calibration_fit

    lines = parameter_rows(cal)
    fit_csv = out.with_name(f"{out.stem}_fit.csv")
    fit_png = out.with_name(f"{out.stem}_fit.png")
    fig = calibration_fit(cal.fit, title=f"Calibration to {cal.history.source}, weeks "
                          f"{cal.history.span}: observed vs simulated")
    atomic_write(out, lambda p: _write_csv(p, lines))
    atomic_write(fit_csv, lambda p: cal.estimates.to_csv(p, index=False, float_format="%.6g"))
    atomic_write(fit_png, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    return [out, fit_csv, fit_png]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def _write_csv(path: Path, lines: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(lines)


def write_network(cal: Calibration, out_dir: Path) -> Path:
    """Write a complete network folder that ``network.path`` can name.

    The base network's files, :func:`parameter_rows` as its ``parameters.csv`` and the fitted
    seasonality in ``calendar.csv``; built beside ``out_dir``, then moved into place, so a
    failure leaves nothing half-written.

    Raises:
        CalibrationError: ``out_dir`` exists and is not an empty folder.
    """
    base = cal.plan.network.path
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CalibrationError(f"{out_dir}: exists and is not an empty folder; give a new one")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for f in sorted(base.glob("*.csv")):  # the network's tables (and its other data)
            shutil.copyfile(f, tmp / f.name)
        _write_csv(tmp / "parameters.csv", parameter_rows(cal))
        cal_df = pd.read_csv(base / "calendar.csv", dtype=str, keep_default_na=False)
        weeks = cal_df["week"].str.strip().astype(int)
        for week, value in cal.seasonality.items():
            cal_df.loc[weeks == int(week), "seasonality"] = f"{value:.4f}"
        cal_df.to_csv(tmp / "calendar.csv", index=False)
        tmp.chmod(0o777 & ~_umask())
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
