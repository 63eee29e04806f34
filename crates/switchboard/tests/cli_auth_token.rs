//! `switchboard connection auth-token` against the simulator: the token read from a file or the
//! environment (never the command line), checked with Twilio, the callback paths printed, a
//! wrong or malformed token refused in words with nothing saved, and `--remove`.

mod support;

use support::{add_main_connection, command, scratch_dir, small_sim, switchboard, text};

fn token(sim: &twilio_sim::SimHandle) -> String {
    sim.dataset().main_account().auth_token.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_from_a_file_is_saved_and_the_callback_paths_printed() {
    let sim = small_sim().await;
    let dir = scratch_dir("auth-token-file");
    let secret = token(&sim);
    let file = dir.join("token.txt");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let out = tokio::task::block_in_place(|| {
        add_main_connection(&dir, &sim, &[]);
        switchboard(
            &dir,
            &sim,
            &[
                "connection",
                "auth-token",
                "prod",
                "--auth-token-file",
                file.to_str().unwrap(),
            ],
            "",
        )
    });
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("saved the Auth Token of connection 'prod'"),
        "{shown}"
    );
    for kind in ["messages", "calls", "events"] {
        let printed = shown
            .lines()
            .any(|l| l.contains("/hooks/twilio/") && l.trim_end().ends_with(&format!("/{kind}")));
        assert!(printed, "{kind} path in {shown}");
    }
    assert!(!shown.contains(&secret), "the token is never printed");

    let removed = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["connection", "auth-token", "prod", "--remove"],
            "",
        )
    });
    assert!(removed.status.success(), "{}", text(&removed));
    assert!(
        text(&removed).contains("removed the Auth Token"),
        "{}",
        text(&removed)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_from_the_environment_is_saved() {
    let sim = small_sim().await;
    let dir = scratch_dir("auth-token-env");
    let out = tokio::task::block_in_place(|| {
        add_main_connection(&dir, &sim, &[]);
        command(
            &dir,
            &sim,
            &["connection", "auth-token", "prod", "--from-env", "SB_TOKEN"],
        )
        .env("SB_TOKEN", token(&sim))
        .output()
        .unwrap()
    });
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_refused_with_twilios_answer_and_a_malformed_one_with_the_rule() {
    let sim = small_sim().await;
    let dir = scratch_dir("auth-token-wrong");
    let right = token(&sim);
    let wrong = format!(
        "{}{}",
        if right.starts_with('0') { "1" } else { "0" },
        &right[1..]
    );
    let file = dir.join("wrong.txt");
    std::fs::write(&file, &wrong).unwrap();
    let out = tokio::task::block_in_place(|| {
        add_main_connection(&dir, &sim, &[]);
        switchboard(
            &dir,
            &sim,
            &[
                "connection",
                "auth-token",
                "prod",
                "--auth-token-file",
                file.to_str().unwrap(),
            ],
            "",
        )
    });
    let shown = text(&out);
    assert!(!out.status.success());
    assert!(shown.contains("Twilio refused the Auth Token"), "{shown}");
    assert!(shown.contains("the Auth Token was not saved"), "{shown}");
    assert!(!shown.contains(&wrong));

    std::fs::write(&file, "short").unwrap();
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &[
                "connection",
                "auth-token",
                "prod",
                "--auth-token-file",
                file.to_str().unwrap(),
            ],
            "",
        )
    });
    assert!(!out.status.success());
    assert!(
        text(&out).contains("32 characters long, this one has 5"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_has_no_command_line_option_and_a_source_is_required() {
    let sim = small_sim().await;
    let dir = scratch_dir("auth-token-args");
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &[
                "connection",
                "auth-token",
                "prod",
                "--auth-token",
                "0123456789abcdef0123456789abcdef",
            ],
            "",
        )
    });
    assert!(!out.status.success());
    assert!(
        text(&out).contains("unexpected argument '--auth-token'"),
        "{}",
        text(&out)
    );
    let none = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "auth-token", "prod"], "")
    });
    assert!(!none.status.success());
    assert!(text(&none).contains("required"), "{}", text(&none));
}
