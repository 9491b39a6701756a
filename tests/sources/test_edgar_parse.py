"""EDGAR index parser, replay twin, row checks and load, on the real index files.

Expected counts were taken by hand from the files with awk/grep (shown next to each number),
not from the parser.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from quality.edgar import edgar_row_problems
from sources.edgar import (
    EdgarLiveClient,
    EdgarNotConfigured,
    EdgarReplayClient,
    UnrecognisedIndexError,
    fetch,
    load_edgar,
    parse_index,
)

FETCHED_AT = dt.datetime(2026, 1, 5, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def edgar_dir(shared_data: Path) -> Path:
    return shared_data / "edgar"


@pytest.fixture
def replay_root(tmp_path: Path, edgar_dir: Path) -> Path:
    """A replay folder whose edgar/ files are symlinks to the real ones, named as live files."""
    folder = tmp_path / "replay" / "edgar"
    folder.mkdir(parents=True)
    (folder / "master.20200103.idx").symlink_to(edgar_dir / "master.20200103.idx")
    (folder / "master.20181231.idx").symlink_to(edgar_dir / "master.20181231.excerpt.idx")
    (folder / "master.1993QTR4.idx").symlink_to(edgar_dir / "master.1993QTR4.excerpt.idx")
    return folder.parent


def parse_file(path: Path):
    return parse_index(path.read_bytes(), path.name)


def test_daily_master_file_every_line_parsed(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "master.20200103.idx")
    assert parsed.layout == "master-daily"
    # grep -c edgar/data master.20200103.idx -> 7989 filing lines
    assert len(parsed.rows) == 7989
    assert parsed.problems.empty
    counts = parsed.rows["form_type"].value_counts()
    # awk -F'|' '$3=="S-1"' ... | wc -l, same for the others
    assert counts["S-1"] == 4
    assert counts["S-4"] == 1
    assert counts["DEFM14A"] == 2
    assert counts["425"] == 18
    # awk: 13 distinct accessions among the 18 rows of 425 (filer and subject company)
    assert parsed.rows.loc[parsed.rows.form_type == "425", "accession"].nunique() == 13
    first = parsed.rows.iloc[0]
    assert first["accession"] == "0001209191-20-000788"
    assert first["cik"] == 1000229
    assert first["company_name"] == "CORE LABORATORIES N V"
    assert first["date_filed"] == dt.datetime(2020, 1, 3)
    assert first["line_no"] == 8


def test_quarterly_master_with_cloud_header_and_iso_dates(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "master.1993QTR4.excerpt.idx")
    assert parsed.layout == "master-quarterly"
    assert len(parsed.rows) == 20 and parsed.problems.empty
    row = parsed.rows.iloc[0]
    assert (row["cik"], row["form_type"], row["date_filed"]) == (
        1095785,
        "REGDEX",
        dt.datetime(1993, 12, 30),
    )
    # one accession listed under two companies (SC 13D/A filer and subject)
    pair = parsed.rows[parsed.rows.accession == "0001021408-01-503754"]
    assert sorted(pair["cik"]) == [895421, 909465]


def test_daily_excerpt(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "master.20181231.excerpt.idx")
    assert len(parsed.rows) == 10
    assert parsed.rows["form_type"].tolist().count("424B2") == 2


def test_fixed_width_form_file(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "form.20200318.idx")
    assert parsed.layout == "form"
    assert len(parsed.rows) == 4084 and parsed.problems.empty  # grep -c edgar/data
    counts = parsed.rows["form_type"].value_counts()
    # awk 'NR>10{print substr($0,1,12)}' | sort | uniq -c
    assert (counts["S-1"], counts["F-1"], counts["DRS"], counts["425"]) == (1, 1, 1, 12)
    assert (counts["SC TO-T/A"], counts["SC TO-I"]) == (2, 2)
    row = parsed.rows.iloc[0]
    assert (row["form_type"], row["company_name"], row["cik"]) == (
        "1-A",
        "DLP Positive Note Fund LLC",
        1806014,
    )


@pytest.mark.parametrize(
    ("name", "rows"), [("company.20200102.idx", 4441), ("company.20221003.idx", 4925)]
)
def test_fixed_width_company_files(edgar_dir: Path, name: str, rows: int) -> None:
    parsed = parse_file(edgar_dir / name)
    assert parsed.layout == "company"
    assert len(parsed.rows) == rows and parsed.problems.empty
    # every form type is a clean token: the column split never cut into a name
    assert edgar_row_problems(parsed.rows, today=dt.date(2026, 1, 5)).eq("").all()


def test_company_20221003_deal_forms_counted_by_hand(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "company.20221003.idx")
    counts = parsed.rows["form_type"].value_counts()
    # awk 'NR>11{print substr($0,63,12)}' company.20221003.idx | sort | uniq -c
    # (the data README says 15 S-1, 51 x 425, 2 DEFM14A; the file itself has these)
    assert counts["424B4"] == 4
    assert counts["S-1"] == 14
    assert counts["425"] == 31
    assert counts["DEFM14A"] == 1
    assert counts["S-1/A"] == 6 and counts["F-1/A"] == 5 and counts["RW"] == 1
    vmware = parsed.rows[parsed.rows.form_type == "DEFM14A"].iloc[0]
    assert (vmware["company_name"], vmware["cik"]) == ("VMWARE, INC.", 1124610)
    # 23 distinct accessions among the 31 rows of 425 (awk on the file names)
    assert parsed.rows.loc[parsed.rows.form_type == "425", "accession"].nunique() == 23


def test_malformed_lines_are_reported_and_good_lines_kept(edgar_dir: Path) -> None:
    lines = (edgar_dir / "master.20200103.idx").read_text().splitlines()
    lines[9] = "1000229|CORE LABORATORIES N V|4|20200103"  # a field short (line 10)
    lines[10] = "12x4|ACME|S-1|20200103|edgar/data/1234/0001234567-20-000001.txt"  # line 11
    lines[11] = "1000232|KENTUCKY BANCSHARES|4|2020-13-45|edgar/data/1/0001179110-20-000106.txt"
    lines[12] = "1000232|KENTUCKY BANCSHARES|4|20200103|edgar/data/1000232/not-an-accession.txt"
    parsed = parse_index("\n".join(lines), "master.20200103.idx")
    assert len(parsed.rows) == 7989 - 4
    reasons = parsed.problems["reason"].tolist()
    assert reasons == [
        "master.20200103.idx line 10: expected 5 '|'-separated fields, got 4",
        "master.20200103.idx line 11: CIK is not a number",
        "master.20200103.idx line 12: date filed is not YYYYMMDD or YYYY-MM-DD",
        "master.20200103.idx line 13: file name is not edgar/data/<CIK>/<accession>.txt",
    ]
    assert '"line": "12x4|ACME' in parsed.problems["raw_values"].iloc[1]


def test_unknown_and_garbage_form_types(edgar_dir: Path) -> None:
    lines = (edgar_dir / "master.20181231.excerpt.idx").read_text().splitlines()
    lines[7] = lines[7].replace("|4|", "|X-99Z|")  # unknown but well-formed: kept, 'other'
    lines[8] = lines[8].replace("|424B2|", "|<b>oops</b>|")
    parsed = parse_index("\n".join(lines), "master.20181231.idx")
    assert len(parsed.rows) == 10
    reasons = edgar_row_problems(parsed.rows, today=dt.date(2026, 1, 5))
    assert reasons.iloc[0] == ""
    assert reasons.iloc[1] == (
        "master.20181231.idx line 9: form type '<b>oops</b>' is not an EDGAR form type"
    )
    assert (reasons != "").sum() == 1


def test_future_date_is_a_row_problem(edgar_dir: Path) -> None:
    parsed = parse_file(edgar_dir / "master.20181231.excerpt.idx")
    assert (
        edgar_row_problems(parsed.rows, today=dt.date(2018, 12, 1))
        .str.contains("date filed is in the future")
        .all()
    )


def test_unrecognisable_file_raises_naming_it() -> None:
    with pytest.raises(UnrecognisedIndexError, match=r"master\.20200106\.idx: no EDGAR index"):
        parse_index(
            b"<html><body>Request Rate Threshold Exceeded</body></html>", "master.20200106.idx"
        )


def test_replay_fetch_and_idempotent_load(
    replay_root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    client = EdgarReplayClient(replay_root)
    days = [dt.date(2018, 12, 31), dt.date(2020, 1, 3), dt.date(2020, 1, 6)]
    batch = fetch(client, days=days, quarters=[(1993, 4)])
    assert batch.complete
    statuses = dict(zip(batch.index_files.index_file, batch.index_files.status, strict=True))
    assert statuses == {
        "master.1993QTR4.idx": "loaded",
        "master.20181231.idx": "loaded",
        "master.20200103.idx": "loaded",
        "master.20200106.idx": "no_index",  # no file = the live 404: no filings that day
    }
    # 20 + 10 + 7989 lines, minus 60 repeated (accession, cik) lines of fund series
    assert batch.duplicates == 60
    assert len(batch.frame) == 20 + 10 + 7989 - 60
    assert (batch.frame["source"] == "replay:replay").all()
    loaded = load_edgar(con, batch.frame, "run-1", FETCHED_AT, index_files=batch.index_files)
    again = load_edgar(con, batch.frame, "run-2", FETCHED_AT + dt.timedelta(days=1))
    assert loaded == again == 8019 - 60
    rows = con.execute(
        "select count(*), count(distinct run_id), min(first_fetched_at) < max(fetched_at) "
        "from raw.edgar_filings"
    ).fetchone()
    assert rows == (7959, 1, True)
    files = con.execute("select count(*) from raw.edgar_index_files").fetchone()
    assert files == (4,)


def test_load_is_all_or_nothing(replay_root: Path, con: duckdb.DuckDBPyConnection) -> None:
    batch = fetch(EdgarReplayClient(replay_root), days=[dt.date(2018, 12, 31)])
    broken = batch.frame.copy()
    broken.loc[5, "company_name"] = None  # violates not null
    with pytest.raises(duckdb.Error):
        load_edgar(con, broken, "run-1", FETCHED_AT, index_files=batch.index_files)
    assert con.execute("select count(*) from raw.edgar_filings").fetchone() == (0,)
    assert con.execute("select count(*) from raw.edgar_index_files").fetchone() == (0,)


def test_live_client_needs_a_user_agent_with_contact() -> None:
    with pytest.raises(EdgarNotConfigured, match="no SEC User-Agent configured"):
        EdgarLiveClient(user_agent="")
    with pytest.raises(ValueError, match="must contain a contact e-mail"):
        EdgarLiveClient(user_agent="Acme Research")
    with pytest.raises(ValueError, match="SEC allows < 10/s"):
        EdgarLiveClient(user_agent="Acme ops@acme.example", max_requests_per_s=10)
