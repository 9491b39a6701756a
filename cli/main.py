"""The ``rotation`` command: run, backfill, rebuild, status, query, alerts, serve, report.

The CLI is a composition root like the flows: it reads settings once and passes plain values
down. Commands that only read (``status``, ``query``) never import Prefect or Great
Expectations, so they answer in well under a second, and they open the published read-only
copy, so they never block the scheduled writer. Expected failures (no network, bad config, a
locked database, bad SQL) print one line and exit non-zero; only a bug prints a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rotation.settings import Settings, SettingsError, load_settings
from rotation.sql import read as read_sql

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
PREFECT_DEFAULTS = {
    # Telemetry off: no DNS errors offline, no SQLite "database is locked" noise.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # A fresh Prefect home migrates its database at first start: more than the 20 s default.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # The stages log through their own loggers: without this a run's page in the Prefect UI
    # lacks the rebases, quarantine counts and model timings.
    "PREFECT_LOGGING_EXTRA_LOGGERS": (
        "flows,pipeline,sources,quality,transforms,alerts,reporting,rotation"
    ),
    # The same loggers also log outside a flow run (the watchdog's thread, a command that
    # runs no flow): that is not worth a warning per line.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


class UserError(RuntimeError):
    """A failure the user can fix; printed as one line."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean "the world is not as needed", not "the code is wrong"."""
    from flows.limits import RunTimedOut
    from flows.preflight import PreflightError
    from rotation.db import DatabaseError

    errors: list[type[BaseException]] = [
        UserError, SettingsError, DatabaseError, PreflightError, RunTimedOut,
    ]  # fmt: skip
    try:
        from sources.prices import PriceFormatError, PriceSourceError

        errors += [PriceSourceError, PriceFormatError]
    except ImportError:  # pragma: no cover - sources always ships with the package
        pass
    for module, names in (
        ("sources.http", ("SourceError",)),
        ("transforms", ("ModelError",)),
        ("alerts", ("AlertsError",)),
        ("sources.replay", ("ReplayError",)),
    ):
        try:
            imported = __import__(module, fromlist=list(names))
        except ImportError:
            continue
        errors += [getattr(imported, n) for n in names if hasattr(imported, n)]
    return tuple(errors)


# ----------------------------------------------------------------------------- commands


def _before_a_run(settings: Settings) -> None:
    """Storage and lock checks (one line each, before Prefect's ~20 s start), and in
    ephemeral mode the reaper that ends Prefect's temporary server with this process."""
    from flows import preflight
    from flows.reaper import start_reaper

    preflight.check_storage(settings)
    preflight.check_lock_free(settings)
    if not os.environ.get("PREFECT_API_URL"):
        start_reaper()


def _run_lock(settings: Settings) -> Any:
    """The writer lock, taken here before Prefect starts and held for the whole run: two runs
    started within seconds both pass the preflight check, and the loser must fail (or wait, by
    ``[storage] lock_timeout_s``) with one line, not inside the flow with a traceback."""
    from rotation.db import run_lock

    return run_lock(settings.storage.path, timeout_s=settings.storage.lock_timeout_s)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from flows.preflight import check_session
    from rotation import calendar

    day = args.date or calendar.today_in_new_york()
    check_session(day)
    if not calendar.is_session(day):
        # Said before anything starts: no network, no Prefect, nothing written.
        print(f"{day} is not an NYSE session (weekend or holiday): nothing to do")
        return EXIT_OK
    if not args.replay:
        # Fail in seconds, before Prefect starts (~20 s) and before anything is written.
        from sources.yahoo import YAHOO_HOST, probe_reachable

        probe_reachable(*YAHOO_HOST, 5.0)
    elif not Path(args.replay).is_dir():
        raise UserError(f"replay folder {args.replay} does not exist")
    _before_a_run(settings)
    from flows.daily import daily_run

    with _run_lock(settings):
        summary = daily_run(as_of=day, replay_dir=args.replay, config_path=args.config)
    _print_summary(summary)
    return EXIT_OK if summary.get("status") in {"completed", "skipped"} else EXIT_ERROR


