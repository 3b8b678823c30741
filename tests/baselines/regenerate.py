"""Regenerate the committed baselines of the shipped scenarios (an explicit, reviewed step).

Run ``python tests/baselines/regenerate.py`` after a deliberate model change, then review the
diff of ``tests/baselines/*.json`` like any other change: every moved number is a claim.
"""

from __future__ import annotations

from pathlib import Path

from sim.baseline import record

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: The scale the test suite checks at: small and fast, every mechanism on.
OVERRIDES = ["network.stores=20", "network.skus=40"]
#: Three: the metric-range test reads the same run, and intervals need three.
REPLICATIONS = 3
SEED = 2026


def main() -> None:
    """Record one baseline per shipped scenario."""
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        out = HERE / f"{path.stem}.json"
        record(path, out, OVERRIDES, replications=REPLICATIONS, seed=SEED, workers=2)
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
