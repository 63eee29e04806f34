-- Raw pages become one sealed copy per connection and request, shared by the metrics that read
-- it, pruned to the fields those metrics read. The old per-metric pages (whole and unsealed) are
-- dropped, not converted: they are only a cache of what Twilio returned, and each metric's next
-- sync stores its pages again in the new form. Until then an edited metric is synced again from
-- Twilio instead of recomputed.
DROP TABLE raw_pages;

CREATE TABLE raw_page_sets (
    id            BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    -- What identifies the request (SHA-256 of the request and how its rows are dated).
    fingerprint   TEXT NOT NULL,
    -- The span of the sync the pages come from, readable without the master key.
    from_ms       BIGINT NOT NULL,
    to_ms         BIGINT NOT NULL,
    synced_at_ms  BIGINT NOT NULL,
    page_count    BIGINT NOT NULL,
    -- The field set the pages were pruned to, as JSON (`true`: whole pages). Field names only.
    fields        TEXT NOT NULL,
    -- The pages, each compressed, framed together and sealed with the master key, bound to
    -- `raw_page_sets:{id}:pages`.
    sealed        BYTEA NOT NULL,
    UNIQUE (connection_id, fingerprint)
);

CREATE INDEX raw_page_sets_connection ON raw_page_sets (connection_id, synced_at_ms);

CREATE TABLE raw_page_readers (
    metric_id BIGINT PRIMARY KEY NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    set_id    BIGINT NOT NULL REFERENCES raw_page_sets (id) ON DELETE CASCADE
);

CREATE INDEX raw_page_readers_set ON raw_page_readers (set_id);
