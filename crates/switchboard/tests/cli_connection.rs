//! `switchboard connection ...` and `switchboard key rotate` against the simulator over HTTP.

mod support;

use store::Store as _;
use support::{command, scratch_dir, small_sim, switchboard, text};
use twilio_sim::KeyType;

fn key(sim: &twilio_sim::SimHandle, kind: KeyType) -> (String, String, String) {
    let account = sim.dataset().main_account();
    let key = account
        .keys
        .iter()
        .find(|k| k.key_type == kind)
        .expect("the simulator gives every account this kind of key");
    (account.sid.clone(), key.sid.clone(), key.secret.clone())
}

/// Runs `connection add LABEL` with the account's key of `kind` and the given secret.
fn add(
    sim: &twilio_sim::SimHandle,
    dir: &std::path::PathBuf,
    kind: KeyType,
    label: &str,
    secret: &str,
) -> std::process::Output {
    let (ac, sk, _) = key(sim, kind);
    let args = [
        "connection",
        "add",
        label,
        "--account-sid",
        &ac,
        "--api-key-sid",
        &sk,
        "--secret-stdin",
    ];
    tokio::task::block_in_place(|| switchboard(dir, sim, &args, &format!("{secret}\n")))
}

#[tokio::test(flavor = "multi_thread")]
async fn add_with_a_main_key_saves_and_names_the_account() {
    let sim = small_sim().await;
    let dir = scratch_dir("add-main");
    let (ac, _, secret) = key(&sim, KeyType::Main);
    let out = add(&sim, &dir, KeyType::Main, "prod", &secret);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    let name = &sim.dataset().main_account().friendly_name;
    assert!(
        shown.contains("Main key") && shown.contains(name.as_str()),
        "{shown}"
    );

    let list = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["connection", "list"], ""));
    let listed = text(&list);
    assert!(listed.contains("prod") && listed.contains(&ac), "{listed}");
    assert!(!listed.contains(&secret), "the secret must never be listed");
}

#[tokio::test(flavor = "multi_thread")]
async fn add_with_a_standard_key_says_so() {
    let sim = small_sim().await;
    let dir = scratch_dir("add-standard");
    let (_, _, secret) = key(&sim, KeyType::Standard);
    let out = add(&sim, &dir, KeyType::Standard, "std", &secret);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Standard key"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_is_refused_in_words_and_not_saved() {
    let sim = small_sim().await;
    let dir = scratch_dir("wrong-secret");
    let (ac, sk, secret) = key(&sim, KeyType::Main);
    let wrong = format!("{secret}x");
    let args = [
        "connection",
        "add",
        "prod",
        "--account-sid",
        &ac,
        "--api-key-sid",
        &sk,
        "--secret-stdin",
    ];
    let out = tokio::task::block_in_place(|| switchboard(&dir, &sim, &args, &format!("{wrong}\n")));
    let shown = text(&out);
    assert!(!out.status.success());
    assert!(
        shown.contains("20003") && shown.contains("secret is wrong"),
        "{shown}"
    );
    assert!(!shown.contains(&wrong));
    let list = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["connection", "list"], ""));
    assert!(
        text(&list).contains("no connections yet"),
        "{}",
        text(&list)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_account_sid_is_refused_before_any_request() {
    let sim = small_sim().await;
    let dir = scratch_dir("bad-sid");
    sim.clear_request_log();
    let args = [
        "connection",
        "add",
        "x",
        "--account-sid",
        "AC123",
        "--api-key-sid",
        "SK0123456789abcdef0123456789abcdef",
        "--secret-stdin",
    ];
    let out = tokio::task::block_in_place(|| switchboard(&dir, &sim, &args, "secret\n"));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Account SID must be 'AC'"),
        "{}",
        text(&out)
    );
    assert!(
        sim.request_log().is_empty(),
        "no request may reach Twilio for a malformed SID"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_rotation_keeps_every_connection_working() {
    let sim = small_sim().await;
    let dir = scratch_dir("rotate");
    let (_, _, secret) = key(&sim, KeyType::Main);
    let out = add(&sim, &dir, KeyType::Main, "prod", &secret);
    assert!(out.status.success(), "{}", text(&out));
    let before = std::fs::read(dir.join("master.key")).expect("key file");

    let rotate = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["key", "rotate"], ""));
    assert!(rotate.status.success(), "{}", text(&rotate));
    let after = std::fs::read(dir.join("master.key")).expect("key file");
    assert_ne!(before, after, "rotation must write a new key");

    let test = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "test", "prod"], "")
    });
    assert!(test.status.success(), "{}", text(&test));
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_deletes_the_connection() {
    let sim = small_sim().await;
    let dir = scratch_dir("remove");
    let (_, _, secret) = key(&sim, KeyType::Main);
    let out = add(&sim, &dir, KeyType::Main, "prod", &secret);
    assert!(out.status.success(), "{}", text(&out));
    let rm = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "remove", "prod"], "")
    });
    assert!(rm.status.success(), "{}", text(&rm));
    let list = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["connection", "list"], ""));
    assert!(
        text(&list).contains("no connections yet"),
        "{}",
        text(&list)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_gives_the_connection_a_new_name_that_still_works() {
    let sim = small_sim().await;
    let dir = scratch_dir("rename");
    let (_, _, secret) = key(&sim, KeyType::Main);
    let out = add(&sim, &dir, KeyType::Main, "prod", &secret);
    assert!(out.status.success(), "{}", text(&out));
    let run = |args: &[&str]| tokio::task::block_in_place(|| switchboard(&dir, &sim, args, ""));

    let renamed = run(&["connection", "rename", "prod", "production"]);
    assert!(renamed.status.success(), "{}", text(&renamed));
    assert!(text(&renamed).contains("renamed connection 'prod' to 'production'"));
    let test = run(&["connection", "test", "production"]);
    assert!(test.status.success(), "{}", text(&test));
    let old = run(&["connection", "test", "prod"]);
    assert!(
        !old.status.success(),
        "the old name is gone: {}",
        text(&old)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_to_a_taken_name_fails_and_says_why() {
    let sim = small_sim().await;
    let dir = scratch_dir("rename-taken");
    let (_, _, secret) = key(&sim, KeyType::Main);
    for label in ["prod", "staging"] {
        let out = add(&sim, &dir, KeyType::Main, label, &secret);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "rename", "prod", "staging"], "")
    });
    assert!(!out.status.success());
    assert!(
        text(&out).contains("a connection named 'staging' already exists"),
        "{}",
        text(&out)
    );
}

