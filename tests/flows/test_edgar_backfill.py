"""A throttled EDGAR backfill against a loopback SEC stand-in: nothing recorded that was not
read, no request during the cool-down, and the resumed backfill loads every quarter."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipeline.clients import Clients
from pipeline.edgar_backfill import INCOMPLETE, load_edgar_quarters
from rotation.db import SCHEMA_DIR, migrate
from rotation.settings import load_settings
from sources.http import COOLDOWNS

UA = "Rotation Monitor Tests ops@rotation.example"
THROTTLE_PAGE = (
    b"<html><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head><body>"
    b"Your Request Originates from an Undeclared Automated Tool</body></html>"
)
QUARTERS = [(1993, 4), (1993, 3), (1993, 2)]


class StandIn:
    """Serves one real quarterly master index for every quarter; throttles when told to.

    The real file is 1993 Q4's; for an earlier quarter its filing dates are moved into that
    quarter (same day, month shifted), since the loader rightly quarantines a filing dated
    after its index's period.
    """

    def __init__(self, index: bytes) -> None:
        self.index = index
        self.throttle: set[str] = set()  # paths answered once with the SEC's 403 page
        self.requests: list[str] = []


def _in_quarter(q4_index: bytes, quarter: int) -> bytes:
    """The 1993 Q4 index with each ``|1993-MM-DD`` date moved ``4 - quarter`` quarters back
    (a 31st becomes the month's last day)."""

    def shift(match: re.Match[bytes]) -> bytes:
        month = int(match[1]) - 3 * (4 - quarter)
        day = min(int(match[2]), calendar.monthrange(1993, month)[1])
        return b"|1993-%02d-%02d|" % (month, day)

    return re.sub(rb"\|1993-(1[0-2])-(\d\d)\|", shift, q4_index)


@pytest.fixture
def sec(shared_data: Path) -> Iterator[tuple[str, StandIn]]:
    state = StandIn((shared_data / "edgar" / "master.1993QTR4.excerpt.idx").read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path in state.throttle:
                state.throttle.discard(self.path)
                status, body = 403, THROTTLE_PAGE
            elif self.path.startswith("/Archives/edgar/full-index/"):
                quarter = int(self.path.split("/")[5].removeprefix("QTR"))
                status, body = 200, _in_quarter(state.index, quarter)
            else:
                status, body = 404, b"<html>Not Found</html>"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    COOLDOWNS.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        COOLDOWNS.clear()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def read(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_throttled_backfill_resumes_and_loads_every_quarter(
    sec: tuple[str, StandIn], tmp_path: Path
) -> None:
    url, state = sec
    db = tmp_path / "r.duckdb"
    settings = load_settings(
        None,
        env={
            "ROTATION_STORAGE_PATH": str(db),
            "ROTATION_EDGAR_USER_AGENT": UA,
            "ROTATION_EDGAR_BASE_URL": url,
            "ROTATION_EDGAR_THROTTLE_COOLDOWN_S": "1.5",
        },
    )
    state.throttle = {"/Archives/edgar/full-index/1993/QTR3/master.idx"}

    load_edgar_quarters(
        str(db), settings, Clients.live(settings), QUARTERS, run_id="run-1", session=None
    )

    # Q4 read, Q3 throttled, Q2 never asked: nothing goes to the SEC during the cool-down.
    assert [p.split("/")[5] for p in state.requests] == ["QTR4", "QTR3"]
    assert read(db, "select chunk_start from ops.backfill_chunks") == [(dt.date(1993, 10, 1),)]
    (incident,) = read(db, "select subject, kind, detail from ops.incidents")
    assert incident[:2] == ("master.1993QTR3.idx", INCOMPLETE)
    assert "HTTP 403" in str(incident[2]) and "Request Rate Threshold" in str(incident[2])

    time.sleep(1.6)  # the cool-down ends
    load_edgar_quarters(
        str(db), settings, Clients.live(settings), QUARTERS, run_id="run-2", session=None
    )

    assert [p.split("/")[5] for p in state.requests[2:]] == ["QTR3", "QTR2"]  # Q4 skipped
    marked = read(db, "select chunk_start from ops.backfill_chunks order by 1")
    assert marked == [(dt.date(1993, q * 3 - 2, 1),) for q in (2, 3, 4)]
    files = read(db, "select index_file, status from raw.edgar_index_files order by 1")
    assert files == [(f"master.1993QTR{q}.idx", "loaded") for q in (2, 3, 4)]
    assert read(db, "select resolved_run_id from ops.incidents") == [("run-2",)]


def test_a_page_instead_of_an_index_is_not_a_loaded_quarter(
    sec: tuple[str, StandIn], tmp_path: Path
) -> None:
    url, state = sec
    state.index = b"<html><body>Maintenance</body></html>"  # 200, but no index in it
    db = tmp_path / "r.duckdb"
    settings = load_settings(
        None,
        env={"ROTATION_STORAGE_PATH": str(db), "ROTATION_EDGAR_USER_AGENT": UA,
             "ROTATION_EDGAR_BASE_URL": url},
    )  # fmt: skip
    load_edgar_quarters(
        str(db), settings, Clients.live(settings), QUARTERS[:1], run_id="r", session=None
    )
    assert read(db, "select count(*) from ops.backfill_chunks") == [(0,)]
    assert read(db, "select subject, kind from ops.incidents") == [
        ("master.1993QTR4.idx", INCOMPLETE)
    ]


def test_migration_forgets_quarters_marked_without_their_index(tmp_path: Path) -> None:
    """Databases written before the fix: a throttled quarter was marked loaded anyway."""
    older = tmp_path / "schema"
    older.mkdir()
    for path in SCHEMA_DIR.glob("*.sql"):
        if int(path.name[:3]) < 60:
            shutil.copy(path, older / path.name)
    con = duckdb.connect()
    migrate(con, older)
    con.execute(
        """insert into ops.backfill_chunks (scope, chunk_start, chunk_end, run_id) values
           ('edgar@live', '1993-10-01', '1993-12-31', 'r'),
           ('edgar@live', '1993-07-01', '1993-09-30', 'r'),
           ('prices:SPY@live', '1993-07-01', '1993-09-30', 'r')"""
    )
    con.execute(
        """insert into raw.edgar_index_files values ('master.1993QTR4.idx', '1993-10-01',
           '1993-12-31', 'loaded', 30, 'u', now(), 'r')"""
    )
    migrate(con)
    rows = con.execute("select scope, chunk_start from ops.backfill_chunks order by 1").fetchall()
    assert rows == [("edgar@live", dt.date(1993, 10, 1)), ("prices:SPY@live", dt.date(1993, 7, 1))]
