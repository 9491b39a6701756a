-- When source $1 last delivered a batch that passed validation with at least one row.
select max(validated_at)
from ops.validation_runs
where source = $1 and batch_ok and rows_passed > 0
