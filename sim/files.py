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


def open_resumable(out: Path, manifest: dict[str, Any], resume: bool, force: bool,
                   what: str) -> list[Any]:
    """Prepare a folder whose finished pieces are saved one JSON file each in ``out/points``.

    A folder holding earlier results is continued only with ``resume`` (and the same
    ``manifest``) and replaced only with ``force``: a rerun never silently overwrites them.

    Args:
        out: The output folder.
        manifest: The settings the pieces belong to (written to ``out/manifest.json``).
        resume: Continue the pieces ``out`` holds.
        force: Replace what ``out`` holds.
        what: What the folder holds, for messages ("an analysis").

    Returns:
        The saved pieces (parsed JSON) when resuming, else an empty list.

    Raises:
        ValueError: A file in the way, results without ``resume``/``force``, or ``resume``
            with changed settings (one line).
    """
    pts, old_path = out / "points", out / "manifest.json"
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: is a file, not an output folder")
    done: list[Any] = []
    if old_path.exists() and not force:
        if not resume:
            raise ValueError(f"{out}: already holds {what}; add --resume to continue it or "
                             "--force to replace it")
        old = json.loads(old_path.read_text())
        changed = [k for k in manifest if _clean(old.get(k)) != _clean(manifest[k])]
        if changed:
            raise ValueError(f"{out}: --resume with changed {', '.join(changed)}; use another "
                             "--out folder")
        done = [json.loads(p.read_text()) for p in sorted(pts.glob("*.json"))]
    elif pts.exists():
        for p in pts.glob("*.json"):
            p.unlink()
    write_json(old_path, manifest)
    return done


def save_piece(out: Path, name: str, data: Any) -> None:
    """Save one finished piece as ``out/points/NAME.json`` (atomically)."""
    write_json(out / "points" / f"{name}.json", data)
