-- The latest session of stored prices.
select max(date) from raw.prices
