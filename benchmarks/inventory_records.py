"""Oversell against sync cadence, and what causes it: record errors or stale views (issue 15).

Runs a scenario (default ``scenarios/baseline_legacy.toml`` on the full 600-store network, one
replication, seed 11) at several ``inventory.legacy_sync_hours`` and prints, per run: the
oversell rate, ``sync_failure`` exceptions, the cycle-count gap rate, the mean age of the view
at promise, and the share of oversold picks caused by a wrong record.

Attribution (a diagnostic of this script, not a model output): a pick fails when its node has
no unit on the shelf. If the node's *record* still shows stock at that moment, the order was
promised on phantom stock (a **record error**: shrink, a mis-scan, an unrecorded adjustment);
if the record knows the shelf is empty, the order was promised from a view that did not (a
**stale view**: a batch snapshot older than the sales since, a failed feed, or real-time
latency). The script wraps the pick kernel to look at the record of each failed pick before
the channel corrects it; every failed attempt counts (a rerouted order can fail again).

Usage::

    python benchmarks/inventory_records.py                      # 600 stores, 4 h vs 24 h
    python benchmarks/inventory_records.py --stores 60 --sync 1 4 24 --set horizon_weeks=8
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import sim
from sim.model.orders import kernels as order_kernels

ROOT = Path(__file__).resolve().parent.parent
_pick = order_kernels.pick
_tally = {"record": 0, "view": 0}


def _attributing_pick(node, sku, region, method, pick_at, ready_by, n_skus, open_res, physical,
                      system, ok, counts):
    picked = _pick(node, sku, region, method, pick_at, ready_by, n_skus, open_res, physical,
                   system, ok, counts)
    if picked < len(node):
        # The shelf is empty at every failed cell; the record is as the pick left it (a failed
        # pick touches neither), which is what it was when the pick failed.
        cells = node[~ok] * n_skus + sku[~ok]
        phantom = system[cells] > 0
        _tally["record"] += int(phantom.sum())
        _tally["view"] += int((~phantom).sum())
    return picked


def run(path: Path, stores: int | None, hours: float, seed: int, extra: list[str]) -> dict:
    """One replication at ``legacy_sync_hours = hours``; the figures this script prints."""
    sets = [f"inventory.legacy_sync_hours={hours}", *extra]
    if stores:
        sets.append(f"network.stores={stores}")
    sc = sim.load_scenario(path, sets)
    _tally.update(record=0, view=0)
    order_kernels.pick = _attributing_pick
    try:
        t0 = time.perf_counter()
        res = sim.run_replication(sc, seed)
        secs = time.perf_counter() - t0
    finally:
        order_kernels.pick = _pick
    m = res.metrics
    failed = _tally["record"] + _tally["view"]
    outage = m.get("sync_outage_mean_hours", float("nan"))
    return {"legacy_sync_hours": hours, "oversell_rate": m["oversell_rate"],
            "outage_mean_h": outage, "backlog_peak": m["exception_backlog_peak"],
            "oversell_orders": m["oversell_orders"],
            "sync_failure": m["exceptions.sync_failure"],
            "count_gap_rate": m["count_gap_rate"],
            "latency_h": m["inventory_sync_latency_hours"],
            "record_error_share": _tally["record"] / failed if failed else float("nan"),
            "failed_picks": failed, "seconds": secs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline_legacy.toml")
    ap.add_argument("--stores", type=int, default=None, help="network.stores (default: all 600)")
    ap.add_argument("--sync", type=float, nargs="+", default=[4.0, 24.0],
                    help="inventory.legacy_sync_hours values")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    help="extra dotted.key=value overrides")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {a.scenario.name}, seed {a.seed}")
    cols = ("legacy_sync_hours", "oversell_rate", "oversell_orders", "sync_failure",
            "outage_mean_h", "count_gap_rate", "latency_h", "record_error_share",
            "failed_picks", "backlog_peak", "seconds")
    print(" | ".join(cols))
    for h in a.sync:
        r = run(a.scenario, a.stores, h, a.seed, a.sets)
        print(" | ".join(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols),
              flush=True)


if __name__ == "__main__":
    main()
