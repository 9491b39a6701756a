-- Sync the [breadth] settings the marts read; parameters: benchmark, thrust_low, thrust_high,
-- thrust_sessions, divergence_sessions, divergence_min_drop.
update ops.breadth_settings
set
    benchmark = $1,
    thrust_low = $2,
    thrust_high = $3,
    thrust_sessions = $4,
    divergence_sessions = $5,
    divergence_min_drop = $6
where id = 1
