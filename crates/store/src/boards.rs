//! Databoards, their blocks and their read-only share links, behind [`BoardStore`]
//! (implemented by both backends and [`crate::AnyStore`]).
//!
//! The store keeps a board's range, comparison and zone and a block's settings as the texts it
//! is given; parsing them is the web layer's job, so the SQL stays ignorant of date logic. A
//! share link's secret is kept only as its hash, like API tokens.

use std::future::Future;

use crate::any::forward;
use crate::dialect::Dialect;
use crate::error::{Result, StoreError};
use crate::exec::{Change, Fetch};
use crate::ids::{BlockId, BoardId, ShareId};
use crate::sql_impl::SqlStore;

/// What a person sets on a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardSettings {
    pub name: String,
    /// A named range such as `last_30_days`.
    pub date_range: String,
    /// `previous_period`, `same_period_last_year` or `none`.
    pub comparison: String,
    /// An IANA zone name.
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub id: BoardId,
    pub settings: BoardSettings,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// Where a block sits on the board's grid, in grid cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Place {
    pub(crate) fn check(&self) -> Result<()> {
        if self.x < 0 || self.y < 0 || self.w < 1 || self.h < 1 || self.x > 1000 || self.y > 1000 {
            return Err(StoreError::Invalid {
                what: "block place",
                reason: format!(
                    "x and y must be 0..=1000 and width and height at least 1, not {self:?}"
                ),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBlock {
    /// `number`, `line`, `bar`, ... (the web layer's block types).
    pub kind: String,
    pub title: String,
    pub place: Place,
    /// The block's settings as a JSON document.
    pub settings: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    pub id: BlockId,
    pub board: BoardId,
    pub block: NewBlock,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    pub id: ShareId,
    pub board: BoardId,
    /// SHA-256 (hex) of the link's secret.
    pub secret_hash: String,
    pub label: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
}

impl ShareRow {
    /// Whether the link opens the board at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.revoked_ms.is_none() && now_ms < self.expires_ms
    }
}

pub trait BoardStore: Send + Sync + 'static {
    fn create_board(
        &self,
        settings: &BoardSettings,
        now_ms: i64,
    ) -> impl Future<Output = Result<BoardRow>> + Send;
    /// `NotFound` when there is no such board.
    fn board(&self, id: BoardId) -> impl Future<Output = Result<BoardRow>> + Send;
    /// Every board, by name.
    fn list_boards(&self) -> impl Future<Output = Result<Vec<BoardRow>>> + Send;
    /// Renames the board or changes its range, comparison or zone.
    fn update_board(
        &self,
        id: BoardId,
        settings: &BoardSettings,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the board with its blocks and share links; false if there was none.
    fn delete_board(&self, id: BoardId) -> impl Future<Output = Result<bool>> + Send;
    /// A new board named `name` with the settings and copies of the blocks of `id`, in one
    /// transaction. Share links are not copied: a link shares one board.
    fn duplicate_board(
        &self,
        id: BoardId,
        name: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<BoardRow>> + Send;

    /// The board's blocks in reading order (top to bottom, left to right).
    fn blocks(&self, board: BoardId) -> impl Future<Output = Result<Vec<BlockRow>>> + Send;
    fn add_block(
        &self,
        board: BoardId,
        block: &NewBlock,
        now_ms: i64,
    ) -> impl Future<Output = Result<BlockRow>> + Send;
    /// `NotFound` unless the block is on that board.
    fn update_block(
        &self,
        board: BoardId,
        id: BlockId,
        block: &NewBlock,
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Moves and resizes blocks in one transaction; `NotFound` (and nothing changes) when one
    /// of them is not on that board.
    fn arrange_blocks(
        &self,
        board: BoardId,
        places: &[(BlockId, Place)],
        now_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// False unless the block was on that board.
    fn delete_block(
        &self,
        board: BoardId,
        id: BlockId,
    ) -> impl Future<Output = Result<bool>> + Send;

    fn create_share(
        &self,
        board: BoardId,
        secret_hash: &str,
        label: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<ShareRow>> + Send;
    /// Replaces a link's stored hash: a link signed over its own id gets its id on insert and
    /// its final hash just after. False if there is no such link.
    fn set_share_hash(
        &self,
        id: ShareId,
        secret_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The board's links, newest first, revoked and expired ones included.
    fn shares(&self, board: BoardId) -> impl Future<Output = Result<Vec<ShareRow>>> + Send;
    fn share(&self, id: ShareId) -> impl Future<Output = Result<Option<ShareRow>>> + Send;
    /// False unless the link belongs to that board and was not revoked already.
    fn revoke_share(
        &self,
        board: BoardId,
        id: ShareId,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The server's key for `purpose` (signing share links): `candidate` is stored the first
    /// time and the stored key returned ever after, so every process of a deployment signs
    /// alike and links outlive restarts. The caller makes the random candidate: the store holds
    /// no random source.
    fn signing_key(
        &self,
        purpose: &str,
        candidate: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// The board signing in lands on, when one was chosen and still exists.
    fn home_board(&self) -> impl Future<Output = Result<Option<BoardId>>> + Send;

    /// Chooses the board signing in lands on, or none (the Metrics screen).
    fn set_home_board(&self, board: Option<BoardId>) -> impl Future<Output = Result<()>> + Send;

    /// The board designer's record of how to take back the last change to `board` (an opaque
    /// document `app::boards` writes), if any.
    fn board_undo(&self, board: BoardId) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Replaces (or with `None` forgets) the undo record of `board`.
    fn set_board_undo(
        &self,
        board: BoardId,
        record: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The `meta` row of a board's undo record: one per board, so no table of its own.
pub(crate) fn board_undo_meta(board: BoardId) -> String {
    format!("board_undo:{board}")
}

/// The `meta` row naming the home board.
const HOME_BOARD_META: &str = "home_board";

/// The `meta` row of a signing key, also the associated data it is sealed with.
pub(crate) fn signing_key_meta(purpose: &str) -> String {
    format!("signing_key:{purpose}")
}

/// Signing keys were 32 random bytes stored in the clear before they were sealed.
pub(crate) const PLAIN_SIGNING_KEY_LEN: usize = 32;

pub(crate) fn not_found_board(id: BoardId) -> StoreError {
    StoreError::not_found("board", id)
}

pub(crate) fn check_settings(s: &BoardSettings) -> Result<()> {
    if s.name.trim().is_empty() || s.name.chars().count() > 200 {
        return Err(StoreError::Invalid {
            what: "board name",
            reason: "it must have 1 to 200 characters".to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn check_block(b: &NewBlock) -> Result<()> {
    b.place.check()?;
    if b.title.chars().count() > 200 {
        return Err(StoreError::Invalid {
            what: "block title",
            reason: "it must have at most 200 characters".to_owned(),
        });
    }
    Ok(())
}

pub(crate) type BoardTuple = (i64, String, String, String, String, i64, i64);
pub(crate) const BOARD_COLUMNS: &str =
    "id, name, date_range, comparison, zone, created_ms, updated_ms";

pub(crate) fn board_of(t: BoardTuple) -> BoardRow {
    BoardRow {
        id: BoardId(t.0),
        settings: BoardSettings {
            name: t.1,
            date_range: t.2,
            comparison: t.3,
            zone: t.4,
        },
        created_ms: t.5,
        updated_ms: t.6,
    }
}

pub(crate) type BlockTuple = (i64, i64, String, String, i64, i64, i64, i64, String, i64);
pub(crate) const BLOCK_COLUMNS: &str =
    "id, board_id, kind, title, x, y, w, h, settings, updated_ms";

pub(crate) fn block_of(t: BlockTuple) -> BlockRow {
    BlockRow {
        id: BlockId(t.0),
        board: BoardId(t.1),
        block: NewBlock {
            kind: t.2,
            title: t.3,
            place: Place {
                x: t.4,
                y: t.5,
                w: t.6,
                h: t.7,
            },
            settings: t.8,
        },
        updated_ms: t.9,
    }
}

pub(crate) type ShareTuple = (i64, i64, String, String, i64, i64, Option<i64>);
pub(crate) const SHARE_COLUMNS: &str =
    "id, board_id, secret_hash, label, created_ms, expires_ms, revoked_ms";

pub(crate) fn share_of(t: ShareTuple) -> ShareRow {
    ShareRow {
        id: ShareId(t.0),
        board: BoardId(t.1),
        secret_hash: t.2,
        label: t.3,
        created_ms: t.4,
        expires_ms: t.5,
        revoked_ms: t.6,
    }
}

impl<DB: Dialect> BoardStore for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    str: sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: sqlx::Encode<'q, DB>,
{
    async fn create_board(&self, settings: &BoardSettings, now_ms: i64) -> Result<BoardRow> {
        check_settings(settings)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO boards (name, date_range, comparison, zone, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(settings.name.trim())
        .bind(&settings.date_range)
        .bind(&settings.comparison)
        .bind(&settings.zone)
        .bind(now_ms)
        .one(&self.pool, "create a board")
        .await?;
        let mut settings = settings.clone();
        settings.name = settings.name.trim().to_owned();
        Ok(BoardRow {
            id: crate::BoardId(id),
            settings,
            created_ms: now_ms,
            updated_ms: now_ms,
        })
    }

    async fn board(&self, id: crate::BoardId) -> Result<BoardRow> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM boards WHERE id = $1",
            BOARD_COLUMNS
        ));
        sqlx::query_as(sql)
            .bind(id.0)
            .found(&self.pool, "read a board", || not_found_board(id))
            .await
            .map(board_of)
    }

    async fn list_boards(&self) -> Result<Vec<BoardRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM boards ORDER BY LOWER(name), id",
            BOARD_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .all(&self.pool, "list boards")
            .await?
            .into_iter()
            .map(board_of)
            .collect())
    }

    async fn update_board(
        &self,
        id: crate::BoardId,
        settings: &BoardSettings,
        now_ms: i64,
    ) -> Result<()> {
        check_settings(settings)?;
        sqlx::query(
            "UPDATE boards SET name = $2, date_range = $3, comparison = $4, zone = $5, updated_ms \
             = $6 WHERE id = $1",
        )
        .bind(id.0)
        .bind(settings.name.trim())
        .bind(&settings.date_range)
        .bind(&settings.comparison)
        .bind(&settings.zone)
        .bind(now_ms)
        .changed_one(&self.pool, "update a board", || not_found_board(id))
        .await
    }

    async fn delete_board(&self, id: crate::BoardId) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM boards WHERE id = $1")
            .bind(id.0)
            .changed(&self.pool, "delete a board")
            .await?
            > 0)
    }

    async fn duplicate_board(
        &self,
        id: crate::BoardId,
        name: &str,
        now_ms: i64,
    ) -> Result<BoardRow> {
        let original = self.board(id).await?;
        let mut settings = original.settings.clone();
        settings.name = name.trim().to_owned();
        check_settings(&settings)?;
        let mut tx = self.begin_write("duplicate a board").await?;
        let new_id: i64 = sqlx::query_scalar(
            "INSERT INTO boards (name, date_range, comparison, zone, created_ms, updated_ms) \
             SELECT $2, date_range, comparison, zone, $3, $3 FROM boards WHERE id = $1 RETURNING \
             id",
        )
        .bind(id.0)
        .bind(&settings.name)
        .bind(now_ms)
        .found(&mut *tx, "duplicate a board", || not_found_board(id))
        .await?;
        sqlx::query(
            "INSERT INTO board_blocks (board_id, kind, title, x, y, w, h, settings, updated_ms) \
             SELECT $2, kind, title, x, y, w, h, settings, $3 FROM board_blocks WHERE board_id = \
             $1 ORDER BY id",
        )
        .bind(id.0)
        .bind(new_id)
        .bind(now_ms)
        .changed(&mut *tx, "copy a board's blocks")
        .await?;
        crate::exec::commit(tx, "duplicate a board").await?;
        // Re-read: the copied row holds the settings as they were inside the transaction.
        self.board(crate::BoardId(new_id)).await
    }

    async fn blocks(&self, board: crate::BoardId) -> Result<Vec<BlockRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM board_blocks WHERE board_id = $1 ORDER BY y, x, id",
            BLOCK_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(board.0)
            .all(&self.pool, "read a board's blocks")
            .await?
            .into_iter()
            .map(block_of)
            .collect())
    }

    async fn add_block(
        &self,
        board: crate::BoardId,
        block: &NewBlock,
        now_ms: i64,
    ) -> Result<BlockRow> {
        check_block(block)?;
        let p = block.place;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO board_blocks (board_id, kind, title, x, y, w, h, settings, updated_ms) \
             SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM boards WHERE id = $1 RETURNING id",
        )
        .bind(board.0)
        .bind(&block.kind)
        .bind(&block.title)
        .bind(p.x)
        .bind(p.y)
        .bind(p.w)
        .bind(p.h)
        .bind(&block.settings)
        .bind(now_ms)
        .found(&self.pool, "add a block", || not_found_board(board))
        .await?;
        Ok(BlockRow {
            id: crate::BlockId(inserted),
            board,
            block: block.clone(),
            updated_ms: now_ms,
        })
    }

    async fn update_block(
        &self,
        board: crate::BoardId,
        id: crate::BlockId,
        block: &NewBlock,
        now_ms: i64,
    ) -> Result<()> {
        check_block(block)?;
        let p = block.place;
        sqlx::query(
            "UPDATE board_blocks SET kind = $3, title = $4, x = $5, y = $6, w = $7, h = $8, \
             settings = $9, updated_ms = $10 \
             WHERE id = $1 AND board_id = $2",
        )
        .bind(id.0)
        .bind(board.0)
        .bind(&block.kind)
        .bind(&block.title)
        .bind(p.x)
        .bind(p.y)
        .bind(p.w)
        .bind(p.h)
        .bind(&block.settings)
        .bind(now_ms)
        .changed_one(&self.pool, "update a block", || {
            StoreError::not_found("block", format!("{id} on board {board}"))
        })
        .await
    }

    async fn arrange_blocks(
        &self,
        board: crate::BoardId,
        places: &[(crate::BlockId, Place)],
        now_ms: i64,
    ) -> Result<()> {
        for (_, p) in places {
            p.check()?;
        }
        let mut tx = self.begin_write("arrange blocks").await?;
        for (id, p) in places {
            let done = sqlx::query(
                "UPDATE board_blocks SET x = $3, y = $4, w = $5, h = $6, updated_ms = $7 WHERE id \
                 = $1 AND board_id = $2",
            )
            .bind(id.0)
            .bind(board.0)
            .bind(p.x)
            .bind(p.y)
            .bind(p.w)
            .bind(p.h)
            .bind(now_ms)
            .changed(&mut *tx, "arrange blocks")
            .await?;
            if done == 0 {
                // Dropping the transaction rolls back the blocks already moved.
                return Err(StoreError::not_found(
                    "block",
                    format!("{id} on board {board}"),
                ));
            }
        }
        sqlx::query("UPDATE boards SET updated_ms = $2 WHERE id = $1")
            .bind(board.0)
            .bind(now_ms)
            .changed(&mut *tx, "arrange blocks")
            .await?;
        crate::exec::commit(tx, "arrange blocks").await
    }

    async fn delete_block(&self, board: crate::BoardId, id: crate::BlockId) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM board_blocks WHERE id = $1 AND board_id = $2")
                .bind(id.0)
                .bind(board.0)
                .changed(&self.pool, "delete a block")
                .await?
                > 0,
        )
    }

    async fn create_share(
        &self,
        board: crate::BoardId,
        secret_hash: &str,
        label: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<ShareRow> {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO board_shares (board_id, secret_hash, label, created_ms, expires_ms) \
             SELECT id, $2, $3, $4, $5 FROM boards WHERE id = $1 RETURNING id",
        )
        .bind(board.0)
        .bind(secret_hash)
        .bind(label)
        .bind(now_ms)
        .bind(expires_ms)
        .fetch_optional(&self.pool)
        .await;
        let id = id
            .map_err(StoreError::named_write(
                "share link",
                "(secret)",
                "create a share link",
            ))?
            .ok_or_else(|| not_found_board(board))?;
        Ok(ShareRow {
            id: crate::ShareId(id),
            board,
            secret_hash: secret_hash.to_owned(),
            label: label.to_owned(),
            created_ms: now_ms,
            expires_ms,
            revoked_ms: None,
        })
    }

    async fn set_share_hash(&self, id: crate::ShareId, secret_hash: &str) -> Result<bool> {
        Ok(
            sqlx::query("UPDATE board_shares SET secret_hash = $2 WHERE id = $1")
                .bind(id.0)
                .bind(secret_hash)
                .changed(&self.pool, "record a share link's hash")
                .await?
                > 0,
        )
    }

    async fn shares(&self, board: crate::BoardId) -> Result<Vec<ShareRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM board_shares WHERE board_id = $1 ORDER BY created_ms DESC, id DESC",
            SHARE_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(board.0)
            .all(&self.pool, "list share links")
            .await?
            .into_iter()
            .map(share_of)
            .collect())
    }

    async fn share(&self, id: crate::ShareId) -> Result<Option<ShareRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM board_shares WHERE id = $1",
            SHARE_COLUMNS
        ));
        Ok(sqlx::query_as(sql)
            .bind(id.0)
            .optional(&self.pool, "read a share link")
            .await?
            .map(share_of))
    }

    async fn revoke_share(
        &self,
        board: crate::BoardId,
        id: crate::ShareId,
        now_ms: i64,
    ) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE board_shares SET revoked_ms = $3 WHERE id = $1 AND board_id = $2 AND \
             revoked_ms IS NULL",
        )
        .bind(id.0)
        .bind(board.0)
        .bind(now_ms)
        .changed(&self.pool, "revoke a share link")
        .await?
            > 0)
    }

    async fn home_board(&self) -> Result<Option<crate::BoardId>> {
        let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(HOME_BOARD_META)
            .optional(&self.pool, "read the home board")
            .await?;
        let Some(id) = stored
            .as_deref()
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        // A board deleted since it was chosen is no home.
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM boards WHERE id = $1")
            .bind(id)
            .optional(&self.pool, "read the home board")
            .await?;
        Ok(exists.map(crate::BoardId))
    }

    async fn set_home_board(&self, board: Option<crate::BoardId>) -> Result<()> {
        let done = match board {
            None => {
                sqlx::query("DELETE FROM meta WHERE key = $1")
                    .bind(HOME_BOARD_META)
                    .execute(&self.pool)
                    .await
            }
            Some(id) => {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = $2",
                )
                .bind(HOME_BOARD_META)
                .bind(id.0.to_string().into_bytes())
                .execute(&self.pool)
                .await
            }
        };
        done.map_err(StoreError::db("choose the home board"))?;
        Ok(())
    }

    async fn signing_key(&self, purpose: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        let name = signing_key_meta(purpose);
        // Under a key that does not open the store, nothing is read or written: a key sealed
        // now would be one no later start with the right key could open.
        let key = self.opener().map_err(|why| {
            StoreError::SecretUnavailable(crate::secrets::SecretUnavailable {
                what: crate::secrets::SealedItem::SigningKey {
                    purpose: purpose.to_owned(),
                },
                why,
            })
        })?;
        let sealed = key.seal(candidate, &name)?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(&name)
            .bind(sealed)
            .changed(&self.pool, "store a signing key")
            .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(&name)
            .one(&self.pool, "read a signing key")
            .await?;
        if let Some(plain) = key.open(&stored, &name) {
            return Ok(plain);
        }
        if stored.len() == PLAIN_SIGNING_KEY_LEN {
            // Written in the clear by an earlier version: seal it in place, so links
            // signed with it keep working. Only a still-plain value is replaced.
            let resealed = key.seal(&stored, &name)?;
            sqlx::query("UPDATE meta SET value = $1 WHERE key = $2 AND value = $3")
                .bind(resealed)
                .bind(&name)
                .bind(&stored)
                .changed(&self.pool, "seal a signing key")
                .await?;
            return Ok(stored);
        }
        Err(StoreError::Invalid {
            what: "signing key",
            reason: format!("the stored {name} does not open under the master key"),
        })
    }

    async fn board_undo(&self, board: crate::BoardId) -> Result<Option<String>> {
        let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(board_undo_meta(board))
            .optional(&self.pool, "read a board's undo record")
            .await?;
        Ok(stored.and_then(|v| String::from_utf8(v).ok()))
    }

    async fn set_board_undo(&self, board: crate::BoardId, record: Option<&str>) -> Result<()> {
        let key = board_undo_meta(board);
        let done = match record {
            Some(r) => {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(&key)
                .bind(r.as_bytes().to_vec())
                .execute(&self.pool)
                .await
            }
            None => {
                sqlx::query("DELETE FROM meta WHERE key = $1")
                    .bind(&key)
                    .execute(&self.pool)
                    .await
            }
        };
        done.map_err(StoreError::db("store a board's undo record"))?;
        Ok(())
    }
}