def cmd_backfill(settings: Settings, args: argparse.Namespace) -> int:
    from flows.preflight import check_session

    if args.end < args.start:
        raise UserError(f"--end {args.end} is before --start {args.start}")
    check_session(args.start, "--start")
    check_session(args.end, "--end")
    if not args.replay:
        from sources.yahoo import YAHOO_HOST, probe_reachable

        probe_reachable(*YAHOO_HOST, 5.0)
    _before_a_run(settings)
    from flows.daily import backfill

    with _run_lock(settings):
        summary = backfill(
            start=args.start,
            end=args.end,
            replay_dir=args.replay,
            config_path=args.config,
            chunk_sessions=args.chunk_sessions,
        )
    _print_summary(summary)
    return EXIT_OK if summary.get("status") == "completed" else EXIT_ERROR


def cmd_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Build every model in full from the stored prices: no fetch, no alerts, no Prefect.

    Daily runs update the price marts from what changed (``transforms.incremental``); this is
    the way to force a full build, e.g. after suspecting the marts, or to see the full cost.
    """
    import time

    from flows import preflight
    from pipeline.stages import build_models
    from rotation.db import publish_copy, writer_lock

    preflight.check_storage(settings)
    preflight.check_lock_free(settings)
    db_path = str(settings.storage.path)
    if not Path(db_path).exists():
        raise UserError(f"{db_path} does not exist: nothing to rebuild (run `rotation run` first)")
    started = time.perf_counter()
    with writer_lock(db_path):
        report = build_models(db_path, settings, full=True)
        if report.kept:  # readers see the rebuilt marts; a failed audit keeps the old copy
            publish_copy(
                db_path, settings.published_path, settings.storage.published_storage_version
            )
    print(f"{report.plan}; {report.line()} in {time.perf_counter() - started:.1f} s")
    return EXIT_OK if report.kept else EXIT_ERROR


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from cli.status import collect_status, render_status

    if args.check:
        return _status_check(settings)
    with _reader(settings) as con:
        status = collect_status(con, today=args.date or dt.date.today())
    if args.format == "json":
        print(json.dumps(status, default=str, indent=2))
    else:
        render_status(status)
    return EXIT_OK


def _status_check(settings: Settings) -> int:
    """``status --check``: one line, exit 0 when the due session's run completed, else 1."""
    from cli.status import check_runs

    due_after = dt.timedelta(minutes=settings.heartbeat.due_after_minutes)
    if not Path(settings.published_path).exists():  # reads the copy, never the working file
        print(f"STALE: no completed run published yet ({settings.published_path})", file=sys.stderr)
        return EXIT_ERROR
    with _reader(settings) as con:
        fresh, line = check_runs(con, dt.datetime.now(dt.UTC), due_after, settings.prices.symbols)
    print(line, file=sys.stdout if fresh else sys.stderr)
    return EXIT_OK if fresh else EXIT_ERROR


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    import duckdb

    from rotation.db import read_statement

    with _reader(settings) as con:
        statement = read_statement(con, args.sql)  # one read statement, or a one-line error
        try:
            frame = con.execute(statement).df()
        except duckdb.Error as exc:
            raise UserError(f"query failed: {str(exc).splitlines()[0]}") from None
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=2))
    else:
        from cli.status import print_frame

        print_frame(frame)
    return EXIT_OK


def cmd_alerts_test(settings: Settings, args: argparse.Namespace) -> int:
    import alerts

    configured = settings.alerts
    if args.channel:
        import dataclasses

        configured = dataclasses.replace(configured, channels=tuple(args.channel))
    results = alerts.send_test(alerts.build_channels(configured, settings.secrets))
    for channel, ok, message in results:
        print(f"{channel}: {'ok' if ok else 'FAILED'}: {message}")
    return EXIT_OK if all(ok for _, ok, _ in results) else EXIT_ERROR


