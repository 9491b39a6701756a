"""Progress of long work (a backfill): a bar on a terminal, a log line per step elsewhere.

Under a scheduler nobody watches a terminal, so each step is also logged; at a terminal a
rich progress bar shows how far it got and how long is left.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)


class Steps:
    """``with Steps(total, "backfill", log) as steps: ... steps.advance("chunk 3 loaded")``."""

    def __init__(self, total: int, title: str, logger: Any) -> None:
        self.total = total
        self.title = title
        self.logger = logger
        self.done = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Steps:
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=self.total, note="")
        return self

    def advance(self, note: str) -> None:
        self.done += 1
        self.logger.info("%s %d/%d: %s", self.title, self.done, self.total, note)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, note=note)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
