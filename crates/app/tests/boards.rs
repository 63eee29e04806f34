//! Boards and their blocks through `app::boards`, on SQLite and PostgreSQL: each operation
//! applies its rule before it writes (a refused change leaves the store as it was), stamps with
//! the app's clock, and names what is missing.

mod support;

use app::boards::model::{BlockKind, MAX_BLOCK_METRICS};
use app::{AppError, BlockForm, BoardChange, BoardName};
use metric::{CompareTo, LastUnit, NamedRange};
use store::{BlockId, BoardId, BoardStore, Place, ShareId, Store, StoreError};
use support::{T0, backends, connection, metric};

fn name(text: &str) -> BoardName {
    BoardName::parse(text).expect("a valid board name")
}

fn form(fields: &[(&str, &str)]) -> BlockForm {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    BlockForm::parse(&pairs).expect("a block form that reads")
}

fn is_missing(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound(_) | AppError::Store(StoreError::NotFound { .. })
    )
}

fn invalid_field(e: &AppError) -> &'static str {
    match e {
        AppError::Invalid { field, .. } => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_is_created_renamed_copied_and_deleted_on_the_app_clock() {
    for b in backends("board_ops").await {
        let app = &b.app;
        let board = app.create_board(name("  Sends  ")).await.unwrap();
        assert_eq!(board.settings.name, "Sends", "{}: trimmed", b.name);
        assert_eq!(board.created_ms, T0);
        assert_eq!(
            board.settings.date_range,
            NamedRange::LastN(30, LastUnit::Days).to_string()
        );
        assert_eq!(board.settings.zone, "UTC");

        b.time.advance(1_000);
        let renamed = app
            .rename_board(board.id, name("Deliveries"))
            .await
            .unwrap();
        assert_eq!(renamed.settings.name, "Deliveries");
        let read = app.store().board(board.id).await.unwrap();
        assert_eq!(read.settings.name, "Deliveries");
        assert_eq!(read.updated_ms, T0 + 1_000, "{}", b.name);

        // A copy's name keeps within the limit even when the original is at it.
        let long = app
            .create_board(name(&"n".repeat(BoardName::MAX)))
            .await
            .unwrap();
        let copy = app.duplicate_board(long.id).await.unwrap();
        assert_eq!(copy.settings.name.chars().count(), BoardName::MAX);
        assert_ne!(copy.id, long.id);
        let copy = app.duplicate_board(board.id).await.unwrap();
        assert_eq!(copy.settings.name, "Deliveries (copy)");

        let gone = app.delete_board(board.id).await.unwrap();
        assert_eq!(gone.settings.name, "Deliveries");
        assert!(is_missing(&app.delete_board(board.id).await.unwrap_err()));
        assert!(is_missing(
            &app.rename_board(BoardId(987_654), name("x"))
                .await
                .unwrap_err()
        ));
        assert!(is_missing(
            &app.duplicate_board(BoardId(987_654)).await.unwrap_err()
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn board_settings_check_the_zone_and_keep_the_name_when_none_is_given() {
    for b in backends("board_settings").await {
        let app = &b.app;
        let board = app.create_board(name("Sends")).await.unwrap();
        let change = |zone: &str, name: Option<BoardName>| BoardChange {
            name,
            range: NamedRange::LastN(7, LastUnit::Days),
            compare: CompareTo::None,
            zone: zone.to_owned(),
        };
        let e = app
            .update_board(board.id, change("Mars/Olympus", None))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "zone", "{}", b.name);
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
        let read = app.store().board(board.id).await.unwrap();
        assert_eq!(
            read.settings, board.settings,
            "a refused change writes nothing"
        );

        let saved = app
            .update_board(board.id, change(" Europe/Paris ", None))
            .await
            .unwrap();
        assert_eq!(saved.settings.name, "Sends");
        assert_eq!(saved.settings.zone, "Europe/Paris");
        let read = app.store().board(board.id).await.unwrap();
        assert_eq!(
            read.settings.date_range,
            NamedRange::LastN(7, LastUnit::Days).to_string()
        );
        assert_eq!(read.settings.comparison, CompareTo::None.to_string());

        let renamed = app
            .update_board(board.id, change("UTC", Some(name("Paris sends"))))
            .await
            .unwrap();
        assert_eq!(renamed.settings.name, "Paris sends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_must_name_metrics_and_goals_that_exist_and_lands_in_a_free_spot() {
    for b in backends("block_ops").await {
        let app = &b.app;
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        let id = m.id.0.to_string();
        let board = app.create_board(name("Sends")).await.unwrap();

        let e = app
            .add_block(
                board.id,
                form(&[("kind", "number"), ("metric", &id), ("metric", "987654")]),
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "metric", "{}", b.name);
        assert!(e.to_string().contains("there is no metric 987654"), "{e}");
        let e = app
            .add_block(
                board.id,
                form(&[("kind", "progress"), ("goal_id", "987654")]),
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "goal_id");
        assert!(app.store().blocks(board.id).await.unwrap().is_empty());
        assert!(is_missing(
            &app.add_block(
                BoardId(987_654),
                form(&[("kind", "number"), ("metric", &id)])
            )
            .await
            .unwrap_err()
        ));

        let first = app
            .add_block(board.id, form(&[("kind", "number"), ("metric", &id)]))
            .await
            .unwrap();
        let (w, h) = BlockKind::Number.default_size();
        assert_eq!(first.block.place, Place { x: 0, y: 0, w, h });
        let second = app
            .add_block(board.id, form(&[("kind", "number"), ("metric", &id)]))
            .await
            .unwrap();
        assert_eq!(
            second.block.place,
            Place { x: w, y: 0, w, h },
            "{}: the next free spot, not on top of the first",
            b.name
        );

        // Editing keeps the place; a bad reference leaves the block as it was.
        let e = app
            .edit_block(
                board.id,
                first.id,
                form(&[("kind", "line"), ("metric", "987654")]),
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "metric");
        app.edit_block(
            board.id,
            first.id,
            form(&[("kind", "line"), ("title", "Trend"), ("metric", &id)]),
        )
        .await
        .unwrap();
        let edited = app::boards::block(app.store(), board.id, first.id)
            .await
            .unwrap();
        assert_eq!(edited.block.kind, "line");
        assert_eq!(edited.block.title, "Trend");
        assert_eq!(edited.block.place, first.block.place);

        // A block of another board is not found through this one.
        let other = app.create_board(name("Other")).await.unwrap();
        assert!(is_missing(
            &app.edit_block(
                other.id,
                first.id,
                form(&[("kind", "number"), ("metric", &id)])
            )
            .await
            .unwrap_err()
        ));
        assert!(is_missing(
            &app.delete_block(other.id, first.id).await.unwrap_err()
        ));

        app.delete_block(board.id, second.id).await.unwrap();
        assert!(is_missing(
            &app.delete_block(board.id, second.id).await.unwrap_err()
        ));
    }
}

#[test]
fn a_block_form_takes_at_most_the_metric_limit_and_a_title_under_its_rule() {
    let ids: Vec<String> = (1..=MAX_BLOCK_METRICS as i64 + 1)
        .map(|i| i.to_string())
        .collect();
    let mut pairs = vec![("kind".to_owned(), "line".to_owned())];
    pairs.extend(ids.iter().map(|i| ("metric".to_owned(), i.clone())));
    let (field, _) = BlockForm::parse(&pairs).unwrap_err();
    assert_eq!(field, "metric");
    pairs.pop();
    assert!(BlockForm::parse(&pairs).is_ok(), "exactly the limit reads");

    let long = "t".repeat(201);
    let title = vec![
        ("kind".to_owned(), "text".to_owned()),
        ("title".to_owned(), long.clone()),
    ];
    let (field, message) = BlockForm::parse(&title).unwrap_err();
    assert_eq!(field, "title");
    assert_eq!(message, app::names::block_title(&long).unwrap_err().message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_move_and_arrange_only_inside_the_grid() {
    for b in backends("block_grid").await {
        let app = &b.app;
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        let id = m.id.0.to_string();
        let board = app.create_board(name("Sends")).await.unwrap();
        let block = app
            .add_block(board.id, form(&[("kind", "number"), ("metric", &id)]))
            .await
            .unwrap();

        let e = app.move_block(board.id, block.id, "fly").await.unwrap_err();
        assert_eq!(invalid_field(&e), "dir", "{}", b.name);
        let p = app.move_block(board.id, block.id, "right").await.unwrap();
        assert_eq!(p.x, block.block.place.x + 1);
        let left = app.move_block(board.id, block.id, "left").await.unwrap();
        let still = app.move_block(board.id, block.id, "left").await.unwrap();
        assert_eq!((left.x, still.x), (0, 0), "a move stops at the edge");

        let outside = Place {
            x: 10,
            y: 0,
            w: 4,
            h: 2,
        };
        let e = app
            .arrange_blocks(board.id, &[(block.id, outside)])
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), "layout");
        let read = app::boards::block(app.store(), board.id, block.id)
            .await
            .unwrap();
        assert_eq!(read.block.place, still, "a refused layout moves nothing");

        let inside = Place {
            x: 8,
            y: 3,
            w: 4,
            h: 2,
        };
        app.arrange_blocks(board.id, &[(block.id, inside)])
            .await
            .unwrap();
        let read = app::boards::block(app.store(), board.id, block.id)
            .await
            .unwrap();
        assert_eq!(read.block.place, inside);
        assert!(
            app.arrange_blocks(board.id, &[(BlockId(987_654), inside)])
                .await
                .is_err(),
            "a block not on the board is refused"
        );
    }
}

fn at(x: i64, y: i64, w: i64, h: i64) -> Place {
    Place { x, y, w, h }
}

/// Every block's place on the board, by id.
async fn places(app: &app::App, board: BoardId) -> Vec<(BlockId, Place)> {
    app.store()
        .blocks(board)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.block.place))
        .collect()
}

fn place_of(layout: &[(BlockId, Place)], id: BlockId) -> Place {
    layout.iter().find(|(b, _)| *b == id).unwrap().1
}

/// A board with a 3×2 number block at (0,0) and a 6×3 line block beside it at (3,0).
async fn two_blocks(app: &app::App) -> (BoardId, BlockId, BlockId, String) {
    let m = metric(app, "Sent", &connection(app, "prod").await).await;
    let id = m.id.0.to_string();
    let board = app.create_board(name("Sends")).await.unwrap();
    let number = app
        .add_block(board.id, form(&[("kind", "number"), ("metric", &id)]))
        .await
        .unwrap();
    let line = app
        .add_block(board.id, form(&[("kind", "line"), ("metric", &id)]))
        .await
        .unwrap();
    assert_eq!(number.block.place, at(0, 0, 3, 2));
    assert_eq!(line.block.place, at(3, 0, 6, 3));
    (board.id, number.id, line.id, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_moved_onto_another_is_stored_with_the_other_pushed_down() {
    for b in backends("block_push").await {
        let app = &b.app;
        let (board, number, line, _) = two_blocks(app).await;
        let answered = app
            .arrange_blocks(board, &[(number, at(4, 1, 3, 2))])
            .await
            .unwrap();
        let stored = places(app, board).await;
        assert_eq!(place_of(&stored, number), at(4, 1, 3, 2), "{}", b.name);
        // The line block covered rows 0..3 of columns 3..9: it moves to row 1 + 2.
        assert_eq!(place_of(&stored, line), at(3, 3, 6, 3), "{}", b.name);
        let mut answered = answered;
        answered.sort_by_key(|(id, _)| id.0);
        let mut stored = stored;
        stored.sort_by_key(|(id, _)| id.0);
        assert_eq!(answered, stored, "the answer is what is stored");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_block_sits_under_its_original_and_blocks_below_make_room() {
    for b in backends("block_duplicate").await {
        let app = &b.app;
        let (board, number, line, _) = two_blocks(app).await;
        // The line block moved under the number block, touching it.
        app.arrange_blocks(board, &[(line, at(0, 2, 6, 3))])
            .await
            .unwrap();
        let copy = app.duplicate_block(board, number).await.unwrap();
        let original = app::boards::block(app.store(), board, number)
            .await
            .unwrap();
        assert_eq!(copy.block.place, at(0, 2, 3, 2), "{}", b.name);
        assert_eq!(
            (copy.block.kind.as_str(), &copy.block.settings),
            (original.block.kind.as_str(), &original.block.settings)
        );
        let stored = places(app, board).await;
        assert_eq!(place_of(&stored, line), at(0, 4, 6, 3), "{}", b.name);
        assert!(
            app.duplicate_block(board, BlockId(987_654)).await.is_err(),
            "a block not on the board"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_takes_back_the_last_change_once() {
    for b in backends("block_undo").await {
        let app = &b.app;
        let (board, number, line, id) = two_blocks(app).await;
        let start = places(app, board).await;

        // A move (which pushed the line block) goes back whole.
        app.arrange_blocks(board, &[(number, at(4, 0, 3, 2))])
            .await
            .unwrap();
        assert_eq!(app.undo_board(board).await.unwrap(), "move");
        assert_eq!(places(app, board).await, start, "{}", b.name);
        let again = app.undo_board(board).await.unwrap_err();
        assert_eq!(invalid_field(&again), "undo", "nothing left to undo");

        // An edit: the block's title and settings come back.
        let before = app::boards::block(app.store(), board, line).await.unwrap();
        app.edit_block(
            board,
            line,
            form(&[("kind", "bar"), ("title", "Bars"), ("metric", &id)]),
        )
        .await
        .unwrap();
        assert_eq!(app.undo_board(board).await.unwrap(), "edit");
        let after = app::boards::block(app.store(), board, line).await.unwrap();
        assert_eq!(after.block, before.block, "{}", b.name);

        // A delete: the block returns where it stood.
        app.delete_block(board, number).await.unwrap();
        assert_eq!(app.undo_board(board).await.unwrap(), "delete");
        let rows = app.store().blocks(board).await.unwrap();
        assert_eq!(rows.len(), 2);
        let back = rows.iter().find(|r| r.id != line).unwrap();
        assert_eq!(back.block.place, at(0, 0, 3, 2));
        assert_eq!(back.block.kind, "number");

        // An add: it goes.
        let added = app.duplicate_block(board, line).await.unwrap();
        assert_eq!(app.undo_board(board).await.unwrap(), "add");
        assert!(
            !app.store()
                .blocks(board)
                .await
                .unwrap()
                .iter()
                .any(|r| r.id == added.id)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_is_stored_under_its_signed_hash_and_revoked_once() {
    assert_eq!(app::boards::share_days(" 7 ").unwrap(), 7);
    for bad in ["0", "366", "a week", ""] {
        assert_eq!(
            invalid_field(&app::boards::share_days(bad).unwrap_err()),
            "days"
        );
    }
    for b in backends("board_shares").await {
        let app = &b.app;
        let board = app.create_board(name("Sends")).await.unwrap();
        let mut signed = None;
        let (row, token) = app
            .create_share(board.id, "  ", 7, |share, expires_ms| {
                signed = Some((share, expires_ms));
                (format!("token-{}", share.0), format!("hash-{}", share.0))
            })
            .await
            .unwrap();
        assert_eq!(signed, Some((row.id, T0 + 7 * 86_400_000)), "{}", b.name);
        assert_eq!(token, format!("token-{}", row.id.0));
        assert_eq!(row.label, "link", "an empty label gets a default");
        let read = app.store().share(row.id).await.unwrap().unwrap();
        assert_eq!(read.secret_hash, format!("hash-{}", row.id.0));
        assert!(read.is_live(T0));

        let (long, _) = app
            .create_share(board.id, &"l".repeat(150), 1, |_, _| {
                (String::new(), "h".to_owned())
            })
            .await
            .unwrap();
        assert_eq!(long.label.chars().count(), app::boards::MAX_SHARE_LABEL);
        assert!(is_missing(
            &app.create_share(BoardId(987_654), "x", 1, |_, _| Default::default())
                .await
                .unwrap_err()
        ));

        assert!(app.revoke_share(board.id, row.id).await.unwrap());
        assert!(!app.revoke_share(board.id, row.id).await.unwrap());
        assert!(!app.revoke_share(board.id, ShareId(987_654)).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_needs_a_connection_and_reuses_library_metrics_already_added() {
    for b in backends("board_templates").await {
        let app = &b.app;
        let e = app.board_from_template("nope").await.unwrap_err();
        assert_eq!(invalid_field(&e), "template", "{}", b.name);
        let e = app.board_from_template("messaging").await.unwrap_err();
        assert_eq!(invalid_field(&e), "connection");
        assert!(app.store().list_boards().await.unwrap().is_empty());

        connection(app, "prod").await;
        let board = app.board_from_template("messaging").await.unwrap();
        assert_eq!(board.settings.name, "Twilio Messaging");
        let blocks = app.store().blocks(board.id).await.unwrap();
        assert!(!blocks.is_empty());
        let metrics = app.store().list_metrics().await.unwrap().len();
        assert!(metrics > 0, "the library metrics were added");

        let again = app.board_from_template("messaging").await.unwrap();
        assert_ne!(again.id, board.id);
        assert_eq!(
            app.store().list_metrics().await.unwrap().len(),
            metrics,
            "a second board reuses the metrics the first added"
        );
    }
}
