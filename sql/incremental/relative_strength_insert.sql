-- marts.relative_strength from the scratch build. Every column of a session on or after the
-- cut is a window or a base the scratch input holds, except streak, whose run can reach back
-- before the scratch input starts. The scratch streak is exact when its run starts inside
-- the scratch rows (|streak| < scratch session - 1); when the run covers every scratch
-- return, it continues the kept row before the cut (B): streak(B) + sign * (sessions since B).
insert into marts.relative_strength by name
with numbered as (
    select
        *,
        row_number() over (partition by pair order by date) as scratch_session
    from scratch.marts.relative_strength
    where pair in (select unnest($tail_pairs))
),

boundary as (
    select
        pair,
        max(date) as date
    from marts.relative_strength
    where pair in (select unnest($tail_pairs)) and date < $cut
    group by pair
),

base as (
    select
        r.pair,
        r.streak as streak_before,
        n.scratch_session as session_before
    from marts.relative_strength as r
    inner join boundary as b
        on r.pair = b.pair and r.date = b.date
    inner join numbered as n
        on r.pair = n.pair and r.date = n.date
),

tail as (
    select
        n.* exclude (streak, scratch_session),  -- noqa: RF02
        cast(case
            when n.streak != 0 and abs(n.streak) = n.scratch_session - 1
                then b.streak_before + sign(n.streak) * (n.scratch_session - b.session_before)
            else n.streak
        end as integer) as streak
    from numbered as n
    inner join base as b
        on n.pair = b.pair
    where n.date >= $cut
)

select * from tail
union all by name
select *
from scratch.marts.relative_strength
where pair in (select unnest($full_pairs))
