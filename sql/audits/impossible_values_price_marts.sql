-- audits.impossible_values_price_marts: no price indicator holds a value it cannot take.
-- severity: blocking
--
-- Guards the arithmetic of the price marts, whatever the input: prices and ratios are positive
-- and finite (staging.prices keeps only positive, finite adjusted closes, so anything else was
-- made by the build); a simple return of a positive series is above -100%; volatility is not
-- negative; a drawdown lies in [-1, 0] and the maximum drawdown is never shallower than the
-- current one; a correlation lies in [-1, 1] (1e-9 allowed for rounding); NaN and infinity
-- appear nowhere (NULL is allowed: it means "not enough history"). Returns one row per
-- offending value: the mart, the key, what is wrong and the value.
with returns_checks as (
    select
        'marts.returns' as mart,
        symbol || ' ' || date as key,
        case
            when not (value > 0 and isfinite(value))
                then 'value = ' || value || ', not positive and finite'
            when not (tr_index > 0 and isfinite(tr_index))
                then 'tr_index = ' || tr_index || ', not positive and finite'
            when not (ret_1d > -1 and isfinite(ret_1d))
                then 'ret_1d = ' || ret_1d || ', not above -1 and finite'
            when not (mtd > -1 and isfinite(mtd))
                then 'mtd = ' || mtd || ', not above -1 and finite'
            when not (qtd > -1 and isfinite(qtd))
                then 'qtd = ' || qtd || ', not above -1 and finite'
            when not (ytd > -1 and isfinite(ytd))
                then 'ytd = ' || ytd || ', not above -1 and finite'
            when not (ret_1m > -1 and isfinite(ret_1m))
                then 'ret_1m = ' || ret_1m || ', not above -1 and finite'
            when not (ret_3m > -1 and isfinite(ret_3m))
                then 'ret_3m = ' || ret_3m || ', not above -1 and finite'
            when not (ret_6m > -1 and isfinite(ret_6m))
                then 'ret_6m = ' || ret_6m || ', not above -1 and finite'
            when not (ret_12m > -1 and isfinite(ret_12m))
                then 'ret_12m = ' || ret_12m || ', not above -1 and finite'
        end as problem
    from marts.returns
),

risk_checks as (
    select
        'marts.risk' as mart,
        symbol || ' ' || date as key,
        case
            when not (vol_21 >= 0 and isfinite(vol_21))
                then 'vol_21 = ' || vol_21 || ', negative or not finite'
            when not (vol_63 >= 0 and isfinite(vol_63))
                then 'vol_63 = ' || vol_63 || ', negative or not finite'
            when not (vol_252 >= 0 and isfinite(vol_252))
                then 'vol_252 = ' || vol_252 || ', negative or not finite'
            when not (drawdown between -1 and 0)
                then 'drawdown = ' || drawdown || ', outside [-1, 0]'
            when not (max_drawdown between -1 and 0)
                then 'max_drawdown = ' || max_drawdown || ', outside [-1, 0]'
            when max_drawdown > drawdown
                then 'max_drawdown = ' || max_drawdown || ' shallower than drawdown ' || drawdown
        end as problem
    from marts.risk
),

calendar_year_checks as (
    select
        'marts.calendar_year_returns' as mart,
        symbol || ' ' || year as key,
        case
            when not (start_value > 0 and isfinite(start_value))
                then 'start_value = ' || start_value || ', not positive and finite'
            when not (end_value > 0 and isfinite(end_value))
                then 'end_value = ' || end_value || ', not positive and finite'
            when not (ret > -1 and isfinite(ret))
                then 'ret = ' || ret || ', not above -1 and finite'
            when start_date > end_date
                then 'start_date ' || start_date || ' after end_date ' || end_date
        end as problem
    from marts.calendar_year_returns
),

relative_strength_checks as (
    select
        'marts.relative_strength' as mart,
        pair || ' ' || date as key,
        case
            when not (ratio > 0 and isfinite(ratio))
                then 'ratio = ' || ratio || ', not positive and finite'
            when not (ratio_ma50 > 0 and isfinite(ratio_ma50))
                then 'ratio_ma50 = ' || ratio_ma50 || ', not positive and finite'
            when not (ratio_ma200 > 0 and isfinite(ratio_ma200))
                then 'ratio_ma200 = ' || ratio_ma200 || ', not positive and finite'
            when not isfinite(spread_20d) then 'spread_20d = ' || spread_20d || ', not finite'
            when not isfinite(spread_60d) then 'spread_60d = ' || spread_60d || ', not finite'
            when not isfinite(ytd_spread) then 'ytd_spread = ' || ytd_spread || ', not finite'
        end as problem
    from marts.relative_strength
),

pair_risk_checks as (
    select
        'marts.pair_risk' as mart,
        pair || ' ' || date as key,
        case
            when not (corr_63 between -1 - 1e-9 and 1 + 1e-9)
                then 'corr_63 = ' || corr_63 || ', outside [-1, 1]'
            when not (corr_252 between -1 - 1e-9 and 1 + 1e-9)
                then 'corr_252 = ' || corr_252 || ', outside [-1, 1]'
            when not isfinite(beta_63) then 'beta_63 = ' || beta_63 || ', not finite'
            when not isfinite(beta_252) then 'beta_252 = ' || beta_252 || ', not finite'
        end as problem
    from marts.pair_risk
),

checked as (
    select * from returns_checks
    union all
    select * from risk_checks
    union all
    select * from calendar_year_checks
    union all
    select * from relative_strength_checks
    union all
    select * from pair_risk_checks
)

select
    mart,
    key,
    problem
from checked
where problem is not null
order by mart, key
