-- Robert Shiller's monthly S&P composite data (ie_data.xls, sheet Data), one row per month.
-- earnings are the trailing 12 months as Shiller states them (NULL until published); cape and
-- tr_cape are his (NULL for the first ten years). Recent months are estimates Shiller revises:
-- a later workbook's value replaces the stored one (the file says which workbook it was).
create table if not exists raw.shiller_monthly (
    month date primary key,            -- first day of the month
    price double,                      -- S&P composite, monthly average of daily closes
    dividend double,
    earnings double,
    cpi double,
    gs10 double,                       -- 10-year Treasury yield, percent
    cape double,
    tr_cape double,
    file varchar not null,
    source varchar not null,           -- shiller | replay:<folder>
    fetched_at timestamptz not null,
    run_id varchar not null
);
