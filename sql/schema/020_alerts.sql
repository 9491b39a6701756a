-- Alerts: the per-rule state machine, the outbox of events and the per-channel deliveries.
--
-- alerts.rule_state is what makes an alert a crossing rather than a level: one row per rule and
-- subject, advanced session by session by alerts/state.py. last_date is the last session the
-- machine consumed, so re-running a day or a backfill never consumes (or fires on) it twice.
create table if not exists alerts.rule_state (
    rule varchar not null,
    subject varchar not null,
    status varchar not null,              -- armed | firing
    breach_streak integer not null,       -- consecutive sessions beyond the threshold
    sessions_since_fire integer,          -- NULL until the rule first fired for this subject
    last_fired_date date,
    last_date date not null,              -- last session consumed
    last_value double,
    updated_at timestamptz not null default now(),
    primary key (rule, subject)
);

-- The outbox: every transition, written in the same transaction as the state that produced
-- it, with its rendered content, before anything is sent. event_id is a hash of
-- (rule, subject, event_date, transition[, run]) so the same crossing can never be stored twice.
create table if not exists alerts.events (
    event_id varchar primary key,
    rule varchar not null,
    subject varchar not null,
    event_date date not null,             -- the session whose data produced the transition
    transition varchar not null,          -- fired | resolved
    kind varchar not null,                -- catalyst | risk | data_quality | pipeline_health
    severity varchar not null,            -- info | warning | critical
    value double,
    threshold double,
    title varchar not null,
    body_text varchar not null,           -- rendered plain text of this event
    body_html varchar not null,           -- rendered HTML fragment (e-mail)
    slack_block json not null,            -- rendered Block Kit section (Slack)
    channels varchar[] not null,          -- where it goes; empty when it is only recorded
    suppressed boolean not null,          -- recorded but never delivered (backfill, resolved)
    run_id varchar not null,
    created_at timestamptz not null default now()
);

-- One row per (event, channel) once delivery was attempted. delivered_at is set only after the
-- channel accepted the message; in_flight is set (and committed) just before sending, so a
-- process that dies between the send and the update leaves a trace: the next run re-sends the
-- event marked as a possible repeat (at-least-once, never lost).
create table if not exists alerts.deliveries (
    event_id varchar not null,
    channel varchar not null,
    attempts integer not null default 0,
    in_flight boolean not null default false,
    last_error varchar,
    last_attempt_at timestamptz,
    delivered_at timestamptz,
    run_id varchar,                       -- the run of the last attempt
    primary key (event_id, channel)
);
