-- The breadth signals' settings ([breadth] thrust_* and divergence_*), read by
-- sql/marts/breadth_signals.sql and synced before every build by sql/load/breadth_settings.sql.
--
-- thrust: the share of members above their 50-session mean rises from below thrust_low to
-- above thrust_high within thrust_sessions sessions. divergence: the fund is up over
-- divergence_sessions sessions while the share above the 200-session mean fell by at least
-- divergence_min_drop (share points) over the same sessions.
alter table ops.breadth_settings add column thrust_low double default 0.25;
alter table ops.breadth_settings add column thrust_high double default 0.75;
alter table ops.breadth_settings add column thrust_sessions integer default 20;
alter table ops.breadth_settings add column divergence_sessions integer default 20;
alter table ops.breadth_settings add column divergence_min_drop double default 0.05;
