"""EDGAR index parser, replay twin, row checks and load, on the real index files.

Expected counts were taken by hand from the files with awk/grep (shown next to each number),
not from the parser.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality.edgar import edgar_row_problems
from sources.edgar import (
    FILING_COLUMNS,
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


def test_blank_lines_crlf_and_extra_fields(edgar_dir: Path) -> None:
    """Empty and blank lines are skipped but counted; a trailing '|' is a field, not noise."""
    lines = (edgar_dir / "master.20200103.idx").read_text().splitlines()
    # lines 8.. are filings; replace five of them (file lines 10, 11, 12, 14, 15)
    lines[9] = ""
    lines[10] = "   "
    lines[11] = lines[11] + "|"  # 6 fields, the last empty: the CSV reader would drop it
    lines[13] = "1|A|B|C|D|E"
    lines[14] = "||||"  # five empty fields: a row with no file name
    data = ("\r\n".join(lines) + "\r\n").encode()
    parsed = parse_index(data, "master.20200103.idx")
    assert parsed.problems["reason"].tolist() == [
        "master.20200103.idx line 12: expected 5 '|'-separated fields, got 6",
        "master.20200103.idx line 14: expected 5 '|'-separated fields, got 6",
        "master.20200103.idx line 15: file name is not edgar/data/<CIK>/<accession>.txt",
    ]
    assert '"line": "||||"' in parsed.problems["raw_values"].iloc[2]
    assert len(parsed.rows) == 7989 - 5
    # sed -n 13p: the line after the extra-field line keeps its own number and values
    row = parsed.rows[parsed.rows.line_no == 13].iloc[0]
    assert (row["accession"], row["company_name"]) == (
        "0001179110-20-000108",
        "KENTUCKY BANCSHARES INC /KY/",
    )
    assert parsed.rows["line_no"].iloc[:3].tolist() == [8, 9, 13]


def test_line_numbers_hold_across_a_quarter_sized_file(edgar_dir: Path) -> None:
    """The CSV reader splits a big file between threads: rows and rejects keep true numbers."""
    lines = (edgar_dir / "master.20200103.idx").read_text().splitlines()
    header, body = lines[:7], lines[7:]
    big = header + body * 50  # 399,457 lines
    bad = {20: "1|2", 150_007: "x|y|z|w|v|u", 250_001: "1|a|b|c|d||", 399_000: "abc"}
    for line_no, text in bad.items():
        big[line_no - 1] = text
    parsed = parse_index("\n".join(big), "master.2020QTR1.idx")
    assert parsed.problems["line_no"].tolist() == sorted(bad)
    assert len(parsed.rows) == len(body) * 50 - len(bad)
    sample = parsed.rows.iloc[::997]
    for line_no, accession, cik in zip(
        sample["line_no"], sample["accession"], sample["cik"], strict=True
    ):
        assert big[line_no - 1].startswith(f"{cik}|")
        assert big[line_no - 1].endswith(f"/{accession}.txt")
    for line_no in (21, 150_008, 250_002, 399_001):  # the rows right after the bad lines
        row = parsed.rows[parsed.rows.line_no == line_no].iloc[0]
        assert big[line_no - 1].endswith(f"/{row['accession']}.txt")


def test_latin1_company_name_is_read(edgar_dir: Path) -> None:
    lines = (edgar_dir / "master.20200103.idx").read_text().splitlines()
    lines[8] = lines[8].replace("CORE LABORATORIES", "CORE LABORATOIRES \xc9")
    parsed = parse_index("\n".join(lines).encode("latin-1"), "master.20200103.idx")
    assert parsed.problems.empty
    assert parsed.rows["company_name"].iloc[1] == "CORE LABORATOIRES \xc9 N V"


def test_fixed_width_malformed_lines(edgar_dir: Path) -> None:
    lines = (edgar_dir / "form.20200318.idx").read_text().splitlines()
    lines[11] = lines[11][:60]  # line 12: cut before the CIK
    lines[12] = lines[12].replace("20200318", "20201318")  # line 13: no such date
    lines[13] = ""  # line 14: blank, skipped
    parsed = parse_index("\n".join(lines), "form.20200318.idx")
    assert parsed.problems["reason"].tolist() == [
        "form.20200318.idx line 12: not a fixed-width index row",
        "form.20200318.idx line 13: date filed is not YYYYMMDD or YYYY-MM-DD",
    ]
    assert len(parsed.rows) == 4084 - 3
    assert parsed.rows["line_no"].iloc[:2].tolist() == [11, 15]


def test_row_checks_name_each_failure() -> None:
    """Every rule, several on one row, missing values, and an index that is not 0..n-1."""
    good = "edgar/data/1/0001209191-20-{}.txt"
    frame = pd.DataFrame(
        [
            ("0001209191-20-000788", 1, "CORE", "4", "2020-01-03", good.format("000788")),
            ("0001209191-20-00078", 1, "CORE", "4", "2020-01-03", good.format("00078")),
            ("000120919A-20-000788", 1, "X", "S-1", "2020-01-03", good.format("x")),
            ("0001209191-20-000789", 0, " ", "<b>oops</b>", "1990-01-01", good.format("000788")),
            ("0001209191-20-000790", -5, None, None, None, good.format("000790")),
            ("0001209191-20-000791", None, "ACME", "s-1", "2030-01-01", good.format("000791")),
            ("0001209191-20-000792", 7, "ACME", "A" * 26, "2020-01-03", good.format("000792")),
            ("0001209191-20-000793", 7, "ACME", "SC TO-T/A", "2026-01-06", good.format("000793")),
            ("0001209191-20-000794", 7, "ACME", "SC TO-T/A", "2026-01-07", good.format("000794")),
            (None, 7, "ACME", "", "2020-01-03", None),
        ],
        columns=["accession", "cik", "company_name", "form_type", "date_filed", "file_name"],
        index=range(100, 200, 10),
    )
    frame["date_filed"] = pd.to_datetime(frame["date_filed"])
    frame["index_file"] = "m.idx"
    frame["line_no"] = range(8, 18)
    reasons = edgar_row_problems(frame, today=dt.date(2026, 1, 5))
    assert reasons.index.tolist() == frame.index.tolist()
    assert reasons.tolist() == [
        "",
        "m.idx line 9: accession is not NNNNNNNNNN-YY-NNNNNN",
        "m.idx line 10: accession is not NNNNNNNNNN-YY-NNNNNN; "
        "file name does not contain the accession",
        "m.idx line 11: file name does not contain the accession; CIK is not a positive number; "
        "company name is empty; form type '<b>oops</b>' is not an EDGAR form type; "
        "date filed is missing or before 1993",
        "m.idx line 12: CIK is not a positive number; company name is empty; "
        "form type '' is not an EDGAR form type; date filed is missing or before 1993",
        "m.idx line 13: CIK is not a positive number; form type 's-1' is not an EDGAR form type; "
        "date filed is in the future",
        "m.idx line 14: form type 'AAAAAAAAAAAAAAAAAAAAAAAAAA' is not an EDGAR form type",
        "",  # 2026-01-06 is today + 1: allowed (EDGAR dates are US Eastern)
        "m.idx line 16: date filed is in the future",
        "m.idx line 17: accession is not NNNNNNNNNN-YY-NNNNNN; "
        "form type '' is not an EDGAR form type",
    ]


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
    assert loaded == 8019 - 60
    assert again == 0  # nothing the SEC lists changed: nothing rewritten, nothing counted
    rows = con.execute(
        "select count(*), any_value(run_id), min(first_fetched_at) < max(fetched_at) "
        "from raw.edgar_filings"
    ).fetchone()
    assert rows == (7959, "run-1", False)
    files = con.execute("select count(*) from raw.edgar_index_files").fetchone()
    assert files == (4,)


def test_reload_updates_what_changed_and_keeps_first_sighting(
    replay_root: Path, con: duckdb.DuckDBPyConnection
) -> None:
    batch = fetch(EdgarReplayClient(replay_root), days=[dt.date(2018, 12, 31)])
    load_edgar(con, batch.frame, "run-1", FETCHED_AT)
    changed = batch.frame.copy()
    changed.loc[0, ["company_name", "form_type"]] = ["RENAMED CO", "4/A"]
    later = FETCHED_AT + dt.timedelta(days=1)
    load_edgar(con, changed, "run-2", later)
    accession, cik = changed.loc[0, ["accession", "cik"]]
    row = con.execute(
        "select company_name, form_type, run_id, first_fetched_at, fetched_at "
        "from raw.edgar_filings where accession = ? and cik = ?",
        [accession, int(cik)],
    ).fetchone()
    assert row == ("RENAMED CO", "4/A", "run-2", FETCHED_AT, later)
    assert con.execute("select count(*) from raw.edgar_filings").fetchone() == (10,)


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


def _index_file(day: dt.date, rows: int, status: str = "loaded") -> dict[str, object]:
    return {"index_file": f"master.{day:%Y%m%d}.idx", "period_start": day, "period_end": day,
            "status": status, "rows": rows, "url": "file:///x"}  # fmt: skip


def test_short_index_against_its_weekdays_median(con: duckdb.DuckDBPyConnection) -> None:
    from sources.edgar import INDEX_FILE_COLUMNS, short_index_files

    fridays = [dt.date(2019, 11, 29) + dt.timedelta(weeks=n) for n in range(5)]  # to 12-27
    stored = pd.DataFrame(
        [_index_file(d, r) for d, r in zip(fridays, [2000, 7900, 8000, 7989, 8100], strict=True)]
        + [_index_file(dt.date(2019, 12, 30), 300)],  # a Monday: another weekday, not counted
        columns=INDEX_FILE_COLUMNS,
    )
    load_edgar(con, pd.DataFrame(columns=FILING_COLUMNS), "r0", FETCHED_AT, index_files=stored)
    cut = dt.date(2020, 1, 3)
    batch = pd.DataFrame([_index_file(cut, 802)], columns=INDEX_FILE_COLUMNS)
    short = short_index_files(con, batch)
    # median of the last 5 Fridays (2000 after Thanksgiving included) is 7,989
    assert short.to_dict("records") == [
        {"index_file": "master.20200103.idx", "rows": 802, "median_rows": 7989.0, "files": 5,
         "basis": "weekday"}
    ]  # fmt: skip
    # issue 15: a file cut at half its length is short (at the old 25% it loaded as complete)
    assert len(short_index_files(con, pd.DataFrame([_index_file(cut, 3995)]))) == 1
    assert short_index_files(con, pd.DataFrame([_index_file(cut, 4900)])).empty  # 61%: fine
    # stored as short; the next read gives the same 802 rows: what EDGAR published, accepted
    load_edgar(con, pd.DataFrame(columns=FILING_COLUMNS), "r1", FETCHED_AT,
               index_files=batch.assign(status="short"))  # fmt: skip
    assert short_index_files(con, batch).empty
    assert len(short_index_files(con, batch.assign(rows=803))) == 1  # a different cut: short
    # issue 15: with fewer than 3 earlier Fridays known (one here), the judgement works from
    # the first files: against the nearest daily files of any weekday
    with_one_known = pd.DataFrame([_index_file(dt.date(2019, 12, 6), 10)])
    judged = short_index_files(con, with_one_known).to_dict("records")
    assert judged == [{"index_file": "master.20191206.idx", "rows": 10, "median_rows": 7989.0,
                       "files": 5, "basis": "any"}]  # fmt: skip
    assert short_index_files(con, with_one_known.assign(rows=7000)).empty


def test_short_index_from_the_first_files_of_a_first_run(con: duckdb.DuckDBPyConnection) -> None:
    """A first run reads ten days at once: no weekday has three earlier files, yet a file cut
    at half its length among them is judged against the others."""
    from sources.edgar import INDEX_FILE_COLUMNS, short_index_files

    days = [dt.date(2020, 1, 6) + dt.timedelta(days=n) for n in range(12)]
    days = [d for d in days if d.weekday() < 5]  # 2020-01-06 .. 01-17: ten sessions
    rows = {d: 7000 + 100 * i for i, d in enumerate(days)}
    rows[days[3]] = 3600  # cut at about half
    batch = pd.DataFrame([_index_file(d, n) for d, n in rows.items()], columns=INDEX_FILE_COLUMNS)
    short = short_index_files(con, batch)
    assert list(short["index_file"]) == [f"master.{days[3]:%Y%m%d}.idx"]
    assert list(short["basis"]) == ["any"]
    assert short_index_files(con, batch.iloc[:2]).empty  # two files: nothing to judge by


def test_a_filing_dated_after_its_index_is_a_row_problem(edgar_dir: Path) -> None:
    daily = (edgar_dir / "master.20200103.idx").read_text().splitlines()
    daily[11] = daily[11].replace("|20200103|", "|20200106|")  # line 12: after the index's day
    parsed = parse_index("\n".join(daily), "master.20200103.idx")
    reasons = edgar_row_problems(parsed.rows, today=dt.date(2026, 1, 5))
    assert reasons[reasons != ""].tolist() == [
        "master.20200103.idx line 12: date filed 2020-01-06 is after its index file's period "
        "(to 2020-01-03)"
    ]  # the 2019 dates in the same file are real (late correspondence) and pass
    quarter = (
        (edgar_dir / "master.1993QTR4.excerpt.idx").read_text().replace("1993-12-", "1994-01-", 1)
    )
    parsed = parse_index(quarter, "master.1993QTR4.idx")
    reasons = edgar_row_problems(parsed.rows, today=dt.date(2026, 1, 5))
    [reason] = reasons[reasons != ""].tolist()
    assert reason.endswith("is after its index file's period (to 1993-12-31)")
