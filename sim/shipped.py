"""Where the data shipped with the package lives: the reference network and the six plans.

A source checkout or an editable install reads the repository's own ``seeds/`` and
``scenarios/`` folders next to the package, so edits there take effect at once. A wheel
carries copies of both inside the package (``sim/_seeds`` and ``sim/_scenarios``, put there
by the ``force-include`` table of ``pyproject.toml``), so an installed package finds them
wherever it is used from: a notebook copied out of the repository, a script in another
folder.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REFERENCE_PLAN", "scenarios_dir", "seeds_dir", "shipped_scenarios"]

#: The no-rollout plan the shipped comparisons use as their reference.
REFERENCE_PLAN = "baseline_legacy"

_PACKAGE = Path(__file__).resolve().parent


def _locate(repo_folder: str, packaged_folder: str, marker: str) -> Path:
    """The repository's folder when it holds ``marker``, else the packaged copy that does.

    If neither holds it, the repository's path is returned, so that whatever reads it next
    reports the missing file there.
    """
    for cand in (_PACKAGE.parent / repo_folder, _PACKAGE / packaged_folder):
        if (cand / marker).is_file():
            return cand
    return _PACKAGE.parent / repo_folder


def seeds_dir() -> Path:
    """Return the directory holding the reference network (``stores.csv`` and the rest).

    The repository's ``seeds/`` next to the package is used when it holds ``stores.csv``
    (editable installs and source checkouts); otherwise ``sim/_seeds`` inside the package
    (the wheel build copies ``seeds/`` there).

    Returns:
        The seeds directory.
    """
    return _locate("seeds", "_seeds", "stores.csv")


def scenarios_dir() -> Path:
    """Return the directory holding the shipped plans (``scenarios/*.toml``).

    The repository's ``scenarios/`` next to the package is used when it holds the reference
    plan (editable installs and source checkouts); otherwise ``sim/_scenarios`` inside the
    package (the wheel build copies ``scenarios/`` there).

    Returns:
        The scenarios directory.
    """
    return _locate("scenarios", "_scenarios", f"{REFERENCE_PLAN}.toml")


def shipped_scenarios() -> dict[str, Path]:
    """The shipped plans by name.

    Returns:
        Plan name (the file's stem, e.g. ``"big_bang"``) -> path of its TOML file, sorted by
        name.
    """
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml"))}
