"""The whole daily run at index scale, on real member prices (issue 18 item 4).

The real ``rotation run`` (a subprocess: the CLI a user types, ephemeral Prefect) replays the
real IWM holdings of 2025-05-13 (1,930 members) with the members' real daily bars from Stooq's
bulk file (``../shared/data/member-prices``, read by the Stooq replay twin where Yahoo has no
file) and the funds' real Yahoo CSVs, for three sessions: 2025-05-13 (the first run: it loads
the history, 300 sessions per member), then 2025-05-14 and 2025-05-15 as daily runs.

After every run it checks what a user relies on:

* the run completed and kept its build (no rollback);
* ``marts.breadth`` equals an independent pandas computation on the same stored closes
  (``staging.prices``, ``staging.holdings_members``; not the mart SQL), every column, on every
  breadth session including the run's own (the one the alerts read);
* the members priced on each session equal the members that have a bar that day in the
  Stooq file (no complete bar lost to a false "intraday" judgement or a held real move);
* member damage sends at most 3 alerts per run, whatever the number of members.

One replay and one database for the module: the three runs take a few minutes here, so the
test is marked ``scale`` (``make test-scale``; ``make check`` leaves it out, ``.ci/run`` runs it
after).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.scale

REPO = Path(__file__).resolve().parents[2]
SESSIONS = ("2025-05-13", "2025-05-14", "2025-05-15")
HOLDINGS = "IWM.2025-05-13.csv"
# the funds, the benchmark and ^GSPC/^VIX from one real Yahoo CSV snapshot covering the sessions
PRICE_SNAPSHOT = "yahoo-csv-2025-09-26"
SYMBOLS = ("SPY", "IWM", "IWB", "^GSPC", "^VIX")
PAIRS = ("IWM/SPY", "IWM/IWB")
SHARE_TOLERANCE = 0.001  # 0.1 percentage point
RETURN_TOLERANCE = 1e-9
COUNTS = ("members", "members_priced", "with_ma50", "above_ma50", "with_ma200", "above_ma200",
          "with_252", "new_highs", "new_lows", "net_new_highs", "advancers", "decliners",
          "unchanged", "ad_line", "with_benchmark_20", "with_benchmark_60")  # fmt: skip
SHARES = ("above_ma50_share", "above_ma200_share", "beat_benchmark_20_share",
          "beat_benchmark_60_share")  # fmt: skip
RETURNS = ("equal_weight_return", "weighted_return", "breadth_spread", "fund_value")
MAX_MEMBER_DAMAGE_ALERTS = 3


@dataclass(frozen=True)
class Run:
    session: str
    db: Path
    code: int
    output: str
    run_id: str
    status: str
    breadth: pd.DataFrame  # marts.breadth after the run
    priced: dict[str, set[str]]  # per replayed session up to the run's: symbols stored that day
    held: dict[str, set[str]]  # per session as in priced: members this run held as a shift
    expected: pd.DataFrame  # the independent computation on the same stored closes
    alerts: list[dict[str, object]]  # the console channel's delivered events of this run


def build_replay(root: Path, shared_data: Path) -> Path:
    """Symlinks only: the funds' CSVs, the one IWM snapshot, the Stooq bulk file."""
    (root / "prices").mkdir(parents=True)
    for symbol in SYMBOLS:
        (root / "prices" / f"{symbol}.csv").symlink_to(
            shared_data / "prices" / PRICE_SNAPSHOT / f"{symbol}.csv"
        )
    (root / "holdings").mkdir()
    (root / "holdings" / HOLDINGS).symlink_to(shared_data / "holdings" / HOLDINGS)
    (root / "stooq").symlink_to(shared_data / "member-prices")
    return root


