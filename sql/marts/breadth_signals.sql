-- Breadth signals per fund and session, from marts.breadth and ops.breadth_settings
-- ([breadth] thrust_* and divergence_*); the alert family `breadth` reads them.
-- grain: fund, session
--
-- * thrust = 1 when the share above the 50-session mean is above thrust_high today and was
--   below thrust_low on at least one of the thrust_sessions sessions before today (a rise from
--   washed-out to broad participation within the window), else 0; NULL without a share.
-- * index_change = fund_value / fund_value divergence_sessions sessions earlier - 1;
--   ma200_share_change = the share above the 200-session mean minus its value then.
-- * divergence = 1 when the fund is up over those sessions (index_change > 0) while that
--   share fell by at least divergence_min_drop, else 0; NULL when either change is missing.
-- Sessions are the fund's breadth sessions (n), so the windows count sessions, not days.
with settings as (
    select
        thrust_low,
        thrust_high,
        thrust_sessions,
        divergence_sessions,
        divergence_min_drop
    from ops.breadth_settings
    where id = 1
),

numbered as (
    select
        fund,
        session,
        above_ma50_share,
        above_ma200_share,
        fund_value,
        row_number() over (partition by fund order by session) as n
    from marts.breadth
),

window_low as (
    select
        b.fund,
        b.session,
        min(w.above_ma50_share) as min_share_before
    from numbered as b
    cross join settings as st
    inner join numbered as w
        on
            b.fund = w.fund
            and w.n between b.n - st.thrust_sessions and b.n - 1
    group by b.fund, b.session
),

earlier as (
    select
        b.fund,
        b.session,
        e.fund_value as fund_value_then,
        e.above_ma200_share as ma200_share_then
    from numbered as b
    cross join settings as st
    inner join numbered as e
        on b.fund = e.fund and e.n = b.n - st.divergence_sessions
),

signals as (
    select
        b.fund,
        b.session,
        b.above_ma50_share,
        b.above_ma200_share,
        wl.min_share_before,
        b.fund_value / e.fund_value_then - 1 as index_change,
        b.above_ma200_share - e.ma200_share_then as ma200_share_change,
        st.thrust_low,
        st.thrust_high,
        st.divergence_min_drop
    from numbered as b
    cross join settings as st
    left join window_low as wl on b.fund = wl.fund and b.session = wl.session
    left join earlier as e on b.fund = e.fund and b.session = e.session
)

select
    fund,
    session,
    above_ma50_share,
    min_share_before,
    case
        when above_ma50_share is not null
            then cast(
                above_ma50_share > thrust_high and coalesce(min_share_before < thrust_low, false)
                as integer
            )
    end as thrust,
    index_change,
    ma200_share_change,
    case
        when index_change is not null and ma200_share_change is not null
            then cast(
                index_change > 0 and ma200_share_change <= -divergence_min_drop as integer
            )
    end as divergence
from signals
