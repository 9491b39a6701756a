-- Which month-end holdings snapshots the history backfill asked the vendor for, one row per
-- (fund, month_end): what came back and why. A month whose status is not 'failed' is not
-- asked again (a vendor with no holdings that day, or an HTML page, answers the same next
-- time); 'failed' (the request failed: timeout, HTTP error) is retried by the next backfill.
-- as_of is the date the loaded file says (the vendor's last business day of that month).
create table if not exists ops.holdings_history (
    fund varchar not null,
    month_end date not null,
    status varchar not null,           -- loaded | no_holdings | not_holdings | blocked | failed
    reason varchar not null,
    as_of date,
    file varchar,
    bytes bigint,
    source varchar not null,
    requested_at timestamp not null,
    run_id varchar not null,
    primary key (fund, month_end)
);
