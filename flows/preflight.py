"""Checks before a run starts Prefect: each problem is one line naming the path or value.

A storage path under a file, a folder the service user cannot write, a session date beyond
the exchange calendar or a database another writer holds are the world not being as needed,
not bugs: they must not surface as Python tracebacks twenty seconds later from inside a flow
run (and again from its failure hook). The CLI runs these checks first; the flows run the
storage check too, for runs a scheduler starts.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from rotation import calendar
from rotation.db import DatabaseLockedError, writer_lock
from rotation.settings import Settings

FIRST_SESSION = dt.date(1927, 1, 3)  # rotation.calendar's calendar starts here


class PreflightError(RuntimeError):
    """The run cannot start as configured; the message says what to change."""


def check_session(day: dt.date, what: str = "--date") -> None:
    """``day`` lies within the exchange calendar (it ends about a year ahead)."""
    last = calendar.last_calendar_date()
    if day > last:
        raise PreflightError(
            f"{what} {day} is beyond the NYSE calendar, which ends {last} "
            "(exchange_calendars looks about a year ahead)"
        )
    if day < FIRST_SESSION:
        raise PreflightError(
            f"{what} {day} is before the NYSE calendar, which starts {FIRST_SESSION}"
        )


def _folder_problem(target: Path) -> str | None:
    """Why files cannot be written next to ``target``, or None."""
    for parent in [target.parent, *target.parent.parents]:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = target.parent / f".rotation-write-test.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"cannot write in {target.parent} ({exc.strerror or type(exc).__name__})"
    if target.exists() and not os.access(target, os.W_OK):
        return f"{target} is read-only"
    return None


def check_storage(settings: Settings) -> None:
    """The database, its published copy and the alerts log can be written where configured."""
    places = [
        ("[storage] path", settings.storage.path),
        ("[storage] published_path", settings.published_path),
        ("[alerts] console_jsonl_path", settings.alerts.console_jsonl_path),
    ]
    for name, value in places:
        if not value or value.startswith("md:"):
            continue  # MotherDuck: no local file
        problem = _folder_problem(Path(value))
        if problem:
            raise PreflightError(f"{name} {value} is unusable: {problem}")


def check_lock_free(settings: Settings) -> None:
    """With ``lock_timeout_s = 0`` a held writer lock fails now, before Prefect starts."""
    if settings.storage.lock_timeout_s > 0:
        return  # the run will wait for the lock, as configured
    try:
        with writer_lock(settings.storage.path, timeout_s=0):
            pass
    except DatabaseLockedError as exc:
        raise PreflightError(f"{exc} ([storage] lock_timeout_s = 0: not waiting)") from None
