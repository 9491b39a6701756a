-- After a kept build: what marts.earnings_ttm was built with (model_sha256, duckdb_version).
insert into ops.earnings_build_state (key, value) values ($key, $value)
on conflict (key) do update set value = excluded.value, built_at = now()
