-- audits.daily_moves_within_bounds: no stored daily move is larger than its symbol's limit,
-- unless the vendor's own data shows it is real.
-- severity: blocking
-- subject: symbol
--
-- Guards marts.returns.ret_1d with the limits the price suite applies to each batch, per asset
-- class as the suite's (quality.prices.PriceRules): an index (a ^ symbol) or a fund
-- [prices] max_daily_move, a single stock (an index member, ops.member_symbols)
-- [breadth] max_daily_move, and max_daily_move_overrides per symbol over both (^VIX more than
-- doubles in a day, an ETF does not move 25%, a small biotech can double on trial news). The
-- suite judges a batch row by row; this audit judges the stored series as the marts see it,
-- where a move can still appear between two batches (a gap healed by a later fetch, a
-- re-basing gone wrong, two adjustment bases meeting, a level shift a later download
-- "confirmed").
--
-- A move beyond the limit is no offence when the vendor's data explains it: a split it
-- reports that session (the adjusted series took the split ratio as a move), or, for a single
-- stock, raw and adjusted closes that agree on the move (after the session's dividend, within
-- 1%: the suite's AGREE_TOLERANCE): a buy-out or a failed trial moves both series, a re-basing
-- or a wrong adjustment moves one. A vendor with no raw close (Stooq, back-adjusted) cannot
-- show that; for a single stock its evidence is the price suite's: the session was held as a
-- level shift (ops.quarantine) and is stored now, which the suite allows only once a later
-- download, reaching a newer session, showed the same close (quality/price_neighbours.py). A
-- fund's or an index's confirmed shift is still an offence: they do not move that much. Every
-- other offending move is damage to its symbol only: the
-- build holds that symbol's marts at the previous build (the '-- subject:' header) and keeps
-- the rest.
--
-- Parameters: $max_daily_move (indices and funds), $stock_max_daily_move (single stocks),
-- $move_override_symbols and $move_override_limits (aligned lists: the overrides). Returns
-- one row per offending session: the symbol, the date, the value before and after, the move,
-- the limit it broke and the symbol's asset class.
with limits as (
    select
        map(
            cast($move_override_symbols as varchar[]),
            cast($move_override_limits as double[])
        ) as overrides
),

moves as (
    select
        r.symbol,
        r.date,
        r.value / (1 + r.ret_1d) as previous_value,
        r.value,
        r.ret_1d,
        case
            when r.symbol like '^%' then 'index'
            when m.symbol is not null then 'stock'
            else 'fund'
        end as asset_class
    from marts.returns as r
    left join ops.member_symbols as m on r.symbol = m.symbol
    where r.ret_1d is not null
),

beyond as (
    select
        mv.*,
        coalesce(
            l.overrides[mv.symbol],
            case when mv.asset_class = 'stock' then $stock_max_daily_move else $max_daily_move end
        ) as max_move
    from moves as mv
    cross join limits as l
),

-- the vendor's evidence, read for the moves beyond their limit only: the session's raw row
-- and the symbol's raw row of the session before
offending as (
    select *
    from beyond
    where abs(ret_1d) > max_move
),

-- sessions the price suite held as the first day of a level shift (their rows are stored now,
-- so a later download confirmed them)
held_shifts as (
    select distinct
        split_part(q.natural_key, '|', 1) as symbol,
        cast(json_extract_string(q.raw_values, '$.date') as date) as date
    from ops.quarantine as q
    semi join offending as o on split_part(q.natural_key, '|', 1) = o.symbol
    where q.source in ('prices', 'member_prices') and q.reason like 'level shift from %'
),

evidence as (
    select
        o.*,
        h.symbol is not null as shift_confirmed,
        p.splits,
        p.dividends,
        p.close,
        p.adj_close,
        p.adjustment,
        b.close as previous_close,
        b.adj_close as previous_adj_close,
        b.adjustment as previous_adjustment
    from offending as o
    left join raw.prices as p on o.symbol = p.symbol and o.date = p.date
    asof left join raw.prices as b on o.symbol = b.symbol and o.date > b.date
    left join held_shifts as h on o.symbol = h.symbol and o.date = h.date
),

judged as (
    select
        *,
        coalesce(
            splits > 0 and splits <> 1 and abs((1 + ret_1d) * splits - 1) <= max_move, false
        ) as split_explains,
        coalesce(
            asset_class = 'stock'
            and adjustment = 'raw'
            and previous_adjustment = 'raw'
            and previous_close > 0
            and previous_adj_close > 0
            and abs(
                (close / previous_close)
                / ((adj_close / previous_adj_close) * (1 - dividends / previous_close))
                - 1
            ) <= 0.01,
            false
        ) as closes_agree
    from evidence
)

select
    symbol,
    date,
    previous_value,
    value,
    ret_1d,
    max_move,
    asset_class
from judged
where
    not split_explains
    and not closes_agree
    and not (asset_class = 'stock' and adjustment = 'auto' and shift_confirmed)
order by symbol, date
