"""Builds that cost what changed: ``marts.earnings_ttm`` recomputed only for the companies
whose inputs changed since the last build.

A daily run refreshes some 50 companies' filings, yet a full build of the TTM model reads every
company's fifteen years of facts (~38 s wall at 3,000 companies on the shared machine,
docs/benchmarks.md). The model only ever joins within one company (every CTE is keyed by
``cik``), so a company's rows depend on its own inputs alone: its ``raw.xbrl_facts`` rows and
the price vendor's split events of its tickers (``raw.prices.splits`` through
``raw.sec_company_tickers``). This module finds the companies whose inputs changed and
recomputes just them, with the unchanged model SQL:

1. **What changed.** Each kept build records per company the count and the sum of a hash of
   its fact rows (every column but the fetch bookkeeping a re-fetch rewrites: file, source,
   first_fetched_at, fetched_at, run_id) and of its split events
   (``ops.earnings_fingerprints``), and the hash of the model's SQL and the DuckDB version
   (``ops.earnings_build_state``). The next build compares. No record, the model or DuckDB
   changed, or the mart missing: a full build (``EarningsPlan.reason`` says why); so is one
   with more than ``SCRATCH_FACTS_LIMIT`` fact rows to recompute (the scratch database is in
   memory). A company that is new, changed or gone is recomputed.
2. **Scratch build.** Those companies' facts, tickers and split events are copied into an
   in-memory database attached as ``scratch_earnings`` and the model's own ``create``
   statement builds ``marts.earnings_ttm`` there (the same SQL, run on fewer rows).
3. **Write back**, inside the build's transaction, when the runner reaches the model: delete
   those companies' rows and insert the scratch rows (a gone company keeps none). The marts
   that read it (fund_valuation, valuation_coverage, valuation_gap) aggregate over companies
   per fund and session and are built in full after it, as before.

The result equals a full build exactly, every column of every row
(tests/transforms/test_incremental_earnings.py: a new filing, a restatement, a split event, a
ticker re-mapped, a new and a removed company, on the real filings). ``rotation rebuild``
forces a full build. The fingerprints cover what the model reads today: a model that starts
reading another table or a bookkeeping column must extend ``earnings_fingerprints_now.sql``
and the scratch inputs with it (its SQL hash changing forces one full build, not more).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from rotation.sql import read as read_sql

log = logging.getLogger(__name__)

MART = "marts.earnings_ttm"
SUBJECT = "cik"  # the column an audit's '-- subject:' names to hold a company
SCRATCH = "scratch_earnings"  # the attached in-memory database, as written in sql/incremental
# The scratch database is in memory: more fact rows to recompute than this (most of the
# universe re-fetched with changes) and a full build, which writes to the file and can spill.
SCRATCH_FACTS_LIMIT = 1_000_000
STATE_TABLES = ("earnings_fingerprints", "earnings_build_state")


@dataclass
class EarningsPlan:
    """What the build does for ``marts.earnings_ttm``: ``reason`` set means a full build;
    ``tracked`` False means the model (or the bookkeeping tables) are not part of this build."""

    reason: str | None = None
    ciks: list[int] = field(default_factory=list)
    new: int = 0
    gone: int = 0
    state: dict[str, str] = field(default_factory=dict)
    tracked: bool = True
    seconds: float | None = None  # fingerprints, plan and scratch build

    @property
    def full(self) -> bool:
        return self.reason is not None

    def updates(self, model: str) -> bool:
        """True when ``model`` is updated in place by ``write_back`` instead of rebuilt."""
        return self.tracked and not self.full and model == MART

    def line(self) -> str:
        if not self.tracked:
            return "earnings_ttm: not tracked"
        if self.full:
            return f"earnings_ttm full build: {self.reason}"
        if not self.ciks:
            return "earnings_ttm incremental: no company's facts changed since the last build"
        return (
            f"earnings_ttm incremental: {len(self.ciks)} company(ies) recomputed "
            f"({self.new} new, {self.gone} gone)"
            + (f" in {self.seconds:.2f} s before the write-back" if self.seconds else "")
        )


def _bind(sql: str, values: Mapping[str, object]) -> dict[str, object]:
    """The named parameters ``sql`` mentions (DuckDB refuses unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _run(con: duckdb.DuckDBPyConnection, name: str, values: Mapping[str, object]) -> None:
    sql = read_sql(f"incremental/{name}.sql")
    con.execute(sql, _bind(sql, values))


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(read_sql("build/table_exists.sql"), [schema, name]).fetchone()
    return bool(row and row[0])


def build_state(model_sql: str) -> dict[str, str]:
    """What the mart depends on besides its rows' inputs: its SQL and the hash function."""
    return {
        "model_sha256": hashlib.sha256(model_sql.encode()).hexdigest(),
        "duckdb_version": duckdb.__version__,
    }


def take_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """Fingerprint every company's inputs now into ``temp.earnings_fingerprints_now`` (before
    the build's transaction: what the build reads, as nothing else writes meanwhile)."""
    fingerprints = read_sql("incremental/earnings_fingerprints_now.sql")
    con.execute(f"create or replace temp table earnings_fingerprints_now as\n{fingerprints}")


def prepare(
    con: duckdb.DuckDBPyConnection,
    models: Iterable[tuple[str, str]],
    *,
    incremental: bool,
) -> EarningsPlan:
    """Before the build's transaction: the plan for ``marts.earnings_ttm``, with its scratch
    build done when incremental. ``models`` are (qualified name, create statement)."""
    statements = dict(models)
    if MART not in statements or not all(_table_exists(con, "ops", t) for t in STATE_TABLES):
        return EarningsPlan(reason="not built", tracked=False)
    state = build_state(statements[MART])
    started = time.perf_counter()
    take_fingerprints(con)
    if not incremental:
        return EarningsPlan(reason="requested", state=state)
    planned = plan(con, state)
    if planned.full or not planned.ciks:
        return planned
    try:
        build_scratch(con, planned, statements[MART])
    except duckdb.Error as exc:
        drop_scratch(con)
        return EarningsPlan(reason=f"the scratch build failed ({exc})", state=state)
    planned.seconds = round(time.perf_counter() - started, 3)
    return planned


def plan(con: duckdb.DuckDBPyConnection, state: Mapping[str, str]) -> EarningsPlan:
    """Compare the fingerprints taken now with the last build's: the companies to recompute,
    or why a full build is needed."""
    kept = dict(state)
    if not _table_exists(con, "marts", "earnings_ttm"):
        return EarningsPlan(reason="the mart is not built yet", state=kept)
    built = dict(con.execute(read_sql("incremental/earnings_build_state.sql")).fetchall())
    if not built:
        return EarningsPlan(reason="no record of a previous build", state=kept)
    for key, value in state.items():
        if built.get(key) != value:
            what = "the model's SQL" if key == "model_sha256" else "the DuckDB version"
            return EarningsPlan(reason=f"{what} changed since the last build", state=kept)
    changed = con.execute(read_sql("incremental/earnings_changed_companies.sql")).fetchall()
    facts = sum(int(n) for _, n, _, _ in changed)
    if facts > SCRATCH_FACTS_LIMIT:
        return EarningsPlan(
            reason=f"{len(changed)} companies with {facts:,} fact rows to recompute, more than "
            f"the in-memory scratch build takes ({SCRATCH_FACTS_LIMIT:,})",
            state=kept,
        )
    return EarningsPlan(
        ciks=[int(c) for c, _, _, _ in changed],
        new=sum(1 for _, _, new, _ in changed if new),
        gone=sum(1 for _, _, _, gone in changed if gone),
        state=kept,
    )


def build_scratch(con: duckdb.DuckDBPyConnection, planned: EarningsPlan, create: str) -> None:
    """Attach the in-memory ``scratch_earnings`` database, copy the changed companies' inputs
    into it and run the model's own ``create`` statement there."""
    main = con.execute(read_sql("build/current_database.sql")).fetchone()
    assert main is not None
    con.execute(f"attach ':memory:' as {SCRATCH}")
    for schema in ("raw", "marts"):
        con.execute(f"create schema {SCRATCH}.{schema}")
    values = {"ciks": planned.ciks}
    for name in ("earnings_scratch_facts", "earnings_scratch_tickers", "earnings_scratch_splits"):
        _run(con, name, values)
    con.execute(f"use {SCRATCH}")
    try:
        con.execute(create)
    finally:
        con.execute(f'use "{str(main[0]).replace(chr(34), chr(34) * 2)}"')


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    attached = con.execute(read_sql("build/database_attached.sql"), [SCRATCH]).fetchone()
    if attached:
        con.execute(f"detach {SCRATCH}")


def write_back(con: duckdb.DuckDBPyConnection, planned: EarningsPlan) -> None:
    """Inside the build's transaction: replace the recomputed companies' rows."""
    if not planned.ciks:
        return
    values = {"ciks": planned.ciks}
    _run(con, "earnings_ttm_delete", values)
    _run(con, "earnings_ttm_insert", values)


def record(con: duckdb.DuckDBPyConnection, planned: EarningsPlan) -> None:
    """Inside a kept build's transaction: the fingerprints and state the mart now matches."""
    if not planned.tracked:
        return
    _run(con, "earnings_clear_fingerprints", {})
    _run(con, "earnings_record_fingerprints", {})
    for key, value in planned.state.items():
        _run(con, "earnings_record_state", {"key": key, "value": value})


def forget(con: duckdb.DuckDBPyConnection, planned: EarningsPlan, ciks: Sequence[str]) -> None:
    """After audits held companies at their previous rows (transforms.isolation): forget their
    fingerprints, so the next incremental build recomputes and audits them again."""
    if planned.tracked and ciks:
        _run(con, "earnings_forget_fingerprints", {"ciks": [int(c) for c in ciks]})
