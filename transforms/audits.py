"""Audits: SQL assertions over the freshly built models, run inside the build's transaction.

A model can build without error and still be wrong: a key duplicated by a join, a negative
volatility, a 40% "daily move" from two adjustment bases, a pair's session computed without
one of its legs. Each ``sql/audits/<name>.sql`` is one ``select`` that returns the offending
rows (none means the audit passes), the way dbt tests and SQLMesh audits guard their models.
Its header declares a severity:

- ``-- severity: blocking``: a failure rolls the whole build back, so the previous marts (and,
  because the flow then skips publishing, the previous read-only copy) stay in place;
- ``-- severity: warning``: a failure is recorded and the build commits.

A blocking audit whose damage can be pinned on a subject declares the column of its rows that
names it, ``-- subject: symbol`` (or ``pair``): then only the subjects it names are held
(``transforms.isolation``: their rows in every mart keyed by that column stay as the previous
build left them), and the rest of the build is kept and published. A row whose subject is NULL
cannot be pinned on anyone, and a broken key (``unique_keys``) or any audit without a subject
still rolls the whole build back.

Either way a failure becomes an incident (``rotation.incidents``: source ``audits``, subject
the audit name, kind ``audit_failed``) whose one-line detail names the audit, how many rows
offend and a sample of them; the data-quality alert is made from that incident. An audit that
passes in a later build resolves its incident.

Audits take values as named DuckDB parameters (``$max_daily_move``), never by string
formatting; each audit is given exactly the parameters its SQL mentions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from rotation import incidents
from rotation.incidents import Incident
from rotation.settings import BreadthSettings, PricesSettings
from transforms.errors import AuditError

log = logging.getLogger(__name__)

AUDITS_FOLDER = "audits"
SEVERITIES = ("blocking", "warning")
INCIDENT_SOURCE = "audits"
INCIDENT_KIND = "audit_failed"
SAMPLE_ROWS = 3  # offending rows quoted in the incident and the log
DETAIL_MAX_CHARS = 600  # the incident detail is one line for a person, not a data dump

_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_SEVERITY = re.compile(r"^\s*--\s*severity\s*:\s*(?P<severity>\w+)\s*$", re.IGNORECASE | re.M)
_SUBJECT = re.compile(r"^\s*--\s*subject\s*:\s*(?P<subject>\S+)\s*$", re.IGNORECASE | re.M)
_COMMENTS_AND_STRINGS = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)
_PARAMETER = re.compile(r"\$(?P<name>[a-z_][a-z0-9_]*)", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?<![\w.\"])(?P<schema>staging|marts)\.(?P<name>[a-z_][a-z0-9_]*)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Audit:
    """One ``sql/audits/<name>.sql``: the query returning offending rows, and its severity."""

    name: str
    path: Path
    sql: str
    severity: str  # blocking | warning
    parameters: frozenset[str]
    depends_on: frozenset[str]
    subject: str | None = None  # the column naming whom an offending row is about

    def subjects_query(self) -> str:
        """The distinct subjects of every offending row (NULL among them: not pinned)."""
        return f"with audited as (\n{self.sql}\n)\nselect distinct {self.subject} from audited"

    def wrapped(self) -> str:
        """The audit run once, counted and sampled: its rows are materialised, then counted
        and the first ones read in the audit's own order (a window count could reorder)."""
        return (
            f"with audited as materialized (\n{self.sql}\n)\n"
            f"select (select count(*) from audited) as offending_rows, audited.*\n"
            f"from audited\nlimit {SAMPLE_ROWS}"
        )