def independent_breadth(db: Path, benchmark: str = "SPY") -> pd.DataFrame:
    """Breadth per session in pandas from the stored closes and members (docs/breadth.md)."""
    with duckdb.connect(str(db), read_only=True) as con:
        prices = con.execute("select symbol, date, value from staging.prices").df()
        members = con.execute(
            "select fund, as_of, ticker, weight from staging.holdings_members"
        ).df()
        sessions = con.execute("select date from staging.dashboard_sessions").df()["date"]
    prices["date"] = pd.to_datetime(prices["date"]).dt.date
    members["as_of"] = pd.to_datetime(members["as_of"]).dt.date
    prices = prices.sort_values(["symbol", "date"]).reset_index(drop=True)
    by = prices.groupby("symbol", sort=False)["value"]
    n = by.cumcount() + 1
    prices["ret_1d"] = prices["value"] / by.shift(1) - 1
    ma50 = by.transform(lambda s: s.rolling(50).mean())
    ma200 = by.transform(lambda s: s.rolling(200).mean())
    prior_max = by.transform(lambda s: s.shift(1).rolling(251).max())
    prior_min = by.transform(lambda s: s.shift(1).rolling(251).min())
    prices["above_ma50"] = np.where(n >= 50, prices["value"] > ma50, np.nan)
    prices["above_ma200"] = np.where(n >= 200, prices["value"] > ma200, np.nan)
    prices["new_high"] = np.where(n >= 252, prices["value"] > prior_max, np.nan)
    prices["new_low"] = np.where(n >= 252, prices["value"] < prior_min, np.nan)
    prices["ret_20"] = prices["value"] / by.shift(20) - 1
    prices["ret_60"] = prices["value"] / by.shift(60) - 1
    bench = prices[prices["symbol"] == benchmark].set_index("date")[["ret_20", "ret_60"]]
    by_day = dict(tuple(prices.groupby("date")))
    rows = []
    for fund, snapshots in members.groupby("fund"):
        ad_line = 0
        for session in sorted(pd.to_datetime(sessions).dt.date):
            in_force = [d for d in snapshots["as_of"].unique() if d <= session]
            if not in_force:
                continue
            as_of = max(in_force)
            m = snapshots[snapshots["as_of"] == as_of]
            day = by_day.get(session, prices.iloc[0:0])
            t = m.merge(day, left_on="ticker", right_on="symbol", how="left")
            b20 = bench["ret_20"].get(session, np.nan)
            b60 = bench["ret_60"].get(session, np.nan)
            beat20 = np.where(t["ret_20"].notna() & pd.notna(b20), t["ret_20"] > b20, np.nan)
            beat60 = np.where(t["ret_60"].notna() & pd.notna(b60), t["ret_60"] > b60, np.nan)
            ret = t["ret_1d"]
            has_ret = ret.notna()
            adv, dec = int((ret > 0).sum()), int((ret < 0).sum())
            ad_line += adv - dec
            weight_sum = t.loc[has_ret, "weight"].sum()
            ew = ret.mean() if has_ret.any() else np.nan
            wr = (t["weight"] * ret).sum() / weight_sum if weight_sum else np.nan
            fund_value = day.loc[day["symbol"] == fund, "value"]

            def share(flags: np.ndarray) -> tuple[int, int, float]:
                known = flags[~pd.isna(flags)].astype(bool)
                count, hits = len(known), int(known.sum())
                return count, hits, hits / count if count else np.nan

            w50, a50, s50 = share(np.asarray(t["above_ma50"], dtype=float))
            w200, a200, s200 = share(np.asarray(t["above_ma200"], dtype=float))
            highs = np.asarray(t["new_high"], dtype=float)
            lows = np.asarray(t["new_low"], dtype=float)
            wb20, _, sb20 = share(np.asarray(beat20, dtype=float))
            wb60, _, sb60 = share(np.asarray(beat60, dtype=float))
            new_highs, new_lows = int(np.nansum(highs)), int(np.nansum(lows))
            rows.append(
                {
                    "session": session, "fund": fund, "holdings_as_of": as_of,
                    "members": len(t), "members_priced": int(t["value"].notna().sum()),
                    "with_ma50": w50, "above_ma50": a50, "above_ma50_share": s50,
                    "with_ma200": w200, "above_ma200": a200, "above_ma200_share": s200,
                    "with_252": int((~np.isnan(highs)).sum()), "new_highs": new_highs,
                    "new_lows": new_lows, "net_new_highs": new_highs - new_lows,
                    "advancers": adv, "decliners": dec, "unchanged": int((ret == 0).sum()),
                    "ad_line": ad_line, "equal_weight_return": ew, "weighted_return": wr,
                    "breadth_spread": ew - wr, "with_benchmark_20": wb20,
                    "beat_benchmark_20_share": sb20, "with_benchmark_60": wb60,
                    "beat_benchmark_60_share": sb60,
                    "fund_value": float(fund_value.iloc[0]) if len(fund_value) else np.nan,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def members_with_a_bar(shared_data: Path, tickers: list[str]) -> dict[str, set[str]]:
    """Per session of SESSIONS: the members that have a bar that day in Stooq's bulk file,
    read straight from the file (the ticker map, else the ticker's own ``.US`` name)."""
    folder = shared_data / "member-prices"
    found = json.loads((folder / "stooq-ticker-map.json").read_text())["found"]
    (bulk,) = folder.glob("*.csv.gz")
    days = {s.replace("-", "") for s in SESSIONS}
    paths: dict[str, set[str]] = {d: set() for d in days}
    names: dict[str, set[str]] = {d: set() for d in days}
    with gzip.open(bulk, "rt") as lines:
        next(lines)
        for line in lines:
            fields = line.rstrip("\n").split(",")
            if fields[2] in days:
                names[fields[2]].add(fields[0])
                paths[fields[2]].add(fields[-1])
    out: dict[str, set[str]] = {}
    for session in SESSIONS:
        day = session.replace("-", "")
        out[session] = {
            t
            for t in tickers
            if found.get(t) in paths[day]
            or t.upper().replace(".", "-").replace("/", "-") + ".US" in names[day]
        }
    return out


@pytest.fixture(scope="module")
def runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Run]]:
    if not (shared_data / "member-prices").is_dir():
        pytest.skip(f"the member bars are absent: {shared_data / 'member-prices'}")
    root = tmp_path_factory.mktemp("index-scale")
    replay = build_replay(root / "replay", shared_data)
    db = root / "data" / "rotation.duckdb"
    jsonl = root / "data" / "alerts.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROTATION_", "PREFECT_API"))}
    env.update(
        ROTATION_STORAGE_PATH=str(db),
        ROTATION_ALERTS_CONSOLE_JSONL_PATH=str(jsonl),
        ROTATION_PRICES_SYMBOLS=",".join(SYMBOLS),
        ROTATION_PRICES_PAIRS=",".join(PAIRS),
        ROTATION_HOLDINGS_FUNDS="IWM",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    done: list[Run] = []
    for session in SESSIONS:
        proc = subprocess.run(
            [sys.executable, "-m", "cli.main", "run", "--replay", str(replay), "--date", session],
            cwd=root, env=env | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True,
            timeout=900, check=False,
        )  # fmt: skip
        with duckdb.connect(str(db), read_only=True) as con:
            run_id, status = con.execute(
                "select run_id, status from ops.runs where as_of = ? order by started_at desc",
                [dt.date.fromisoformat(session)],
            ).fetchone() or ("", "absent")
            breadth = con.execute("select * from marts.breadth order by fund, session").df()
            priced = {
                day: {
                    symbol
                    for (symbol,) in con.execute(
                        "select symbol from staging.prices where date = ?",
                        [dt.date.fromisoformat(day)],
                    ).fetchall()
                }
                for day in SESSIONS[: SESSIONS.index(session) + 1]
            }
            held: dict[str, set[str]] = {day: set() for day in priced}
            for (key,) in con.execute(
                "select natural_key from ops.quarantine where run_id = ? and "
                "source = 'member_prices' and reason like 'level shift from %'",
                [run_id],
            ).fetchall():
                symbol, day = key.split("|")
                if day in held:
                    held[day].add(symbol)
        events = (
            [json.loads(line) for line in jsonl.read_text().splitlines()] if jsonl.exists() else []
        )
        done.append(
            Run(
                session, db, proc.returncode, proc.stdout + proc.stderr, run_id, status,
                breadth, priced, held, independent_breadth(db),
                [e for e in events if e.get("run_id") == run_id],
            )
        )  # fmt: skip
    yield done


def test_every_run_completes_and_keeps_its_build(runs: list[Run]) -> None:
    for run in runs:
        assert run.code == 0, run.output[-3000:]
        assert run.status == "completed", run.output[-3000:]
        assert "rolled back" not in run.output, run.output[-3000:]
        assert "Traceback" not in run.output, run.output[-3000:]


def test_breadth_equals_an_independent_computation_on_every_session(runs: list[Run]) -> None:
    for run in runs:
        mart = run.breadth.assign(
            session=pd.to_datetime(run.breadth["session"]).dt.date,
            holdings_as_of=pd.to_datetime(run.breadth["holdings_as_of"]).dt.date,
        )
        expected = run.expected
        # every session from the snapshot to the run's own, the latest included
        assert sorted(mart["session"]) == sorted(expected["session"]), run.session
        assert max(mart["session"]) == dt.date.fromisoformat(run.session)
        joined = mart.merge(expected, on=["fund", "session"], suffixes=("", "_pandas"))
        assert len(joined) == len(mart) == len(expected)
        for _, row in joined.iterrows():
            where = f"run {run.session}, {row['fund']} on {row['session']}"
            assert row["holdings_as_of"] == row["holdings_as_of_pandas"], where
            for column in COUNTS:
                assert int(row[column]) == int(row[f"{column}_pandas"]), f"{where}: {column}"
            for column in SHARES:
                got, want = row[column], row[f"{column}_pandas"]
                assert abs(got - want) <= SHARE_TOLERANCE, f"{where}: {column} {got} vs {want}"
            for column in RETURNS:
                got, want = row[column], row[f"{column}_pandas"]
                assert abs(got - want) <= RETURN_TOLERANCE * max(1.0, abs(want)), (
                    f"{where}: {column} {got} vs {want}"
                )


def test_members_priced_equal_the_members_with_a_bar_that_day(
    runs: list[Run], shared_data: Path
) -> None:
    """Every member with a bar that day is priced on every replayed session. The documented
    exception is a move beyond the stocks' bound (60%) that no second series corroborates
    (Stooq has no raw close): the download that first shows it holds it, the next one with a
    later session confirms it (docs/quality.md). So the first run (history) may hold real
    moves of the past year, a daily run only a move on its own session, and the next run
    prices every one of them. Real cases: 81 members held by the first run (biotech trials,
    buy-outs), Foot Locker's +86% on 2025-05-15 (the buy-out) held by that day's run."""
    with duckdb.connect(str(runs[-1].db), read_only=True) as con:
        tickers = [
            t
            for (t,) in con.execute(
                "select distinct ticker from staging.holdings_members where fund = 'IWM'"
            ).fetchall()
        ]
    with_bar = members_with_a_bar(shared_data, tickers)
    assert 1900 <= len(with_bar[SESSIONS[0]]) <= len(tickers)  # ~1,918 of 1,930
    for i, run in enumerate(runs):
        mart = run.breadth.assign(session=pd.to_datetime(run.breadth["session"]).dt.date)
        for session, priced in run.priced.items():
            unpriced = with_bar[session] - priced
            where = f"run {run.session} on {session}"
            assert unpriced <= run.held[session], (
                f"{where}: not priced and not held: {sorted(unpriced - run.held[session])}"
            )
            if i > 0 and session != run.session:  # held by the run before: confirmed now
                assert not unpriced, f"{where}: still not priced: {sorted(unpriced)}"
            if i > 0:  # a daily run holds only a move its own session shows first
                assert len(unpriced) <= 2, f"{where}: {sorted(unpriced)}"
            (in_mart,) = mart.loc[mart["session"] == dt.date.fromisoformat(session),
                                  "members_priced"]  # fmt: skip
            assert in_mart == len(with_bar[session]) - len(unpriced), (
                f"{where}: {in_mart} members priced in marts.breadth, "
                f"{len(with_bar[session])} have a bar, {len(unpriced)} held"
            )


def test_member_damage_is_at_most_three_alerts_per_run(runs: list[Run]) -> None:
    for run in runs:
        member_damage = [
            e
            for e in run.alerts
            if e.get("rule") == "data_incident"
            and not str(e.get("subject", "")).startswith("prices ")
        ]
        assert len(member_damage) <= MAX_MEMBER_DAMAGE_ALERTS, [
            str(e.get("subject"))[:80] for e in member_damage
        ]
