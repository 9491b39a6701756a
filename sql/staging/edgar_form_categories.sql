-- Which EDGAR form types count as deal flow, and as what. Extend by adding rows.
--
-- ipo_pipeline: registration statements an IPO is filed on (also used by some follow-ons).
-- ipo_priced: the final prospectus after pricing; a 424B4 can also be a follow-on offering,
--   staging.edgar_filings narrows that with likely_ipo (no earlier periodic report).
-- ipo_withdrawn: RW withdraws any registration statement, IPO or not.
-- mna: merger registrations, merger proxies, tender offers and business-combination
--   communications (425 is filed by both sides and repeatedly per deal: count with care).
with categories as (
    select * from (
        values
        ('S-1', 'ipo_pipeline', 'registration statement (US issuer)'),
        ('S-1/A', 'ipo_pipeline', 'amended registration statement (US issuer)'),
        ('S-1MEF', 'ipo_pipeline', 'registration adding up to 20% more securities'),
        ('F-1', 'ipo_pipeline', 'registration statement (foreign issuer)'),
        ('F-1/A', 'ipo_pipeline', 'amended registration statement (foreign issuer)'),
        ('F-1MEF', 'ipo_pipeline', 'registration adding securities (foreign issuer)'),
        ('DRS', 'ipo_pipeline', 'draft registration statement, confidential submission'),
        ('DRS/A', 'ipo_pipeline', 'amended draft registration statement'),
        ('424B4', 'ipo_priced', 'final prospectus with the offering price'),
        ('RW', 'ipo_withdrawn', 'registration withdrawal request'),
        ('S-4', 'mna', 'registration of securities issued in a business combination'),
        ('S-4/A', 'mna', 'amended S-4'),
        ('S-4MEF', 'mna', 'S-4 adding securities'),
        ('F-4', 'mna', 'business-combination registration (foreign issuer)'),
        ('F-4/A', 'mna', 'amended F-4'),
        ('DEFM14A', 'mna', 'definitive merger proxy statement'),
        ('PREM14A', 'mna', 'preliminary merger proxy statement'),
        ('DEFM14C', 'mna', 'definitive merger information statement'),
        ('PREM14C', 'mna', 'preliminary merger information statement'),
        ('SC TO-T', 'mna', 'third-party tender offer'),
        ('SC TO-T/A', 'mna', 'amended third-party tender offer'),
        ('SC 14D9', 'mna', 'target recommendation on a tender offer'),
        ('SC 14D9/A', 'mna', 'amended target recommendation'),
        ('SC14D9C', 'mna', 'target communication before a tender offer'),
        ('SC 13E3', 'mna', 'going-private transaction'),
        ('SC 13E3/A', 'mna', 'amended going-private transaction'),
        ('425', 'mna', 'business-combination communication')
    ) as t (form_type, category, description)
)

select
    form_type,
    category,
    description
from categories