/// Issue 15, finding 9: a rotation under a running server would leave it holding the old key,
/// unable to open any secret until restarted; so `key rotate` refuses while a server uses the
/// store, says which one, and works once it has stopped.
#[tokio::test(flavor = "multi_thread")]
async fn key_rotation_refuses_while_a_server_uses_the_store() {
    use std::io::BufRead as _;
    let sim = small_sim().await;
    let dir = scratch_dir("rotate-busy");
    let (_, _, secret) = key(&sim, KeyType::Main);
    let out = add(&sim, &dir, KeyType::Main, "prod", &secret);
    assert!(out.status.success(), "{}", text(&out));
    let before = std::fs::read(dir.join("master.key")).expect("key file");

    let mut serve = command(
        &dir,
        &sim,
        &["serve", "--addr", "127.0.0.1:0", "--no-worker"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("serve starts");
    let mut lines = std::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let started = lines.next().expect("a line").expect("stdout");
    assert!(started.starts_with("Switchboard at"), "{started}");
    // Its presence is recorded right after it starts listening.
    let (key, _) = store::MasterKey::from_environment(&dir).expect("the key file");
    let store = store::open(dir.to_str().unwrap(), key).await.expect("open");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while metric_sync::presence::running(&store)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "serve never showed up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let refused = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["key", "rotate"], ""));
    assert!(!refused.status.success(), "{}", text(&refused));
    let said = text(&refused);
    assert!(said.contains(&format!("serve {}@", serve.id())), "{said}");
    assert!(said.contains("Stop every"), "{said}");
    assert_eq!(
        std::fs::read(dir.join("master.key")).unwrap(),
        before,
        "nothing rotated"
    );

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let status = tokio::task::block_in_place(|| serve.wait()).expect("serve exits");
    assert!(status.success(), "serve stopped cleanly: {status}");
    assert!(
        metric_sync::presence::running(&store)
            .await
            .unwrap()
            .is_empty(),
        "a clean stop leaves no presence"
    );
    store.close().await;
    let rotate = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["key", "rotate"], ""));
    assert!(rotate.status.success(), "{}", text(&rotate));
    let test = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &["connection", "test", "prod"], "")
    });
    assert!(test.status.success(), "{}", text(&test));
}
