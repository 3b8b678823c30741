"""Progress of `run` and `compare`: a bar, or plain lines, and what an interrupt kept.

On a terminal the bar moves week by week within each replication (a 600-store year takes
seconds to minutes per replication, too long for a bar that moves once per replication). When
the output is not a terminal (a log file, CI, a pipe) it prints one plain line per finished
replication, and for long replications a line at most every :data:`PLAIN_EVERY_SECONDS` with
the week reached. It counts the replications saved, so an interrupt can say what is kept.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

#: Minimum seconds between two plain progress lines within replications.
PLAIN_EVERY_SECONDS = 10.0


class RunProgress:
    """Progress of one or more plans' replications (a context manager).

    Args:
        console: Where progress goes (stderr).
        plans: ``(plan name, replications, weeks per replication)`` per plan.
        plain: Plain lines instead of a bar (default: when the console is not a terminal).
    """

    def __init__(self, console: Console, plans: list[tuple[str, int, int]],
                 plain: bool | None = None) -> None:
        self.console = console
        self.plans = plans
        self.plain = (not console.is_terminal) if plain is None else plain
        self.saved = [0] * len(plans)
        self._weeks: dict[tuple[int, int], int] = {}
        #: Replications done: a worker's last weeks can arrive after its result.
        self._finished: set[tuple[int, int]] = set()
        self._start = time.monotonic()
        self._last_line = self._start
        self._bar: Progress | None = None
        self._tasks: list[int] = []

    def __enter__(self) -> RunProgress:
        if not self.plain:
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.fields[done]}/{task.fields[reps]} replications"),
                TimeElapsedColumn(), TimeRemainingColumn(), console=self.console,
                transient=False)
            self._bar.__enter__()
            self._tasks = [self._bar.add_task(name, total=reps * max(weeks, 1), done=0,
                                              reps=reps) for name, reps, weeks in self.plans]
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(et, ev, tb)

    def _elapsed(self) -> str:
        s = int(time.monotonic() - self._start)
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"

    def week(self, plan: int, rep: int, week: int) -> None:
        """A replication of ``plan`` reached the end of ``week``."""
        if (plan, rep) in self._finished:
            return
        seen = self._weeks.get((plan, rep), 0)
        self._weeks[plan, rep] = max(seen, week)
        if self._bar is not None:
            self._bar.advance(self._tasks[plan], max(week - seen, 0))
        elif time.monotonic() - self._last_line >= PLAIN_EVERY_SECONDS:
            name, reps, weeks = self.plans[plan]
            self._line(f"{name}: replication {rep + 1} of {reps} at week {week} of {weeks}")

    def replication(self, plan: int, rep: int) -> None:
        """A replication of ``plan`` finished and was saved (or was loaded on resume)."""
        name, reps, weeks = self.plans[plan]
        self.saved[plan] += 1
        self._finished.add((plan, rep))
        seen = self._weeks.pop((plan, rep), 0)
        if self._bar is not None:
            self._bar.update(self._tasks[plan], advance=max(weeks - seen, 0),
                             done=self.saved[plan])
        else:
            self._line(f"{name}: {self.saved[plan]} of {reps} replications done")

    def set_replications(self, plan: int, reps: int) -> None:
        """The number of replications of ``plan`` changed (``run --precision`` adds some)."""
        name, _, weeks = self.plans[plan]
        self.plans[plan] = (name, reps, weeks)
        if self._bar is not None:
            self._bar.update(self._tasks[plan], total=reps * max(weeks, 1), reps=reps)

    def _line(self, text: str) -> None:
        self._last_line = time.monotonic()
        self.console.print(f"[{self._elapsed()}] {text}", markup=False, highlight=False,
                           soft_wrap=True)

    def interrupted(self, out: Path | None) -> str:
        """What an interrupt keeps, in one line (for the message before exiting)."""
        kept = ", ".join(f"{n} {s} of {r}" for (n, r, _), s in zip(self.plans, self.saved,
                                                                    strict=True))
        if out is None:
            return (f"interrupted: {kept} replications finished; nothing saved (no --out "
                    "was given)")
        return (f"interrupted: {kept} replications saved in {out}; rerun the same command "
                "with --resume to continue")
