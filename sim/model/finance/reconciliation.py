"""Finance: reconciliation breaks, manual journals and the month-end close (DESIGN §5.6).

Every store-day the nightly reconciliation can find breaks:

* a legacy (or cutting-over) store's store and ecommerce ledgers disagree
  (``recon_error_prob_legacy``);
* during coexistence (some stores live, some legacy) a legacy store's postings are bridged to
  the ERP and fail reconciliation more often (``bridge_error_prob``);
* a live store posts natively to the ERP and breaks rarely (``recon_error_prob_live``), more
  often while its staff are new to the system (the training-dip error multiplier).

Where ``financial_posting`` is harmonized at the store, each probability is multiplied by
``posting_harmonized_factor``. Each break is one ``reconciliation`` exception for the finance
team and one manual journal. The month's books close when every break from its postings is
resolved: the close delay is the business days after month end that this takes beyond the
``close_window_days`` target (breaks unresolved at the horizon end count up to the end), at
most the following month (:func:`~sim.model.finance.rules.close_delay_days`).

At each month end the team answers a backlog as finance teams do: overtime and accountants
borrowed from other teams for the first ``close_surge_business_days`` business days, sized to
the open breaks (:func:`~sim.model.finance.rules.close_surge_staff`); the staff-hours added
are booked as ``close_surge_staff_hours`` and paid for (``cost.close_surge``).

Each night finance also values the stock on hand at cost (stores by region, DCs central) as
``stock_value_days``, the base of the holding cost (``cost.holding``).
"""

from __future__ import annotations

import numpy as np

from sim.model.component import Component
from sim.model.desk.desk import ExceptionDesk
from sim.model.finance.kernels import stock_value_by_region
from sim.model.finance.rules import break_probabilities, close_delay_days, close_surge_staff
from sim.model.recorder import Recorder
from sim.model.world import LIVE, World


class Finance(Component):
    """Daily reconciliation breaks and month-end close delays.

    Args:
        world: Replication state (store states, harmonization, error multipliers).
        desk: The exception desk (``reconciliation`` items, finance team).
        rng: The ``finance`` stream.
        rec: The recorder.

    """

    name = "finance"

    def __init__(self, world: World, desk: ExceptionDesk, rng: np.random.Generator,
                 rec: Recorder) -> None:
        self.w, self.desk, self.rng, self.rec = world, desk, rng, rec
        self.p = world.params
        n_days = world.horizon_hours // 24 + 1
        self.start = np.datetime64(world.scenario.start_date, "D")
        months = (self.start + np.arange(n_days + 1)).astype("datetime64[M]")
        #: Calendar month (0 = the start date's month) of each day of the horizon.
        self.day_month = (months - months[0]).astype(np.int64)
        n_months = int(self.day_month[-1]) + 1
        #: Latest finish of the month's breaks, and how many are still open.
        self.last_done = np.full(n_months, -np.inf)
        self.open = np.zeros(n_months, dtype=np.int64)
        self.raised = np.zeros(n_months, dtype=np.int64)
        self._month_of: dict[int, int] = {}
        #: Days that start a month (the day after a month end): the surge is decided then.
        self._month_starts = set((np.flatnonzero(np.diff(self.day_month) > 0) + 1).tolist())
        team = world.scenario.teams.finance
        # The whole network's team (a slice's teams are; see sim.model.desk.stand_ins).
        self.team_staff = team.staff_for(desk.network_stores)
        plan = world.plan
        # Stand-ins of the left-out stores' breaks, and the share of surge staff paid for.
        self.store_share = plan.store_share if team.staff is None else 1.0
        self.paid_share = self.store_share * (plan.volume_share if team.staff is None else 1.0)
        self.surge_max = round(self.p["close_surge_max_factor"] * self.team_staff)
        desk.on_done("reconciliation", self._done)

    def error_probs(self) -> tuple[np.ndarray, np.ndarray]:
        """Per store: probability of a channel break and of a bridge break today."""
        w = self.w
        return break_probabilities(w.state == LIVE, w.harmonized["financial_posting"][: w.n_stores],
                                   w.error_multiplier, self.p)

    def step(self, hour: int) -> None:
        """Value the stock; at a month's start staff the surge; draw today's breaks.

        The nightly reconciliation raises the day's breaks at the end of the day.
        """
        w = self.w
        day = hour // 24
        self.rec.add_row("stock_value_days", w.week_of(hour),
                         stock_value_by_region(w.physical, w.sku_cost, w.store_region,
                                               w.n_regions))
        if day in self._month_starts:
            self._surge(hour, day)
        channel, bridge = self.error_probs()
        # Two uniforms per store-day whatever the plan (common random numbers).
        u = self.rng.random((2, w.n_stores))
        stores = np.concatenate([np.flatnonzero(u[0] < channel), np.flatnonzero(u[1] < bridge)])
        n = len(stores)
        if not n:
            return
        found = float(hour + 24)
        week = w.week_of(min(found, w.horizon_hours - 1))
        region = w.store_region[stores]
        self.rec.add("manual_journals", week, region)
        self.rec.add("bridge_breaks", week, w.store_region[np.flatnonzero(u[1] < bridge)])
        ids = self.desk.raise_("reconciliation", np.full(n, found), stores)
        month = int(self.day_month[min(day, len(self.day_month) - 1)])
        self.open[month] += n
        self.raised[month] += n
        for i in ids.tolist():
            self._month_of[i] = month

    def _surge(self, hour: int, day: int) -> None:
        """Month end: add the surge staff the open breaks call for, in business hours."""
        days = int(self.p["close_surge_business_days"])
        # On a slice the team also works the stand-ins of the stores left out: the whole
        # network's open breaks are about 1 / store_share times the slice's own.
        open_breaks = round(int(self.open.sum()) / self.store_share)
        staff = close_surge_staff(open_breaks, self.p["handling_hours_reconciliation"],
                                  self.team_staff, days, self.surge_max)
        if staff:
            last = np.busday_offset(self.start + day, days, roll="forward")
            end = int((last - self.start).astype(np.int64)) * 24
            self.desk.add_staff("finance", hour, end, staff, "business_hours",
                                purpose="close_surge", paid=staff * self.paid_share)

    def _done(self, finish: float, exc_id: int) -> None:
        month = self._month_of.pop(exc_id, None)
        if month is not None:
            self.open[month] -= 1
            self.last_done[month] = max(self.last_done[month], finish)

    def close_delays(self, end: float) -> list[tuple[int, float]]:
        """``(hour of month end, close delay in business days)`` of each month ending by ``end``.

        A month closes when its last break is resolved; the delay counts business days
        (Monday to Friday) after the month's last day up to that day, less the close window.
        """
        out = []
        first_of_next = np.flatnonzero(np.diff(self.day_month) > 0) + 1  # day index
        for m, day in enumerate(first_of_next.tolist()):
            month_end = day * 24.0
            if month_end > end:
                break
            if not self.raised[m]:
                out.append((day * 24, 0.0))
                continue
            last = end if self.open[m] > 0 else min(self.last_done[m], end)
            out.append((day * 24, close_delay_days(self.start, day, last,
                                                   int(self.p["close_window_days"]))))
        return out

    def finish(self, end: float) -> None:
        """Record the close delay of every month that ended within the horizon."""
        w = self.w
        for hour, delay in self.close_delays(end):
            week = w.week_of(max(hour - 1, 0))
            self.rec.add("close_delay_days", week, w.n_regions, delay)
            self.rec.add("month_closes", week, w.n_regions)
