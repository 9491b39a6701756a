-- reporting/relative_strength: the ratio of every pair with its 50/200-session averages and
-- spreads, for the sessions a report charts. Parameters: $1 start, $2 end (inclusive dates).
with window_rows as (
    select
        pair,
        date,
        ratio,
        ratio_ma50,
        ratio_ma200,
        ratio_vs_ma50,
        ratio_vs_ma200,
        spread_20d,
        spread_60d,
        ytd_spread,
        streak
    from marts.relative_strength
    where date between $1 and $2
)

select *
from window_rows
order by pair, date
