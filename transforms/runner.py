"""The SQL model runner: every ``sql/<layer>/<name>.sql`` becomes ``<layer>.<name>``.

The folder is the schema and the file name the object, so "one object per file, named after
the file" holds by construction: a model file holds one ``select`` (CTEs first) and the runner
writes the ``create`` around it. Staging models become views (cheap, always current), marts
become tables (what the alert rules and ``rotation status`` read many times). A model whose
header comment declares ``-- parameters: a, b`` becomes a DuckDB table macro
``<layer>.<name>(a, b)``, for results that depend on a value chosen at query time
(``marts.cumulative_return(start_date)``).

Dependencies are the ``<layer>.<name>`` tokens a model's SQL mentions outside comments and
string literals, so the build order follows the SQL with no hand-kept list to drift. The whole
build is one transaction: a model that fails rolls every model back, and readers of the
previous build never see a half-built set of marts. The audits of ``sql/audits``
(``transforms.audits``) run at the end of that transaction, on the new models before anyone
can read them: a failed blocking audit rolls the build back like a failed model, so the
previous marts stay.

With ``incremental=True`` (daily runs, backfills) the five price marts are updated in place from
what changed since the last build instead (``transforms.incremental``, proven equal to a full
build); ``BuildReport.plan`` says which build it was and, for a full one, why. Likewise
``marts.earnings_ttm`` is recomputed only for the companies whose facts or split events changed
(``transforms.incremental_earnings``; ``BuildReport.earnings_plan``).

Identifiers are formatted into the ``create`` statement because DDL cannot take them as
parameters; they come from file names checked against ``[a-z_][a-z0-9_]*`` first.
"""

from __future__ import annotations

import dataclasses
import graphlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rotation.db import SQL_DIR
from rotation.settings import PricesSettings
from rotation.sql import read as read_sql
from transforms import incremental as incremental_build
from transforms import incremental_earnings
from transforms.audits import (
    Audit,
    AuditResult,
    AuditRun,
    audit_parameters,
    discover_audits,
    record_incidents,
    run_audits,
)
from transforms.errors import ModelError
from transforms.grain import Grain, read_grain, unique_key_audit
from transforms.isolation import HeldRows, held_subjects, hold

log = logging.getLogger(__name__)

# Layer folder -> what its files become. sql/schema (migrations) and sql/alerts (rule
# queries run by alerts/) are deliberately not model layers.
LAYERS: dict[str, str] = {"staging": "view", "marts": "table"}

_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_PARAMETERS = re.compile(r"^\s*--\s*parameters\s*:\s*(?P<names>.*)$", re.IGNORECASE | re.MULTILINE)
# Comments and string literals, removed before looking for references to other models.
_COMMENTS_AND_STRINGS = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)
_REFERENCE = re.compile(
    r"(?<![\w.\"])(?P<schema>" + "|".join(LAYERS) + r")\.(?P<name>[a-z_][a-z0-9_]*)\b",
    re.IGNORECASE,
)


