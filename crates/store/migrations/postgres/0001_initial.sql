-- Instants are BIGINT epoch milliseconds (UTC). Secrets are sealed blobs, never plaintext.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BYTEA NOT NULL
);

CREATE TABLE connections (
    id            BIGSERIAL PRIMARY KEY,
    label         TEXT NOT NULL UNIQUE,
    account_sid   TEXT NOT NULL,
    api_key_sid   TEXT NOT NULL,
    sealed_secret BYTEA NOT NULL,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL
);

CREATE TABLE metrics (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    connection_id BIGINT REFERENCES connections (id) ON DELETE SET NULL,
    definition    TEXT NOT NULL,
    version       BIGINT NOT NULL,
    used_by       TEXT NOT NULL DEFAULT '[]',
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL
);

CREATE TABLE metric_versions (
    metric_id  BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    definition TEXT NOT NULL,
    saved_ms   BIGINT NOT NULL,
    PRIMARY KEY (metric_id, version)
);

CREATE TABLE buckets (
    metric_id    BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    dimension    TEXT NOT NULL,
    hour_ms      BIGINT NOT NULL,
    sum          DOUBLE PRECISION NOT NULL,
    count        BIGINT NOT NULL,
    min          DOUBLE PRECISION NOT NULL,
    max          DOUBLE PRECISION NOT NULL,
    latest       DOUBLE PRECISION NOT NULL,
    latest_at_ms BIGINT NOT NULL,
    PRIMARY KEY (metric_id, dimension, hour_ms)
);

-- Range queries over all dimensions of a metric walk hours first.
CREATE INDEX buckets_metric_hour ON buckets (metric_id, hour_ms);

CREATE TABLE sync_runs (
    id          BIGSERIAL PRIMARY KEY,
    metric_id   BIGINT NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    from_ms     BIGINT NOT NULL,
    to_ms       BIGINT NOT NULL,
    status      TEXT NOT NULL,
    ledger      TEXT NOT NULL DEFAULT '{}',
    error       TEXT,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT
);

CREATE INDEX sync_runs_metric ON sync_runs (metric_id, started_ms);

CREATE TABLE raw_pages (
    metric_id     BIGINT PRIMARY KEY NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    synced_at_ms  BIGINT NOT NULL,
    page_count    BIGINT NOT NULL,
    raw_bytes     BIGINT NOT NULL,
    compressed    BYTEA NOT NULL
);

CREATE INDEX raw_pages_connection ON raw_pages (connection_id, synced_at_ms);

CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    run_at_ms    BIGINT NOT NULL,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    created_ms   BIGINT NOT NULL,
    updated_ms   BIGINT NOT NULL
);

-- At most one pending job per (kind, key): enqueueing a sync that is already waiting is a no-op.
CREATE UNIQUE INDEX jobs_one_pending ON jobs (kind, key) WHERE state = 'pending';
CREATE INDEX jobs_claimable ON jobs (state, run_at_ms);
