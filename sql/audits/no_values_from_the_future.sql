-- audits.no_values_from_the_future: no session shows a macro or deal-flow value observed after
-- it.
-- severity: blocking
--
-- Guards the as-of joins of marts.macro_daily and marts.daily_dashboard: each macro value
-- carries the date of its observation (hy_spread_date, claims_date, ...) and the dashboard the
-- session its deal-flow counts come from (deal_flow_date). A date after the row's session is a
-- look-ahead: a backtest or an alert would act on data nobody had yet, so the build is not
-- kept. Returns one row per offending value: the mart, the session, the column and its date.
with macro_dates as (
    unpivot (
        select
            date,
            hy_spread_date,
            ig_spread_date,
            claims_date,
            curve_date,
            fed_funds_date,
            nfci_date,
            unemployment_date
        from marts.macro_daily
    )
    on hy_spread_date, ig_spread_date, claims_date, curve_date, fed_funds_date, nfci_date,
    unemployment_date
    into name source_column value source_date
),

future as (
    select
        'marts.macro_daily' as mart,
        date,
        source_column,
        source_date
    from macro_dates
    where source_date > date
    union all
    select
        'marts.daily_dashboard' as mart,
        date,
        'deal_flow_date' as source_column,
        deal_flow_date as source_date
    from marts.daily_dashboard
    where deal_flow_date > date
)

select
    mart,
    date,
    source_column,
    source_date
from future
order by mart, date, source_column