class ModelBuildError(ModelError):
    """A model failed while building; the whole build was rolled back."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message} (the build was rolled back; nothing changed)")
        self.path = path


@dataclass(frozen=True)
class Model:
    """One SQL file and the object it produces."""

    schema: str
    name: str
    path: Path
    sql: str
    kind: str  # view | table | macro
    parameters: tuple[str, ...] = ()
    depends_on: frozenset[str] = frozenset()
    grain: Grain | None = None  # the header's '-- grain:' (transforms.grain)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def create_statement(self) -> str:
        """The DDL that builds this model (the newline keeps a trailing comment harmless)."""
        if self.kind == "macro":
            params = ", ".join(self.parameters)
            head = f"create or replace macro {self.qualified_name}({params}) as table"
        else:
            head = f"create or replace {self.kind} {self.qualified_name} as"
        return f"{head}\n{self.sql}\n"


@dataclass(frozen=True)
class ModelResult:
    """What one model's build did: the report the flow logs and stores in ``ops.runs``."""

    model: str
    kind: str
    rows: int | None  # None for views and macros: they are computed when read
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _read_model(path: Path, schema: str) -> Model:
    name = path.stem
    if not _NAME.fullmatch(name):
        raise ModelError(f"{path}: model file names must match [a-z_][a-z0-9_]*.sql")
    sql = path.read_text()
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ModelError(f"{path}: does not parse: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name.lower() for s in statements) or "nothing"
        raise ModelError(
            f"{path}: a model file holds exactly one select statement (found {kinds}); "
            "the runner writes the create around it"
        )
    parameters: tuple[str, ...] = ()
    declared = _PARAMETERS.search(sql)
    if declared:
        parameters = tuple(p.strip() for p in declared.group("names").split(",") if p.strip())
        bad = [p for p in parameters if not _NAME.fullmatch(p)]
        if bad or not parameters:
            raise ModelError(f"{path}: bad '-- parameters:' line {declared.group(0).strip()!r}")
    code = _COMMENTS_AND_STRINGS.sub(" ", sql)
    depends_on = frozenset(
        f"{m.group('schema').lower()}.{m.group('name').lower()}" for m in _REFERENCE.finditer(code)
    )
    kind = "macro" if parameters else LAYERS[schema]
    grain = read_grain(path, f"{schema}.{name}", sql)
    if grain is not None and kind != "table":
        raise ModelError(f"{path}: a '-- grain:' header belongs on a table model, not a {kind}")
    if grain is not None and grain.matches is not None:
        depends_on |= {grain.matches}
    return Model(
        schema=schema,
        name=name,
        path=path,
        sql=sql,
        kind=kind,
        parameters=parameters,
        depends_on=depends_on,
        grain=grain,
    )


def discover_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model under the layer folders of ``sql_dir``, in build (dependency) order.

    Raises ModelError naming the files when a model refers to one that does not exist, when
    models refer to each other in a cycle, or when a file is not a single select.
    """
    models: dict[str, Model] = {}
    for schema in LAYERS:
        folder = Path(sql_dir) / schema
        if not folder.is_dir():
            continue
        nested = sorted(p for p in folder.rglob("*.sql") if p.parent != folder)
        if nested:
            raise ModelError(
                f"{nested[0]}: model files sit directly in {folder} (the folder is the schema); "
                "sub-folders are not built"
            )
        for path in sorted(folder.glob("*.sql")):
            model = _read_model(path, schema)
            models[model.qualified_name] = model

    for model in models.values():
        missing = sorted(model.depends_on - models.keys())
        if missing:
            raise ModelError(
                f"{model.path}: refers to {', '.join(missing)}, which no model file defines "
                f"(expected {', '.join(_expected_path(sql_dir, m) for m in missing)})"
            )

    sorter = graphlib.TopologicalSorter(
        {name: sorted(models[name].depends_on) for name in sorted(models)}
    )
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        files = " -> ".join(str(models[name].path) for name in cycle)
        raise ModelError(f"models refer to each other in a cycle: {files}") from None
    return [models[name] for name in order]


def project_audits(sql_dir: Path = SQL_DIR, models: list[Model] | None = None) -> list[Audit]:
    """Every audit the build runs: the files of ``sql/audits`` and the ``unique_keys`` audit
    generated from the models' ``-- grain:`` headers (``transforms.grain``)."""
    models = discover_models(sql_dir) if models is None else models
    audits = discover_audits(sql_dir, (m.qualified_name for m in models))
    generated = unique_key_audit(
        (m.grain for m in models if m.grain is not None), Path(sql_dir) / "marts"
    )
    return audits + ([generated] if generated is not None else [])


def _expected_path(sql_dir: Path, qualified_name: str) -> str:
    schema, name = qualified_name.split(".", 1)
    return str(Path(sql_dir) / schema / f"{name}.sql")


def _existing_kind(con: duckdb.DuckDBPyConnection, model: Model) -> str | None:
    row = con.execute(
        read_sql("build/existing_relation_kind.sql"),
        [model.schema, model.name],
    ).fetchone()
    if row:
        return str(row[0])
    row = con.execute(
        read_sql("build/existing_table_macro.sql"),
        [model.schema, model.name],
    ).fetchone()
    return "macro" if row else None


def _drop_other_kind(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """A model that changed kind (view -> table) must drop the old object: `create or replace`
    only replaces an object of the same kind."""
    existing = _existing_kind(con, model)
    if existing is not None and existing != model.kind:
        what = "macro table" if existing == "macro" else existing
        con.execute(f"drop {what} {model.qualified_name}")


@dataclass(frozen=True)
class BuildReport:
    """What one build did: the models built, and what each audit found on them.

    ``kept`` is False when a blocking audit failed: every model was rolled back and the
    previous build is what the database holds (the flow then keeps the previous published
    copy as well).
    """

    models: list[ModelResult]
    audits: list[AuditResult]
    plan: str = "full build"  # what transforms.incremental decided, and why
    held: list[HeldRows] = dataclasses.field(default_factory=list)  # transforms.isolation
    earnings_plan: str = ""  # what transforms.incremental_earnings decided for earnings_ttm

    @property
    def held_subjects(self) -> dict[str, list[str]]:
        """Subject column -> the subjects whose previous marts were kept: those the audits
        named, and the pairs a held symbol is a leg of."""
        found: dict[str, set[str]] = {}
        for rows in self.held:
            found.setdefault(rows.column, set()).update(rows.subjects)
        return {column: sorted(subjects) for column, subjects in found.items()}

    @property
    def damage(self) -> list[str]:
        """One line per audit that held subjects: damage contained, as the sources report it."""
        return [
            f"audits {a.audit}: {a.subject} {', '.join(a.held)} held at the previous marts"
            for a in self.audits
            if a.held
        ]

    @property
    def blocked_by(self) -> list[AuditResult]:
        return [a for a in self.audits if a.blocks]

    @property
    def kept(self) -> bool:
        return not self.blocked_by

    @property
    def failed_audits(self) -> list[AuditResult]:
        return [a for a in self.audits if a.failed]

    def line(self) -> str:
        """One line for the run summary."""
        failed = self.failed_audits
        if not self.kept:
            names = ", ".join(a.audit for a in self.blocked_by)
            return (
                f"build rolled back by failed audit(s) {names}: the previous marts and "
                f"published copy are kept"
            )
        text = f"built {len(self.models)} models, {len(self.audits)} audits"
        warned = [a for a in failed if not a.held]
        if warned:
            text += f" ({len(warned)} warning(s): {', '.join(a.audit for a in warned)})"
        for column, named in held_subjects(self.audits).items():
            subjects = sorted(named)
            shown = ", ".join(subjects[:5]) + (
                f" and {len(subjects) - 5} more" if len(subjects) > 5 else ""
            )
            audits = ", ".join(a.audit for a in failed if a.held and a.subject == column)
            text += (
                f"; held {len(subjects)} {column}(s) at their previous marts by failed "
                f"audit(s) {audits}: {shown}"
            )
        return text


def build_models(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path = SQL_DIR,
    *,
    parameters: Mapping[str, object] | None = None,
    run: AuditRun | None = None,
    incremental: bool = False,
) -> BuildReport:
    """Build every model under ``sql_dir`` in dependency order, audit them, in one transaction.

    A failing model raises ModelBuildError naming its file, after rolling back every model
    built before it in this call. A failing blocking audit rolls the build back too but does
    not raise: the run goes on with the previous marts, and the report says so
    (``BuildReport.kept``). ``parameters`` are the audits' values (default: those of the
    default price settings). With ``run``, failed audits are recorded as incidents (and the
    incidents of audits that pass again are resolved): inside the build's transaction when it
    commits, in a transaction of their own after a rollback.

    With ``incremental``, the price marts are updated from what changed since the last build
    (``transforms.incremental``: the same result as a full build); whenever that cannot be
    proven the build is a full one, and ``BuildReport.plan`` says which and why.
    """
    models = discover_models(sql_dir)
    audits = project_audits(sql_dir, models)
    values = dict(audit_parameters(PricesSettings()) if parameters is None else parameters)
    tracked = {m.qualified_name for m in models} >= incremental_build.SCRATCH_MODELS
    state: dict[str, str] = {}
    planned = incremental_build.Plan(reason="requested" if tracked else "no price marts")
    if tracked:
        state = _build_state(con, models)
        if incremental:
            started = time.perf_counter()
            planned = _plan_incremental(con, models, state)
            if not planned.full and not planned.nothing_changed:
                planned.seconds = round(time.perf_counter() - started, 3)
    results: list[ModelResult] = []
    try:
        ttm = incremental_earnings.prepare(
            con, ((m.qualified_name, m.create_statement()) for m in models), incremental=incremental
        )
        con.execute("begin transaction")
        try:
            for model in models:
                if not planned.full and model.qualified_name in incremental_build.PRICE_MARTS:
                    results.append(_update_one(con, model, planned, first=not results_of(results)))
                elif ttm.updates(model.qualified_name):
                    results.append(_update_earnings(con, model, ttm))
                else:
                    results.append(_build_one(con, model))
            report = BuildReport(
                results, run_audits(con, audits, values), planned.line(), earnings_plan=ttm.line()
            )
            if report.kept:
                if tracked:
                    if planned.full:
                        incremental_build.take_fingerprints(con)
                    incremental_build.record_state(con, state)
                incremental_earnings.record(con, ttm)
                grains = [m.grain for m in models if m.grain is not None]
                report.held.extend(hold(con, grains, held_subjects(report.audits)))
                incremental_earnings.forget(
                    con, ttm, report.held_subjects.get(incremental_earnings.SUBJECT, [])
                )
                if run is not None:
                    record_incidents(con, report.audits, run)
                con.execute("commit")
            else:
                con.execute("rollback")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        incremental_build.drop_scratch(con)
        incremental_earnings.drop_scratch(con)
    log.info("%s", planned.line())
    log.info("%s", report.earnings_plan)
    if report.kept:
        return report
    log.warning("%s", report.line())
    if run is not None:
        con.execute("begin transaction")
        try:
            record_incidents(con, report.audits, run)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return report


def results_of(results: list[ModelResult]) -> list[ModelResult]:
    """The price marts already updated in place in this build."""
    return [r for r in results if r.model in incremental_build.PRICE_MARTS]


def _build_state(con: duckdb.DuckDBPyConnection, models: list[Model]) -> dict[str, str]:
    """What the price marts depend on besides the prices: their SQL and the pairs."""
    paths = [m.path for m in models if m.qualified_name in incremental_build.SCRATCH_MODELS]
    return {
        "models_sha256": incremental_build.models_hash(paths),
        "pairs_sha256": incremental_build.pairs_hash(con),
    }


def _plan_incremental(
    con: duckdb.DuckDBPyConnection, models: list[Model], state: Mapping[str, str]
) -> incremental_build.Plan:
    """The incremental plan with its scratch build done, or a full plan saying why."""
    present = con.execute(
        read_sql("build/price_marts_present.sql"),
        [["staging.prices", *incremental_build.PRICE_MARTS]],
    ).fetchone()
    if not present or present[0] != 1 + len(incremental_build.PRICE_MARTS):
        return incremental_build.Plan(reason="the price marts are not built yet")
    incremental_build.take_fingerprints(con)
    pairs = [(str(p), str(s), str(lg)) for p, s, lg, _ in incremental_build.pairs_now(con)]
    planned = incremental_build.plan(con, state, pairs)
    if planned.full or planned.nothing_changed:
        return planned
    statements = [
        m.create_statement() for m in models if m.qualified_name in incremental_build.SCRATCH_MODELS
    ]
    try:
        unproven = incremental_build.build_scratch(con, planned, statements)
    except duckdb.Error as exc:
        incremental_build.drop_scratch(con)
        return incremental_build.Plan(reason=f"the scratch build failed ({exc})")
    if unproven:
        incremental_build.drop_scratch(con)
        subject, sessions = unproven[0]
        return incremental_build.Plan(
            reason=f"{subject} has {sessions} session(s) before {planned.cut} in its "
            f"recomputed window, fewer than the {incremental_build.MIN_SESSIONS_BEFORE_CUT} "
            f"the longest window needs"
            + (f" (and {len(unproven) - 1} more)" if len(unproven) > 1 else "")
        )
    return planned


def _update_one(
    con: duckdb.DuckDBPyConnection, model: Model, planned: incremental_build.Plan, *, first: bool
) -> ModelResult:
    """A price mart of an incremental build: all five are written back at the first one."""
    started = time.perf_counter()
    try:
        if first and not planned.nothing_changed:
            incremental_build.write_back(con, planned)
        counted = con.execute(f"select count(*) from {model.qualified_name}").fetchone()
    except duckdb.Error as exc:
        raise ModelBuildError(model.path, f"{type(exc).__name__}: {exc}") from exc
    rows = int(counted[0]) if counted else 0
    result = ModelResult(
        model.qualified_name, "table", rows, round(time.perf_counter() - started, 3)
    )
    log.info("updated %s %s: %s rows in %.3f s", *dataclasses.astuple(result))
    return result


def _update_earnings(
    con: duckdb.DuckDBPyConnection, model: Model, planned: incremental_earnings.EarningsPlan
) -> ModelResult:
    """marts.earnings_ttm in an incremental build: the changed companies' rows replaced."""
    started = time.perf_counter()
    try:
        incremental_earnings.write_back(con, planned)
        counted = con.execute(f"select count(*) from {model.qualified_name}").fetchone()
    except duckdb.Error as exc:
        raise ModelBuildError(model.path, f"{type(exc).__name__}: {exc}") from exc
    rows = int(counted[0]) if counted else 0
    result = ModelResult(
        model.qualified_name, "table", rows, round(time.perf_counter() - started, 3)
    )
    log.info("updated %s %s: %s rows in %.3f s", *dataclasses.astuple(result))
    return result


def _build_one(con: duckdb.DuckDBPyConnection, model: Model) -> ModelResult:
    started = time.perf_counter()
    try:
        _drop_other_kind(con, model)
        con.execute(model.create_statement())
        rows = None
        if model.kind == "table":
            counted = con.execute(f"select count(*) from {model.qualified_name}").fetchone()
            rows = int(counted[0]) if counted else 0
    except duckdb.Error as exc:
        raise ModelBuildError(model.path, f"{type(exc).__name__}: {exc}") from exc
    result = ModelResult(
        model.qualified_name, model.kind, rows, round(time.perf_counter() - started, 3)
    )
    log.info("built %s %s: %s rows in %.3f s", *dataclasses.astuple(result))
    return result
