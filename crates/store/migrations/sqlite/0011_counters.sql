-- Counters that only go up, for Prometheus: sync runs by outcome, Twilio requests, 429s,
-- retries, pages, rows. Each grows in the transaction that records a sync run's end, so the
-- figures survive restarts, are the same for every process, and never fall when runs or
-- metrics are deleted. `label` is the value of the counter's one label (a run's outcome), or ''.
CREATE TABLE counters (
    name  TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    value BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (name, label)
);
