-- The configured pairs (small vs large), mirrored from settings so the marts can join them.
-- transforms.sync_pairs replaces the rows before every build: configuration is the source of
-- truth, this table only makes it visible to SQL (and to ad-hoc readers).
create table if not exists ops.pairs (
    pair varchar primary key,         -- 'IWM/SPY'
    small varchar not null,           -- the small-cap leg, e.g. IWM or ^RUT
    large varchar not null,           -- the large-cap leg, e.g. SPY or ^GSPC
    kind varchar not null             -- total_return (two funds) | price_index (two indices)
);
