"""Fingerprint every output of the shipped plans, to prove a refactor changes no bit.

Runs each shipped scenario once per seed on a slice of the reference network and hashes every
table a replication returns (metrics, weekly, by region, timeline, refund quantiles, the
diagnostic extras). Save a fingerprint before a change that must be bit-identical and compare
after it::

    python benchmarks/fingerprint.py --out /tmp/before.json
    ... change ...
    python benchmarks/fingerprint.py --against /tmp/before.json

Exit code 1 (and the names of what moved) when any output differs or is missing (or is new,
unless ``--allow-new``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _digest(value: object) -> str:
    """Hash of a value's exact bits (DataFrames by their values, column names and dtypes)."""
    h = hashlib.sha256()
    if isinstance(value, pd.DataFrame):
        h.update(repr(list(value.columns)).encode())
        h.update(repr([str(t) for t in value.dtypes]).encode())
        for col in value.columns:
            arr = value[col].to_numpy()
            if arr.dtype == object:
                h.update(repr(arr.tolist()).encode())
            else:
                h.update(np.ascontiguousarray(arr).tobytes())
    elif isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        for k in sorted(value):
            h.update(k.encode())
            h.update(_digest(value[k]).encode())
    else:
        h.update(np.float64(value).tobytes() if isinstance(value, float) else
                 repr(value).encode())
    return h.hexdigest()[:16]


def fingerprint(stores: int, weeks: int, seeds: list[int]) -> dict[str, str]:
    """Hashes of every output of every shipped plan, keyed ``plan/seed/table/column``.

    One hash per metric and per table column, so a change that only adds outputs (a new
    metric, a new column) shows as additions and every existing output can still be compared.
    """
    import sim

    out: dict[str, str] = {}
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = sim.load_scenario(path, overrides=[f"network.stores={stores}",
                                                f"horizon_weeks={weeks}"])
        for seed in seeds:
            r = sim.run_replication(sc, seed=seed)
            key = f"{path.stem}/{seed}"
            for name, value in r.metrics.items():
                out[f"{key}/metrics/{name}"] = _digest(float(value))
            for table in ("weekly", "by_region", "timeline", "refunds"):
                df = getattr(r, table)
                for col in df.columns:
                    out[f"{key}/{table}/{col}"] = _digest(df[[col]])
            for name, value in r.extras.items():
                out[f"{key}/extras/{name}"] = _digest(value)
            print(f"{key}: total_risk_cost {r.metrics['total_risk_cost']:.6f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=60)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--against", type=Path)
    ap.add_argument("--allow-new", action="store_true",
                    help="outputs that did not exist in the reference are not a difference")
    a = ap.parse_args(argv)
    fp = fingerprint(a.stores, a.weeks, a.seeds)
    if a.out:
        a.out.write_text(json.dumps(fp, indent=1, sort_keys=True))
    if a.against:
        ref = json.loads(a.against.read_text())
        changed = sorted(k for k in ref.keys() & fp.keys() if ref[k] != fp[k])
        gone = sorted(ref.keys() - fp.keys())
        added = sorted(fp.keys() - ref.keys())
        for label, keys in (("differs", changed), ("missing", gone), ("new", added)):
            for k in keys:
                print(f"{label}: {k}")
        print(f"{len(changed)} differ, {len(gone)} missing, {len(added)} new, "
              f"{len(ref) - len(changed) - len(gone)} identical")
        return 1 if changed or gone or (added and not a.allow_new) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
