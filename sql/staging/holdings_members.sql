-- Index members per fund snapshot: listed equity lines with weights renormalised to sum to 1.
--
-- A snapshot's equity weights sum to 99.4-99.8 % (the rest is cash and futures); members'
-- weights are their share of the equity sleeve, so aggregates over members are not diluted by
-- cash. Lines without a ticker ('-': unlisted rights, warrants, escrows) cannot be matched to
-- a price or a company and are not members. A ticker on two lines (a company and its CVR) is
-- one member: weights and market values add up, name and price come from the larger line.
-- Only snapshots that passed validation are in raw.holdings; a blocked one never appears here.
with equity_lines as (
    select
        fund,
        as_of,
        ticker,
        name,
        sector,
        price,
        coalesce(weight_pct, 0) as weight_pct,
        coalesce(market_value, 0) as market_value
    from raw.holdings
    where is_equity and ticker is not null
),

members as (
    select
        fund,
        as_of,
        ticker,
        arg_max(name, weight_pct) as name,
        arg_max(sector, weight_pct) as sector,
        arg_max(price, weight_pct) as price,
        sum(weight_pct) as weight_pct,
        sum(market_value) as market_value,
        count(*) as lines
    from equity_lines
    group by fund, as_of, ticker
),

normalised as (
    select
        fund,
        as_of,
        ticker,
        name,
        sector,
        price,
        weight_pct,
        market_value,
        lines,
        weight_pct / nullif(sum(weight_pct) over (partition by fund, as_of), 0) as weight
    from members
)

select
    fund,
    as_of,
    ticker,
    name,
    sector,
    price,
    weight_pct,
    weight,
    market_value,
    lines
from normalised
