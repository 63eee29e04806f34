-- Goals, alerts, scorecards, the channels they send through and every delivery attempt.
-- Specs are JSON documents of the watch crate's types; instants are epoch milliseconds (UTC).
-- Channel secrets are sealed like connection secrets, bound to 'channels:{id}:secret'.

CREATE TABLE channels (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    config        TEXT NOT NULL,
    sealed_secret BYTEA,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL
);

CREATE TABLE goals (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    metric_id  BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    spec       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- One row per occurrence of a goal's period, rewritten while it runs and kept once it ends.
CREATE TABLE goal_periods (
    goal_id      BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    period_index BIGINT NOT NULL,
    start_ms     BIGINT NOT NULL,
    end_ms       BIGINT NOT NULL,
    value        DOUBLE PRECISION,
    target       DOUBLE PRECISION NOT NULL,
    status       TEXT NOT NULL,
    recorded_ms  BIGINT NOT NULL,
    PRIMARY KEY (goal_id, period_index)
);

CREATE TABLE alerts (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    metric_id         BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    spec              TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    phase             TEXT NOT NULL DEFAULT 'ok',
    last_fired_ms     BIGINT,
    last_evaluated_ms BIGINT,
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL
);
CREATE INDEX alerts_metric ON alerts (metric_id);

CREATE TABLE alert_channels (
    alert_id   BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (alert_id, channel_id)
);

-- Every firing and resolution, with the values that caused it.
CREATE TABLE alert_events (
    id             BIGSERIAL PRIMARY KEY,
    alert_id       BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    current_value  DOUBLE PRECISION,
    previous_value DOUBLE PRECISION,
    range_start_ms BIGINT,
    range_end_ms   BIGINT,
    message        TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at_ms);

CREATE TABLE scorecards (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    spec        TEXT NOT NULL,
    next_run_ms BIGINT NOT NULL,
    last_run_ms BIGINT,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);

CREATE TABLE scorecard_channels (
    scorecard_id BIGINT NOT NULL REFERENCES scorecards (id) ON DELETE CASCADE,
    channel_id   BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (scorecard_id, channel_id)
);

-- A message to one channel and its attempts: pending until sent, or failed after the last retry.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    channel_id      BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    source_kind     TEXT NOT NULL,
    source_id       BIGINT,
    message         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error      TEXT,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_ms);
CREATE INDEX deliveries_source ON deliveries (source_kind, source_id);
