-- Goals, alerts, scorecards, the channels they send through and every delivery attempt.
-- Specs are JSON documents of the watch crate's types; instants are epoch milliseconds (UTC).
-- Channel secrets are sealed like connection secrets, bound to 'channels:{id}:secret'.

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    config        TEXT NOT NULL,
    sealed_secret BLOB,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);

CREATE TABLE goals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    metric_id  INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    spec       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- One row per occurrence of a goal's period, rewritten while it runs and kept once it ends.
CREATE TABLE goal_periods (
    goal_id      INTEGER NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    period_index INTEGER NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    value        REAL,
    target       REAL NOT NULL,
    status       TEXT NOT NULL,
    recorded_ms  INTEGER NOT NULL,
    PRIMARY KEY (goal_id, period_index)
);

CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    metric_id         INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    spec              TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    phase             TEXT NOT NULL DEFAULT 'ok',
    last_fired_ms     INTEGER,
    last_evaluated_ms INTEGER,
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL
);
CREATE INDEX alerts_metric ON alerts (metric_id);

CREATE TABLE alert_channels (
    alert_id   INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (alert_id, channel_id)
);

-- Every firing and resolution, with the values that caused it.
CREATE TABLE alert_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id       INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    current_value  REAL,
    previous_value REAL,
    range_start_ms INTEGER,
    range_end_ms   INTEGER,
    message        TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at_ms);

CREATE TABLE scorecards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    spec        TEXT NOT NULL,
    next_run_ms INTEGER NOT NULL,
    last_run_ms INTEGER,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);

CREATE TABLE scorecard_channels (
    scorecard_id INTEGER NOT NULL REFERENCES scorecards (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (scorecard_id, channel_id)
);

-- A message to one channel and its attempts: pending until sent, or failed after the last retry.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id      INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    source_kind     TEXT NOT NULL,
    source_id       INTEGER,
    message         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_ms);
CREATE INDEX deliveries_source ON deliveries (source_kind, source_id);
