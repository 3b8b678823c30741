"""Growable arrays: the capacity doubling shared by every queue and column store of the model.

Queues (picks, team items, the desk's waiting lines, parked orders) append to NumPy arrays
larger than what they hold; when one is full it is copied into one twice as large, so a
year of appends costs a constant per item, however many items there are.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def grown(a: np.ndarray, used: int, need: int, fill: Any = None) -> np.ndarray:
    """``a`` itself if it has room for ``need`` entries, else a larger copy of ``a[:used]``.

    Args:
        a: The array (any dtype; grown along its first axis).
        used: Leading entries in use (copied).
        need: Entries the caller is about to need.
        fill: Value of the new entries (left uninitialised if None).

    Returns:
        An array of length ``max(2 * len(a), need)``, or ``a`` when it was long enough.
    """
    if need <= len(a):
        return a
    shape = (max(2 * len(a), need), *a.shape[1:])
    out = np.empty(shape, dtype=a.dtype) if fill is None else np.full(shape, fill, dtype=a.dtype)
    out[:used] = a[:used]
    return out
