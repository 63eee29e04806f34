//! Boards, blocks and share links, on both backends.

mod support;

use store::{BoardSettings, BoardStore, NewBlock, Place, Store as _, StoreError};
use support::Harness;

fn settings(name: &str) -> BoardSettings {
    BoardSettings {
        name: name.to_owned(),
        date_range: "last_30_days".to_owned(),
        comparison: "previous_period".to_owned(),
        zone: "Europe/Paris".to_owned(),
    }
}

fn block(kind: &str, x: i64, y: i64) -> NewBlock {
    NewBlock {
        kind: kind.to_owned(),
        title: format!("{kind} block"),
        place: Place { x, y, w: 4, h: 2 },
        settings: r#"{"metrics":[1]}"#.to_owned(),
    }
}

async fn boards_are_created_renamed_listed_and_deleted<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let b = s.create_board(&settings("  Messaging "), 10).await.unwrap();
    assert_eq!(b.settings.name, "Messaging", "names are trimmed");
    s.create_board(&settings("alpha"), 11).await.unwrap();
    assert_eq!(s.board(b.id).await.unwrap(), b);
    let mut renamed = settings("Voice");
    renamed.zone = "UTC".to_owned();
    s.update_board(b.id, &renamed, 20).await.unwrap();
    let read = s.board(b.id).await.unwrap();
    assert_eq!((read.settings, read.updated_ms), (renamed, 20));
    let names: Vec<String> = s
        .list_boards()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.settings.name)
        .collect();
    assert_eq!(names, ["alpha", "Voice"]);
    let err = s.create_board(&settings(" "), 1).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(s.delete_board(b.id).await.unwrap());
    assert!(!s.delete_board(b.id).await.unwrap());
    let err = s.board(b.id).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "board", .. }),
        "{err}"
    );
    let err = s.update_board(b.id, &settings("x"), 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn blocks_are_added_edited_arranged_in_one_transaction_and_deleted<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let b = s.create_board(&settings("b"), 0).await.unwrap();
    let other = s.create_board(&settings("other"), 0).await.unwrap();
    let line = s.add_block(b.id, &block("line", 4, 0), 1).await.unwrap();
    let number = s.add_block(b.id, &block("number", 0, 0), 2).await.unwrap();
    let table = s.add_block(b.id, &block("table", 0, 2), 3).await.unwrap();
    let kinds = |blocks: Vec<store::BlockRow>| -> Vec<String> {
        blocks.into_iter().map(|b| b.block.kind).collect()
    };
    assert_eq!(
        kinds(s.blocks(b.id).await.unwrap()),
        ["number", "line", "table"]
    );

    let mut edited = block("bar", 4, 0);
    edited.title = "Spend".to_owned();
    s.update_block(b.id, line.id, &edited, 5).await.unwrap();
    let err = s
        .update_block(other.id, line.id, &edited, 5)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "block", .. }),
        "{err}"
    );

    // Swap two blocks; a third one from another board makes the whole move fail.
    let foreign = s.add_block(other.id, &block("pie", 0, 0), 6).await.unwrap();
    let swap = [
        (
            number.id,
            Place {
                x: 4,
                y: 0,
                w: 4,
                h: 2,
            },
        ),
        (
            line.id,
            Place {
                x: 0,
                y: 0,
                w: 4,
                h: 3,
            },
        ),
    ];
    let with_foreign = [
        swap[0],
        swap[1],
        (
            foreign.id,
            Place {
                x: 0,
                y: 9,
                w: 1,
                h: 1,
            },
        ),
    ];
    let err = s.arrange_blocks(b.id, &with_foreign, 7).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert_eq!(
        kinds(s.blocks(b.id).await.unwrap()),
        ["number", "bar", "table"],
        "nothing moved"
    );
    s.arrange_blocks(b.id, &swap, 8).await.unwrap();
    let blocks = s.blocks(b.id).await.unwrap();
    assert_eq!(kinds(blocks.clone()), ["bar", "number", "table"]);
    assert_eq!(blocks[0].block.title, "Spend");
    assert_eq!(
        blocks[0].block.place,
        Place {
            x: 0,
            y: 0,
            w: 4,
            h: 3
        }
    );
    let bad = Place {
        x: 0,
        y: 0,
        w: 0,
        h: 1,
    };
    assert!(s.arrange_blocks(b.id, &[(table.id, bad)], 9).await.is_err());

    assert!(!s.delete_block(other.id, table.id).await.unwrap());
    assert!(s.delete_block(b.id, table.id).await.unwrap());
    assert_eq!(s.blocks(b.id).await.unwrap().len(), 2);
    let err = s
        .add_block(store::BoardId(9999), &block("x", 0, 0), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "board", .. }),
        "{err}"
    );
    // Deleting a board takes its blocks along.
    s.delete_board(b.id).await.unwrap();
    assert!(s.blocks(b.id).await.unwrap().is_empty());
    assert_eq!(s.blocks(other.id).await.unwrap().len(), 1);
}

