"""The finance rules, one home each (DESIGN §5.6): break probabilities and the close delay."""

from __future__ import annotations

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


def close_delay_days(start: np.datetime64, month_end_day: int, last_done: float,
                     window_days: int) -> float:
    """Business days a month-end close ran past its target window.

    Args:
        start: The run's first day.
        month_end_day: Day index (from ``start``) of the first day after the month.
        last_done: Hour the month's last break was resolved (the horizon end if some are
            still open).
        window_days: The close's target in business days.

    Returns:
        Business days (Monday to Friday) from the month's end to the day holding
        ``last_done``, less the window, never below zero.
    """
    if last_done <= month_end_day * 24.0:
        return 0.0
    # The day holding time ``last_done`` (a finish at midnight belongs to the day it ends).
    last_day = start + max(int(np.ceil(last_done / 24.0)) - 1, 0)
    busy = int(np.busday_count(start + month_end_day, last_day + 1))
    return float(max(0, busy - window_days))
