"""The deployments' names and schedule, in one module that imports nothing.

``flows.serve`` (the long-running process), ``flows.automation`` (the missed-run watch),
``prefect.yaml`` (the work-pool path, kept equal by a test) and ``rotation status --check``
(when a run is due) all need them. Kept apart from ``serve`` so the automation does not import
the serve process (the two imported each other) and the CLI can read the schedule without
importing Prefect.

The daily run is at 18:30 New York time, Monday to Friday. The NYSE closes at 16:00 (13:00 on
early-close days); by 18:30 the closing auction, late prints and the vendors' end-of-day bars
are in, so the run rarely meets an intraday last bar, and it is still the same evening for the
alerts. Weekday holidays start a run that ends early ("not an NYSE session"); the cron is in
``America/New_York`` so it follows daylight saving time. The backfill has no schedule.
"""

from __future__ import annotations

TIMEZONE = "America/New_York"
DAILY_CRON = "30 18 * * 1-5"  # 18:30 New York, Monday-Friday: see the module docstring
DAILY_DEPLOYMENT = "daily"  # full name daily-run/daily
BACKFILL_DEPLOYMENT = "backfill"  # full name backfill/backfill
SERVE_LIMIT = 1  # flow runs at once in the serve process: DuckDB has one writer
TAGS = ["rotation"]
