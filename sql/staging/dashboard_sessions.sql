-- NYSE sessions the dashboard lines up: the distinct dates of raw.prices.
--
-- A stand-in until the pipeline has a session table built from the exchange calendar: a day
-- with prices is a session, and deal flow and macro data are attached to these days.
with sessions as (
    select distinct date
    from raw.prices
)

select date
from sessions