async fn a_duplicate_copies_settings_and_blocks_but_not_links<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let b = s.create_board(&settings("Spend"), 0).await.unwrap();
    s.add_block(b.id, &block("number", 0, 0), 1).await.unwrap();
    s.add_block(b.id, &block("line", 4, 0), 1).await.unwrap();
    s.create_share(b.id, "hash-1", "tv", 1000, 1).await.unwrap();
    let copy = s.duplicate_board(b.id, "Spend (copy)", 50).await.unwrap();
    assert_ne!(copy.id, b.id);
    assert_eq!(copy.settings.name, "Spend (copy)");
    assert_eq!(copy.settings.zone, "Europe/Paris");
    assert_eq!(copy.created_ms, 50);
    let original: Vec<NewBlock> = s
        .blocks(b.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.block)
        .collect();
    let copied: Vec<NewBlock> = s
        .blocks(copy.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.block)
        .collect();
    assert_eq!(original, copied);
    assert!(s.shares(copy.id).await.unwrap().is_empty());
    let err = s
        .duplicate_board(store::BoardId(9999), "x", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn share_links_expire_and_are_revoked_once<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let b = s.create_board(&settings("b"), 0).await.unwrap();
    let other = s.create_board(&settings("o"), 0).await.unwrap();
    let a = s
        .create_share(b.id, "hash-a", "wall TV", 1_000, 10)
        .await
        .unwrap();
    let later = s
        .create_share(b.id, "hash-b", "client", 2_000, 20)
        .await
        .unwrap();
    let dup = s
        .create_share(b.id, "hash-a", "again", 1_000, 30)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { .. }), "{dup}");
    let ids: Vec<_> = s
        .shares(b.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(ids, [later.id, a.id], "newest first");
    let read = s.share(a.id).await.unwrap().unwrap();
    assert_eq!(read, a);
    assert!(read.is_live(999));
    assert!(!read.is_live(1_000), "expired at its instant");
    assert!(
        !s.revoke_share(other.id, a.id, 50).await.unwrap(),
        "another board's link"
    );
    assert!(s.revoke_share(b.id, a.id, 50).await.unwrap());
    assert!(
        !s.revoke_share(b.id, a.id, 60).await.unwrap(),
        "already revoked"
    );
    let revoked = s.share(a.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_ms, Some(50));
    assert!(!revoked.is_live(100));
    assert!(s.share(store::ShareId(9999)).await.unwrap().is_none());
    assert!(s.set_share_hash(later.id, "hash-c").await.unwrap());
    assert_eq!(
        s.share(later.id).await.unwrap().unwrap().secret_hash,
        "hash-c"
    );
    assert!(!s.set_share_hash(store::ShareId(9999), "x").await.unwrap());
    s.delete_board(b.id).await.unwrap();
    assert!(
        s.share(later.id).await.unwrap().is_none(),
        "links go with their board"
    );
}

async fn the_signing_key_is_made_once_and_kept<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let first = s.signing_key("shares", &[1, 2, 3]).await.unwrap();
    assert_eq!(first, [1, 2, 3]);
    assert_eq!(s.signing_key("shares", &[9, 9]).await.unwrap(), [1, 2, 3]);
    assert_eq!(s.signing_key("other", &[7]).await.unwrap(), [7]);
}

const KEY_SQL: &str = "SELECT value FROM meta WHERE key = 'signing_key:shares'";

fn bytes_literal(h: &impl Harness, bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match h.backend() {
        store::Backend::Sqlite => format!("X'{hex}'"),
        store::Backend::Postgres => format!("'\\x{hex}'::bytea"),
    }
}

