"""`rotation alerts silence / silences / unsilence` and the alert stage's pipeline-health and
context, on a real DuckDB file in tmp_path (no Prefect flow run needed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cli.main import main
from rotation.db import writer_lock, writing
from rotation.runs import start_run


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "rotation.duckdb"
    db.parent.mkdir()
    with writing(db):
        pass
    path = tmp_path / "rotation.toml"
    path.write_text(
        f'[storage]\npath = "{db}"\n\n[alerts]\nconsole_jsonl_path = "{tmp_path / "a.jsonl"}"\n'
    )
    return path


def test_silence_list_and_unsilence_take_the_writer_lock_briefly(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config), "alerts"]
    assert main([*args, "silence", "iwm_spy_below_ma200/IWM/SPY", "--until", "2099-01-01",
                 "--reason", "known, see ticket 42"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    silence_id = out.split(":")[0]
    assert silence_id.startswith("s-") and "iwm_spy_below_ma200/IWM/SPY" in out
    assert main([*args, "silences"]) == 0
    assert silence_id in capsys.readouterr().out
    assert main([*args, "silences", "--format", "csv"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("silence_id,rule,subject,until_date,state,reason")
    assert listed[1].startswith(
        f'{silence_id},iwm_spy_below_ma200,IWM/SPY,2099-01-01,active,"known, see ticket 42",0,'
    )
    db = str(config.parent / "data" / "rotation.duckdb")
    with writer_lock(db):  # a run is writing: the command says so in one line
        assert main([*args, "unsilence", silence_id]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: another writer") and "Traceback" not in err
    assert main([*args, "unsilence", silence_id]) == 0
    assert main([*args, "silences"]) == 0
    assert "no silences in place" in capsys.readouterr().out
    assert main([*args, "silence", "no_such_rule", "--until", "2099-01-01", "--reason", "x"]) == 1
    assert "no rule 'no_such_rule'" in capsys.readouterr().err


def test_a_good_run_resolves_the_failure_and_messages_carry_their_links(
    config: Path, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipeline import stages
    from rotation.settings import load_settings

    settings = load_settings(config)
    db = settings.storage.path
    day = dt.date(2025, 9, 26)
    with writing(db) as con:
        start_run(con, "run-bad", "daily-run", day)
    stages.record_failure_alert(db, settings, "run-bad", "daily-run", "fred: timed out")
    with writing(db) as con:
        start_run(con, "run-good", "daily-run", day)
    from flows.daily import run_page_url

    # Ephemeral mode (no API URL), also when the session's Prefect test server already runs
    # (under xdist another test file may have started it in this process).
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert run_page_url("run-good") == ""  # ephemeral: no server page outlives the run
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        url = run_page_url("run-good")
    outcome = stages.evaluate_and_deliver_alerts(db, settings, day, "run-good", run_url=url)
    assert outcome["new_events"] == 1  # the resolution (no models built: rules skipped)
    sent = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [(x["transition"], x["run_url"]) for x in sent] == [
        ("fired", None),  # ephemeral: no server page outlives the run
        ("resolved", "http://127.0.0.1:4200/flow-runs/flow-run/run-good"),
    ]
    assert sent[1]["report"] == str(Path(db).parent / "reports" / "report-2025-09-26.html")


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_a_failed_flow_run_then_a_good_one_sends_failed_then_resolved(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real flows: the failure hook stores and sends 'Pipeline run failed'; the
    next daily run of the same flow sends 'Pipeline runs again' through the outbox."""
    from flows.daily import daily_run
    from sources.prices import PriceSourceError
    from tests.flows.conftest import make_replay

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "data" / "rotation.duckdb"
    monkeypatch.setenv("ROTATION_STORAGE_PATH", str(db))
    monkeypatch.setenv("ROTATION_PRICES_SYMBOLS", "IWM,SPY")
    monkeypatch.setenv("ROTATION_PRICES_PAIRS", "IWM/SPY")
    monkeypatch.delenv("ROTATION_CONFIG", raising=False)
    broken = tmp_path / "broken"
    (broken / "edgar").mkdir(parents=True)  # no prices/: the run fails (a bad file would not)
    with pytest.raises(PriceSourceError, match=r"has no prices/ sub-folder"):
        daily_run(as_of=dt.date(2026, 3, 9), replay_dir=str(broken))
    good = make_replay(tmp_path / "good", shared_data, "yfinance-2026-03-10")
    summary = daily_run(as_of=dt.date(2026, 3, 10), replay_dir=str(good))
    assert summary["status"].startswith("completed")
    sent = [json.loads(x) for x in (tmp_path / "data" / "alerts.jsonl").read_text().splitlines()]
    pipeline = [
        (x["rule"], x["subject"], x["transition"]) for x in sent if x["kind"] == "pipeline_health"
    ]
    assert pipeline == [
        ("pipeline_failed", "daily-run", "fired"),
        ("pipeline_failed", "daily-run", "resolved"),
    ]


def _published_storage(published: Path) -> str:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{published}' as copy (read_only)")
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = 'copy'"
        ).fetchone()
        return str(tags[0]["storage_version"]) if tags else ""
    finally:
        con.close()


def test_silence_and_unsilence_publish_in_the_configured_storage_version(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A silence republishes the copy; in DuckDB 2.0's own format it would lock 1.x readers
    out until the next run ([storage] published_storage_version, issue 15)."""
    from rotation.settings import StorageSettings

    version = StorageSettings().published_storage_version
    assert version  # the default keeps 1.x readers
    published = tmp_path / "data" / "rotation.read.duckdb"
    args = ["--config", str(config), "alerts"]
    assert main([*args, "silence", "iwm_spy_below_ma200", "--until", "2099-01-01",
                 "--reason", "x"]) == 0  # fmt: skip
    silence_id = capsys.readouterr().out.split(":")[0]
    assert _published_storage(published) == f"{version}+"
    published.unlink()
    assert main([*args, "unsilence", silence_id]) == 0
    assert _published_storage(published) == f"{version}+"
