-- Days from a FRED observation date until the value is public, per series.
--
-- The dashboard lines macro data up by the day it could have been known, not by its
-- observation date: initial claims for the week ending Saturday come out the next Thursday,
-- the unemployment rate dated the 1st comes out in the first week of the next month. The lags
-- are conservative (the latest usual release), so a session never sees a value from its
-- future. Series not listed default to one day in staging.macro_latest.
with lags as (
    select * from (
        values
        ('BAMLH0A0HYM2', 1),
        ('BAMLC0A0CM', 1),
        ('DGS10', 1),
        ('DGS2', 1),
        ('T10Y2Y', 1),
        ('DFF', 1),
        ('VIXCLS', 1),
        ('ICSA', 5),
        ('NFCI', 5),
        ('UNRATE', 38)
    ) as t (series_id, lag_days)
)

select
    series_id,
    lag_days
from lags
