"""EDGAR quarterly full indexes in a backfill: one client, whole quarters only, resumable.

Three rules make a throttled backfill lose nothing:

- **One client per backfill.** The SEC throttles with a 403 page and keeps a client blocked
  while it keeps asking; a fresh client per quarter asked again at once. Here one client
  serves every quarter, and its cool-down is the host's (``sources.http.COOLDOWNS``), so even
  another client in the same process stays quiet until the cool-down ends.
- **A quarter is loaded only when its index was read whole**: its ``master.idx`` answered,
  parsed (``raw.edgar_index_files`` says ``loaded``, or ``no_index`` for a 404). A 403, a
  truncated body or an HTML page instead of an index leaves the quarter unmarked and records
  an incident naming the file and the reason.
- **Resuming re-reads what is incomplete**: only marked quarters are skipped, so the next
  backfill (after the cool-down) reads the rest. After a throttle the loop stops: every
  further request would be refused during the cool-down anyway.

Kept free of ``prefect``: ``flows.daily.backfill`` runs it as one task, and tests drive it
against a loopback SEC stand-in.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline import stages
from rotation import incidents
from rotation.db import transaction, writing
from rotation.progress import Steps
from rotation.settings import Settings

if TYPE_CHECKING:
    from pipeline.clients import Clients

log = logging.getLogger(__name__)

SOURCE = "edgar"
INCOMPLETE = "index_incomplete"  # incident kind: a quarter's index was not read whole
WHOLE = ("loaded", "no_index")


@dataclass
class QuarterFetch:
    """One quarter as fetched: the batch, whether its index was read whole, and why not."""

    fetched: stages.FetchedSource
    whole: bool
    throttled: bool = False
    reason: str = ""


class EdgarQuarters:
    """The one EDGAR client of a backfill (live, or the replay twin: the run's ``edgar``)."""

    def __init__(self, settings: Settings, clients: Clients) -> None:
        from sources.http import SourceSkipped
        from sources.replay import ReplayError

        self.skip_reason = ""
        self.client: Any = None
        if not settings.edgar.enabled:
            self.skip_reason = "disabled in settings"
            return
        try:
            self.client = clients.get("edgar")
        except (SourceSkipped, ReplayError) as exc:  # not configured, or not in this folder
            self.skip_reason = str(exc)

    def fetch(self, year: int, quarter: int) -> QuarterFetch:
        from sources import edgar
        from sources.http import HttpError

        name = edgar.quarterly_name(year, quarter)
        if self.client is None:
            skipped = stages.FetchedSource(SOURCE, skipped=True, messages=[self.skip_reason])
            return QuarterFetch(skipped, whole=False, reason=self.skip_reason)
        try:
            batch = edgar.fetch(self.client, quarters=[(year, quarter)])
        except (HttpError, OSError) as exc:  # down, timed out, truncated: not read whole
            reason = f"EDGAR unavailable: {exc}"
            skipped = stages.FetchedSource(SOURCE, skipped=True, messages=[reason])
            return QuarterFetch(skipped, whole=False, reason=reason)
        files = batch.index_files
        statuses = set(files.loc[files["index_file"] == name, "status"]) if len(files) else set()
        read = [f"index files: {files['status'].value_counts().to_dict() or 'none'}"]
        fetched = stages.FetchedSource(
            SOURCE, batch.frame, batch.problems, files, [*read, *batch.messages]
        )
        whole = batch.complete and bool(statuses) and statuses <= set(WHOLE)
        reason = "" if whole else "; ".join(batch.messages) or f"{name}: status {statuses}"
        return QuarterFetch(fetched, whole, throttled=not batch.complete, reason=reason)


def load_edgar_quarters(
    db_path: str,
    settings: Settings,
    clients: Clients,
    quarters: list[tuple[int, int]],
    *,
    run_id: str,
    session: dt.date | None,
    logger: Any = log,
) -> list[stages.SourceReport]:
    """Fetch, validate and load each quarter not yet loaded, newest first; see the module."""
    from sources.edgar import quarter_bounds, quarterly_name

    scope = stages.backfill_scope(SOURCE, clients)
    with writing(db_path) as con:
        done = stages.completed_chunks(con, scope)
    client = EdgarQuarters(settings, clients)
    reports: list[stages.SourceReport] = []
    read_whole: set[str] = set()
    with Steps(len(quarters), "edgar quarters", logger) as steps:
        for year, quarter in quarters:
            label, bounds = f"{year}Q{quarter}", quarter_bounds(year, quarter)
            if bounds in done:
                steps.advance(f"{label} already loaded, skipped")
                continue
            got = client.fetch(year, quarter)
            report = stages.validate_and_load_source(db_path, got.fetched, run_id=run_id)
            reports.append(report)
            if client.client is None:
                steps.advance(f"{label}: skipped ({got.reason})")
                break  # not configured: every other quarter would say the same
            name = quarterly_name(year, quarter)
            with writing(db_path) as con, transaction(con):
                if got.whole and not report.blocked:
                    stages.mark_chunk_done(con, run_id, scope, *bounds)
                    read_whole.add(name)
                else:
                    why = got.reason or "the batch was blocked by validation"
                    detail = f"{name} not read whole, the quarter stays to load: {why}"
                    incidents.record(
                        con,
                        incidents.Incident(SOURCE, name, INCOMPLETE, detail[:500]),
                        run_id=run_id,
                        session=session,
                    )
            if name in read_whole:
                steps.advance(f"{label}: {report.loaded} filings loaded")
                continue
            steps.advance(f"{label}: not read whole, left for the next backfill ({got.reason})")
            if got.throttled:
                logger.warning(
                    "EDGAR backfill stopped at %s: the SEC is throttling; the remaining "
                    "quarters load when the backfill runs again after the cool-down",
                    label,
                )
                break
    _resolve_read_quarters(db_path, read_whole, run_id)
    return reports


def _resolve_read_quarters(db_path: str, read_whole: set[str], run_id: str) -> None:
    """Resolve "not read whole" incidents, but only when every open one is a quarter this
    backfill has now read (another range's quarters stay open until a backfill reads them)."""
    if not read_whole:
        return
    with writing(db_path) as con, transaction(con):
        still_open = {
            row["subject"]
            for row in incidents.open_incidents(con)
            if row["source"] == SOURCE and row["kind"] == INCOMPLETE
        }
        if still_open and still_open <= read_whole:
            incidents.resolve_unseen(con, source=SOURCE, kinds=[INCOMPLETE], run_id=run_id)
