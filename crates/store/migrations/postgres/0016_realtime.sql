-- Real time (issue 22): what Twilio pushes (status callbacks, Event Streams) beside what polling
-- reads.

-- A connection's callback hook: the public random key its callback URLs carry, and the account's
-- Auth Token (which verifies Twilio's signatures), sealed with the master key and bound to
-- `connection_hooks:{connection_id}:auth_token`. NULL: no token (every callback is refused); an
-- empty value: forgotten by `key reset --forget-secrets`.
CREATE TABLE connection_hooks (
    connection_id     BIGINT PRIMARY KEY NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    hook_key          TEXT NOT NULL UNIQUE,
    auth_token_sealed BYTEA NULL,
    auth_token_set_ms BIGINT NULL
);

-- Every pushed event received, once per dedupe key: a second delivery of the same event is
-- recognised here and changes nothing. `outcome`: applied | stale.
CREATE TABLE live_events (
    -- Orders events received in the same millisecond.
    id            BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    event_key     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sid           TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- callback | event_stream
    source        TEXT NOT NULL,
    received_ms   BIGINT NOT NULL,
    outcome       TEXT NOT NULL,
    UNIQUE (connection_id, event_key)
);

CREATE INDEX live_events_received ON live_events (connection_id, received_ms);

-- Each pushed resource's latest state: its status only moves to a higher rank, its creation
-- instant is the earliest seen. `fields`: a JSON object of strings.
CREATE TABLE live_resources (
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    sid           TEXT NOT NULL,
    account_sid   TEXT NOT NULL,
    status        TEXT NOT NULL,
    rank          BIGINT NOT NULL,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    fields        TEXT NOT NULL,
    PRIMARY KEY (connection_id, kind, sid)
);

CREATE INDEX live_resources_created ON live_resources (connection_id, kind, created_ms);

-- The provisional overlay of a metric's hours: `base` is the hour's polled buckets when the
-- first live write came, `live` the buckets of the pushed resources; `buckets` holds the two
-- merged until a poll of the hour replaces them. Both are JSON lists of bucket rows.
CREATE TABLE live_hours (
    metric_id BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    hour_ms   BIGINT NOT NULL,
    base      TEXT NOT NULL,
    live      TEXT NOT NULL,
    PRIMARY KEY (metric_id, hour_ms)
);

-- How far the provisional values of a polled window's overlaid hours were from the poll's.
CREATE TABLE realtime_ledger (
    id                BIGSERIAL PRIMARY KEY,
    metric_id         BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    from_ms           BIGINT NOT NULL,
    to_ms             BIGINT NOT NULL,
    hours             BIGINT NOT NULL,
    provisional_sum   DOUBLE PRECISION NOT NULL,
    provisional_count BIGINT NOT NULL,
    polled_sum        DOUBLE PRECISION NOT NULL,
    polled_count      BIGINT NOT NULL,
    recorded_ms       BIGINT NOT NULL
);

CREATE INDEX realtime_ledger_metric ON realtime_ledger (metric_id, id);
