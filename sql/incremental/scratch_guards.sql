-- What the scratch build cannot prove: a tail symbol or pair with fewer than $min_before
-- sessions before the cut in the scratch input (a window or a full-window flag of a session
-- after the cut would then read history that is not there). Any row here makes the runner
-- fall back to a full build.
with symbols as (
    select
        s.symbol as subject,
        count(r.date) as before_cut
    from unnest($tail_symbols) as s (symbol)
    left join scratch.marts.returns as r
        on s.symbol = r.symbol and r.date < $cut
    group by s.symbol
),

pairs as (
    select
        p.pair as subject,
        count(r.date) as before_cut
    from unnest($tail_pairs) as p (pair)
    left join scratch.marts.relative_strength as r
        on p.pair = r.pair and r.date < $cut
    group by p.pair
)

select
    subject,
    before_cut
from symbols
where before_cut < $min_before
union all
select
    subject,
    before_cut
from pairs
where before_cut < $min_before
