-- alerts/muting/list: `rotation alerts silences`, with their state as of $today and how
-- many recorded events each one muted. Expired and removed ones are shown with --all.
with params as (
    select
        cast($today as date) as today,
        cast($all_silences as boolean) as all_silences
),

muted as (
    select
        silence_id,
        count(*) as muted_events
    from alerts.events
    where silence_id is not null
    group by silence_id
)

select
    s.silence_id,
    s.rule,
    coalesce(s.subject, '*') as subject,
    s.until_date,
    case
        when s.removed_at is not null then 'removed'
        when s.until_date < p.today then 'expired'
        else 'active'
    end as state,
    s.reason,
    coalesce(m.muted_events, 0) as muted_events,
    s.created_at
from alerts.silences as s
cross join params as p
left join muted as m on s.silence_id = m.silence_id
where p.all_silences or (s.removed_at is null and s.until_date >= p.today)
order by s.created_at desc, s.silence_id asc