impl BoardStore for crate::AnyStore {
    async fn create_board(&self, settings: &BoardSettings, now_ms: i64) -> Result<BoardRow> {
        forward!(self.create_board(settings, now_ms))
    }
    async fn board(&self, id: BoardId) -> Result<BoardRow> {
        forward!(self.board(id))
    }
    async fn list_boards(&self) -> Result<Vec<BoardRow>> {
        forward!(self.list_boards())
    }
    async fn update_board(&self, id: BoardId, settings: &BoardSettings, now_ms: i64) -> Result<()> {
        forward!(self.update_board(id, settings, now_ms))
    }
    async fn delete_board(&self, id: BoardId) -> Result<bool> {
        forward!(self.delete_board(id))
    }
    async fn duplicate_board(&self, id: BoardId, name: &str, now_ms: i64) -> Result<BoardRow> {
        forward!(self.duplicate_board(id, name, now_ms))
    }
    async fn blocks(&self, board: BoardId) -> Result<Vec<BlockRow>> {
        forward!(self.blocks(board))
    }
    async fn add_block(&self, board: BoardId, block: &NewBlock, now_ms: i64) -> Result<BlockRow> {
        forward!(self.add_block(board, block, now_ms))
    }
    async fn update_block(
        &self,
        board: BoardId,
        id: BlockId,
        block: &NewBlock,
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.update_block(board, id, block, now_ms))
    }
    async fn arrange_blocks(
        &self,
        board: BoardId,
        places: &[(BlockId, Place)],
        now_ms: i64,
    ) -> Result<()> {
        forward!(self.arrange_blocks(board, places, now_ms))
    }
    async fn delete_block(&self, board: BoardId, id: BlockId) -> Result<bool> {
        forward!(self.delete_block(board, id))
    }
    async fn create_share(
        &self,
        board: BoardId,
        secret_hash: &str,
        label: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<ShareRow> {
        forward!(self.create_share(board, secret_hash, label, expires_ms, now_ms))
    }
    async fn set_share_hash(&self, id: ShareId, secret_hash: &str) -> Result<bool> {
        forward!(self.set_share_hash(id, secret_hash))
    }
    async fn shares(&self, board: BoardId) -> Result<Vec<ShareRow>> {
        forward!(self.shares(board))
    }
    async fn share(&self, id: ShareId) -> Result<Option<ShareRow>> {
        forward!(self.share(id))
    }
    async fn revoke_share(&self, board: BoardId, id: ShareId, now_ms: i64) -> Result<bool> {
        forward!(self.revoke_share(board, id, now_ms))
    }
    async fn signing_key(&self, purpose: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        forward!(self.signing_key(purpose, candidate))
    }
    async fn board_undo(&self, board: BoardId) -> Result<Option<String>> {
        forward!(self.board_undo(board))
    }
    async fn set_board_undo(&self, board: BoardId, record: Option<&str>) -> Result<()> {
        forward!(self.set_board_undo(board, record))
    }
    async fn home_board(&self) -> Result<Option<BoardId>> {
        forward!(self.home_board())
    }
    async fn set_home_board(&self, board: Option<BoardId>) -> Result<()> {
        forward!(self.set_home_board(board))
    }
}
