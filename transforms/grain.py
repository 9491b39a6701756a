"""Grain: the key each table model declares in its header, and the one audit that checks them.

A table model (every ``sql/marts/*.sql`` but the macros) says what one of its rows stands for
in a header comment, ``-- grain: symbol, date``: no two rows share those columns. The runner
reads the header with the model and generates one blocking audit, ``unique_keys``, that checks
every declared grain in the build; a duplicated key (a join that fans out, an as-of join with
two qualifying versions) doubles what alert rules and ``rotation status`` read and cannot be
pinned on one subject, so it rolls the whole build back. One generated query replaces the seven
hand-copied ``unique_keys_*`` files that each repeated the same ``group by ... having`` per mart
and drifted whenever a mart was added.

The largest marts are matched one to one with the model they are computed from instead
(``-- grain matches: staging.prices``: one row per row of it, same key). That check is done in
two steps to stay cheap on a large universe: per subject (the first grain column) a fingerprint
of each side, the row count and the exact sum of ``hash(rest of the key)``; equal fingerprints
mean the same keys, each once (a difference would have to hide in a 64-bit hash collision).
Only the subjects whose fingerprints differ are compared row by row. A passing build pays two
streaming aggregates per mart and no join.

Every offending row has the same shape: the mart, the key as text (its columns joined by a
space), its rows in the mart and the rows it should have (1, or its rows in the matched model).

Identifiers are formatted into the query because SQL cannot take them as parameters (as the
runner's ``create`` statements); each is checked against ``[a-z_][a-z0-9_]*`` (or
``layer.name`` for the matched model) when the header is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from transforms.audits import Audit
from transforms.errors import ModelError

AUDIT_NAME = "unique_keys"
_GRAIN = re.compile(r"^\s*--\s*grain\s*:\s*(?P<columns>.*)$", re.IGNORECASE | re.MULTILINE)
_MATCHES = re.compile(
    r"^\s*--\s*grain\s+matches\s*:\s*(?P<model>.*?)\s*$", re.IGNORECASE | re.MULTILINE
)
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_QUALIFIED = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Grain:
    """A model's declared key, and the model it matches one to one (if any)."""

    model: str  # layer.name
    columns: tuple[str, ...]
    matches: str | None = None


def read_grain(path: Path, qualified_name: str, sql: str) -> Grain | None:
    """The ``-- grain:`` (and ``-- grain matches:``) header of a model file, if it has one.

    Raises ModelError naming the file for a header that is present but malformed."""
    declared = _GRAIN.search(sql)
    matched = _MATCHES.search(sql)
    if not declared:
        if matched:
            raise ModelError(f"{path}: '-- grain matches:' without a '-- grain:' line")
        return None
    columns = tuple(c.strip().lower() for c in declared.group("columns").split(","))
    if (
        not columns
        or not all(_NAME.fullmatch(c) for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise ModelError(
            f"{path}: bad '-- grain:' line {declared.group(0).strip()!r} "
            "(expected distinct column names: '-- grain: symbol, date')"
        )
    matches = None
    if matched:
        matches = matched.group("model").lower()
        if not _QUALIFIED.fullmatch(matches):
            raise ModelError(
                f"{path}: bad '-- grain matches:' line {matched.group(0).strip()!r} "
                "(expected a model: '-- grain matches: staging.prices')"
            )
        if len(columns) < 2:
            raise ModelError(
                f"{path}: '-- grain matches:' needs a grain of at least two columns "
                "(the first is the subject the fingerprints are taken per)"
            )
    return Grain(qualified_name, columns, matches)


def _key_text(alias: str, columns: Iterable[str]) -> str:
    return " || ' ' || ".join(f"coalesce(cast({alias}.{c} as varchar), '')" for c in columns)


def _plain(grain: Grain) -> str:
    cols = ", ".join(grain.columns)
    return (
        f"select '{grain.model}' as mart, {_key_text('m', grain.columns)} as key,\n"
        f"    count(*) as mart_rows, 1 as expected_rows\n"
        f"from {grain.model} as m\ngroup by {cols}\nhaving count(*) > 1"
    )


def _matched(grain: Grain, index: int) -> str:
    """The fingerprint fast path: ``grain.model`` against ``grain.matches``, per subject."""
    subject, rest = grain.columns[0], grain.columns[1:]
    rest_cols = ", ".join(rest)
    on_rest = " and ".join(f"m.{c} = s.{c}" for c in rest)
    coalesced = ", ".join(f"coalesce(m.{c}, s.{c}) as {c}" for c in grain.columns)
    t = f"g{index}"

    def prints(model: str) -> str:
        return (
            f"select {subject}, count(*) as n, sum(cast(hash({rest_cols}) as hugeint)) as print\n"
            f"    from {model} group by {subject}"
        )

    def rows(model: str, counted: str) -> str:
        return (
            f"select {', '.join('x.' + c for c in grain.columns)}, count(*) as {counted}\n"
            f"    from {model} as x semi join {t}_differing as d on x.{subject} = d.{subject}\n"
            f"    group by {', '.join('x.' + c for c in grain.columns)}"
        )

    return (
        f"select '{grain.model}' as mart, {_key_text('c', grain.columns)} as key,\n"
        f"    c.mart_rows, c.expected_rows\n"
        f"from (\n"
        f"    with {t}_mart_prints as ({prints(grain.model)}),\n"
        f"    {t}_source_prints as ({prints(grain.matches or '')}),\n"
        f"    {t}_differing as (\n"
        f"        select coalesce(m.{subject}, s.{subject}) as {subject}\n"
        f"        from {t}_mart_prints as m full join {t}_source_prints as s\n"
        f"            on m.{subject} = s.{subject}\n"
        f"        where m.{subject} is null or s.{subject} is null\n"
        f"            or m.n <> s.n or m.print <> s.print\n"
        f"    ),\n"
        f"    {t}_mart_rows as ({rows(grain.model, 'mart_rows')}),\n"
        f"    {t}_source_rows as ({rows(grain.matches or '', 'expected_rows')})\n"
        f"    select {coalesced}, coalesce(m.mart_rows, 0) as mart_rows,\n"
        f"        coalesce(s.expected_rows, 0) as expected_rows\n"
        f"    from {t}_mart_rows as m full join {t}_source_rows as s\n"
        f"        on m.{subject} = s.{subject} and {on_rest}\n"
        f") as c\n"
        f"where c.mart_rows <> 1 or c.expected_rows <> 1"
    )


def unique_key_audit(grains: Iterable[Grain], path: Path) -> Audit | None:
    """The one blocking audit that checks every declared grain; None when no model has one.

    ``path`` is where its grains were declared (the models' folder), for error messages."""
    declared = sorted(grains, key=lambda g: g.model)
    if not declared:
        return None
    parts = [_matched(g, i) if g.matches else _plain(g) for i, g in enumerate(declared)]
    body = "\nunion all\n".join(f"select * from (\n{p}\n)" for p in parts)
    sql = (
        f"select mart, key, mart_rows, expected_rows from (\n{body}\n) as offending\n"
        "order by mart, key"
    )
    depends = {g.model for g in declared} | {g.matches for g in declared if g.matches}
    return Audit(
        name=AUDIT_NAME,
        path=path,
        sql=sql,
        severity="blocking",
        parameters=frozenset(),
        depends_on=frozenset(depends),
    )
