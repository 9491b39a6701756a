"""Reporting: the daily report (HTML page and PNG charts), the e-mail's headline chart and the
markdown summary of a run for its Prefect artifact.

A stage package like the others: it takes a (read-only) DuckDB connection and plain values,
never imports Prefect, and reads the marts through ``sql/reporting/``. matplotlib is imported
only when a chart is drawn.
"""

from reporting.report import Report, build_report, headline_chart_png, write_report
from reporting.summary import run_summary_markdown

__all__ = [
    "Report",
    "build_report",
    "headline_chart_png",
    "run_summary_markdown",
    "write_report",
]
