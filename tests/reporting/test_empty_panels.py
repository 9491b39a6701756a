"""Panels with nothing to show say so in words, never an empty axis or a flat line of zeros.

The M&A panel of a replay whose EDGAR months were counted as read but hold no filing (the
demo's September 2025: ten sessions read, not one filing of any category) drew an empty axis
titled "0.0"; tests/sql/test_breadth.py covers the breadth panel's twin case.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from reporting.charts import deal_flow_chart

START, END = dt.date(2023, 9, 27), dt.date(2025, 9, 26)
CATEGORIES = ("ipo_pipeline", "ipo_priced_likely_ipo", "mna")


def _edgar(filings: dict[str, list[float]], months: list[str]) -> pd.DataFrame:
    rows = [
        {
            "month_start": pd.Timestamp(month),
            "category": category,
            "filings": n,
            "sessions_read": 10,
            "sessions": 19,
            "per_session": n / 10,
            "per_session_avg_12m": None,
        }
        for category in CATEGORIES
        for month, n in zip(months, filings[category], strict=True)
    ]
    return pd.DataFrame(rows)


def test_edgar_months_without_a_filing_are_no_data_in_words(tmp_path: Path) -> None:
    empty = _edgar({c: [0.0] for c in CATEGORIES}, ["2025-09-01"])
    chart = deal_flow_chart(empty, pd.DataFrame(), START, END)
    edgar_panel = chart.panels[0]
    assert not edgar_panel.drawn
    assert edgar_panel.note.startswith(
        "the EDGAR indexes read for Sep 2025 list no deal filing at all"
    )
    (tmp_path / "deal-flow-empty.png").write_bytes(chart.png)
    # one month with filings draws as before
    some = _edgar({"ipo_pipeline": [0.0, 4.0], "ipo_priced_likely_ipo": [0.0, 1.0],
                   "mna": [0.0, 12.0]}, ["2025-08-01", "2025-09-01"])  # fmt: skip
    drawn = deal_flow_chart(some, pd.DataFrame(), START, END).panels[0]
    assert drawn.drawn and drawn.title.startswith("M&A filings per session, Sep 2025 1.2")


def test_run_summary_lists_member_damage_per_member_capped(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The run output says member damage in one line; the summary artifact has the rows."""
    from reporting.summary import MAX_MESSAGES, run_summary_markdown
    from rotation import incidents
    from rotation.incidents import Incident

    damaged = [
        Incident("member_prices", f"M{i:03d}", "rows_quarantined", f"M{i:03d}: bad close")
        for i in range(25)
    ]
    incidents.record_all(con, [*damaged, Incident("prices", "IWC", "no_data", "no file")],
                         run_id="r1", session=END)  # fmt: skip
    summary = {
        "status": "completed", "as_of": END.isoformat(), "run_id": "r1", "sources": [],
        "damage": ["member_prices: 25 members with quarantined rows; see `rotation status`"],
    }  # fmt: skip
    text = run_summary_markdown(summary, con)
    section = text[text.index("### Per member") : text.index("## Quarantined")]
    assert "25 members or companies with open damage" in section
    assert section.count("| member_prices |") == MAX_MESSAGES
    assert f"… and {25 - MAX_MESSAGES} more (see `rotation status`)" in section
    assert "IWC" not in section  # a configured symbol's damage is its own line above
