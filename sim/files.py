"""Output files written atomically and readable like any file the user writes (DESIGN §7)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file owner-only; results are shared (umask decides, as for any
        # file the user writes: 0644 under the usual 022).
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, data: Any) -> None:
    """Atomically write JSON (NaN becomes null)."""
    text = json.dumps(_clean(data), indent=2, sort_keys=False)
    atomic_write(path, lambda p: p.write_text(text + "\n"))


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Atomically write a parquet table."""
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x
