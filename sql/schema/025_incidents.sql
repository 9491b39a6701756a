-- Data incidents: damage the pipeline saw and contained (a file that could not be read, a symbol
-- that delivered nothing, a price level shift held back, an audit that failed, a source that
-- timed out). One row per incident while it lasts: a run that sees the same damage again only
-- refreshes last_seen, so the data-quality alert fires once per incident, and a run in which
-- the damage is gone resolves it.
create table if not exists ops.incidents (
    incident_id varchar primary key,    -- stable: hash of source, subject, kind, first run
    source varchar not null,            -- prices, edgar, nasdaq, fred, audits, run, ...
    subject varchar not null,           -- a symbol, file, series, audit name, or the source
    kind varchar not null,              -- e.g. file_unreadable, no_rows, level_shift, audit_failed
    detail varchar not null,            -- one line for the user, naming the file and the reason
    session date,                       -- the session of the run that first saw it
    first_run_id varchar not null,
    last_run_id varchar not null,
    first_seen timestamptz not null,
    last_seen timestamptz not null,
    resolved_at timestamptz,
    resolved_run_id varchar
);
