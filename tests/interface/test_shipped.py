"""The six plans and the reference network ship with the package, not only with the checkout.

A checkout (or editable install) reads the repository's ``scenarios/`` and ``seeds/``; a
wheel carries copies in ``sim/_scenarios`` and ``sim/_seeds`` (``force-include`` in
``pyproject.toml``). The wheel is built once here (about two seconds) and checked twice: its
file list, and the package unpacked from it, imported in another process from a folder with no
repository near, finding its plans and network inside itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sim.network import FILES, default_seeds_dir
from sim.shipped import REFERENCE_PLAN, scenarios_dir, seeds_dir, shipped_scenarios

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))


def test_a_checkout_reads_the_repository_folders():
    assert scenarios_dir() == ROOT / "scenarios"
    assert seeds_dir() == default_seeds_dir() == ROOT / "seeds"
    plans = shipped_scenarios()
    assert list(plans) == PLANS and len(PLANS) == 6 and REFERENCE_PLAN in plans
    assert all(p == ROOT / "scenarios" / f"{name}.toml" for name, p in plans.items())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built by its own backend (hatchling) as ``pip wheel`` does."""
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
           str(ROOT)]
    if importlib.util.find_spec("hatchling"):  # else pip fetches it into an isolated build env
        cmd.insert(-1, "--no-build-isolation")
    subprocess.run(cmd, check=True, timeout=300, capture_output=True)
    (built,) = out.glob("rollout_sim-*.whl")
    return built


def test_the_wheel_ships_the_plans_and_the_network(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"sim/_scenarios/{p}.toml" for p in PLANS} <= names
    assert {f"sim/_seeds/{f}" for f, _ in FILES.values()} | {"sim/_seeds/parameters.csv"} <= names
    assert "sim/shipped.py" in names


PROBE = """
import json, sim, sim.shipped as s
from sim.network import load_network
plans = s.shipped_scenarios()
sc = sim.load_scenario(plans["pilot_then_waves"], overrides=["network.stores=10"])
print(json.dumps({"sim": sim.__file__, "scenarios": str(s.scenarios_dir()),
                  "seeds": str(s.seeds_dir()), "plans": sorted(plans), "name": sc.name,
                  "stores": len(load_network().stores)}))
"""


def test_the_installed_wheel_finds_its_plans_outside_the_repository(wheel: Path,
                                                                    tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # The unpacked wheel comes first on the path, ahead of the editable install's checkout.
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["sim"] == str(site / "sim" / "__init__.py")
    assert got["scenarios"] == str(site / "sim" / "_scenarios")
    assert got["seeds"] == str(site / "sim" / "_seeds")
    assert got["plans"] == PLANS and got["name"] == "pilot_then_waves"
    assert got["stores"] == 600
