//! The same bad name gets the same refusal from the CLI as from `app` (and so from the API and
//! the pages: `crates/web/tests/same_refusal.rs`).

mod support;

use support::{add_main_connection, scratch_dir, small_sim, switchboard, text};

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_label_is_refused_in_the_app_words_and_before_any_request() {
    let sim = small_sim().await;
    let dir = scratch_dir("same-refusal");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));

    let too_long = "x".repeat(app::Label::MAX + 1);
    let expected = app::Label::parse(&too_long).unwrap_err().message;
    let out = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "rename", "prod", &too_long], "")
    });
    assert!(!out.status.success());
    assert!(text(&out).contains(&expected), "{}", text(&out));

    sim.clear_request_log();
    let again = [
        "connection",
        "add",
        "prod",
        "--account-sid",
        "AC0123456789abcdef0123456789abcdef",
        "--api-key-sid",
        "SK0123456789abcdef0123456789abcdef",
        "--secret-stdin",
    ];
    let out = tokio::task::block_in_place(|| switchboard(&dir, &sim, &again, "secret\n"));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("a connection named 'prod' already exists"),
        "{}",
        text(&out)
    );

    let with_tab = "pro\tduction";
    let expected = app::Label::parse(with_tab).unwrap_err().message;
    let args = [
        "connection",
        "add",
        with_tab,
        "--account-sid",
        "AC0123456789abcdef0123456789abcdef",
        "--api-key-sid",
        "SK0123456789abcdef0123456789abcdef",
        "--secret-stdin",
    ];
    let out = tokio::task::block_in_place(|| switchboard(&dir, &sim, &args, "secret\n"));
    assert!(!out.status.success());
    assert!(text(&out).contains(&expected), "{}", text(&out));
    assert!(sim.request_log().is_empty(), "refused before asking Twilio");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_user_or_token_name_is_refused_in_the_app_words() {
    let sim = small_sim().await;
    let dir = scratch_dir("same-refusal-people");
    let expected = app::UserName::parse("two words").unwrap_err().message;
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &[
                "user",
                "add",
                "two words",
                "--role",
                "viewer",
                "--password-stdin",
            ],
            "a long passphrase 1\n",
        )
    });
    assert!(!out.status.success());
    assert!(text(&out).contains(&expected), "{}", text(&out));

    let expected = app::TokenName::parse("ci\njob").unwrap_err().message;
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["token", "create", "--user", "ops", "--name", "ci\njob"],
            "",
        )
    });
    assert!(!out.status.success());
    assert!(text(&out).contains(&expected), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_sync_interval_is_refused_in_the_app_words() {
    let sim = small_sim().await;
    let dir = scratch_dir("same-refusal-interval");
    for bad in ["4m", "7d1h", "15", "fortnight"] {
        let expected = app::SyncInterval::parse(bad).unwrap_err().message;
        // Refused before the store is opened: no metric is needed to be told.
        let out = tokio::task::block_in_place(|| {
            switchboard(
                &dir,
                &sim,
                &["metric", "interval", "Messages sent", bad],
                "",
            )
        });
        assert!(!out.status.success());
        assert!(text(&out).contains(&expected), "{bad}: {}", text(&out));
    }
}
