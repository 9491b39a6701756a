"""A database built once per session from the real recorded data, for the report tests.

Built with the pipeline's own stages (``real_db.py``) in pytest's temporary folder, then alert
rules are evaluated for the last session so the report has real events to show. Tests open it
read-only, as the report does in production (the published copy).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.reporting.real_db import AS_OF, RUN_ID, build_real_database, make_replay_folder


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("reporting-db")
    replay = make_replay_folder(root / "replay", shared_data)
    db = root / "rotation.duckdb"
    summary = build_real_database(db, replay)
    from alerts import evaluate, load_rules

    con = duckdb.connect(str(db))
    try:
        for day in (dt.date(2025, 9, 24), dt.date(2025, 9, 25), AS_OF):
            evaluate(con, load_rules([]), day, RUN_ID, deliverable=False)
    finally:
        con.close()
    return {"db": db, "summary": summary}


@pytest.fixture
def real_con(real_build: dict[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(real_build["db"]), read_only=True)
    yield con
    con.close()
