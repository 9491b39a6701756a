-- The index members the member-price stage prices (flows/member_prices.py), one row each.
--
-- Members are priced for breadth, thousands of them, and a member that leaves every fund keeps
-- its history but is no longer fetched: its data goes stale by design. The per-symbol
-- staleness rule (sql/alerts/data_quality.sql, stale_sessions) therefore watches the configured
-- [prices] symbols only, and the member stage reports members that delivered nothing as one
-- line per run. last_requested is the last session a run asked for the symbol (it is a member
-- of a latest snapshot then); last_delivered the last run date it came back.
create table if not exists ops.member_symbols (
    symbol varchar primary key,
    first_requested date not null,
    last_requested date not null,
    last_delivered date,
    run_id varchar not null
);