@dataclass(frozen=True)
class AuditResult:
    """What one audit found in this build."""

    audit: str
    severity: str
    offending: int
    sample: tuple[dict[str, Any], ...]
    seconds: float
    # the subjects (the audit's ``-- subject:`` column) whose previous marts are kept; empty
    # when the audit passed, is a warning, or its damage cannot be pinned on subjects
    held: tuple[str, ...] = ()
    subject: str | None = None

    @property
    def failed(self) -> bool:
        return self.offending > 0

    @property
    def blocks(self) -> bool:
        """A failed blocking audit whose damage is not held to its subjects: the build must
        not be kept."""
        return self.failed and self.severity == "blocking" and not self.held

    def line(self) -> str:
        """One line for the log and the incident: the audit, the count and sample rows."""
        if not self.failed:
            return f"audit {self.audit} ({self.severity}) passed"
        rows = "; ".join(_format_row(row) for row in self.sample)
        unshown = self.offending - len(self.sample)
        more = f" and {unshown} more" if unshown > 0 else ""
        if self.blocks:
            outcome = "build rolled back, previous marts kept"
        elif self.held:
            shown = ", ".join(self.held[:SAMPLE_ROWS])
            extra = (
                f" and {len(self.held) - SAMPLE_ROWS} more" if len(self.held) > SAMPLE_ROWS else ""
            )
            outcome = (
                f"{self.subject} {shown}{extra} held at the previous marts, the rest of the "
                f"build kept"
            )
        else:
            outcome = "recorded, build kept (warning)"
        text = (
            f"audit {self.audit} ({self.severity}) found {self.offending} offending "
            f"row{'s' if self.offending != 1 else ''}: {rows}{more}; {outcome}"
        )
        return text if len(text) <= DETAIL_MAX_CHARS else text[: DETAIL_MAX_CHARS - 1] + "…"

    def as_dict(self) -> dict[str, object]:
        out = dataclasses.asdict(self)
        out["sample"] = [{k: _plain(v) for k, v in row.items()} for row in self.sample]
        return out


