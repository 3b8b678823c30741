"""The README played top to bottom in a fresh virtual environment, as a new user would (issue 17).

The project's files are copied to a temporary folder, a new virtual environment is made there,
and every ``bash`` block of the README runs in order in a clean shell (this test's virtual
environment is not on its PATH), then the Python block runs with the new environment's Python.
What is changed, and why:

- The new environment sees this environment's installed dependencies through a ``.pth`` file,
  so ``pip install -e .`` installs the project itself (its console script included) without
  downloading numpy and the rest again; the project is built by pip as the README says. Their
  commands (``ruff``) come from this environment's ``bin``, put last on the PATH.
- Commands that run the model run a small slice (10 stores, 30 SKUs, 1 replication, one
  process; the notebooks' tests run the same slice) over a horizon ending a week after the
  last go-live of the plans they name (a replication's time is nearly all per simulated hour;
  the loader refuses a go-live past the horizon), and the network generator 60 stores, so the
  test takes about a minute rather than the full network's hours.
- The compiled kernels cached next to the sources are copied with the sources (times kept, so
  numba accepts them): a new machine compiles them once (~25-35 s, the README says so); here that
  would be most of the test's time, and the compiling path is what every new test process
  takes anyway.
- The blocks after the first run with the new environment active, as in the reader's shell
  after the first command (its ``rollout-sim`` is checked to be the new environment's: a
  plain shell would find whichever one its PATH has).
- Of the test command only ``ruff check .`` is run: ``python -m pytest`` is this suite (it
  would run itself), and its ``python3 -m venv .venv && . .venv/bin/activate && pip install
  -e '.[dev]'`` repeats the first command's, extras aside (here every extra is already on the
  path). ``.ci/run`` plays that install from nothing before the suite on every CI run
  (``tests/interface/test_readme.py`` checks the two commands match), and a suite that runs
  at all was installed with ``[dev]``.
- ``rollout-sim sensitivity`` and ``optimize`` are not run here (``tests/validity/``
  ``test_sensitivity.py`` and ``test_optimize.py`` run them).
- Commands that execute notebooks are not run here (``tests/interface/test_notebooks.py`` runs
  every notebook).
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from tests.small_runs import last_dated_week, tiny

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SLICE = "--set network.stores=10 --set network.skus=30"
#: The test command's install, which repeats the first command's (see the module docstring).
DEV_INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && "
#: Not played here: notebooks (tests/interface/test_notebooks.py runs them), the sensitivity
#: analysis and the optimiser (dozens of runs each; tests/validity/test_sensitivity.py and
#: test_optimize.py run them).
# The calibration workflow's commands are played by tests/interface/test_calibrate_cli.py.
NOT_HERE = re.compile(r"nbmake|papermill|jupyter|nbconvert|calibrated_network|"
                      r"rollout-sim (sensitivity|optimize|history simulate|calibrate)")


def _files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.splitlines() if (ROOT / f).is_file()]


def _kernel_builds() -> list[str]:
    """The compiled kernels cached next to the model's sources (built here first if absent)."""
    sim.run_replication(tiny(), 1)  # loads the builds, or compiles and caches them
    model = ROOT / "sim" / "model"
    keep = ("*.nbi", "*.nbc", "sources.sha256")
    return [str(p.relative_to(ROOT)) for pattern in keep
            for p in model.glob(f"**/__pycache__/{pattern}")]


def _horizon(plans: list[str]) -> int:
    """A week past the last week these plans date anything in (a go-live, a harmonization
    start): the shortest horizon that runs every wave's go-live; never past their own."""
    own = [sim.load_scenario(ROOT / plan).horizon_weeks for plan in plans]
    return min([last_dated_week([ROOT / plan for plan in plans]) + 1, *own])


