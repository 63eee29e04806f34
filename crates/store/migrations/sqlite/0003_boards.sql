-- Databoards: a board is a grid of blocks; a share is a read-only link to one board.
-- A board's range, comparison and zone are texts the web layer parses (`last_month`,
-- `previous_period`, `Europe/Paris`); a block's settings are a JSON document of the web layer.

CREATE TABLE boards (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    date_range TEXT NOT NULL,
    comparison TEXT NOT NULL,
    zone       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

CREATE TABLE board_blocks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    board_id   INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    x          INTEGER NOT NULL,
    y          INTEGER NOT NULL,
    w          INTEGER NOT NULL,
    h          INTEGER NOT NULL,
    settings   TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX board_blocks_board ON board_blocks (board_id, y, x);

-- Only the SHA-256 of a link's secret is kept, like API tokens.
CREATE TABLE board_shares (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    board_id    INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);
CREATE INDEX board_shares_board ON board_shares (board_id);
