//! `switchboard user add` and `switchboard token create` through the binary (that such a token
//! reaches the API with its user's role is tested in the web crate).

mod support;

use support::{scratch_dir, small_sim, switchboard, text};

#[tokio::test(flavor = "multi_thread")]
async fn user_add_and_token_create_work_and_explain_bad_input() {
    let sim = small_sim().await;
    let dir = scratch_dir("user");
    let add = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["user", "add", "ops", "--role", "viewer", "--password-stdin"],
            "a long passphrase 1\n",
        )
    });
    assert!(add.status.success(), "{}", text(&add));
    let token = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["token", "create", "--user", "ops"], "")
    });
    assert!(token.status.success(), "{}", text(&token));
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    assert!(token.len() >= 32, "a token is printed: {token:?}");

    let unknown = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["token", "create", "--user", "nobody"], "")
    });
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("no user named 'nobody'"),
        "{}",
        text(&unknown)
    );

    let bad_role = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["user", "add", "x", "--role", "root", "--password-stdin"],
            "a long passphrase 1\n",
        )
    });
    assert!(!bad_role.status.success());
    assert!(
        text(&bad_role).contains("not a role"),
        "{}",
        text(&bad_role)
    );
}
