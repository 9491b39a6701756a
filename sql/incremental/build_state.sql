-- What the price marts were last built with: key, value.
select
    key,
    value
from ops.price_build_state
