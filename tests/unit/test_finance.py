"""Unit tests of the finance journey: reconciliation, manual journals, close (DESIGN §5.6).

The finance component is driven directly on a small world (tests/unit/journey_rig.py), without
the rest of the engine.
"""

from __future__ import annotations

import numpy as np
from journey_rig import HOURS, Rig

from sim.model.finance.reconciliation import Finance
from sim.model.world import LIVE


def drive_finance(rig: Rig, seed: int = 5) -> Finance:
    fin = Finance(rig.w, rig.desk, np.random.default_rng(seed), rig.rec)
    rig.run(lambda h: fin.step(h) if h % 24 == 0 else None)
    fin.finish(float(HOURS))
    return fin


def test_harmonized_posting_lowers_manual_journals() -> None:
    journals = {}
    for harmonized in (False, True):
        rig = Rig(stores=60)
        if harmonized:
            rig.harmonize("financial_posting")
        drive_finance(rig)
        journals[harmonized] = rig.total("manual_journals")
        assert journals[harmonized] == rig.total("exceptions.reconciliation")
    assert 0 < journals[True] < 0.4 * journals[False]


def test_coexistence_adds_bridge_breaks() -> None:
    rig = Rig(stores=60)
    drive_finance(rig)
    assert rig.total("bridge_breaks") == 0
    mixed = Rig(stores=60)
    mixed.w.state[: 30] = LIVE
    drive_finance(mixed)
    assert mixed.total("bridge_breaks") > 0


def test_small_finance_team_delays_the_close() -> None:
    delays = {}
    for staff in (0, 30):
        rig = Rig(stores=60, teams={"finance": {"staff": staff}})
        drive_finance(rig)
        delays[staff] = rig.total("close_delay_days")
        assert rig.total("month_closes") >= 1  # February closes inside the 8 weeks
    assert delays[0] > 0
    assert delays[30] == 0


def test_close_delay_counts_business_days_beyond_the_window() -> None:
    rig = Rig()
    fin = Finance(rig.w, rig.desk, np.random.default_rng(0), rig.rec)
    start = np.datetime64(rig.w.scenario.start_date, "D")
    next_month = (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    month_end = float((next_month - start).astype(int) * 24)  # midnight ending the month
    fin.raised[0] = 1
    fin.last_done[0] = month_end + 7 * 24 + 10  # 10:00 on the 8th day after the month
    (hour, delay), *_ = fin.close_delays(float(HOURS))
    assert hour == month_end
    business = np.busday_count(next_month, next_month + 8)  # those 8 days, weekends excluded
    assert business in (5, 6)
    assert delay == business - rig.w.params["close_window_days"]
    fin.open[0] = 1  # still unresolved at the horizon end: counted to the end
    assert fin.close_delays(float(HOURS))[0][1] > delay
    fin.open[0], fin.last_done[0] = 0, month_end - 5  # resolved before the month ended
    assert fin.close_delays(float(HOURS))[0][1] == 0
