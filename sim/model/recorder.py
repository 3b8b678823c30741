"""Per-week, per-region accumulation of model counts.

Components add raw counts (numerators, denominators, currency, hours) into ``(weeks, regions)``
arrays; :mod:`sim.model.results` turns them into the metric contract. Keeping raw counts, not
rates, is what lets weekly, regional and horizon figures agree exactly.
"""

from __future__ import annotations

import numpy as np

from sim.model.plumbing.jit import kernel
from sim.numeric import ssum


class Recorder:
    """Counters by week and region.

    Args:
        weeks: Number of weeks in the horizon.
        regions: Number of regions.
    """

    def __init__(self, weeks: int, regions: int) -> None:
        self.weeks = weeks
        self.regions = regions
        self._counts: dict[str, np.ndarray] = {}
        self._samples: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def _arr(self, name: str) -> np.ndarray:
        arr = self._counts.get(name)
        if arr is None:
            arr = np.zeros((self.weeks, self.regions))
            self._counts[name] = arr
        return arr

    def add(self, name: str, week: int, region: np.ndarray | int, value: np.ndarray | float = 1.0
            ) -> None:
        """Add ``value`` to counter ``name`` in one week, per region.

        Args:
            name: Counter name.
            week: 0-based week.
            region: Region index, or an array of region indices (one per value).
            value: Amount, or an array aligned with ``region``.
        """
        arr = self._arr(name)
        if np.ndim(region) == 0:
            arr[week, int(region)] += ssum(value)
        elif len(region):
            region = np.asarray(region, dtype=np.int64)
            if np.ndim(value) == 0:
                # Count, then scale once (as the bincount of counts this replaces did).
                counts = _tally_regions(region, np.zeros(0), self.regions)
                arr[week] += counts * float(value) if value != 1.0 else counts
            else:
                arr[week] += _tally_regions(region, np.asarray(value, dtype=float),
                                            self.regions)

    def add_row(self, name: str, week: int, per_region: np.ndarray) -> None:
        """Add a week's per-region totals (already summed, e.g. by a compiled kernel)."""
        self._arr(name)[week] += per_region

    def add_at(self, name: str, weeks: np.ndarray, regions: np.ndarray,
               values: np.ndarray | float = 1.0) -> None:
        """Add values falling in various weeks and regions (weeks past the horizon clip)."""
        weeks = np.asarray(weeks, dtype=np.int64).reshape(-1)
        if weeks.size == 0:
            return
        arr = self._arr(name)
        # One region for all is passed as a one-element array (a broadcast view costs more
        # than the tally).
        regions = np.asarray(regions, dtype=np.int64).reshape(-1)
        if len(regions) != len(weeks) and len(regions) != 1:
            raise ValueError(f"{name}: {len(regions)} regions for {len(weeks)} weeks")
        if np.ndim(values) == 0:
            arr += _tally(weeks, regions, np.zeros(0), float(values), arr.shape)
        else:
            arr += _tally(weeks, regions, np.asarray(values, dtype=float), 0.0, arr.shape)

    def maximum(self, name: str, week: int, region: int, value: float) -> None:
        """Keep the largest value seen for a week and region (peaks)."""
        arr = self._arr(name)
        if value > arr[week, region]:
            arr[week, region] = value

    def sample(self, name: str, weeks: np.ndarray, regions: np.ndarray, values: np.ndarray
               ) -> None:
        """Keep individual observations (for distributions such as refund cycle times)."""
        if len(values):
            self._samples.setdefault(name, []).append(
                (np.asarray(weeks, np.int32), np.asarray(regions, np.int16),
                 np.asarray(values, np.float64)))

    def counts(self, name: str) -> np.ndarray:
        """The ``(weeks, regions)`` array for a counter (zeros if never touched)."""
        return self._counts.get(name, np.zeros((self.weeks, self.regions)))

    def samples(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All observations of ``name`` as ``(weeks, regions, values)`` arrays."""
        parts = self._samples.get(name, [])
        if not parts:
            empty = np.zeros(0)
            return empty.astype(np.int32), empty.astype(np.int16), empty
        if len(parts) > 1:  # join once; later calls (and later samples) build on the join
            parts[:] = [tuple(np.concatenate([p[i] for p in parts]) for i in range(3))]
        return parts[0]


@kernel
def _tally(weeks: np.ndarray, regions: np.ndarray, values: np.ndarray, value: float,
           shape: tuple[int, int]) -> np.ndarray:
    """Per (week, region) totals of ``values`` (or of ``value`` per row if ``values`` is empty).

    Summed from zero in row order, as ``np.bincount`` does, so adding the result to a counter
    gives the same bits as the bincount it replaces. ``regions`` has one entry per row, or one
    for all rows.
    """
    out = np.zeros(shape)
    last = shape[0] - 1
    one = len(regions) == 1
    for i in range(len(weeks)):
        w = min(max(weeks[i], 0), last)
        out[w, regions[0] if one else regions[i]] += values[i] if len(values) else value
    return out


@kernel
def _tally_regions(regions: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-region totals of ``values`` (counts if ``values`` is empty), summed in row order."""
    out = np.zeros(n)
    for i in range(len(regions)):
        out[regions[i]] += values[i] if len(values) else 1.0
    return out
