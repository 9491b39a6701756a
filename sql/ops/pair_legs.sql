-- Both legs of each of the pairs $1 (a list).
select
    small,
    large
from ops.pairs
where list_contains($1, pair)
