-- After a kept build: what the price marts were built with (models_sha256, pairs_sha256).
insert into ops.price_build_state (key, value) values ($key, $value)
on conflict (key) do update set value = excluded.value, built_at = now()
