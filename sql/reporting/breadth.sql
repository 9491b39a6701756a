-- reporting/breadth: breadth per fund and charted session (the report's breadth panel), from
-- marts.breadth. Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        fund,
        session as date,
        members,
        members_priced,
        above_ma50_share,
        above_ma200_share,
        net_new_highs,
        ad_line
    from marts.breadth
    where session between $1 and $2
)

select *
from window_rows
order by fund, date
