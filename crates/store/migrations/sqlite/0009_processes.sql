-- The serve and worker processes using this store, each refreshing its row while it runs, so a
-- command that must not run beside them (key rotation) can see that they do.
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
