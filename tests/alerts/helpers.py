"""Helpers for the alert tests: hand-made input tables, rules, a Slack stand-in on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from alerts.rules import CHANNEL_NAMES, Rule, parse_rule

SESSIONS = [  # ten real NYSE sessions (2024-12-24 is a session, 12-25 a holiday)
    dt.date(2024, 12, 17), dt.date(2024, 12, 18), dt.date(2024, 12, 19), dt.date(2024, 12, 20),
    dt.date(2024, 12, 23), dt.date(2024, 12, 24), dt.date(2024, 12, 26), dt.date(2024, 12, 27),
    dt.date(2024, 12, 30), dt.date(2024, 12, 31),
]  # fmt: skip


def make_rule(**overrides: Any) -> Rule:
    table: dict[str, Any] = {
        "name": "iwm_drawdown_10",
        "family": "risk",
        "indicator": "drawdown",
        "subject": "IWM",
        "direction": "below",
        "threshold": -0.10,
        "hysteresis": 0.05,
        "severity": "warning",
        "kind": "risk",
        "title": "IWM 10% below its peak",
        "meaning": "A correction in small caps.",
        "channels": ["console", "slack", "email"],
    }
    table.update(overrides)
    return parse_rule(table, 1, CHANNEL_NAMES)


def create_risk(
    con: duckdb.DuckDBPyConnection, drawdowns: Sequence[float | None], symbol: str = "IWM"
) -> None:
    """marts.risk with one row per session of SESSIONS carrying the given drawdowns."""
    con.execute(
        """create table if not exists marts.risk (symbol varchar, date date, value double,
           vol_21 double, vol_63 double, vol_252 double, drawdown double, max_drawdown double)"""
    )
    for day, dd in zip(SESSIONS, drawdowns, strict=False):
        con.execute(
            "insert into marts.risk values (?, ?, 100, 0.2, 0.2, 0.2, ?, ?)",
            [symbol, day, dd, dd],
        )


class SlackStandIn:
    """A real HTTP server on 127.0.0.1 that records webhook posts and answers from a script.

    ``answers`` is consumed one per request: an int status (200 answers ``ok``), a tuple
    (status, headers), or ``"hang"`` (read the body, never answer, until the test ends).
    When the script is empty it answers ``default``.
    """

    def __init__(self, answers: Sequence[Any] = (), default: Any = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.answers = list(answers)
        self.default = default
        self.posts: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.times: list[float] = []
        self._release = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json
                import time

                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                stand_in.posts.append(json.loads(body))
                stand_in.paths.append(self.path)
                stand_in.times.append(time.monotonic())
                answer = stand_in.answers.pop(0) if stand_in.answers else stand_in.default
                if answer == "hang":
                    stand_in._release.wait(30)
                    return
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                reply = b"ok" if status == 200 else b"rate_limited" if status == 429 else b"err"
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/services/T000SECRET/B000SECRET/xoxSECRETtoken"

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
