"""The closed-form fits of a calibration: each parameter's estimate and its standard error.

Each estimator reads a :class:`~sim.calibrate_history.History` and what the model expects
of its weeks at the parameters' reference values (:class:`Expectations`), and returns the
fitted quantity with the standard error of its logarithm (intervals are symmetric on the
log scale, so a rate's interval stays positive):

* ``volume_multiplier_A/B/C`` and the seasonality of each week covered: Poisson **maximum
  likelihood** of the log-linear model ``E[units of store s, week w] = v[class s] x
  season[w] x U[w]`` (``U`` a class-B store's units of the week at seasonality 1: the SKUs'
  ``units_per_store_week`` times their promotion lift), by iterative proportional fitting
  (the likelihood equations: fitted class and week totals equal the observed ones). Only the
  products are identified, so the weeks' seasonality is normalised to keep the base
  calendar's mean over them, and the class multipliers carry the level. Standard errors come
  from the Fisher information with that normalisation as a constraint (the bordered-matrix
  inverse), times the quasi-Poisson dispersion: Pearson chi2 / degrees of freedom over the
  store-weeks, at least 1, so over-dispersion (stores of a class that sell differently)
  widens the intervals and never narrows them below Poisson.
* ``ecommerce_share``: **method of moments**. The model's online units are
  ``share / (1 - share)`` times the store units of the week times its
  ``online_share_multiplier``, so the odds are total online units over the store units
  weighted by that multiplier; the share's interval is the odds' (delta method on the log
  odds, both series quasi-Poisson) mapped through ``odds / (1 + odds)``.
* ``return_rate_store_multiplier`` / ``..._online_multiplier``: **method of moments** with the
  purchase-to-return delay. A week's expected returns at multiplier 1 are the earlier weeks'
  sales (store units, or online units) times their SKU mix's return rate (``skus.csv``) and
  the holiday multiplier of the week of sale, spread over later weeks by the delay
  distribution (one day plus an Erlang-2 with the ``return_delay_days_*`` mean). Returns are
  counted from the first week whose expected returns come mostly (95 %) from sales within
  the history, so a real history's returns of sales before it do not inflate the rate.
* ``recon_error_prob_legacy``: Poisson **maximum likelihood** of reconciliation breaks per
  store-day (``7 x stores`` a week; the chain runs its legacy systems).
* ``return_lookup_share``: **maximum likelihood** of the share of returns bought online and
  brought to a store (online returns x ``online_return_in_store_share``) that need a
  customer-service lookup.

The weekly series' dispersions are Pearson chi2 / (weeks - 1), at least 1, and their
intervals use Student's t with those degrees of freedom (scipy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibrate_history import History

#: Share of a week's expected returns that must come from sales within the history before its
#: returns are counted (the rest came from sales before it).
RETURNS_WITHIN = 0.95
CLASSES = ("A", "B", "C")


@dataclass(frozen=True)
class Fit:
    """One fitted quantity.

    Attributes:
        name: The parameter (``seasonality_week_N`` for a week's seasonality).
        value: The estimate (for ``ecommerce_share`` the odds, ``share / (1 - share)``).
        se: Standard error of ``log(value)``.
        dof: Degrees of freedom of the dispersion behind ``se`` (for a t quantile).
        method: How it was fitted, in words.
    """

    name: str
    value: float
    se: float
    dof: int
    method: str


@dataclass(frozen=True)
class Expectations:
    """What the model expects of the history's weeks at the parameters' reference values.

    Attributes:
        store_class: Volume class of each store, by store id.
        units: ``U[w]``: a class-B store's units of each week at seasonality 1.
        base_season: The base calendar's seasonality of each week.
        online_mult: The calendar's ``online_share_multiplier`` of each week.
        return_rate: Per channel (``store``, ``online``), the probability that a unit sold in
            each week comes back, at multiplier 1 (SKU mix x holiday multiplier).
        delay: Per channel, the share of a week's returns starting 0, 1, 2... weeks later.
        in_store_share: ``online_return_in_store_share``.
    """

    store_class: pd.Series
    units: np.ndarray
    base_season: np.ndarray
    online_mult: np.ndarray
    return_rate: dict[str, np.ndarray]
    delay: dict[str, np.ndarray]
    in_store_share: float


def delay_kernel(mean_days: float, min_hours: float, weeks: int = 16) -> np.ndarray:
    """Share of a week's sales' returns starting ``0..weeks-1`` weeks later.

    The delay is ``min_hours`` plus an Erlang-2 whose mean makes ``mean_days`` in all (as
    :mod:`sim.model.returns.kernels` draws it); sales fall evenly over their week.
    """
    from scipy.stats import gamma

    scale = max(mean_days * 24.0 - min_hours, 0.0) / 2.0
    sale = (np.arange(336) + 0.5) / 2.0  # sale hours within the week
    room = 168.0 * np.arange(1, weeks + 1)[None, :] - sale[:, None] - min_hours
    below = gamma.cdf(room, 2.0, scale=scale) if scale > 0 else (room > 0).astype(float)
    return np.diff(np.r_[0.0, below.mean(axis=0)])


def _dispersion(observed: np.ndarray, expected: np.ndarray, params: int) -> tuple[float, int]:
    """Pearson chi2 / dof (at least 1) and the dof."""
    ok = expected > 0
    dof = int(ok.sum()) - params
    if dof < 1:
        return 1.0, 1
    chi2 = float(np.sum((observed[ok] - expected[ok]) ** 2 / expected[ok]))
    return max(chi2 / dof, 1.0), dof


def fit_history(h: History, e: Expectations) -> tuple[dict[str, Fit], list[str]]:
    """Every closed-form fit the history allows, by name, and notes on what it does not allow."""
    notes: list[str] = []
    fits, phi_s = _store_fit(h, e, notes)
    sales = np.nansum(h.sales.to_numpy(float), axis=1)
    phi_o = 1.0
    if h.online is not None and h.online.sum() > 0:
        fit, phi_o = _online_fit(h.online.to_numpy(float), sales, phi_s, e)
        fits[fit.name] = fit
    else:
        notes.append("no online_sales.csv (or no online units): ecommerce_share and the "
                     "online return rate kept")
    if h.returns is not None:
        for ch, driver, phi in (("store", sales, phi_s), ("online", h.online, phi_o)):
            if ch not in h.returns or driver is None:
                continue
            fit = _return_fit(ch, h.returns[ch].to_numpy(float), np.asarray(driver, float),
                              phi, e, notes)
            if fit is not None:
                fits[fit.name] = fit
    else:
        notes.append("no returns.csv: the return-rate multipliers kept")
    fits.update(_exception_fits(h, e, notes))
    return fits, notes


def _store_fit(h: History, e: Expectations, notes: list[str]) -> tuple[dict[str, Fit], float]:
    """Class multipliers and weekly seasonality (see the module docstring)."""
    obs = h.sales.to_numpy(float)
    seen = ~np.isnan(obs)
    obs = np.where(seen, obs, 0.0)
    cls = e.store_class.loc[h.sales.columns].to_numpy()
    classes = [c for c in CLASSES if obs[:, cls == c].sum() > 0]
    for c in CLASSES:
        if c not in classes:
            notes.append(f"no sales of class-{c} stores: volume_multiplier_{c} kept")
    onehot = np.stack([cls == c for c in classes], axis=1).astype(float)
    o_cw = obs @ onehot
    exposure = (seen.astype(float) @ onehot) * e.units[:, None]
    season = np.ones(len(e.units))
    vol = o_cw.sum(axis=0) / (exposure.T @ season)
    for _ in range(1000):  # iterative proportional fitting: margins of the fit = observed
        season = o_cw.sum(axis=1) / np.maximum(exposure @ vol, 1e-300)
        new = o_cw.sum(axis=0) / (exposure.T @ season)
        done = np.allclose(new, vol, rtol=1e-13, atol=0.0)
        vol = new
        if done:
            break
    scale = e.base_season.mean() / season.mean()
    season, vol = season * scale, vol / scale
    keep = np.isin(cls, classes)
    idx = np.array([classes.index(c) if c in classes else 0 for c in cls])
    mu = vol[idx][None, :] * season[:, None] * e.units[:, None]
    cells = seen & keep[None, :]
    phi, dof = _dispersion(obs[cells], mu[cells], len(classes) + len(season) - 1)
    # Fisher information of (log v, log season) with the normalisation sum(season) fixed.
    mu_cw = vol[None, :] * season[:, None] * exposure
    nc, nw = len(classes), len(season)
    info = np.zeros((nc + nw + 1, nc + nw + 1))
    info[:nc, :nc] = np.diag(mu_cw.sum(axis=0))
    info[nc:nc + nw, nc:nc + nw] = np.diag(mu_cw.sum(axis=1))
    info[:nc, nc:nc + nw] = mu_cw.T
    info[nc:nc + nw, :nc] = mu_cw
    info[-1, nc:nc + nw] = info[nc:nc + nw, -1] = season
    cov = np.linalg.pinv(info)[:nc + nw, :nc + nw] * phi
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    how = "Poisson MLE: store-weeks, class x week log-linear; quasi-Poisson interval"
    fits = {f"volume_multiplier_{c}": Fit(f"volume_multiplier_{c}", float(vol[i]),
                                          float(se[i]), dof, how)
            for i, c in enumerate(classes)}
    for j, w in enumerate(h.weeks):
        fits[f"seasonality_week_{w}"] = Fit(f"seasonality_week_{w}", float(season[j]),
                                            float(se[nc + j]), dof, how)
    return fits, phi


def _online_fit(online: np.ndarray, sales: np.ndarray, phi_s: float, e: Expectations
                ) -> tuple[Fit, float]:
    """The online odds from online units over multiplier-weighted store units."""
    weighted = e.online_mult * sales
    odds = online.sum() / weighted.sum()
    phi, dof = _dispersion(online, odds * weighted, 1)
    var = phi / online.sum() + phi_s * float(np.sum(e.online_mult * weighted)) / weighted.sum() ** 2
    return Fit("ecommerce_share", float(odds), float(np.sqrt(var)), dof,
               "method of moments: online / store units; delta-method interval"), phi


def _return_fit(ch: str, returns: np.ndarray, sold: np.ndarray, phi_sold: float,
                e: Expectations, notes: list[str]) -> Fit | None:
    """A return-rate multiplier: returns over what the history's sales would bring back."""
    k = e.delay[ch]
    base = sold * e.return_rate[ch]
    expected = np.convolve(base, k)[: len(base)]  # each week: earlier weeks' sales, delayed
    warm = int(np.searchsorted(np.cumsum(k), RETURNS_WITHIN))
    if warm >= len(base):
        warm = 0
        notes.append(f"history too short to leave out {ch} returns of sales before it")
    r, x = returns[warm:], expected[warm:]
    name = f"return_rate_{ch}_multiplier"
    if r.sum() <= 0 or x.sum() <= 0:
        notes.append(f"no {ch} returns: {name} kept")
        return None
    mult = r.sum() / x.sum()
    phi, dof = _dispersion(r, mult * x, 1)
    var = phi / r.sum() + phi_sold / sold.sum()
    return Fit(name, float(mult), float(np.sqrt(var)), dof,
               f"method of moments: returns from week {warm + 1} of the history / those "
               "expected from its sales with the delay; quasi-Poisson interval")


def _exception_fits(h: History, e: Expectations, notes: list[str]) -> dict[str, Fit]:
    """Reconciliation breaks per store-day; lookups per online return brought to a store."""
    out: dict[str, Fit] = {}
    exc = h.exceptions
    if exc is None:
        notes.append("no exceptions.csv: the exception rates kept")
        return out
    if "reconciliation" in exc and exc["reconciliation"].sum() > 0:
        c = exc["reconciliation"].to_numpy(float)
        out["recon_error_prob_legacy"] = _rate_fit(
            "recon_error_prob_legacy", c, 7.0 * h.stores_covered * np.ones(len(c)),
            "Poisson MLE: breaks per store-day; quasi-Poisson interval")
    else:
        notes.append("no reconciliation exceptions: recon_error_prob_legacy kept")
    online = None if h.returns is None else h.returns.get("online")
    if "return_lookup" in exc and online is not None and exc["return_lookup"].sum() > 0:
        # Given the week's online returns, its lookups are a binomial thinning of them.
        out["return_lookup_share"] = _rate_fit(
            "return_lookup_share", exc["return_lookup"].to_numpy(float),
            online.to_numpy(float) * e.in_store_share,
            "binomial MLE: lookups per online return brought to a store; quasi-Poisson interval")
    else:
        notes.append("no return_lookup exceptions (or no online returns): return_lookup_share "
                     "kept")
    return out


def _rate_fit(name: str, counts: np.ndarray, exposure: np.ndarray, method: str) -> Fit:
    """Weekly counts at one rate per unit of exposure: the ML rate, a quasi-Poisson interval."""
    rate = counts.sum() / exposure.sum()
    phi, dof = _dispersion(counts, rate * exposure, 1)
    return Fit(name, float(rate), float(np.sqrt(phi / counts.sum())), dof, method)
