"""Per-week, per-region accumulation of model counts.

Components add raw counts (numerators, denominators, currency, hours) into ``(weeks, regions)``
arrays; :mod:`sim.model.results` turns them into the metric contract. Keeping raw counts, not
rates, is what lets weekly, regional and horizon figures agree exactly.
"""

from __future__ import annotations

import numpy as np

from sim.model.counters import declared
from sim.model.plumbing.tally import tally_into, tally_regions
from sim.numeric import ssum

_NO_VALUES = np.zeros(0)
#: dtype of a sample's week and region: small (millions of refund samples at full scale; the
#: horizon is at most 104 weeks) and the same for both, so the kernels that group samples by
#: either are built once.
SAMPLE_KEY = np.int16


def _int64s(a: np.ndarray | int) -> np.ndarray:
    """``a`` as a flat, contiguous int64 array (itself when it already is one).

    Contiguous always, so the tally kernels are built once (a strided view, such as a field of
    a batch of orders, would build them again).
    """
    if isinstance(a, np.ndarray) and a.dtype == np.int64 and a.ndim == 1 and \
            a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a, dtype=np.int64).reshape(-1)


class Recorder:
    """Counters by week and region.

    Args:
        weeks: Number of weeks in the horizon.
        regions: Number of regions.
        stores: Number of stores (for the few counters kept per store, kind ``by_store``).
    """

    def __init__(self, weeks: int, regions: int, stores: int = 0) -> None:
        self.weeks = weeks
        self.regions = regions
        self.stores = stores
        self._counts: dict[str, np.ndarray] = {}
        self._by_store: dict[str, np.ndarray] = {}
        self._samples: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def _arr(self, name: str) -> np.ndarray:
        arr = self._counts.get(name)
        if arr is None:
            declared(name)  # a misspelled or undeclared counter fails here
            arr = np.zeros((self.weeks, self.regions))
            self._counts[name] = arr
        return arr

    def counter(self, name: str) -> np.ndarray:
        """The ``(weeks, regions)`` storage of counter ``name``, for a kernel that adds into it.

        Made now if it is not yet (the same as made at its first addition).
        """
        return self._arr(name)

    def row_block(self, names: tuple[str, ...]) -> np.ndarray:
        """The ``(len(names), weeks, regions)`` storage of counters ``names``, for :meth:`add_rows`.

        A component that adds a row to each of several counters every hour (a kernel's
        per-region sums) gets them side by side, so the hour's rows are added in one
        operation. Call before anything is recorded in them.
        """
        for name in names:
            declared(name)
            if name in self._counts:
                raise ValueError(f"counter {name!r} was recorded before its row block was made")
        if len(set(names)) != len(names):
            raise ValueError(f"a counter named twice in {names}")
        block = np.zeros((len(names), self.weeks, self.regions))
        self._counts.update(zip(names, block, strict=True))
        return block

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
                counts = tally_regions(region, _NO_VALUES, self.regions)
                arr[week] += counts * float(value) if value != 1.0 else counts
            else:
                arr[week] += tally_regions(region, np.asarray(value, dtype=float),
                                            self.regions)

    def add_row(self, name: str, week: int, per_region: np.ndarray) -> None:
        """Add a week's per-region totals (already summed, e.g. by a compiled kernel)."""
        self._arr(name)[week] += per_region

    @staticmethod
    def add_rows(block: np.ndarray, week: int, rows: np.ndarray) -> None:
        """Add row ``i`` of ``rows`` (per region) to counter ``i`` of ``block`` in ``week``.

        ``block`` is from :meth:`row_block`: the same sums as an :meth:`add_row` per counter.
        """
        block[:, week] += rows

    def add_at(self, name: str, weeks: np.ndarray, regions: np.ndarray,
               values: np.ndarray | float = 1.0) -> None:
        """Add values falling in various weeks and regions (weeks past the horizon clip)."""
        weeks = _int64s(weeks)
        if weeks.size == 0:
            return
        arr = self._arr(name)
        # One region for all is passed as a one-element array (a broadcast view costs more
        # than the tally).
        regions = _int64s(regions)
        if len(regions) != len(weeks) and len(regions) != 1:
            raise ValueError(f"{name}: {len(regions)} regions for {len(weeks)} weeks")
        if (values.ndim if isinstance(values, np.ndarray) else np.ndim(values)) > 0:
            tally_into(arr, weeks, regions, np.asarray(values, dtype=float), 0.0)
        else:
            tally_into(arr, weeks, regions, _NO_VALUES, float(values))

    def store_block(self, name: str) -> np.ndarray:
        """The ``(weeks, stores)`` storage of per-store counter ``name`` (made now if need be).

        Per-store counters (kind ``by_store``) show how a wave's own stores fare week by week
        (the go-live dip), which regional counters blur. The kernels that count them (sales,
        picks, raised exceptions) add their whole counts into this storage themselves.
        """
        arr = self._by_store.get(name)
        if arr is None:
            if declared(name).kind != "by_store":
                raise KeyError(f"counter {name!r} is not a per-store counter")
            arr = np.zeros((self.weeks, self.stores))
            self._by_store[name] = arr
        return arr

    def by_store(self, name: str) -> np.ndarray:
        """The ``(weeks, stores)`` array of a per-store counter (zeros if never touched)."""
        arr = self._by_store.get(name)
        if arr is None:
            declared(name)
            return np.zeros((self.weeks, self.stores))
        return arr

    def maximum(self, name: str, week: int, region: int, value: float) -> None:
        """Keep the largest value seen for a week and region (peaks)."""
        arr = self._arr(name)
        if value > arr[week, region]:
            arr[week, region] = value

    def sample(self, name: str, weeks: np.ndarray, regions: np.ndarray, values: np.ndarray
               ) -> None:
        """Keep individual observations (for distributions such as refund cycle times)."""
        if name not in self._samples:
            declared(name)
        if len(values):
            self._samples.setdefault(name, []).append(
                (np.asarray(weeks, SAMPLE_KEY), np.asarray(regions, SAMPLE_KEY),
                 np.asarray(values, np.float64)))

    def counts(self, name: str) -> np.ndarray:
        """The ``(weeks, regions)`` array for a counter (zeros if never touched).

        Raises:
            KeyError: ``name`` is not a declared counter.
        """
        arr = self._counts.get(name)
        if arr is None:
            declared(name)
            return np.zeros((self.weeks, self.regions))
        return arr

    def samples(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All observations of ``name`` as ``(weeks, regions, values)`` arrays."""
        if name not in self._samples:
            declared(name)
        parts = self._samples.get(name, [])
        if not parts:
            empty = np.zeros(0)
            return empty.astype(SAMPLE_KEY), empty.astype(SAMPLE_KEY), empty
        if len(parts) > 1:  # join once; later calls (and later samples) build on the join
            parts[:] = [tuple(np.concatenate([p[i] for p in parts]) for i in range(3))]
        return parts[0]
