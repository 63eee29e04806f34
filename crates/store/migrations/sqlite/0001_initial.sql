-- Instants are INTEGER epoch milliseconds (UTC). Secrets are sealed blobs, never plaintext.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

CREATE TABLE connections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    label         TEXT NOT NULL UNIQUE,
    account_sid   TEXT NOT NULL,
    api_key_sid   TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);

CREATE TABLE metrics (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    connection_id INTEGER REFERENCES connections (id) ON DELETE SET NULL,
    definition    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    used_by       TEXT NOT NULL DEFAULT '[]',
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
);

CREATE TABLE metric_versions (
    metric_id  INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    definition TEXT NOT NULL,
    saved_ms   INTEGER NOT NULL,
    PRIMARY KEY (metric_id, version)
);

CREATE TABLE buckets (
    metric_id    INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    dimension    TEXT NOT NULL,
    hour_ms      INTEGER NOT NULL,
    sum          REAL NOT NULL,
    count        INTEGER NOT NULL,
    min          REAL NOT NULL,
    max          REAL NOT NULL,
    latest       REAL NOT NULL,
    latest_at_ms INTEGER NOT NULL,
    PRIMARY KEY (metric_id, dimension, hour_ms)
) WITHOUT ROWID;

-- Range queries over all dimensions of a metric walk hours first.
CREATE INDEX buckets_metric_hour ON buckets (metric_id, hour_ms);

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    metric_id   INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    ledger      TEXT NOT NULL DEFAULT '{}',
    error       TEXT,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER
);

CREATE INDEX sync_runs_metric ON sync_runs (metric_id, started_ms);

CREATE TABLE raw_pages (
    metric_id     INTEGER PRIMARY KEY NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    synced_at_ms  INTEGER NOT NULL,
    page_count    INTEGER NOT NULL,
    raw_bytes     INTEGER NOT NULL,
    compressed    BLOB NOT NULL
);

CREATE INDEX raw_pages_connection ON raw_pages (connection_id, synced_at_ms);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at_ms    INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until INTEGER,
    last_error   TEXT,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
);

-- At most one pending job per (kind, key): enqueueing a sync that is already waiting is a no-op.
CREATE UNIQUE INDEX jobs_one_pending ON jobs (kind, key) WHERE state = 'pending';
CREATE INDEX jobs_claimable ON jobs (state, run_at_ms);
