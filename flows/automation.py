"""A Prefect automation that notifies when no daily run completes in the expected window.

Where a Prefect server is used, it watches too: Prefect's open-source server (3.8.8 here)
runs automations, including *proactive* triggers that fire on the absence of events (its
``proactive_triggers`` service evaluates them every few seconds). This one expects a
``prefect.flow-run.Completed`` event of the ``daily`` deployment within ``WITHIN``, and sends
a notification through a Prefect notification block (Slack webhook, e-mail, …) when none
came.

Its limit, and why ``rotation status --check`` stays the primary check: a proactive trigger
has one fixed window and knows no exchange calendar. A weekday schedule leaves 72 hours
between Friday's and Monday's runs, 96 around a Friday or Monday holiday, so the window must
be ~100 hours to stay quiet on long weekends: it catches a scheduler that is down for good,
not one missed day. The calendar-aware check (``status --check``, the heartbeat receiver)
catches the missed day.

Install once against the server (the block must exist, e.g. created in the UI)::

    export PREFECT_API_URL=http://127.0.0.1:4200/api
    .venv/bin/python -m flows.automation slack-webhook/rotation
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from prefect.automations import Automation
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

from flows.deployments import DAILY_DEPLOYMENT

NAME = "rotation-monitor: no daily run completed"
# Thursday 18:30 -> Monday 22:30 New York (a Friday holiday) plus the run's own time.
WITHIN = dt.timedelta(hours=100)


def missed_run_automation(block_document_id: UUID, within: dt.timedelta = WITHIN) -> Automation:
    """The automation: no completed run of the daily deployment within ``within`` → notify."""
    return Automation(
        name=NAME,
        description=(
            f"No run of the {DAILY_DEPLOYMENT!r} deployment completed within {within}; "
            "check the scheduler, the worker and `rotation status --check`."
        ),
        enabled=True,
        trigger=EventTrigger(
            posture=Posture.Proactive,
            expect={"prefect.flow-run.Completed"},
            match_related={
                "prefect.resource.role": "deployment",
                "prefect.resource.name": DAILY_DEPLOYMENT,
            },
            threshold=1,
            within=within,
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="Rotation monitor: no daily run completed",
                body=(
                    f"No run of the rotation monitor's daily deployment completed in the last "
                    f"{within}. The scheduler, the worker or the machine may be down."
                ),
            )
        ],
    )


def install(block: str, within: dt.timedelta = WITHIN) -> Automation:
    """Create the automation, or replace the one of the same name; return it."""
    from prefect.blocks.core import Block

    # Prefect's sync-or-async methods are typed as either; called here without a loop: sync.
    notifier: Any = Block.load(block)
    block_id = notifier._block_document_id
    if block_id is None:
        raise ValueError(f"notification block {block!r} has no stored document")
    wanted = missed_run_automation(block_id, within)
    try:
        existing: Any = Automation.read(name=NAME)
    except ValueError:  # none of that name yet
        existing = None
    if existing is not None:
        existing.delete()
    created: Any = wanted.create()
    return created


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("block", help="notification block, TYPE/NAME (e.g. slack-webhook/ops)")
    parser.add_argument("--hours", type=float, default=WITHIN.total_seconds() / 3600)
    args = parser.parse_args(argv)
    made = install(args.block, dt.timedelta(hours=args.hours))
    print(f"automation {made.name!r} ({made.id}) installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