def cmd_alerts_preview(settings: Settings, args: argparse.Namespace) -> int:
    import alerts
    from rotation import calendar

    rules = alerts.load_rules(settings.rules, settings.alerts)
    with _reader(settings, schema_hint=True) as con:
        as_of = args.date or _latest_session(con) or calendar.today_in_new_york()
        print(alerts.preview(con, rules, as_of))
    return EXIT_OK


def cmd_alerts_list(settings: Settings, args: argparse.Namespace) -> int:
    import alerts
    from cli.status import print_frame

    with _reader(settings, schema_hint=True) as con:
        events = alerts.list_events(con, args.since)
    if args.format == "csv":
        events.to_csv(sys.stdout, index=False)
    else:
        print_frame(events)
    return EXIT_OK


def cmd_alerts_silence(settings: Settings, args: argparse.Namespace) -> int:
    import alerts
    from rotation import calendar

    rules = alerts.load_rules(settings.rules, settings.alerts)
    known = {r.name: r.subject for r in rules} | {alerts.PIPELINE_FAILURE_RULE: "*"}
    with _writer(settings) as con:
        silence = alerts.add_silence(
            con,
            args.target,
            args.until,
            args.reason,
            known_rules=known,
            today=calendar.today_in_new_york(),
        )
    print(
        f"{silence.silence_id}: {silence.scope} silenced for sessions up to "
        f"{silence.until.isoformat()} ({silence.reason}); muted events are still recorded"
    )
    return EXIT_OK


def cmd_alerts_unsilence(settings: Settings, args: argparse.Namespace) -> int:
    import alerts

    with _writer(settings) as con:
        silence = alerts.remove_silence(con, args.silence_id)
    print(f"{silence.silence_id}: {silence.scope} no longer silenced")
    return EXIT_OK


def cmd_alerts_silences(settings: Settings, args: argparse.Namespace) -> int:
    import alerts
    from cli.status import print_frame
    from rotation import calendar

    with _reader(settings, schema_hint=True) as con:
        table = alerts.list_silences(con, calendar.today_in_new_york(), include_all=args.all)
    if table.empty:
        print("no silences" + ("" if args.all else " in place (--all shows expired ones)"))
    elif args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        print_frame(table)
    return EXIT_OK


def cmd_alerts_backtest(settings: Settings, args: argparse.Namespace) -> int:
    import alerts
    from cli.status import print_frame

    rules = alerts.load_rules(settings.rules, settings.alerts)
    with _reader(settings) as con:
        end = args.end or _latest_session(con)
        if end is None:
            raise UserError("no prices stored yet: run `rotation run` or `rotation backfill`")
        table = alerts.backtest(con, rules, args.start, end)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        print_frame(table)
    return EXIT_OK


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from reporting import write_report

    out = Path(args.out) if args.out else Path(settings.storage.path).parent / "reports"
    with _reader(settings) as con:
        page = write_report(con, args.date, out)
    print(page)
    return EXIT_OK


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if not os.environ.get("PREFECT_API_URL"):
        raise UserError(
            "rotation serve needs a Prefect server: run `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (see docs/operations.md)"
        )
    from flows.serve import serve_forever

    serve_forever(args.config)
    return EXIT_OK


def cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    from cli.shell import run_shell

    with _reader(settings) as con:
        run_shell(con)
    return EXIT_OK


# ----------------------------------------------------------------------------- helpers


def _latest_session(con: Any) -> dt.date | None:
    row = con.execute(read_sql("status/latest_prices.sql")).fetchone()
    return row[0] if row else None


