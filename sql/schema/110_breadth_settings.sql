-- Settings the breadth marts read (sql/marts/member_trends.sql, sql/marts/breadth.sql).
--
-- The large-cap benchmark members are compared against over 20 and 60 sessions
-- ([breadth] benchmark in rotation.toml, synced before every build by
-- sql/load/breadth_settings.sql). A table rather than a literal in the model so the setting
-- changes without a new model file, and so the model stays one plain select.
create table if not exists ops.breadth_settings (
    id integer primary key,
    benchmark varchar not null
);

insert into ops.breadth_settings (id, benchmark) values (1, 'SPY')
on conflict do nothing;
