"""Keep Alertmanager's alerts firing as long as ours: re-post them every run.

Alertmanager resolves an alert it has not heard of for a while; like Prometheus, each run
repeats the alerts that still fire here (same labels and ``startsAt``: the same alert, no new
notification). A heartbeat, not a delivery, so it lives apart from the outbox's ``deliver``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import duckdb

from alerts.channels.alertmanager import AlertmanagerChannel
from alerts.channels.base import Channel, DeliveryError
from alerts.events import Event, fetch_rows
from alerts.render import DigestContext
from rotation import sql

log = logging.getLogger(__name__)


def refresh_alertmanager(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[Channel],
    as_of: dt.date,
    run_id: str,
    *,
    context: DigestContext | None = None,
) -> str:
    """Re-post the alerts still firing to Alertmanager (a heartbeat, not a notification).

    Not recorded in the outbox: the events were delivered once already; a failed refresh is
    logged and the next run refreshes again, well inside the hold.
    """
    targets = [c for c in channels if isinstance(c, AlertmanagerChannel)]
    if not targets:
        return ""
    query = sql.read("alerts/alertmanager_firing.sql")
    events = [Event.from_row(row) for row in fetch_rows(con.execute(query, {"run_id": run_id}))]
    if not events:
        return "alertmanager: nothing firing to refresh"
    for channel in targets:
        try:
            for message in channel.messages(events, as_of, run_id, context=context):
                channel.send(message)
        except DeliveryError as exc:
            log.warning("alerts: refreshing firing alerts failed: %s", exc)
            return f"alertmanager: refresh of {len(events)} firing alert(s) failed ({exc})"
    return f"alertmanager: {len(events)} firing alert(s) refreshed"