class _reader:
    """Open the published copy as a reader (``rotation.db.reading``): never the working file.

    Before the first publish there is nothing to read: opening the working file instead would
    block the scheduled writer, so the command says what to do.
    """

    def __init__(self, settings: Settings, *, schema_hint: bool = False) -> None:
        self.settings = settings
        self.schema_hint = schema_hint

    def __enter__(self) -> Any:
        from rotation.db import connect

        published = Path(self.settings.published_path)
        if not published.exists():
            raise UserError(f"no published copy yet ({published}): run `rotation run` first")
        self.con = connect(published, read_only=True)
        return self.con

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.con.close()
        import duckdb

        if self.schema_hint and isinstance(exc, duckdb.CatalogException):
            # A copy published before an upgrade lacks the newer alert tables and columns.
            raise UserError(
                f"the published database predates this version ({str(exc).splitlines()[0]}): "
                "it is brought up to date by the next `rotation run`"
            ) from None


@contextmanager
def _writer(settings: Settings) -> Iterator[Any]:
    """Briefly take the writer lock, like a run, and write to the working database; then
    refresh the published copy so readers (``alerts silences``, ``alerts list``) see it."""
    from rotation.db import publish_copy, writer_lock, writing

    path = settings.storage.path
    if not path.startswith("md:") and not Path(path).exists():
        raise UserError(f"no database at {path} yet: run `rotation run` first")
    with writer_lock(path, timeout_s=settings.storage.lock_timeout_s):
        with writing(path) as con:
            yield con
        publish_copy(
            path, settings.published_path, settings.storage.published_storage_version
        )  # the configured format, as a run publishes: DuckDB 1.x readers keep reading


def _check_rules(settings: Settings) -> None:
    """Alert rules are checked before anything is fetched: a bad rule found at the alerts
    stage would fail a run whose prices were already committed."""
    import alerts

    rules = alerts.load_rules(settings.rules, settings.alerts)
    if settings.rules:  # the rules written in the settings file (not the embedded defaults)
        from alerts.rules import check_subjects

        check_subjects(rules, settings)


# Commands that fetch, deliver or evaluate rules; readers skip the check (and the import).
RULE_COMMANDS = {"run", "backfill", "serve", "alerts"}


