"""A run's temporary Prefect server ends with the run, however the run ends.

In ephemeral mode (no ``PREFECT_API_URL``) Prefect starts a ``uvicorn`` server as a child
process and stops it from an ``atexit`` hook. A CLI killed with SIGKILL or SIGTERM never runs
that hook, and the server stayed behind every time (~230 MB and a port each). A thread cannot
help (it dies with the process), and the kernel's parent-death signal follows the *thread*
that started the child, not the process.

So the CLI starts a tiny reaper process first. It tags the run's environment with a token that
every child inherits (Prefect passes ``os.environ`` to the server), then holds the write end of
a pipe the reaper reads. When the run's process ends, in any way, the kernel closes the pipe;
the reaper wakes, finds every process still carrying the token (``/proc/<pid>/environ``), and
ends it: SIGTERM, then SIGKILL after five seconds. On a normal exit Prefect has already stopped
the server and the reaper finds nothing. Linux only (``/proc``); elsewhere it does nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import IO

TOKEN_VARIABLE = "ROTATION_RUN_TOKEN"
_REAPER = r"""
import os, signal, sys, time
token, me = sys.argv[1].encode(), os.getpid()
sys.stdin.buffer.read()  # returns at end of file: the run's process has ended

def tagged():
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if token in f.read().split(b"\0"):
                    yield int(name)
        except OSError:
            continue

for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
    pids = list(tagged())
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and any(True for _ in tagged()):
        time.sleep(0.1)
"""
_pipe: IO[bytes] | None = None  # held open for the life of this process, never written
_reaper: subprocess.Popen[bytes] | None = None


def start_reaper() -> str | None:
    """Tag this process's future children and start their reaper; return the token.

    Idempotent. Does nothing (returns None) without ``/proc``.
    """
    global _pipe, _reaper
    if _pipe is not None:
        return os.environ.get(TOKEN_VARIABLE)
    if not Path("/proc/self/environ").exists():
        return None
    token = f"{TOKEN_VARIABLE}={uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VARIABLE}
    reaper = subprocess.Popen(
        [sys.executable, "-c", _REAPER, token],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # a Ctrl-C or a process-group kill must not take it first
    )
    _reaper, _pipe = reaper, reaper.stdin  # our end is close-on-exec: children never hold it
    os.environ[TOKEN_VARIABLE] = token.split("=", 1)[1]
    return os.environ[TOKEN_VARIABLE]
