"""The notebooks in notebooks/ run top to bottom, headless, from any folder.

Each notebook starts with one parameter cell, tagged ``parameters`` for papermill, holding
small settings (a 20-store slice, 2-3 replications) that users raise to full scale. The tests
run them smaller still: like ``papermill -p``, they add a cell after the parameter cell that
sets fewer stores and SKUs and one worker process (no process pool to start), so every cell
runs in seconds. A replication's time is nearly all per simulated hour, so the injected cell
also shortens the horizon (``WEEKS``) to a week past the last go-live of the plans the
notebook names; the committed values are checked against the same plans without a run. One
notebook runs from a copy outside the repository, where no ``scenarios/`` folder is near: its
plans come from the installed package. Notebooks are committed without outputs.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from small_runs import last_dated_week

from sim import load_scenario
from sim.shipped import shipped_scenarios
from sim.uncertainty import apply_point, load_factors, select

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
         "peak_season_cutover_risk": {"REPLICATIONS": 1},
         # Two of the four factors: one a model parameter, one a dotted scenario key (the two
         # ways a factor is applied); two are what the "in words" cell reads (first, then).
         # 8 design points instead of 12; the four committed ones are checked without a run.
         "which_assumptions_matter": {"FACTORS": ["training.completion",
                                                  "initial_record_error_prob"]}}
#: Notebooks whose WEEKS stays as committed: the peak notebook moves big_bang's go-live to its
#: PEAK_WEEK (47) and reads WINDOW weeks from there, and its deferred waves go live in week 50.
FULL_HORIZON = {"peak_season_cutover_risk"}
#: The one notebook run from a copy outside the repository (the others run in place).
COPIED = "returns_harmonization_600_stores"
#: Every scale knob a parameter cell holds.
KNOBS = {"STORES", "SKUS", "REPLICATIONS", "WEEKS", "SEED", "WORKERS", "SCENARIOS"}
#: A number printed in scientific notation (9.621e+05), as raw floats of money print.
SCIENTIFIC = re.compile(r"\d[eE]\+\d")


def parameter_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def committed_parameters(nb: nbformat.NotebookNode) -> dict[str, object]:
    """The parameter cell's values (it holds assignments only: see the committed-clean test)."""
    values: dict[str, object] = {}
    exec(parameter_cells(nb)[0].source, values)
    return {k: v for k, v in values.items() if k.isupper()}


def named_plans(nb: nbformat.NotebookNode) -> list[str]:
    """The shipped plans a notebook's code names ("big_bang" in a list, a call or a parameter)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return [name for name in shipped_scenarios() if f'"{name}"' in code]


def run_scale(path: Path, nb: nbformat.NotebookNode) -> dict[str, object]:
    """What a test run sets after the parameter cell (see the module docstring)."""
    scale = {**SMALL, **FEWER.get(path.stem, {})}
    if path.stem not in FULL_HORIZON:
        # A week past the last go-live (every wave goes live and runs a week), never longer
        # than committed.
        plans = [shipped_scenarios()[name] for name in named_plans(nb)]
        scale["WEEKS"] = min(last_dated_week(plans) + 1, committed_parameters(nb)["WEEKS"])
    return scale


def inject(nb: nbformat.NotebookNode, **params: object) -> None:
    """Set parameters as papermill does: a tagged cell right after the parameter cell."""
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in params.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(nb.cells.index(parameter_cells(nb)[0]) + 1, cell)


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` at the test scale, in ``cwd``; its outputs are checked."""
    nb = nbformat.read(path, as_version=4)
    inject(nb, **run_scale(path, nb))
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_parameters_fit_the_plans(path: Path):
    """What the runs below replace, checked as committed without a run: the horizon holds
    every dated week of the plans the notebook names (else the loader refuses it), and each
    committed factor is declared and applies to the plan at both ends of its range."""
    nb = nbformat.read(path, as_version=4)
    params = committed_parameters(nb)
    plans = named_plans(nb)
    assert plans, "the notebook names shipped plans"
    horizon = [f"horizon_weeks={params['WEEKS']}"]
    for name in plans:
        load_scenario(shipped_scenarios()[name], overrides=horizon)
    if params.get("FACTORS"):
        plan = load_scenario(shipped_scenarios()[params["SCENARIO"]], overrides=horizon)
        factors = select(load_factors(), params["FACTORS"], dummy=True)
        for end in ("low", "high"):
            apply_point(plan, factors, [getattr(f, end) for f in factors])


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
