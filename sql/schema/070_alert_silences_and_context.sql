-- Issue 9: silences, muting and context on the outbox (docs/alerts.md).
--
-- alerts.silences: `rotation alerts silence RULE[/SUBJECT] --until D --reason "..."`. A silence
-- mutes the events of its rule (and subject, when given) whose session is on or before
-- until_date and that are not sent yet; after that date it stops muting by itself. Removing
-- one (`unsilence`) keeps the row with removed_at, so what muted an event stays explainable.
create table if not exists alerts.silences (
    silence_id varchar primary key,
    rule varchar not null,
    subject varchar,                      -- NULL: every subject of the rule
    until_date date not null,             -- last session it mutes
    reason varchar not null,
    created_at timestamptz not null default now(),
    created_by varchar,
    removed_at timestamptz
);

-- An event that was muted is still recorded (suppressed) with why: the silence or the firing
-- rule that inhibited it. runbook_url and started_on give every channel its context (and
-- Alertmanager its startsAt).
alter table alerts.events add column if not exists muted_by varchar;
alter table alerts.events add column if not exists silence_id varchar;
alter table alerts.events add column if not exists runbook_url varchar;
alter table alerts.events add column if not exists started_on date;
