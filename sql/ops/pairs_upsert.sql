-- Upsert the configured pairs: $1 names, $2 small legs, $3 large legs, $4 kinds, as four
-- lists zipped by unnest (one statement: executemany costs ~3 ms a row).
insert into ops.pairs (pair, small, large, kind)
select
    unnest($1) as pair,
    unnest($2) as small,
    unnest($3) as large,
    unnest($4) as kind
on conflict (pair) do update
    set
        small = excluded.small,
        large = excluded.large,
        kind = excluded.kind
