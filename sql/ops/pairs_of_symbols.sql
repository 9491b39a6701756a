-- The configured pairs with a leg among the symbols $1 (a list).
select pair
from ops.pairs
where list_contains($1, small) or list_contains($1, large)
