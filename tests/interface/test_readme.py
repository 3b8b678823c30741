"""The README's two commands stay true: CI runs the second, the first names real files."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def first_two_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_starts_with_two_commands():
    head = README.split("## ")[0]
    assert head.count("```bash") == 2


def test_ci_runs_the_readme_test_command():
    test_cmd = first_two_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    tail = test_cmd.split("activate && ", 1)[1]
    assert tail in ci


def test_main_job_names_shipped_scenarios_that_validate():
    main = first_two_commands()[0]
    args = shlex.split(main.split("rollout-sim ", 1)[1])
    assert args[0] == "compare"
    files = [a for a in args if a.endswith(".toml")]
    assert len(files) == 6
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    result = CliRunner().invoke(app, ["validate", *[str(ROOT / f) for f in files],
                                      *sum([["--set", s] for s in sets], [])])
    assert result.exit_code == 0, result.output


