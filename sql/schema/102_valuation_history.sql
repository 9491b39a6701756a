-- How far back the valuation marts reach before a fund's first holdings snapshot (synced from
-- [valuation] history_start_year before each build). Before the first snapshot, that snapshot
-- stands in for the membership (a survivorship bias: docs/fundamentals.md), evaluated on the
-- last session of each month only.
create table if not exists ops.valuation_history (
    id integer primary key,
    history_start date not null
);

insert into ops.valuation_history (id, history_start) values (1, date '2011-01-01')
on conflict do nothing;
