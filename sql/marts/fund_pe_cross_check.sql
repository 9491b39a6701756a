-- The vendor's P/E of each fund against the one built from its members, per quote session.
-- grain: fund, session
--
-- vendor_pe comes from raw.fund_pe (Yahoo quoteSummary, read as a multiple), built_pe from
-- marts.fund_valuation on the same session (NULL when withheld for low coverage: then there is
-- nothing to compare and no verdict). gap = vendor_pe / built_pe - 1; beyond_tolerance when
-- |gap| exceeds ops.fund_pe_settings.tolerance ([valuation] pe_tolerance). The two differ by
-- method as well (the vendor prices members daily, the build at the snapshot's prices, and
-- the vendor's treatment of loss-makers is not published), so the tolerance is wide: a gap
-- past it means one side is broken, not that one is more precise.
with tolerance_setting as (
    select tolerance
    from ops.fund_pe_settings
    where id = 1
),

vendor as (
    select
        fund,
        as_of as session,
        pe as vendor_pe,
        reported_value,
        reported_as,
        file
    from raw.fund_pe
),

built as (
    select
        fund,
        session,
        pe as built_pe,
        coverage
    from marts.fund_valuation
)

select
    v.fund,
    v.session,
    v.vendor_pe,
    v.reported_value,
    v.reported_as,
    v.file,
    b.built_pe,
    b.coverage,
    v.vendor_pe / b.built_pe - 1 as gap,
    t.tolerance,
    coalesce(abs(v.vendor_pe / b.built_pe - 1) > t.tolerance, false) as beyond_tolerance
from vendor as v
cross join tolerance_setting as t
left join built as b on v.fund = b.fund and v.session = b.session
