-- The detail an incident was first seen with. ops.incidents.detail follows the newest run
-- (line numbers move as a file changes); the data-quality alert needs a subject that stays the
-- same for the incident's whole life (sql/alerts/data_quality.sql, indicator open_incidents),
-- and it names the file and the reason, so it is built from this.
alter table ops.incidents add column if not exists first_detail varchar;

update ops.incidents set first_detail = detail
where first_detail is null;
