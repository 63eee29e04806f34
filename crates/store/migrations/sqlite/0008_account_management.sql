-- Managing people (a person can be disabled) and an atomic sign-in throttle.
--
-- login_attempts replaces login_failures: a sign-in reserves a row per throttle key before its
-- password is checked, and the row stays as a failure unless the sign-in succeeds. The id lets a
-- successful sign-in release exactly its own reservation. Old failures are not carried over: they
-- only ever mattered for fifteen minutes.

ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

DROP TABLE login_failures;

CREATE TABLE login_attempts (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    key   TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, at_ms);
CREATE INDEX login_attempts_at ON login_attempts (at_ms);
