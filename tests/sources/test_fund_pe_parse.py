"""The funds' vendor P/E: the real quoteSummary recordings, the 2021→2025 flip, damaged bodies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sources.fund_pe import (
    FundPeFormatError,
    FundPeReplayClient,
    fetch,
    normalise_pe,
    parse_quote_summary,
)


def _recording(shared_data: Path, day: str) -> bytes:
    return (shared_data / "fundamentals" / f"yahoo-quotesummary.QQQ.{day}.json").read_bytes()


def test_the_real_recordings_read_as_multiples_across_the_flip(shared_data: Path) -> None:
    old = parse_quote_summary(_recording(shared_data, "2021-02-05"), "a.json", fund="QQQ")
    assert (old.reported_value, old.pe, old.reported_as) == (34.82, 34.82, "multiple")
    assert old.as_of == dt.date(2021, 2, 5)  # regularMarketTime 1612543275, New York
    new = parse_quote_summary(_recording(shared_data, "2025-02-24"), "b.json", fund="QQQ")
    assert new.reported_value == 0.02938 and new.reported_as == "reciprocal"
    assert new.pe == pytest.approx(34.036, abs=1e-3)
    assert new.as_of == dt.date(2025, 2, 21)  # a Monday-morning download: Friday's close


def test_the_bare_body_parses_like_the_recorded_wrapper(shared_data: Path) -> None:
    wrapped = json.loads(_recording(shared_data, "2025-02-24"))
    body = json.dumps(wrapped["response"]["bodyJson"])
    assert parse_quote_summary(body, "b.json", fund="QQQ") == parse_quote_summary(
        _recording(shared_data, "2025-02-24"), "b.json", fund="QQQ"
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>503</html>", "not JSON"),
        (b'{"quoteSummary": {"result": null, "error": {"code": "Not Found"}}}', "Not Found"),
        (
            b'{"quoteSummary": {"result": [{"price": {"symbol": "QQQ"}}]}}',
            "priceToEarnings is missing",
        ),
        (
            b'{"quoteSummary": {"result": [{"price": {"symbol": "SPY"}}]}}',
            "quote is for SPY, asked for QQQ",
        ),
        (
            b'{"quoteSummary": {"result": [{"price": {"symbol": "QQQ", "regularMarketTime": 1}, '
            b'"topHoldings": {"equityHoldings": {"priceToEarnings": 0}}}]}}',
            "not positive",
        ),
    ],
)
def test_a_damaged_body_is_one_line_naming_the_file(body: bytes, reason: str) -> None:
    with pytest.raises(FundPeFormatError, match=reason) as info:
        parse_quote_summary(body, "x.json", fund="QQQ")
    assert str(info.value).startswith("x.json: ")


def test_normalise_reads_below_one_as_a_yield() -> None:
    assert normalise_pe(20.0) == (20.0, "multiple")
    assert normalise_pe(0.05) == (20.0, "reciprocal")
    assert normalise_pe(1.0) == (1.0, "multiple")


def test_replay_offers_the_recordings_up_to_the_session(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "fund_pe"
    folder.mkdir()
    for day in ("2021-02-05", "2025-02-24"):
        name = f"yahoo-quotesummary.QQQ.{day}.json"
        (folder / name).symlink_to(shared_data / "fundamentals" / name)
    (folder / "yahoo-quotesummary.IWM.2025-02-24.json").write_text("{truncated")
    client = FundPeReplayClient(tmp_path)
    batch = fetch(client, ["QQQ", "IWM", "IVV"], dt.date(2024, 1, 2))
    assert list(batch.frame["as_of"]) == [dt.date(2021, 2, 5)]
    assert "no quote recorded up to 2024-01-02" in " ".join(batch.messages)
    later = fetch(client, ["QQQ", "IWM"], dt.date(2025, 2, 24))
    assert sorted(later.frame["reported_as"]) == ["multiple", "reciprocal"]
    assert "IWM" in later.failed and "not JSON" in later.failed["IWM"]
