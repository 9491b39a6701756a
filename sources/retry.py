"""Two small tools for clients whose library does not honour its own timeouts.

``run_with_deadline`` bounds the wall time of a blocking call. yfinance, for one, stalls
~100 s on a network that accepts connections but never answers, whatever ``timeout=`` says
(its cookie and crumb calls use a fixed 30 s each), so the caller bounds the whole call from
outside. Python cannot kill a thread: the call goes on in a *daemon* thread and its result is
thrown away, so a stalled download never keeps the interpreter alive at exit (a
``ThreadPoolExecutor`` would: its workers are joined at shutdown).

``backoff_delays`` is the one place the backoff schedule is written down, so that retrying
happens at exactly one layer (the client), with a bounded number of attempts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """The call did not return within its deadline; it may still be running in the background."""


def run_with_deadline(fn: Callable[[], T], timeout_s: float, *, name: str = "bounded-call") -> T:
    """Run ``fn()`` in a daemon thread; return its result or re-raise its exception.

    Raises ``DeadlineExceeded`` when ``fn`` has not finished after ``timeout_s`` seconds.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread below, not swallowed
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(timeout_s):
        raise DeadlineExceeded(f"{name} did not finish within {timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def backoff_delays(
    max_attempts: int, *, base_s: float = 2.0, factor: float = 2.0, cap_s: float = 60.0
) -> Iterator[float]:
    """The waits between attempts: ``base_s``, ``base_s*factor``, … (``max_attempts - 1`` of them).

    >>> list(backoff_delays(4, base_s=1.0))
    [1.0, 2.0, 4.0]
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    delay = base_s
    for _ in range(max_attempts - 1):
        yield min(delay, cap_s)
        delay *= factor
