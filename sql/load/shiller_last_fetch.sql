-- When Shiller's workbook was last loaded (NULL before the first): the monthly file is not
-- downloaded again within [valuation] shiller_refresh_days.
select max(fetched_at) as last_fetch
from raw.shiller_monthly
