-- marts.calendar_year_returns: the return of each symbol in each calendar year.
-- grain: symbol, year
--
-- ret = the year's last close / the previous year's last close - 1 (the same base as ytd in
-- marts.returns, so the current year's ret equals the latest ytd). The symbol's first year has
-- no previous close: start_date, start_value and ret are NULL there rather than a partial-year
-- figure that would look like a full year.
with year_closes as (
    select
        symbol,
        year(date) as year,
        max(date) as end_date,
        max_by(value, date) as end_value
    from staging.daily_returns
    group by symbol, year(date)
),

with_previous as (
    select
        symbol,
        year,
        lag(end_date) over by_year as start_date,
        lag(end_value) over by_year as start_value,
        end_date,
        end_value
    from year_closes
    window by_year as (partition by symbol order by year)
)

select
    symbol,
    year,
    start_date,
    end_date,
    start_value,
    end_value,
    end_value / start_value - 1 as ret
from with_previous