def _plain(value: object) -> object:
    """JSON-friendly: dates as ISO text, floats rounded for reading, NaN and infinity as text
    (an audit of impossible values can sample them, and JSON has no NaN)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # a SQL literal such as 0.25 is a DECIMAL
        value = float(value)
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else str(value)
    if isinstance(value, int | str | bool) or value is None:
        return value
    return str(value)


def _format_row(row: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={_plain(v)}" for k, v in row.items()) + "}"


def audit_parameters(
    prices: PricesSettings, stock_max_daily_move: float | None = None
) -> dict[str, object]:
    """The values audits may use, from the settings that already define them.

    The daily-move bounds are the price suite's: indices and funds ``[prices]
    max_daily_move``, single stocks (index members) ``stock_max_daily_move`` (``[breadth]
    max_daily_move``, its default when not given), and per-symbol overrides over both (^VIX
    doubles in a day), passed as two aligned lists that the SQL turns into a map.
    """
    overrides = dict(prices.max_daily_move_overrides)
    stock = (
        BreadthSettings().max_daily_move if stock_max_daily_move is None else stock_max_daily_move
    )
    return {
        "max_daily_move": float(prices.max_daily_move),
        "stock_max_daily_move": float(stock),
        "move_override_symbols": list(overrides),
        "move_override_limits": [float(v) for v in overrides.values()],
    }


def _read_audit(path: Path) -> Audit:
    name = path.stem
    if not _NAME.fullmatch(name):
        raise AuditError(f"{path}: audit file names must match [a-z_][a-z0-9_]*.sql")
    sql = path.read_text()
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise AuditError(f"{path}: does not parse: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name.lower() for s in statements) or "nothing"
        raise AuditError(
            f"{path}: an audit file holds exactly one select returning the offending rows "
            f"(found {kinds})"
        )
    declared = _SEVERITY.search(sql)
    severity = declared.group("severity").lower() if declared else ""
    if severity not in SEVERITIES:
        raise AuditError(
            f"{path}: the header must declare '-- severity: blocking' or '-- severity: warning'"
            + (f" (found {severity!r})" if declared else "")
        )
    subject = _SUBJECT.search(sql)
    if subject and not _NAME.fullmatch(subject.group("subject").lower()):
        raise AuditError(f"{path}: bad '-- subject:' line {subject.group(0).strip()!r}")
    code = _COMMENTS_AND_STRINGS.sub(" ", sql)
    return Audit(
        name=name,
        path=path,
        sql=sql.rstrip().removesuffix(";"),
        severity=severity,
        parameters=frozenset(m.group("name").lower() for m in _PARAMETER.finditer(code)),
        depends_on=frozenset(
            f"{m.group('schema').lower()}.{m.group('name').lower()}"
            for m in _REFERENCE.finditer(code)
        ),
        subject=subject.group("subject").lower() if subject else None,
    )


def discover_audits(sql_dir: Path, models: Iterable[str] | None = None) -> list[Audit]:
    """Every audit under ``sql_dir/audits``, by name. With ``models`` (qualified names of the
    models the build has), an audit that reads a model not among them raises AuditError."""
    folder = Path(sql_dir) / AUDITS_FOLDER
    if not folder.is_dir():
        return []
    audits = [_read_audit(path) for path in sorted(folder.glob("*.sql"))]
    if models is not None:
        known = set(models)
        for audit in audits:
            missing = sorted(audit.depends_on - known)
            if missing:
                raise AuditError(
                    f"{audit.path}: reads {', '.join(missing)}, which no model file defines"
                )
    return audits


def run_audit(
    con: duckdb.DuckDBPyConnection, audit: Audit, parameters: Mapping[str, object]
) -> AuditResult:
    """Run one audit on ``con`` (inside the caller's transaction) and return what it found."""
    missing = sorted(audit.parameters - parameters.keys())
    if missing:
        raise AuditError(f"{audit.path}: needs parameter(s) {', '.join(missing)}, not given")
    values = {name: parameters[name] for name in sorted(audit.parameters)}
    started = time.perf_counter()
    try:
        cursor = con.execute(audit.wrapped(), values)
        names = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        raise AuditError(f"{audit.path}: {type(exc).__name__}: {exc}") from exc
    sample = tuple(dict(zip(names[1:], row[1:], strict=True)) for row in rows)
    offending = int(rows[0][0]) if rows else 0
    held: tuple[str, ...] = ()
    if offending and audit.subject and audit.severity == "blocking":
        held = _subjects(con, audit, values)
    return AuditResult(
        audit.name,
        audit.severity,
        offending,
        sample,
        round(time.perf_counter() - started, 3),
        held,
        audit.subject,
    )


def _subjects(
    con: duckdb.DuckDBPyConnection, audit: Audit, values: Mapping[str, object]
) -> tuple[str, ...]:
    """The subjects an audit's offending rows name, sorted; () when one row names none (the
    damage is not pinned on a subject, so the whole build must go)."""
    try:
        found = [row[0] for row in con.execute(audit.subjects_query(), dict(values)).fetchall()]
    except duckdb.Error as exc:
        raise AuditError(
            f"{audit.path}: its rows have no subject column {audit.subject!r} ({exc})"
        ) from exc
    if not found or any(subject is None for subject in found):
        return ()
    return tuple(sorted(str(subject) for subject in found))


def run_audits(
    con: duckdb.DuckDBPyConnection, audits: Iterable[Audit], parameters: Mapping[str, object]
) -> list[AuditResult]:
    """Run every audit; log each failure as one line."""
    results = []
    for audit in audits:
        result = run_audit(con, audit, parameters)
        if result.failed:
            log.warning("%s", result.line())
        else:
            log.info("audit %s passed in %.3f s", result.audit, result.seconds)
        results.append(result)
    return results


@dataclass(frozen=True)
class AuditRun:
    """The run an audit's incidents belong to (``ops.incidents`` needs a run and a session)."""

    run_id: str
    session: dt.date | None = None


def record_incidents(
    con: duckdb.DuckDBPyConnection, results: Iterable[AuditResult], run: AuditRun
) -> list[Incident]:
    """Record each failed audit as an incident and resolve those of audits that now pass.

    Runs inside the caller's transaction. Returns the incidents that are new.
    """
    failed = [
        Incident(INCIDENT_SOURCE, r.audit, INCIDENT_KIND, r.line()) for r in results if r.failed
    ]
    new = incidents.record_all(con, failed, run_id=run.run_id, session=run.session)
    incidents.resolve_unseen(con, source=INCIDENT_SOURCE, kinds=[INCIDENT_KIND], run_id=run.run_id)
    return new