def _small(line: str) -> str:
    """A command at a small scale (see the module docstring)."""
    if NOT_HERE.search(line):
        return f"# not run here (see NOT_HERE): {line}"
    line = line.replace(" && python -m pytest -n 2", "")
    if line.startswith(DEV_INSTALL):
        line = f"# not run here (see DEV_INSTALL): {DEV_INSTALL}\n{line[len(DEV_INSTALL):]}"
    line = re.sub(r"--stores \d+", "--stores 60", line)
    m = re.search(r"rollout-sim (run|compare|baseline record|baseline check) ", line)
    if m:
        line = re.sub(r"--set network\.stores=\d+", "", line)
        line = re.sub(r"--set network\.skus=\d+", "", line)
        line = re.sub(r"(-n|--replications) \d+", r"\1 1", line)
        # One process: each new process compiles the kernels in the fresh copy (the cache is
        # keyed by source path), which is most of this test's time; executors are tested in
        # tests/validity/test_executors.py.
        line = re.sub(r"--workers \d+", "--workers 1", line)
        code, sep, comment = line.partition("  #")
        weeks = _horizon(re.findall(r"scenarios/\w+\.toml", code))
        line = f"{code.rstrip()} {SLICE} --set horizon_weeks={weeks}" + (
            f"  #{comment}" if sep else "")
    return line


@pytest.mark.slow
def test_the_readme_plays_top_to_bottom_in_a_fresh_venv(tmp_path):
    repo = tmp_path / "rollout-sim"
    for f in _files() + _kernel_builds():
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, repo / f)  # with its time: numba checks a build by it
    here = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # This environment's bin goes last: `python3` is the machine's, and the shared
    # dependencies' commands (ruff) are found after the new environment's own.
    path = env["PATH"].split(os.pathsep)
    mine = [p for p in path if Path(p).resolve().is_relative_to(here.resolve())]
    env["PATH"] = os.pathsep.join([p for p in path if p not in mine] + mine)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run(["python3", "-m", "venv", ".venv"], cwd=repo, env=env, check=True)
    # Its own pip, installed before the .pth below makes this environment's pip importable
    # (ensurepip then skips it): without it, the README's `pip` would be the next one on the
    # PATH, and would install into another Python.
    assert (repo / ".venv" / "bin" / "pip").is_file()
    pth = next((repo / ".venv" / "lib").glob("python3*/site-packages")) / "_deps_of_tests.pth"
    pth.write_text("\n".join(site.getsitepackages()) + "\n")

    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert len(blocks) >= 3
    played = []
    for i, block in enumerate(blocks):
        script = "\n".join(_small(line) for line in block.splitlines())
        if i:
            # The reader's shell after the first command: its environment active, so the
            # commands are the fresh install's (not whichever `rollout-sim` the PATH has).
            script = (f". .venv/bin/activate\n"
                      f'test "$(command -v rollout-sim)" = "$PWD/.venv/bin/rollout-sim"\n{script}')
        played.append(script)
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"{script}\n--- stdout\n{r.stdout[-3000:]}\n--- stderr\n" \
                                  f"{r.stderr[-3000:]}"
    assert (repo / ".venv" / "bin" / "rollout-sim").is_file()
    assert (repo / "cmp" / "comparison.json").is_file()  # the main job's comparison

    python = next(iter(re.findall(r"```python\n(.*?)\n```", README, flags=re.S)))
    plans = re.findall(r"scenarios/\w+\.toml", python)
    weeks = _horizon(plans)  # both: a comparison's plans run the same weeks
    code = (python.replace('{"network.stores": 60}', '{"network.stores": 10, "network.skus": '
                           f'30, "horizon_weeks": {weeks}}}')
            .replace('["network.stores=60"]', '["network.stores=10", "network.skus=30", '
                     f'"horizon_weeks={weeks}"]')
            .replace("replications=20", "replications=1"))
    assert code != python, "the Python block no longer names the scale this test shrinks"
    # (issue 17: sim.run and sim.compare existed only in the docs, and a mapping of overrides
    # was refused; this is the one test of the README's Python block.)
    code += ("\nassert one.metrics['ecommerce_orders'] > 0"
             "\nassert many.n == 1 and list(cmp.ranking['plan'])\nprint('python block ok')\n")
    r = subprocess.run([str(repo / ".venv" / "bin" / "python"), "-c", code], cwd=repo,
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "python block ok" in r.stdout, r.stderr[-3000:]
