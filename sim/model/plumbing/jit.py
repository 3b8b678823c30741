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
cached build when any source under ``sim/model`` (subpackages included) has changed, which
would otherwise load a build of the old helper (wrong numbers, or a crash).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import njit

#: Decorator for the model's kernels: nopython, cached; no fastmath, so float results are
#: bit-identical to the equivalent NumPy expressions. NumPy's error model: a division by zero
#: gives what NumPy gives (inf, nan) instead of raising, as the NumPy code these loops replace
#: did; numba's default tests every divisor first, a branch per division in the per-line
#: loops (the arrival kernel ~8 % faster without them, the same results to the bit).
kernel = njit(cache=True, nogil=True, error_model="numpy")
#: Decorator for small helpers called per unit inside kernels: inlined into each caller (a
#: call passing several arrays costs more than such a helper's body).
inline_kernel = njit(inline="always", nogil=True, error_model="numpy")

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


#: The model's sources: a cached build may inline code from any of them.
MODEL_DIR = Path(__file__).resolve().parents[1]


def _probe() -> None:
    """A function numba's cache locators are asked about (they read only its line number)."""


def _cache_dir(source: Path) -> Path | None:
    """Where numba keeps the cached builds of kernels defined in ``source``.

    Asks numba's own cache locators in their order (``NUMBA_CACHE_DIR``, the folder's
    ``__pycache__``, the user-wide cache), so the answer follows numba's choice.
    """
    from numba.core.caching import CacheImpl

    for locator in CacheImpl._locator_classes:
        found = locator.from_function(_probe, str(source))
        if found is not None:
            return Path(found.get_cache_path())
    return None


def model_cache_dirs(root: Path = MODEL_DIR) -> list[Path]:
    """The cache folders of every folder of model sources (one per subpackage)."""
    folders = sorted({p.parent for p in root.rglob("*.py")})
    dirs = (_cache_dir(next(iter(sorted(f.glob("*.py"))))) for f in folders)
    return sorted({d for d in dirs if d is not None})


def sources_digest(root: Path = MODEL_DIR) -> str:
    """Digest of every model source file, subfolders included (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def drop_stale_builds(cache_dirs: list[Path] | None = None, root: Path = MODEL_DIR) -> bool:
    """Delete the cached kernel builds if any model source changed since they were made.

    Numba checks a cached build against its own source file only, while kernels inline
    helpers from other files and subpackages; each cache folder keeps the digest of all
    sources (:func:`sources_digest`) its builds were made from.

    Args:
        cache_dirs: The cache folders to check (default: :func:`model_cache_dirs`).
        root: The model's source folder (every ``*.py`` below it counts).

    Returns:
        True if builds were deleted anywhere. A folder that cannot be written is left alone.
    """
    digest = sources_digest(root)
    dropped = False
    for cache_dir in model_cache_dirs(root) if cache_dirs is None else cache_dirs:
        stamp = cache_dir / "sources.sha256"
        try:
            if stamp.read_text() == digest:
                continue
        except OSError:
            pass
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            for build in [*cache_dir.glob("*.nbi"), *cache_dir.glob("*.nbc")]:
                build.unlink(missing_ok=True)
            stamp.write_text(digest)
        except OSError:
            continue
        dropped = True
    return dropped


drop_stale_builds()