def _print_summary(summary: dict[str, Any]) -> None:
    print(summary.get("message", summary))
    damage = summary.get("damage", [])
    for source in summary.get("sources", []):
        for message in source.get("messages", []):
            if not any(message in line for line in damage):  # said once, below
                print(f"  {source['source']}: {message}")
    for line in damage:  # contained: the rest of the run loaded
        print(f"  damage: {line}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rotation",
        description="Small-cap rotation monitor: daily ETL of prices, deal flow and macro "
        "into DuckDB, rotation indicators in SQL, alerts on Slack and e-mail.",
    )
    parser.add_argument(
        "--config", help="settings file (default: $ROTATION_CONFIG or ./rotation.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="one daily run (fetch, validate, load, build, alert)")
    run.add_argument("--date", type=_date, help="session to run for (default: today, New York)")
    run.add_argument("--replay", metavar="DIR", help="read recorded files from DIR/<source>/")
    run.set_defaults(handler=cmd_run)

    back = sub.add_parser("backfill", help="load history in chunks, resumable")
    back.add_argument("--start", type=_date, required=True)
    back.add_argument("--end", type=_date, default=dt.date.today())
    back.add_argument("--replay", metavar="DIR")
    back.add_argument(
        "--chunk-sessions", type=_positive, default=1260, help="sessions per chunk (>= 1)"
    )
    back.set_defaults(handler=cmd_backfill)

    rebuild = sub.add_parser(
        "rebuild", help="build every mart in full from the stored prices (no fetch, no alerts)"
    )
    rebuild.set_defaults(handler=cmd_rebuild)

    status = sub.add_parser("status", help="latest indicators, freshness, last run")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument(
        "--date", type=_date, help="judge freshness as of this day (default: today)"
    )
    status.add_argument(
        "--check",
        action="store_true",
        help="one line; exit 1 when the last completed run is older than the session due "
        "(for cron, systemd OnFailure= or a monitor)",
    )
    status.set_defaults(handler=cmd_status)

    query = sub.add_parser("query", help="read-only SQL against the published copy")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.set_defaults(handler=cmd_query)

    shell = sub.add_parser("shell", help="interactive read-only SQL prompt on the published copy")
    shell.set_defaults(handler=cmd_shell)

    report = sub.add_parser("report", help="HTML page and PNG charts for a session")
    report.add_argument("--date", type=_date, help="session (default: the latest with indicators)")
    report.add_argument(
        "--out", metavar="DIR", help="output folder (default: reports/ beside the database)"
    )
    report.set_defaults(handler=cmd_report)

    serve = sub.add_parser(
        "serve", help="run the schedules in this process (needs a Prefect server)"
    )
    serve.set_defaults(handler=cmd_serve)

    alerts = sub.add_parser("alerts", help="test channels, preview, list and backtest alerts")
    verbs = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    test = verbs.add_parser("test", help="send a clearly marked test message")
    test.add_argument(
        "--channel",
        action="append",
        choices=("console", "slack", "email", "alertmanager", "apprise"),
        help="only this channel (repeatable; default: the configured ones)",
    )
    test.set_defaults(handler=cmd_alerts_test)
    preview = verbs.add_parser("preview", help="what the latest data would send; sends nothing")
    preview.add_argument("--date", type=_date, help="session (default: latest stored)")
    preview.set_defaults(handler=cmd_alerts_preview)
    listing = verbs.add_parser("list", help="events and their delivery state")
    listing.add_argument("--since", type=_date)
    listing.add_argument("--format", choices=("table", "csv"), default="table")
    listing.set_defaults(handler=cmd_alerts_list)
    silence = verbs.add_parser(
        "silence", help="mute a rule (or one subject of it) up to a session; still recorded"
    )
    silence.add_argument("target", metavar="RULE[/SUBJECT]", help="e.g. iwm_drawdown_10/IWM")
    silence.add_argument(
        "--until", type=_date, required=True, help="last session muted (YYYY-MM-DD)"
    )
    silence.add_argument("--reason", required=True, help="why, for whoever reads it later")
    silence.set_defaults(handler=cmd_alerts_silence)
    silences = verbs.add_parser("silences", help="silences in place")
    silences.add_argument("--all", action="store_true", help="also expired and removed ones")
    silences.add_argument("--format", choices=("table", "csv"), default="table")
    silences.set_defaults(handler=cmd_alerts_silences)
    unsilence = verbs.add_parser("unsilence", help="remove a silence before it expires")
    unsilence.add_argument("silence_id", metavar="ID")
    unsilence.set_defaults(handler=cmd_alerts_unsilence)
    backtest = verbs.add_parser("backtest", help="how often each rule would have fired")
    backtest.add_argument("--start", type=_date, required=True)
    backtest.add_argument("--end", type=_date, help="default: latest stored session")
    backtest.add_argument("--format", choices=("table", "csv"), default="table")
    backtest.set_defaults(handler=cmd_alerts_backtest)
    return parser


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (``systemctl stop``, ``kill``) ends a run like Ctrl-C: the run is recorded as
    failed, its failure hook alerts and pings the heartbeat, and Prefect stops its server."""
    from flows.limits import Stopped

    Stopped.signal = signum
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("run", "backfill"):  # serve keeps Prefect's own shutdown handling
        signal.signal(signal.SIGTERM, _terminated)
    expected = _expected_errors()
    try:
        settings = load_settings(args.config)
        if args.command in RULE_COMMANDS:
            _check_rules(settings)
        return int(args.handler(settings, args))
    except expected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BaseException:
        from flows.limits import Stopped

        if Stopped.signal is None:
            raise
        # Whatever the signal surfaced as inside (SystemExit, DuckDB's "Query interrupted").
        print(f"error: {Stopped.message()}; the run is recorded as failed", file=sys.stderr)
        return 128 + Stopped.signal


if __name__ == "__main__":
    sys.exit(main())
