"""Time limits: a hung source fails alone, a hung run ends, records itself and lets go.

Why three mechanisms. Measured and documented for Prefect 3.8.8 (``prefect/_internal/
concurrency/cancellation.py``; PrefectHQ/prefect#15760, #20315): a sync flow's timeout in the
main thread is a ``SIGALRM``, which interrupts a blocking sleep or socket wait; a task's
timeout nested inside it (or any timeout in another thread) is an exception *injected* into
the thread, which waits until the blocking call returns on its own, so a source that stops
answering mid-body or a stuck C call (DuckDB, a socket without timeout) is never interrupted.
And a thread cannot be killed. So:

1. **Sources** are fetched in a daemon thread with a deadline (:func:`fetch_within`). Past
   it, the run goes on without that source and records an incident
   (``source``/``timeout``); the stuck thread is abandoned (it holds no lock: fetching never
   writes).
2. **The run** has a limit (``[limits] daily_run_timeout_s``, ``backfill_timeout_s``):
   :func:`run_limit` raises :class:`RunTimedOut` in the flow body through Prefect's
   alarm-based scope, so the normal failure path runs (``ops.runs`` says failed, the failure
   hook alerts and pings the heartbeat, the writer lock is released).
3. **The watchdog** (:class:`Watchdog`) covers what cannot be interrupted: ``grace_s`` after
   the run limit it records the failure, delivers the alert, pings the heartbeat, marks the
   Prefect flow run failed (so a queued run is not held behind it) and ends the process with
   exit code 124. The kernel releases the writer lock with the process.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from rotation import incidents
from rotation.db import transaction, writing
from sources.retry import DeadlineExceeded, run_with_deadline

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEOUT = "timeout"  # incident kind: a source did not finish within its limit
EXIT_TIMED_OUT = 124  # as coreutils' timeout(1): the run was ended by its limit


class RunTimedOut(TimeoutError):
    """The run exceeded its configured time limit and was ended."""


class Stopped:
    """Which signal asked this process to stop (set by the CLI's SIGTERM handler), so a run
    it interrupted is recorded as stopped rather than as whatever the interruption raised
    inside (DuckDB turns it into "Query interrupted")."""

    signal: int | None = None

    @classmethod
    def message(cls) -> str:
        import signal as signals

        name = signals.Signals(cls.signal).name if cls.signal else "a signal"
        return f"stopped by {name} before it finished"


@contextmanager
def noting_stop_signals() -> Iterator[None]:
    """Remember a SIGTERM that arrives during the run, then let the installed handler act.

    Prefect installs its own SIGTERM handler in a flow run (it raises ``TerminationSignal``),
    and DuckDB turns any exception raised during a query into "Query interrupted"; so the run
    notes the signal itself, before either, to record why it ended. Main thread only (Python
    runs signal handlers there); elsewhere it does nothing.
    """
    import signal as signals

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signals.getsignal(signals.SIGTERM)

    def note(signum: int, frame: Any) -> None:
        Stopped.signal = signum
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(128 + signum)

    signals.signal(signals.SIGTERM, note)
    try:
        yield
    finally:
        signals.signal(signals.SIGTERM, previous)


def fetch_within(
    limit_s: float,
    source: str,
    fetch: Callable[[], T],
    *,
    db_path: str,
    run_id: str,
    session: dt.date | None,
) -> T | None:
    """``fetch()`` within ``limit_s`` seconds, else ``None`` and an incident.

    A fetch that finishes resolves an earlier timeout incident of the same source. The
    fetch runs with a copy of the caller's context, so a Prefect task called inside it is
    still a task of the caller's flow run.
    """
    context = contextvars.copy_context()
    try:
        result = run_with_deadline(lambda: context.run(fetch), limit_s, name=f"fetch-{source}")
    except DeadlineExceeded:
        detail = (
            f"{source} fetch did not finish within its limit of {limit_s:g} s "
            "([limits] source_timeout_s); the run went on without it"
        )
        log.error("%s", detail)
        with writing(db_path) as con, transaction(con):
            incidents.record(
                con,
                incidents.Incident(source, source, TIMEOUT, detail),
                run_id=run_id,
                session=session,
            )
        return None
    with writing(db_path) as con, transaction(con):
        incidents.resolve_unseen(con, source=source, kinds=[TIMEOUT], run_id=run_id)
    return result


class RunClock:
    """The run's limit as the body sees it: whether it expired, and the message saying so."""

    def __init__(self, limit_s: float, what: str, setting: str) -> None:
        self.limit_s, self.what, self.setting = limit_s, what, setting
        self.scope: Any = None

    @property
    def expired(self) -> bool:
        return bool(self.scope is not None and self.scope.cancelled())

    def message(self) -> str:
        return (
            f"{self.what} exceeded its time limit of {self.limit_s:g} s "
            f"([limits] {self.setting}) and was ended"
        )

    def failure(self, exc: BaseException) -> str:
        """What ``ops.runs`` says about a failed run: the limit when that is what ended it
        (Prefect reports an interrupted task as that task's own timeout)."""
        if self.expired:
            return self.message()
        from prefect.exceptions import TerminationSignal

        if isinstance(exc, TerminationSignal):  # Prefect's own SIGTERM handler in a run
            Stopped.signal = Stopped.signal or exc.signal
        if Stopped.signal is not None:
            return Stopped.message()
        return f"{type(exc).__name__}: {exc}"


@contextmanager
def run_limit(limit_s: float, what: str, setting: str) -> Iterator[RunClock]:
    """Interrupt the body when it outlives ``limit_s``; raise :class:`RunTimedOut` (module).

    Whatever exception the interruption surfaces as inside (a task's own
    ``TaskRunTimeoutError``, Prefect's ``CancelledError``), the run ends as ``RunTimedOut``.
    """
    from prefect._internal.concurrency.cancellation import cancel_sync_after

    clock = RunClock(limit_s, what, setting)
    try:
        with cancel_sync_after(limit_s, name=what) as scope:
            clock.scope = scope
            yield clock
    except BaseException:
        if clock.expired:
            raise RunTimedOut(clock.message()) from None
        raise


class Watchdog:
    """Ends the process ``after_s`` seconds from ``start()`` unless cancelled first.

    ``on_expiry`` records and tells (each step bounded: a hung database must not keep the
    process alive); then ``os._exit``. A daemon timer thread, so it never delays a normal exit.
    """

    def __init__(
        self,
        after_s: float,
        on_expiry: Callable[[], None],
        *,
        budget_s: float = 30.0,
        exit: Callable[[int], None] = os._exit,
    ) -> None:
        self.after_s = after_s
        self.on_expiry = on_expiry
        self.budget_s = budget_s
        self._exit = exit
        self._timer = threading.Timer(after_s, self._expire)
        self._timer.daemon = True
        self._timer.name = "run-watchdog"

    def start(self) -> Watchdog:
        self._timer.start()
        return self

    def cancel(self) -> None:
        self._timer.cancel()

    def __enter__(self) -> Watchdog:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def _expire(self) -> None:
        try:
            run_with_deadline(self.on_expiry, self.budget_s, name="watchdog-record")
        except BaseException as exc:  # recording failed: ending the process still matters
            log.error("watchdog: recording the timed-out run failed: %s", exc)
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        self._exit(EXIT_TIMED_OUT)
