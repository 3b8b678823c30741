"""The finance rules, one home each (DESIGN §5.6): breaks, month-end surge, close delay."""

from __future__ import annotations

import math

import numpy as np


def break_probabilities(live: np.ndarray, harmonized_posting: np.ndarray,
                        error_multiplier: np.ndarray, p: dict[str, float]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Per store: probability of a channel break and of a bridge break on one day.

    A legacy store's store and ecommerce ledgers disagree at ``recon_error_prob_legacy``; a live
    store posts to one ledger (``recon_error_prob_live``). During coexistence (some stores live,
    some not) a legacy store's postings are bridged to the ERP and break at
    ``bridge_error_prob``. Harmonized posting multiplies both by ``posting_harmonized_factor``;
    staff new to the system by their error multiplier.
    """
    coexistence = bool(live.any() and (~live).any())
    channel = np.where(live, p["recon_error_prob_live"], p["recon_error_prob_legacy"])
    bridge = np.where(~live & coexistence, p["bridge_error_prob"], 0.0)
    factor = np.where(harmonized_posting, p["posting_harmonized_factor"], 1.0) * error_multiplier
    return np.minimum(channel * factor, 1.0), np.minimum(bridge * factor, 1.0)


def close_surge_staff(open_breaks: int, mean_hours: float, team_staff: int, days: int,
                      max_staff: int, hours_per_day: float = 8.0) -> int:
    """Staff the finance team borrows (or pays overtime for) to work the open breaks at month end.

    At each month end the team estimates the work still open (``open_breaks`` x their mean
    handling time) and adds just enough people to clear it within the surge's business days,
    beyond what its own staff can do then; never more than ``max_staff`` (overtime and the
    accountants other teams can lend have a limit).

    Args:
        open_breaks: Reconciliation breaks raised and not yet resolved.
        mean_hours: Mean handling time of a break, hours.
        team_staff: The finance team's own staff on duty in business hours.
        days: Business days the surge lasts.
        max_staff: Most staff the surge can add.
        hours_per_day: Working hours of a business day.

    Returns:
        Whole staff to add for the surge's business hours (0 when the team keeps up).
    """
    if days <= 0 or max_staff <= 0:
        return 0
    shortfall = open_breaks * mean_hours - team_staff * days * hours_per_day
    if shortfall <= 0:
        return 0
    return min(max_staff, math.ceil(shortfall / (days * hours_per_day)))


def close_delay_days(start: np.datetime64, month_end_day: int, last_done: float,
                     window_days: int) -> float:
    """Business days a month-end close ran past its target window, at most a month.

    A close cannot run past the end of the following month: by then the books are closed with
    the breaks still open carried as reconciling items (and the following month's close is
    due), so the delay is capped at the business days of the following month less the window.

    Args:
        start: The run's first day.
        month_end_day: Day index (from ``start``) of the first day after the month.
        last_done: Hour the month's last break was resolved (the horizon end if some are
            still open).
        window_days: The close's target in business days.

    Returns:
        Business days (Monday to Friday) from the month's end to the day holding
        ``last_done`` (or the following month's last day, if earlier), less the window, never
        below zero.
    """
    if last_done <= month_end_day * 24.0:
        return 0.0
    first_after = start + month_end_day  # the first day of the following month
    cap_day = ((first_after.astype("datetime64[M]") + 1).astype("datetime64[D]") - start)
    last_done = min(last_done, float(cap_day.astype(np.int64)) * 24.0)
    # The day holding time ``last_done`` (a finish at midnight belongs to the day it ends).
    last_day = start + max(int(np.ceil(last_done / 24.0)) - 1, 0)
    busy = int(np.busday_count(first_after, last_day + 1))
    return float(max(0, busy - window_days))
