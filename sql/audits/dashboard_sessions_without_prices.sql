-- audits.dashboard_sessions_without_prices: every session of marts.daily_dashboard has at
-- least one price that day.
-- severity: blocking
--
-- Guards the session list of the dashboard (staging.dashboard_sessions): the alert rules read
-- one dashboard row per session, and a row with no price behind it would carry every price
-- figure forward from an earlier day as if it were fresh. Returns one row per such session.
with priced_sessions as (
    select distinct date
    from staging.prices
)

select d.date
from marts.daily_dashboard as d
anti join priced_sessions as p on d.date = p.date
order by d.date
