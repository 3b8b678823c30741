"""The notebooks in notebooks/ run top to bottom, headless, at the scale committed in them.

Each notebook starts with one parameter cell holding small settings (a 20-store slice, 2-3
replications); users raise them to full scale. Notebooks are committed without outputs.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"compare_rollout_plans", "peak_season_cutover_risk",
            "returns_harmonization_600_stores"}
#: Generous per-notebook limit: the committed parameters take 1-3 minutes on 2 cores.
TIMEOUT_S = 900


def test_the_three_notebooks_are_there():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean_with_one_parameter_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear outputs"
    params = code[0].source
    names = re.findall(r"^([A-Z_]+)\s*=", params, flags=re.M)
    assert {"STORES", "REPLICATIONS", "SEED"} <= set(names)
    assert not re.search(r"^(import|from)\s", params, flags=re.M), "parameters only"
    intro = nb.cells[0].source  # says how to run at full scale
    assert "full scale" in intro and "STORES = None" in intro and "REPLICATIONS = 100" in intro


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    # The conclusions are computed: the last markdown output is not empty.
    shown = [o for c in code for o in c.outputs if "text/markdown" in o.get("data", {})]
    assert shown and all(o["data"]["text/markdown"].strip() for o in shown)
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, "figures must render inline"
    print(f"{path.stem}: {elapsed:.0f} s")
