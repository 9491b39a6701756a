-- Trailing-twelve-month earnings per company, point-in-time: one row per company and day on
-- which what was known about it changed (a filing date), valid until the next such day.
-- grain: cik, known_from
--
-- Rules (docs/fundamentals.md):
-- * A fact is usable from its filed date, never before. On each version day the value of a
--   period is the one from the latest filing on or before that day: a restatement replaces
--   the old value from its own filing date, history before it keeps the old value. Within one
--   filing the preferred concept of the metric wins (priority: diluted EPS before basic, ...).
-- * Only periodic reports count (10-K, 10-Q and their amendments and transition reports).
-- * Quarters: periods of 80-100 days as reported. Companies do not report fiscal Q4 alone:
--   it is derived as the full year (350-380 days) minus the nine months (260-290 days) that
--   start on the same day; a reported quarter with the same end wins over a derived one.
--   Fiscal years ending in any month work the same way (Snowflake's ends 31 January).
-- * TTM = the sum of the latest four quarters, only when they span one year (350-380 days
--   from the first start to the last end); the previous TTM is quarters five to eight, only
--   when it ends 350-380 days before the current one. Otherwise NULL, never a guess.
-- * Only periods ending in the 800 days before a version day are looked at: eight quarters
--   (this TTM and the year before) end within about 730 days of the latest, and the
--   restriction keeps the version x fact join linear in history (benchmarks/fundamentals_marts.py).
-- * EPS TTM is the sum of quarterly EPS (a derived Q4 EPS is FY EPS minus nine-month EPS,
--   an approximation when the share count moved during the year).
-- * Share basis: every quarterly EPS in a sum is on the share basis of the version day. A
--   value filed before a split is divided by its ratio from the split's date on. Splits: a
--   comparative restated by a clean ratio (two facts agreeing; from that filing's date) and
--   the price vendor's events (raw.prices.splits, from the ex-date). Quarters whose EPS and
--   net income imply share counts over 1.8x apart are on mixed bases: EPS withheld.
-- * Only us-gaap USD facts make figures; IFRS, another currency and the gaps give NULL with
--   *_withheld_reason. Annual-only filers (20-F/40-F): the latest year, annual_only = true.
with facts as (
    select
        cik,
        metric,
        priority,
        period_start,
        period_end,
        value,
        accession,
        filed,
        datediff('day', period_start, period_end) + 1 as days
    from raw.xbrl_facts
    where
        not is_instant
        and metric in ('net_income', 'eps', 'revenue')
        and taxonomy = 'us-gaap'
        and unit in ('USD', 'USD/shares')
        and form in (
            '10-K', '10-Q', '10-K/A', '10-Q/A', '10-KT', '10-QT', '20-F', '20-F/A', '40-F', '40-F/A'
        )
        -- quarters, nine months and years: the only durations used below (half-year
        -- year-to-date figures in Q2 reports are not)
        and (
            datediff('day', period_start, period_end) + 1 between 80 and 100
            or datediff('day', period_start, period_end) + 1 between 260 and 290
            or datediff('day', period_start, period_end) + 1 between 350 and 380
        )
),

-- Every periodic filing of the company, whatever its taxonomy and unit: what it filed for
-- each metric, so a filing with no usable fact (IFRS, another currency) can say why.
filings as (
    select
        cik,
        filed,
        metric,
        bool_or(taxonomy = 'us-gaap' and unit in ('USD', 'USD/shares')) as usable,
        string_agg(distinct taxonomy, ', ' order by taxonomy) as taxonomies,
        string_agg(distinct unit, ', ' order by unit) as units,
        string_agg(distinct form, ', ' order by form) as forms
    from raw.xbrl_facts
    where
        not is_instant
        and metric in ('net_income', 'eps', 'revenue')
        and form in (
            '10-K', '10-Q', '10-K/A', '10-Q/A', '10-KT', '10-QT', '20-F', '20-F/A', '40-F', '40-F/A'
        )
    group by cik, filed, metric
),

-- Splits revealed by the filings: the same EPS fact (concept, period) in a later filing,
-- divided by a clean ratio (k-for-1 or 1-for-k, cents rounding allowed). Two agreeing
-- facts at least (a split restates every comparative; one odd value is a restatement).
eps_reports as (
    select distinct
        cik,
        concept,
        period_start,
        period_end,
        filed,
        value
    from raw.xbrl_facts
    where
        metric = 'eps'
        and taxonomy = 'us-gaap'
        and unit = 'USD/shares'
        and form in ('10-K', '10-Q', '10-K/A', '10-Q/A', '10-KT', '10-QT', '20-F', '20-F/A')
),

eps_restated as (
    select
        cik,
        filed as new_filed,
        value as new_value,
        lag(value) over w as old_value,
        lag(filed) over w as old_filed
    from eps_reports
    window w as (partition by cik, concept, period_start, period_end order by filed)
),

eps_ratios as (
    select
        cik,
        new_filed,
        old_filed,
        case
            when abs(old_value) >= abs(new_value) then round(old_value / new_value * 2) / 2
            else 1 / round(new_value / old_value)
        end as ratio,
        old_value,
        new_value
    from eps_restated
    where
        old_value is not null
        and sign(old_value) = sign(new_value)
        and abs(old_value) >= 0.02
        and abs(new_value) >= 0.02
),

filing_split_facts as (
    select
        cik,
        new_filed,
        ratio,
        count(*) as facts,
        max(old_filed) as old_filed
    from eps_ratios
    where
        (ratio >= 1.5 or ratio <= 0.5)
        -- old = new * ratio, up to half a cent of rounding on each side
        and abs(old_value - new_value * ratio)
        <= 0.02 * abs(old_value) + 0.005 * greatest(ratio, 1) + 0.005
    group by cik, new_filed, ratio
    having count(*) >= 2
),

-- The same split shows again whenever a pre-split period is reported again (up to a year
-- later, or more for a three-year 10-K): a filing whose restated values were all filed
-- before an earlier event of the same ratio repeats that event; only the first is one.
filing_splits as (
    select
        s.cik,
        s.new_filed as revealed,
        s.ratio,
        s.old_filed,
        (
            select max(f.filed) from filings as f
            where f.cik = s.cik and f.filed < s.new_filed
        ) as last_old_filing
    from filing_split_facts as s
    qualify row_number() over (partition by s.cik, s.new_filed order by s.facts desc) = 1
),

filing_split_events as (
    select s.*
    from filing_splits as s
    anti join filing_splits as e
        on
            s.cik = e.cik
            and abs(e.ratio / s.ratio - 1) < 0.01
            and s.revealed > e.revealed
            and s.old_filed < e.revealed
),

-- The price vendor's split events of the company's tickers, dated by the ex-date.
vendor_splits as (
    select distinct
        t.cik,
        p.date as effective,
        p.splits as ratio
    from raw.prices as p
    inner join raw.sec_company_tickers as t on p.symbol = t.ticker
    where p.splits > 0 and p.splits != 1
),

split_events as (
    select
        cik,
        effective,
        ratio,
        'vendor' as source
    from vendor_splits
    union all
    select
        f.cik,
        f.revealed as effective,
        f.ratio,
        'filings' as source
    from filing_split_events as f
    anti join vendor_splits as v
        on
            f.cik = v.cik
            and abs(v.ratio / f.ratio - 1) < 0.01
            and f.revealed >= v.effective
            and (f.last_old_filing is null or f.last_old_filing < v.effective)
),

versions as (
    select distinct
        cik,
        filed as known_from
    from filings
    union
    -- the basis of the day changes on a split's date: a version of its own
    select
        s.cik,
        s.effective as known_from
    from split_events as s
    where exists (
        select 1 from filings as f
        where f.cik = s.cik and f.filed < s.effective
    )
),

-- The share basis of each version day, as the product of the ratios of the splits in effect
-- by then: a value filed on day F and used on day D is rescaled by basis(F) / basis(D). Both
-- are version days (every filing day is one), so this is two equality joins, not a range.
version_basis as (
    select
        v.cik,
        v.known_from,
        coalesce(exp(sum(ln(s.ratio))), 1) as basis
    from versions as v
    left join split_events as s on v.cik = s.cik and v.known_from >= s.effective
    group by v.cik, v.known_from
),

-- One value per period and filing day: the preferred concept of that filing.
filed_values as (
    select
        cik,
        metric,
        period_start,
        period_end,
        days,
        value,
        filed
    from facts
    qualify row_number() over (
        partition by cik, metric, period_start, period_end, filed
        order by priority asc, accession desc
    ) = 1
),

-- Each value is valid from its filing day until the period is reported again: a restatement
-- ends the old value's validity on its own filing day.
fact_versions as (
    select
        f.cik,
        f.metric,
        f.period_start,
        f.period_end,
        f.days,
        -- EPS as filed, times the basis of its filing day (divided by the day's below)
        case when f.metric = 'eps' then f.value * b.basis else f.value end as value,
        f.filed as valid_from,
        lead(f.filed) over (
            partition by f.cik, f.metric, f.period_start, f.period_end order by f.filed
        ) as valid_until
    from filed_values as f
    inner join version_basis as b on f.cik = b.cik and f.filed = b.known_from
),

-- What was known on each version day. The join is bucketed by year so each version day only
-- meets the facts of its own and the three previous years (the 800-day window below), which
-- keeps the join linear in the length of a company's history.
version_buckets as (
    select
        cik,
        known_from,
        basis,
        year(known_from) as bucket
    from version_basis
),

fact_buckets as (
    select
        f.*,
        year(f.period_end) + b.k as bucket
    from fact_versions as f
    cross join range(0, 4) as b (k)
),

known as (
    select
        v.cik,
        v.known_from,
        f.metric,
        f.period_start,
        f.period_end,
        f.days,
        -- EPS on the share basis of the version day
        case when f.metric = 'eps' then f.value / v.basis else f.value end as value
    from version_buckets as v
    inner join fact_buckets as f
        on
            v.cik = f.cik
            and v.bucket = f.bucket
            and v.known_from >= f.valid_from
            and (f.valid_until is null or v.known_from < f.valid_until)
            and f.period_end > v.known_from - interval 800 day
),

reported_quarters as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value
    from known
    where days between 80 and 100
),

derived_q4 as (
    select
        fy.cik,
        fy.known_from,
        fy.metric,
        nine.period_end + 1 as period_start,
        fy.period_end,
        fy.value - nine.value as value
    from known as fy
    inner join known as nine
        on
            fy.cik = nine.cik
            and fy.known_from = nine.known_from
            and fy.metric = nine.metric
            and fy.period_start = nine.period_start
    where fy.days between 350 and 380 and nine.days between 260 and 290
),

quarters as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value,
        false as derived
    from reported_quarters
    union all
    select
        d.cik,
        d.known_from,
        d.metric,
        d.period_start,
        d.period_end,
        d.value,
        true as derived
    from derived_q4 as d
    anti join reported_quarters as r
        on
            d.cik = r.cik
            and d.known_from = r.known_from
            and d.metric = r.metric
            and d.period_end = r.period_end
),

numbered as (
    select
        cik,
        known_from,
        metric,
        period_start,
        period_end,
        value,
        derived,
        row_number() over (
            partition by cik, known_from, metric order by period_end desc, period_start desc
        ) as n
    from quarters
),

rolling as (
    select
        cik,
        known_from,
        metric,
        sum(value) filter (where n <= 4) as ttm,
        count(*) filter (where n <= 4) as quarters_now,
        min(period_start) filter (where n <= 4) as start_now,
        max(period_end) filter (where n = 1) as end_now,
        bool_or(derived) filter (where n <= 4) as uses_derived_q4,
        sum(value) filter (where n between 5 and 8) as ttm_prev,
        count(*) filter (where n between 5 and 8) as quarters_prev,
        min(period_start) filter (where n between 5 and 8) as start_prev,
        max(period_end) filter (where n = 5) as end_prev
    from numbered
    where n <= 8
    group by cik, known_from, metric
),

-- Share-count consistency of the quarters in a sum: net income / EPS per quarter is the share
-- count the EPS was computed on. Quarters left on two bases (a split no source revealed)
-- differ by the split ratio; ordinary buybacks and issuance move it by far less than 1.8x.
share_spread as (
    select
        e.cik,
        e.known_from,
        max(ni.value / e.value) filter (where e.n <= 4)
        / min(ni.value / e.value) filter (where e.n <= 4) as spread_now,
        max(ni.value / e.value) / min(ni.value / e.value) as spread_all
    from numbered as e
    inner join numbered as ni
        on
            e.cik = ni.cik
            and e.known_from = ni.known_from
            and e.period_start = ni.period_start
            and e.period_end = ni.period_end
    where
        e.metric = 'eps'
        and ni.metric = 'net_income'
        and e.n <= 8
        and abs(e.value) >= 0.05
        and ni.value / e.value > 0
    group by e.cik, e.known_from
),

-- Annual-only filers (20-F/40-F): the latest fiscal year as reported, and the one before it.
annual as (
    select
        cik,
        known_from,
        metric,
        max(value) filter (where n = 1) as ttm,
        max(period_end) filter (where n = 1) as end_now,
        max(value) filter (
            where n = 2 and datediff('day', prev_end, end_first) between 350 and 380
        ) as ttm_prev
    from (
        select
            cik,
            known_from,
            metric,
            value,
            period_end,
            row_number() over w as n,
            period_end as prev_end,
            first_value(period_end) over w as end_first
        from known
        where days between 350 and 380
        window w as (partition by cik, known_from, metric order by period_end desc)
    ) as years
    where n <= 2
    group by cik, known_from, metric
),

-- The latest periodic filing on or before each version day that filed the metric at all.
version_metrics as (
    select
        v.cik,
        v.known_from,
        m.metric
    from versions as v
    cross join (values ('net_income'), ('eps'), ('revenue')) as m (metric)
),

latest_filing as (
    select
        vm.cik,
        vm.known_from,
        vm.metric,
        f.filed,
        f.usable,
        f.taxonomies,
        f.units,
        f.forms,
        coalesce(f.forms similar to '(20|40)-F.*', false) as annual_only
    from version_metrics as vm
    asof left join filings as f
        on
            vm.cik = f.cik
            and vm.metric = f.metric
            and vm.known_from >= f.filed
),

checked as (
    select
        l.cik,
        l.known_from,
        l.metric,
        l.annual_only,
        case when l.annual_only then a.end_now else r.end_now end as end_now,
        coalesce(r.uses_derived_q4 and not l.annual_only, false) as uses_derived_q4,
        case
            when l.filed is null then 'no ' || l.metric || ' filed'
            when not l.usable and l.taxonomies not like '%us-gaap%'
                then
                    'IFRS filer (' || l.taxonomies || ' in ' || l.units || ', form '
                    || l.forms || '): not mapped to us-gaap, withheld'
            when not l.usable
                then l.metric || ' filed in ' || l.units || ' (form ' || l.forms || '), not USD'
            when l.annual_only and a.ttm is null then 'annual filer: no fiscal year known'
            when l.annual_only then null
            when l.metric = 'eps' and s.spread_now > 1.8
                then
                    'share basis unclear: quarterly EPS and net income imply share counts '
                    || round(s.spread_now, 2) || 'x apart'
            when coalesce(r.quarters_now, 0) < 4
                then 'only ' || coalesce(r.quarters_now, 0) || ' quarter(s) known'
            when datediff('day', r.start_now, r.end_now) + 1 not between 350 and 380
                then
                    'the latest four quarters span '
                    || (datediff('day', r.start_now, r.end_now) + 1) || ' days, not a year'
        end as withheld_reason,
        case
            when l.annual_only then a.ttm_prev
            when l.metric = 'eps' and s.spread_all > 1.8 then null
            when
                r.quarters_prev = 4
                and datediff('day', r.start_prev, r.end_prev) + 1 between 350 and 380
                and datediff('day', r.end_prev, r.end_now) between 350 and 380
                then r.ttm_prev
        end as ttm_prev,
        case when l.annual_only then a.ttm else r.ttm end as ttm_candidate
    from latest_filing as l
    left join rolling as r
        on l.cik = r.cik and l.known_from = r.known_from and l.metric = r.metric
    left join annual as a
        on l.cik = a.cik and l.known_from = a.known_from and l.metric = a.metric
    left join share_spread as s on l.cik = s.cik and l.known_from = s.known_from
),

wide as (
    select
        cik,
        known_from,
        max(ttm_candidate) filter (
            where metric = 'net_income' and withheld_reason is null
        ) as net_income_ttm,
        max(ttm_prev) filter (where metric = 'net_income') as net_income_ttm_prev,
        max(end_now) filter (where metric = 'net_income') as net_income_end,
        max(withheld_reason) filter (where metric = 'net_income') as net_income_withheld_reason,
        max(ttm_candidate) filter (where metric = 'eps' and withheld_reason is null) as eps_ttm,
        max(ttm_prev) filter (where metric = 'eps' and withheld_reason is null) as eps_ttm_prev,
        max(end_now) filter (where metric = 'eps') as eps_end,
        max(withheld_reason) filter (where metric = 'eps') as eps_withheld_reason,
        max(ttm_candidate) filter (where metric = 'revenue' and withheld_reason is null)
            as revenue_ttm,
        max(ttm_prev) filter (where metric = 'revenue') as revenue_ttm_prev,
        coalesce(bool_or(uses_derived_q4), false) as uses_derived_q4,
        coalesce(bool_or(annual_only) filter (where metric = 'eps'), false) as annual_only
    from checked
    group by cik, known_from
)

select
    cik,
    known_from,
    lead(known_from) over (partition by cik order by known_from) as known_until,
    net_income_ttm,
    net_income_ttm_prev,
    net_income_end,
    net_income_withheld_reason,
    eps_ttm,
    eps_ttm_prev,
    eps_end,
    eps_withheld_reason,
    revenue_ttm,
    revenue_ttm_prev,
    uses_derived_q4,
    annual_only
from wide
