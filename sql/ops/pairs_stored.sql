-- The pairs stored in ops.pairs, to compare with the configured ones.
select
    pair,
    small,
    large,
    kind
from ops.pairs
