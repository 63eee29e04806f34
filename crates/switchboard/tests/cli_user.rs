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

/// Issue 15, finding 14: people are managed without a browser too: list, role, disable, enable,
/// passwd (with the password rule), revoke and delete, and the last enabled Admin is kept.
#[tokio::test(flavor = "multi_thread")]
async fn user_management_through_the_cli_keeps_the_password_rule_and_the_last_admin() {
    let sim = small_sim().await;
    let dir = scratch_dir("people");
    let run = |args: &[&str], stdin: &str| {
        tokio::task::block_in_place(|| switchboard(&dir, &sim, args, stdin))
    };
    let spaces = run(
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        "            \n",
    );
    assert!(!spaces.status.success(), "{}", text(&spaces));
    assert!(text(&spaces).contains("12 characters"), "{}", text(&spaces));
    for (name, role) in [("root", "admin"), ("ops", "viewer")] {
        let add = run(
            &["user", "add", name, "--role", role, "--password-stdin"],
            "a long passphrase 1\n",
        );
        assert!(add.status.success(), "{}", text(&add));
    }
    let token = run(&["token", "create", "--user", "ops"], "");
    assert!(token.status.success(), "{}", text(&token));

    for args in [
        &["user", "disable", "root"][..],
        &["user", "delete", "root"],
        &["user", "role", "root", "--role", "editor"],
    ] {
        let refused = run(args, "");
        assert!(!refused.status.success(), "{args:?}: {}", text(&refused));
        assert!(
            text(&refused).contains("last enabled Admin"),
            "{}",
            text(&refused)
        );
    }
    let short = run(
        &["user", "passwd", "ops", "--password-stdin"],
        "too short\n",
    );
    assert!(!short.status.success(), "{}", text(&short));
    for args in [
        &["user", "passwd", "OPS", "--password-stdin"][..],
        &["user", "role", "ops", "--role", "editor"],
        &["user", "disable", "ops"],
    ] {
        let out = run(args, "another long passphrase\n");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let list = run(&["user", "list"], "");
    let shown = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(shown.contains("ops\teditor\tdisabled"), "{shown}");
    assert!(shown.contains("root\tadmin\tactive"), "{shown}");
    let enabled = run(&["user", "enable", "ops"], "");
    assert!(enabled.status.success(), "{}", text(&enabled));
    let revoked = run(&["user", "revoke", "ops"], "");
    assert!(
        String::from_utf8_lossy(&revoked.stdout).contains("deleted 1 API token(s)"),
        "{}",
        text(&revoked)
    );
    let deleted = run(&["user", "delete", "ops"], "");
    assert!(deleted.status.success(), "{}", text(&deleted));
    let missing = run(&["user", "disable", "ops"], "");
    assert!(
        text(&missing).contains("no user named 'ops'"),
        "{}",
        text(&missing)
    );
}
