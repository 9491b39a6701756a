-- What marts.earnings_ttm was last built with: key, value.
select
    key,
    value
from ops.earnings_build_state
