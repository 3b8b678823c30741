"""Compiled inner loops for the volume path.

The hourly volume (tens of thousands of units per simulated hour at 600 stores) is processed
unit by unit in arrival order inside numba-compiled loops: one pass, no temporaries, and the
same sequential arithmetic in every process (so results do not depend on the executor).
Random numbers are still drawn by NumPy from the named streams and passed in, so every draw
is the one the stream would give without compilation.

Kernels are compiled on first use and cached on disk next to the sources (``cache=True``), so
later processes, including executor workers, load them instead of compiling. Numba checks a
cached build against its own source file only, while kernels inline helpers from other files
(the searches here, opening hours in ``world.py``): :func:`drop_stale_builds` discards every
cached build when any source of ``sim/model`` has changed, which would otherwise load a build
of the old helper (wrong numbers, or a crash).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import njit

#: Decorator for the model's kernels: nopython, cached; no fastmath, so float results are
#: bit-identical to the equivalent NumPy expressions.
kernel = njit(cache=True, nogil=True)
#: Decorator for small helpers called per unit inside kernels: inlined into each caller (a
#: call passing several arrays costs more than such a helper's body).
inline_kernel = njit(inline="always", nogil=True)

#: Fewest buckets of a guide table (see :func:`guide_table`).
GUIDE_BUCKETS = 1024
#: Buckets per entry of the searched array: with eight, seven buckets in eight hold no
#: entry boundary, so the scan after the guide lookup almost always stops at once (a
#: predictable branch; at ~1.7 buckets per entry the store search mispredicted half the time).
GUIDE_PER_ENTRY = 8


@kernel
def guide_table(cdf: np.ndarray, total: float) -> np.ndarray:
    """Start positions that make sorted-array lookups O(1) on average (Chen & Asau's method).

    For a non-decreasing ``cdf`` over ``[0, total]`` and ``M`` buckets: entry ``j`` is at or
    below the answer for every ``x`` in ``[j/M, (j+1)/M) * total``. It is the answer for a
    threshold a hair below ``j/M * total``, so float rounding cannot put it past the true
    position.
    """
    m = max(GUIDE_BUCKETS, GUIDE_PER_ENTRY * len(cdf))
    g = np.empty(m, dtype=np.int32)
    i = 0
    n = len(cdf)
    for j in range(m):
        x = j / m * total * (1.0 - 1e-9)
        while i < n and cdf[i] <= x:
            i += 1
        g[j] = i
    return g


@inline_kernel
def search_right(cdf: np.ndarray, guide: np.ndarray, x: float, total: float) -> int:
    """``np.searchsorted(cdf, x, side="right")`` (for ``x >= 0``), the same answer, faster.

    ``guide`` is :func:`guide_table` of ``cdf`` and ``total``. Scanning forward from the guide
    entry replaces a binary search whose unpredictable branches dominate when millions of
    units are placed.
    """
    m = len(guide)
    i = np.int64(guide[min(int(x / total * m), m - 1)])
    n = len(cdf)
    while i < n and cdf[i] <= x:
        i += 1
    return i


@kernel
def scatter_add(flat: np.ndarray, cells: np.ndarray, values: np.ndarray, sign: int) -> None:
    """``flat[cells] += sign * values`` with repeated cells adding up (``np.add.at``)."""
    for i in range(len(cells)):
        flat[cells[i]] += sign * values[i]


def drop_stale_builds(cache_dir: Path | None = None) -> bool:
    """Delete the cached kernel builds if a source of ``sim/model`` changed since they were made.

    Args:
        cache_dir: Where numba keeps this package's builds (default: where it keeps
            :func:`guide_table`'s; the same folder holds every ``sim/model`` kernel).

    Returns:
        True if builds were deleted. A folder that cannot be written is left alone.
    """
    if cache_dir is None:
        path = getattr(getattr(guide_table, "_cache", None), "_cache_path", None)
        if path is None:
            return False
        cache_dir = Path(path)
    sources = sorted(Path(__file__).parent.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    stamp = cache_dir / "sources.sha256"
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for build in [*cache_dir.glob("*.nbi"), *cache_dir.glob("*.nbc")]:
            build.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:
        return False
    return True


drop_stale_builds()
