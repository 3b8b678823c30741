"""The refund book of the returns journey: refunds booked, held by exceptions, recorded.

Refunds are booked as :data:`~sim.model.returns.records.REFUND` records in the order the
journey makes them (the DC bench's at its hour, the day's scan refunds when the day starts,
refunds released by finished exceptions) and recorded once a day as refund-cycle samples by
channel pair. A refund waiting on a person (a BORIS ``return_lookup``, a receipt-less
``unreceipted_return`` approval) is held under the exception's id until the desk reports the
exception finished.
"""

from __future__ import annotations

import numpy as np

from sim.model.recorder import Recorder
from sim.model.returns.records import HELD, REFUND, Records
from sim.model.returns.refund_kernels import hold, release, split_refunds
from sim.model.returns.rules import CHANNEL_PAIRS


def _new_held(n: int) -> np.ndarray:
    held = np.zeros(n, dtype=HELD)
    held["start"] = np.nan
    return held


class RefundBook:
    """Refunds booked and not yet recorded, and refunds held by exceptions.

    Args:
        rec: The recorder (``refund_cycle_hours.<pair>`` samples, ``refunds_pending_end``).

    Attributes:
        booked: The refunds booked since the last :meth:`flush`; compiled loops append to it.
        n_waiting: Refunds held by exceptions not finished yet.
    """

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.booked = Records(REFUND)
        # Held refunds by exception id (ids are dense and increasing, so an array beats a
        # dict); start is nan where an id holds none.
        self._held = _new_held(1024)
        self.n_waiting = 0
        # Exceptions finished, not yet booked: the desk's batches of ids and finish times.
        self._done_ids: list[np.ndarray] = []
        self._done_at: list[np.ndarray] = []

    def hold(self, ids: np.ndarray, rows: np.ndarray, idx: np.ndarray, week: np.ndarray
             ) -> None:
        """Hold the refunds of returns ``rows[idx]`` (of weeks ``week``) under ``ids``."""
        if not len(ids):
            return
        top = int(ids.max())
        if top >= len(self._held):
            held = _new_held(max(top + 1, 2 * len(self._held)))
            held[: len(self._held)] = self._held
            self._held = held
        hold(self._held, ids, rows, idx, week)
        self.n_waiting += len(ids)

    def exceptions_done(self, finishes: np.ndarray, exc_ids: np.ndarray) -> None:
        """The desk's hourly callback: exceptions ``exc_ids`` finished (booked once a day)."""
        self._done_ids.append(exc_ids)
        self._done_at.append(finishes)

    def take_done(self) -> None:
        """Book the refunds held by the exceptions finished since the last call.

        They are booked in the order the desk finished them, by finish time, then id (its
        order): the desk reports each exception type in a batch of its own.
        """
        if not self._done_ids:
            return
        ids = np.concatenate(self._done_ids).astype(np.int64, copy=False)
        finish = np.concatenate(self._done_at).astype(float, copy=False)
        self._done_ids, self._done_at = [], []
        order = np.lexsort((ids, finish))
        ids, finish = ids[order], finish[order]
        buf = self.booked
        buf.n, released = release(self._held, ids, finish, buf.room(len(ids)), buf.n)
        self.n_waiting -= released

    def censor(self, records: np.ndarray, pair: np.ndarray | int) -> None:
        """Book refunds not made by the end (refund time inf) for ``records``."""
        k = len(records)
        buf = self.booked
        out = buf.room(k)[buf.n: buf.n + k]
        out["start"], out["refund"] = records["start"], np.inf
        out["week"], out["region"], out["pair"] = records["week"], records["region"], pair
        buf.n += k

    def censor_held(self) -> None:
        """Book every held refund as not made by the end, in exception id order."""
        waiting = np.flatnonzero(~np.isnan(self._held["start"]))
        self.censor(self._held[waiting], self._held["pair"][waiting])
        self._held["start"][waiting] = np.nan
        self.n_waiting = 0

    def flush(self, end: float) -> None:
        """Record the refunds booked so far as samples by pair (censored at ``end``)."""
        self.take_done()
        buf = self.booked
        if not buf.n:
            return
        rec = self.rec
        book = split_refunds(buf.view(), end, len(CHANNEL_PAIRS), rec.weeks, rec.regions)
        buf.n = 0
        for k, name in enumerate(CHANNEL_PAIRS):
            lo, hi = book.bounds[k], book.bounds[k + 1]
            if hi > lo:
                rec.sample(f"refund_cycle_hours.{name}", book.week[lo:hi], book.region[lo:hi],
                           book.cycle[lo:hi])
        wk, reg = np.nonzero(book.late)
        if len(wk):
            rec.add_at("refunds_pending_end", wk, reg, book.late[wk, reg])