async fn the_signing_key_is_sealed_at_rest<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let key = [42u8; 32];
    assert_eq!(s.signing_key("shares", &key).await.unwrap(), key);
    let raw = h.read_bytes(KEY_SQL.to_owned()).await;
    assert_ne!(raw, key);
    assert!(
        !raw.windows(8).any(|w| w == &key[..8]),
        "no run of the key in the clear"
    );
    // Another master key cannot open it: the store says so rather than signing with junk.
    drop(s);
    let other = h.open(support::key_b()).await.unwrap();
    let err = other.signing_key("shares", &[1; 32]).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SecretUnavailable(_)),
        "a store under a key that is not its own does not sign: {err}"
    );
}

async fn a_signing_key_stored_in_the_clear_is_sealed_and_kept<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let legacy: Vec<u8> = (0..32).collect();
    h.execute_raw(format!(
        "INSERT INTO meta (key, value) VALUES ('signing_key:shares', {})",
        bytes_literal(h, &legacy)
    ))
    .await;
    assert_eq!(s.signing_key("shares", &[9; 32]).await.unwrap(), legacy);
    assert_ne!(h.read_bytes(KEY_SQL.to_owned()).await, legacy, "sealed now");
    assert_eq!(
        s.signing_key("shares", &[8; 32]).await.unwrap(),
        legacy,
        "links signed before keep working"
    );
}

async fn rotating_the_master_key_keeps_the_signing_key<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let key = [7u8; 32];
    s.signing_key("shares", &key).await.unwrap();
    s.rotate_master_key(&support::key_a(), &support::key_b())
        .await
        .unwrap();
    assert_eq!(s.signing_key("shares", &[1; 32]).await.unwrap(), key);
    drop(s);
    let reopened = h.open(support::key_b()).await.unwrap();
    assert_eq!(reopened.signing_key("shares", &[1; 32]).await.unwrap(), key);
}

async fn a_boards_undo_record_is_kept_replaced_and_forgotten<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let a = s.create_board(&settings("A"), 1).await.unwrap();
    let b = s.create_board(&settings("B"), 1).await.unwrap();
    assert_eq!(s.board_undo(a.id).await.unwrap(), None);
    s.set_board_undo(a.id, Some("first")).await.unwrap();
    s.set_board_undo(a.id, Some("second")).await.unwrap();
    s.set_board_undo(b.id, Some("other")).await.unwrap();
    assert_eq!(s.board_undo(a.id).await.unwrap().as_deref(), Some("second"));
    assert_eq!(s.board_undo(b.id).await.unwrap().as_deref(), Some("other"));
    s.set_board_undo(a.id, None).await.unwrap();
    assert_eq!(s.board_undo(a.id).await.unwrap(), None);
    assert_eq!(
        s.board_undo(b.id).await.unwrap().as_deref(),
        Some("other"),
        "one record per board"
    );
}

async fn the_home_board_is_chosen_changed_and_forgotten_with_its_board<H: Harness>(h: &H)
where
    H::S: BoardStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    assert_eq!(s.home_board().await.unwrap(), None);
    let first = s.create_board(&settings("Messaging"), 10).await.unwrap();
    let second = s.create_board(&settings("Voice"), 10).await.unwrap();
    s.set_home_board(Some(first.id)).await.unwrap();
    assert_eq!(s.home_board().await.unwrap(), Some(first.id));
    s.set_home_board(Some(second.id)).await.unwrap();
    assert_eq!(s.home_board().await.unwrap(), Some(second.id));
    assert!(s.delete_board(second.id).await.unwrap());
    assert_eq!(
        s.home_board().await.unwrap(),
        None,
        "a deleted board is no home"
    );
    s.set_home_board(Some(first.id)).await.unwrap();
    s.set_home_board(None).await.unwrap();
    assert_eq!(s.home_board().await.unwrap(), None);
}

contract_tests!(
    a_boards_undo_record_is_kept_replaced_and_forgotten,
    the_signing_key_is_sealed_at_rest,
    the_home_board_is_chosen_changed_and_forgotten_with_its_board,
    a_signing_key_stored_in_the_clear_is_sealed_and_kept,
    rotating_the_master_key_keeps_the_signing_key,
    the_signing_key_is_made_once_and_kept,
    boards_are_created_renamed_listed_and_deleted,
    blocks_are_added_edited_arranged_in_one_transaction_and_deleted,
    a_duplicate_copies_settings_and_blocks_but_not_links,
    share_links_expire_and_are_revoked_once,
);
