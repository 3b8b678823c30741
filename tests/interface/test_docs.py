"""The model-validity page lists every default parameter with its value and provenance."""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_parameter_is_documented_with_its_value():
    doc = (ROOT / "docs" / "model_validity.md").read_text()
    with (ROOT / "seeds" / "parameters.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for r in rows:
        assert f"| `{r['name']}` | {r['value']} |" in doc, r["name"]
        assert r["provenance"].strip()
