-- IPO deals of the Nasdaq calendar: one row per deal, its current status and the date that
-- status happened on (priced, expected, filed or withdrawn), money in US dollars.
-- grain: deal_id
with deals as (
    select
        deal_id,
        status,
        ticker,
        company_name,
        exchange,
        case status
            when 'priced' then priced_date
            when 'upcoming' then expected_date
            when 'withdrawn' then withdrawn_date
            else filed_date
        end as event_date,
        price_low,
        price_high,
        (price_low + price_high) / 2 as price_mid,
        shares,
        offer_amount,
        case when status = 'priced' then offer_amount end as proceeds,
        filed_date,
        expected_date,
        priced_date,
        withdrawn_date,
        priced_date - filed_date as days_filed_to_priced,
        calendar_month,
        fetched_at
    from raw.nasdaq_ipos
)

select *
from deals
