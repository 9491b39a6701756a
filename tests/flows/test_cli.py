"""The ``rotation`` command as a user runs it: one-line errors, read-only queries, status."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]


def rotation(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )  # fmt: skip


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_live_run_without_network_fails_in_seconds_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "data" / "rotation.duckdb"
    # Every HTTPS connection goes through a proxy on a closed loopback port: no network.
    env = {"ROTATION_STORAGE_PATH": str(db), "HTTPS_PROXY": f"http://127.0.0.1:{closed_port()}",
           "NO_PROXY": ""}  # fmt: skip
    started = time.monotonic()
    result = rotation("run", "--date", "2025-09-26", env=env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: cannot reach Yahoo Finance")
    assert "Traceback" not in result.stderr
    assert elapsed < 15
    assert not db.exists() and not db.parent.exists()


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[prices]\nlookback_sesions = 3\n")
    result = rotation("--config", str(config), "status", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "unknown setting(s) in [prices]: lookback_sesions" in result.stderr


def test_status_and_query_before_any_run_say_what_to_do(tmp_path: Path) -> None:
    result = rotation("status", env={"ROTATION_STORAGE_PATH": str(tmp_path / "x.duckdb")},
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1 and "run `rotation run` first" in result.stderr


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """A working database with one run, and its published copy beside it (r.read.duckdb)."""
    from rotation.db import migrate, publish_copy

    db = tmp_path / "r.duckdb"
    con = duckdb.connect(str(db))
    migrate(con)
    con.execute(
        "insert into ops.runs (run_id, flow, as_of, started_at, finished_at, status, message) "
        "values ('r1', 'daily-run', '2025-09-26', now(), now(), 'completed', 'all good')"
    )
    con.close()
    publish_copy(db, db.with_name("r.read.duckdb"))
    return db


def test_readers_never_open_the_working_file(small_db: Path, tmp_path: Path) -> None:
    """Before the first publish: one line saying what to do, not the working file (whose
    banner would say "published copy" while blocking the writer)."""
    small_db.with_name("r.read.duckdb").unlink()
    env = {"ROTATION_STORAGE_PATH": str(small_db)}
    for args in (("query", "select 1"), ("status",), ("shell",), ("report",)):
        result = rotation(*args, env=env, cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr.startswith("error: no published copy yet"), result.stderr
        assert "run `rotation run` first" in result.stderr and result.stderr.count("\n") == 1


def test_query_formats_and_read_only(small_db: Path, tmp_path: Path) -> None:
    env = {"ROTATION_STORAGE_PATH": str(small_db)}
    as_json = rotation("query", "select run_id, status from ops.runs", "--format", "json",
                       env=env, cwd=tmp_path)  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [{"run_id": "r1", "status": "completed"}]
    as_csv = rotation("query", "select run_id from ops.runs", "--format", "csv", env=env,
                      cwd=tmp_path)  # fmt: skip
    assert as_csv.stdout.splitlines() == ["run_id", "r1"]
    write = rotation("query", "delete from ops.runs", env=env, cwd=tmp_path)
    assert write.returncode == 1
    assert write.stderr.startswith("error: DELETE statements are refused")
    assert "read-only" in write.stderr
    bad = rotation("query", "select * from nowhere", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr


def test_status_shows_the_last_run(small_db: Path, tmp_path: Path) -> None:
    result = rotation("status", env={"ROTATION_STORAGE_PATH": str(small_db), "COLUMNS": "120"},
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "daily-run for 2025-09-26: completed" in result.stdout
    as_json = rotation("status", "--format", "json", env={"ROTATION_STORAGE_PATH": str(small_db)},
                       cwd=tmp_path)  # fmt: skip
    assert json.loads(as_json.stdout)["last_run"]["status"] == "completed"


def test_a_locked_database_is_one_line(small_db: Path, tmp_path: Path) -> None:
    published = small_db.with_name("r.read.duckdb")  # someone holds the copy read-write
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(published)!r}); print('open', flush=True);"
         " time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        env = {"ROTATION_STORAGE_PATH": str(small_db)}
        result = rotation("query", "select 1", env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert "in use by another process" in result.stderr and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_every_command_is_documented_in_the_readme() -> None:
    from cli.main import build_parser

    readme = (REPO / "README.md").read_text()
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [c for c in commands if f"rotation {c}" not in readme]
    assert not missing, f"commands not in README.md: {missing}"


def test_a_closed_day_says_so_without_network_or_writes(tmp_path: Path) -> None:
    db = tmp_path / "data" / "rotation.duckdb"
    env = {"ROTATION_STORAGE_PATH": str(db), "HTTPS_PROXY": f"http://127.0.0.1:{closed_port()}"}
    result = rotation("run", "--date", "2025-12-25", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2025-12-25 is not an NYSE session" in result.stdout
    assert not db.parent.exists()


def _lock_is_free(db: Path) -> bool:
    import fcntl

    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.fixture
def run_config(tmp_path: Path) -> tuple[Path, Path, Path]:
    db = tmp_path / "data" / "rotation.duckdb"
    replay = tmp_path / "replay"
    replay.mkdir()
    config = tmp_path / "rotation.toml"
    config.write_text(f'[storage]\npath = "{db}"\n')
    return config, db, replay


def test_the_writer_lock_is_held_before_prefect_starts(
    run_config: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: the lock was checked before Prefect started but taken inside the flow."""
    import flows.daily
    from cli.main import main
    from rotation.db import writer_lock

    config, db, replay = run_config
    seen: list[bool] = []

    def flow(**_: object) -> dict[str, str]:
        seen.append(_lock_is_free(db))
        with writer_lock(db):  # the flow takes it again: re-entrant in the same process
            pass
        return {"status": "completed", "message": "ok"}

    monkeypatch.setattr(flows.daily, "daily_run", flow)
    monkeypatch.setattr("flows.reaper.start_reaper", lambda: None)
    assert main(["--config", str(config), "run", "--replay", str(replay),
                 "--date", "2025-09-26"]) == 0  # fmt: skip
    assert seen == [False]  # held by the command while the flow ran
    assert _lock_is_free(db)  # and released after


def test_the_loser_of_two_runs_started_together_gets_one_line(
    run_config: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both runs pass the preflight check; the other takes the lock before this one's flow."""
    import flows.daily
    import flows.preflight
    from cli.main import main

    config, db, replay = run_config
    db.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time; sys.path.insert(0, sys.argv[2])\n"
            "from rotation.db import writer_lock\n"
            "with writer_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)"
        ), str(db), str(REPO)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started: list[object] = []
        monkeypatch.setattr(flows.daily, "daily_run", lambda **kw: started.append(kw))
        monkeypatch.setattr(flows.preflight, "check_lock_free", lambda settings: None)
        monkeypatch.setattr("flows.reaper.start_reaper", lambda: None)
        code = main(["--config", str(config), "run", "--replay", str(replay),
                     "--date", "2025-09-26"])  # fmt: skip
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and started == []
        assert err == [f"error: another writer (pid {holder.pid}) is running against {db}"]
    finally:
        holder.kill()
        holder.wait()
