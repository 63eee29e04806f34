-- The accounts a connection's key lists (issue 21): the connection's own account and its
-- subaccounts, as the last discovery found them. An account Twilio no longer lists stays, with
-- status 'gone', so a metric's history keeps its name.
CREATE TABLE twilio_accounts (
    connection_id     INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    sid               TEXT NOT NULL,
    friendly_name     TEXT NOT NULL,
    -- active | suspended | closed | gone
    status            TEXT NOT NULL,
    is_parent         BOOLEAN NOT NULL,
    -- Why the connection's key cannot read this account's resources, in words; NULL when it can
    -- or when it was not tried yet.
    access_problem    TEXT NULL,
    first_seen_ms     INTEGER NOT NULL,
    last_seen_ms      INTEGER NOT NULL,
    status_changed_ms INTEGER NOT NULL,
    PRIMARY KEY (connection_id, sid)
);

-- How far each account of a multi-account metric is synced: a new account backfills on its own
-- while the others stay incremental.
CREATE TABLE metric_account_spans (
    metric_id   INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (metric_id, account_sid)
);
