"""The notebooks in notebooks/ run top to bottom, headless, from any folder.

Each notebook starts with one parameter cell, tagged ``parameters`` for papermill, holding
small settings (a 20-store slice, 2-3 replications) that users raise to full scale. The tests
run them smaller still: like ``papermill -p``, they add a cell after the parameter cell that
sets fewer stores and SKUs and one worker process (no process pool to start), so every cell
runs in seconds. One notebook runs from a copy outside the repository, where no
``scenarios/`` folder is near: its plans come from the installed package. Notebooks are
committed without outputs.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"compare_rollout_plans", "peak_season_cutover_risk",
            "returns_harmonization_600_stores", "which_assumptions_matter"}
#: Generous per-notebook limit: at the test's scale each takes well under a minute.
TIMEOUT_S = 900
#: The scale the tests run at, injected after the parameter cell: replications as committed
#: except where fewer take the same paths (below three there is no interval either way).
SMALL = {"STORES": 10, "SKUS": 30, "WORKERS": 1}
FEWER = {"compare_rollout_plans": {"REPLICATIONS": 1},
         "peak_season_cutover_risk": {"REPLICATIONS": 1}}
#: The one notebook run from a copy outside the repository (the others run in place).
COPIED = "returns_harmonization_600_stores"
#: Every scale knob a parameter cell holds.
KNOBS = {"STORES", "SKUS", "REPLICATIONS", "WEEKS", "SEED", "WORKERS", "SCENARIOS"}
#: A number printed in scientific notation (9.621e+05), as raw floats of money print.
SCIENTIFIC = re.compile(r"\d[eE]\+\d")


def parameter_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def inject(nb: nbformat.NotebookNode, **params: object) -> None:
    """Set parameters as papermill does: a tagged cell right after the parameter cell."""
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in params.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(nb.cells.index(parameter_cells(nb)[0]) + 1, cell)


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` at the test scale, in ``cwd``; its outputs are checked."""
    nb = nbformat.read(path, as_version=4)
    inject(nb, **SMALL, **FEWER.get(path.stem, {}))
    start = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    print(f"{path.stem}: {time.perf_counter() - start:.0f} s")
    check_outputs(nb)
    return nb


def shown_text(nb: nbformat.NotebookNode) -> list[str]:
    """Everything the notebook displays or prints, as text (figures left out)."""
    texts = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream":
                texts.append(o["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in o.get("data", {}):
                    texts.append(o["data"][mime])
    return texts


def check_outputs(nb: nbformat.NotebookNode) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    # The conclusions are computed: the markdown outputs are not empty.
    shown = [o for c in code for o in c.outputs if "text/markdown" in o.get("data", {})]
    assert shown and all(o["data"]["text/markdown"].strip() for o in shown)
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, "figures must render inline"
    text = shown_text(nb)
    assert not [t for t in text if SCIENTIFIC.search(t)], "numbers in scientific notation"
    assert not [t for t in text if "NaN" in t], "a table shows NaN"
    # Money reads as 3.194 M / 962.1 k; the small slice prints its caveats.
    assert any(re.search(r"\d (k|M)\b", t) for t in text)
    assert any("to act on:" in t for t in text)


def test_the_three_notebooks_are_there():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean_with_one_parameter_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear outputs"
    tagged = parameter_cells(nb)
    assert len(tagged) == 1 and tagged[0] is code[0], "one parameter cell, the first code cell"
    params = tagged[0].source
    names = re.findall(r"^([A-Z_]+)\s*=", params, flags=re.M)
    assert KNOBS <= set(names)
    assert re.search(r"^SCENARIOS = None\b", params, flags=re.M), "shipped plans by default"
    assert not re.search(r"^(import|from)\s", params, flags=re.M), "parameters only"
    source = "\n".join(c.source for c in code)
    assert "Path.cwd()" not in source and "scenarios_dir()" in source, "no search from cwd"
    intro = nb.cells[0].source  # the scale caveat, and how to run at full scale
    for said in ("full scale", "STORES = None", "REPLICATIONS = 100", "SCENARIOS",
                 "to act on"):
        assert said in intro, said


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != COPIED],
                         ids=[p.stem for p in NOTEBOOKS if p.stem != COPIED])
def test_notebook_runs_top_to_bottom_in_place(path: Path):
    before = set(path.parent.rglob("*"))
    nb = execute(path, path.parent)
    assert set(path.parent.rglob("*")) <= before, "the run left files in notebooks/"
    for line in (t for t in shown_text(nb) if "results in " in t):
        # compare_rollout_plans: the temporary results folder is deleted at the end.
        folder = Path(line.split("results in ")[1].split()[0])
        assert not folder.exists(), f"{folder} left behind"
    if path.stem == "compare_rollout_plans":
        ranking = [t for t in shown_text(nb) if "95% CI low" in t and "<table" in t]
        assert ranking and ">reference<" in ranking[0], "the reference's own row"


@pytest.mark.slow
def test_copied_notebook_runs_outside_the_repository(tmp_path: Path):
    copy = tmp_path / f"{COPIED}.ipynb"
    shutil.copy(ROOT / "notebooks" / copy.name, copy)
    execute(copy, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [copy.name], "nothing left behind"
