"""Filesystem, calendar, argument and lock problems are one line, before Prefect starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rotation.db import writer_lock

REPO = Path(__file__).resolve().parents[2]


def rotation(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], starts: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(starts), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    (tmp_path / "replay" / "prices").mkdir(parents=True)
    return tmp_path / "replay"


def test_storage_under_a_file_is_one_line(tmp_path: Path, replay: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = rotation("run", "--replay", str(replay), "--date", "2025-09-26", cwd=tmp_path,
                      ROTATION_STORAGE_PATH=str(tmp_path / "afile" / "r.duckdb"))  # fmt: skip
    one_line(result, f"error: [storage] path {tmp_path}/afile/r.duckdb is unusable: ")
    assert "is a file, not a folder" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_line(tmp_path: Path, replay: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    result = rotation("run", "--replay", str(replay), "--date", "2025-09-26", cwd=tmp_path,
                      ROTATION_STORAGE_PATH=str(folder / "r.duckdb"))  # fmt: skip
    one_line(result, "error: [storage] path ")
    assert "cannot write in" in result.stderr


def test_the_alerts_log_path_is_checked_too(tmp_path: Path, replay: Path) -> None:
    (tmp_path / "afile").write_text("")
    env = {
        "ROTATION_STORAGE_PATH": str(tmp_path / "d" / "r.duckdb"),
        "ROTATION_ALERTS_CONSOLE_JSONL_PATH": str(tmp_path / "afile" / "a.jsonl"),
    }
    result = rotation("run", "--replay", str(replay), "--date", "2025-09-26", cwd=tmp_path, **env)
    one_line(result, "error: [alerts] console_jsonl_path ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--date", "2030-03-11"], "error: --date 2030-03-11 is beyond the NYSE calendar"),
        (["backfill", "--start", "2025-01-02", "--end", "2031-01-02"],
         "error: --end 2031-01-02 is beyond the NYSE calendar"),
    ],
)  # fmt: skip
def test_a_date_beyond_the_calendar_is_one_line(
    args: list[str], message: str, tmp_path: Path, replay: Path
) -> None:
    result = rotation(*args, "--replay", str(replay), cwd=tmp_path,
                      ROTATION_STORAGE_PATH=str(tmp_path / "r.duckdb"))  # fmt: skip
    one_line(result, message)


def test_zero_chunk_sessions_is_a_usage_error(tmp_path: Path, replay: Path) -> None:
    result = rotation("backfill", "--start", "2025-01-02", "--end", "2025-03-03",
                      "--replay", str(replay), "--chunk-sessions", "0", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--chunk-sessions: must be at least 1, got 0" in result.stderr


def test_a_held_lock_with_no_timeout_fails_at_once(tmp_path: Path, replay: Path) -> None:
    db = tmp_path / "r.duckdb"
    with writer_lock(db):
        started = time.monotonic()
        env = {"ROTATION_STORAGE_PATH": str(db), "ROTATION_STORAGE_LOCK_TIMEOUT_S": "0"}
        result = rotation(
            "run", "--replay", str(replay), "--date", "2025-09-26", cwd=tmp_path, **env
        )
        took = time.monotonic() - started
    one_line(result, f"error: another writer (pid {os.getpid()}) is running against {db}")
    assert "lock_timeout_s = 0" in result.stderr
    assert took < 10  # was 81 s: the failure hook waited 60 s for the same lock
