"""Column chunks: batches of rows held as a dict of equal-length numpy arrays.

The returns journey keeps its volume (millions of returns a year) as such chunks, filed by
day, so no Python object exists per unit.
"""

from __future__ import annotations

import numpy as np

Chunk = dict[str, np.ndarray]


def concat(chunks: list[Chunk]) -> Chunk:
    """Join chunks with the same columns."""
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def take(c: Chunk, idx: np.ndarray | slice) -> Chunk:
    """Rows ``idx`` of every column."""
    return {k: v[idx] for k, v in c.items()}


def unstage(staged: list[tuple]) -> tuple[np.ndarray, ...]:
    """Concatenate staged ``(hour, arrays...)`` tuples; the hour is repeated per row."""
    cols = list(zip(*staged, strict=True))
    hours = np.repeat(np.asarray(cols[0], float), [len(a) for a in cols[1]])
    return (hours, *(np.concatenate(c).astype(np.int64) for c in cols[1:]))


def file_by_day(buckets: dict[int, list[Chunk]], c: Chunk, key: str, floor_day: int) -> None:
    """File a chunk's rows in ``buckets`` by the day of column ``key`` (not before ``floor_day``).

    One sort and one reordering; each day's rows are then a slice.
    """
    if not len(c[key]):
        return
    # Times are positive, so truncation is floor (and much cheaper than float //).
    day = np.maximum((c[key] / 24.0).astype(np.int64), floor_day)
    # A 16-bit key lets the stable sort run as a radix sort.
    key16 = (day - floor_day).astype(np.int16) if day.max() - floor_day < 2**15 else day
    order = np.argsort(key16, kind="stable")
    day, c = day[order], take(c, order)
    cuts = np.flatnonzero(np.diff(day)) + 1
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(day)].tolist(), strict=True):
        buckets.setdefault(int(day[lo]), []).append(take(c, slice(lo, hi)))
