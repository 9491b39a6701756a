-- The configured pairs now, in a stable order (their hash is compared with the last build's).
select
    pair,
    small,
    large,
    kind
from ops.pairs
order by pair
