"""``rollout-sim summary DIR``: reprint an output folder's summary without running anything.

A run folder (``run --out``) prints what ``run`` printed at its end; a comparison folder
(``compare --out``) what ``compare`` printed: headline metrics, refund cycle, cost breakdown
with paired differences, ranking and caveats. ``--format`` chooses rich tables, markdown pipe
tables, or the tidy table (:mod:`sim.tidy`) as CSV or JSON records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim import cli_tables as ct

FORMATS = ("table", "markdown", "csv", "json")


class SummaryError(Exception):
    """The folder holds no results that can be summarized (reported on one line)."""


def load(out_dir: Path) -> tuple[list, Any]:
    """The runs (reference first) and the comparison (or None) an output folder holds.

    Raises:
        SummaryError: No such folder, no results in it, or unreadable results.
    """
    from sim.report import ReportError, load_folder

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SummaryError(f"{out_dir}: no such folder")
    try:
        return load_folder(out_dir)
    except ReportError as e:
        saved = len(list((out_dir / "reps").glob("rep_*.pkl")))
        hint = (f"; it holds {saved} saved replication(s): finish the run with --resume"
                if saved else "")
        raise SummaryError(f"{e}{hint}") from None
    except (OSError, ValueError, KeyError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise SummaryError(f"{out_dir}: cannot read results ({type(e).__name__}: {first})"
                           ) from None


def tidy(runs: list, cmp: Any) -> pd.DataFrame:
    """The tidy summary: a run's :meth:`summary_frame`, or the comparison's (with ``plan``)."""
    return cmp.summary_frame() if cmp is not None else runs[0].summary_frame()


def _summaries(runs: list) -> dict[str, dict]:
    return {r.scenario: r.summary for r in runs}


def _titles(runs: list, cmp: Any) -> tuple[str, str]:
    """Titles of the headline and cost tables, as ``run`` and ``compare`` print them."""
    from sim.verdict import currency_of

    first, cur = runs[0], currency_of(runs)
    if cmp is None:
        return (f"{first.scenario}: {first.n} replications, seed {first.seed}",
                f"{first.scenario}: total_risk_cost by component ({cur})")
    return (f"{len(runs)} plans, {first.n} replications each, seed {first.seed}",
            f"total_risk_cost by component ({cur}; paired differences against "
            f"{first.scenario})")


def print_tables(runs: list, cmp: Any) -> None:
    """Print the rich tables ``run`` or ``compare`` printed (fitted to the console)."""
    head, cost = _titles(runs, cmp)
    ct.summary_table(head, _summaries(runs))
    ct.refund_table(runs)
    ct.cost_table(cost, _summaries(runs), None if cmp is None else cmp.differences)
    if cmp is not None:
        ct.ranking_table(cmp)
    ct.why_table(runs, compared=cmp is not None)
    if cmp is not None:
        ct.conclusion(cmp)


def markdown(runs: list, cmp: Any) -> str:
    """The same tables as GitHub pipe tables (a column pair per plan), with the caveats."""
    head, cost = _titles(runs, cmp)
    grids = [ct.summary_grid(head, _summaries(runs)), ct.refund_grid(runs),
             ct.cost_grid(cost, _summaries(runs), None if cmp is None else cmp.differences)]
    if cmp is not None:
        grids.append(ct.ranking_grid(cmp))
    grids.append(ct.why_grid(runs, compared=cmp is not None))
    parts = [ct.markdown(g) for g in grids if g is not None]
    if cmp is not None:
        from sim.verdict import verdict

        parts.append(verdict(cmp).text + "\n")
    if cmp is not None and cmp.caveats:
        parts.append("\n".join(f"- not a ranking to act on: {c}" for c in cmp.caveats) + "\n")
    return "\n".join(parts)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.to_dict(orient="records")
    for rec in out:
        v = rec["value"]
        rec["value"] = None if v is None or (isinstance(v, float) and not math.isfinite(v)) \
            else float(v)
    return out


def render(out_dir: Path, fmt: str) -> str | None:
    """The summary of ``out_dir`` as text, or None for ``table`` (printed on the console).

    Args:
        out_dir: A ``run --out`` or ``compare --out`` folder.
        fmt: One of :data:`FORMATS`.

    Raises:
        SummaryError: An unknown format, or a folder without readable results.
    """
    if fmt not in FORMATS:
        raise SummaryError(f"--format: expected one of {', '.join(FORMATS)} (got '{fmt}')")
    runs, cmp = load(out_dir)
    if fmt == "table":
        print_tables(runs, cmp)
        return None
    if fmt == "markdown":
        return markdown(runs, cmp)
    frame = tidy(runs, cmp)
    if fmt == "csv":
        return frame.to_csv(index=False)
    return json.dumps(_records(frame), indent=1, allow_nan=False) + "\n"
