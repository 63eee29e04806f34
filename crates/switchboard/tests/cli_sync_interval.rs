//! A metric's sync interval through the binary: `metric interval NAME 15m|default`, shown by
//! `metric list` and `metric show`; and, on SQLite and PostgreSQL, an interval set through a
//! running `serve`'s API that is still there after `serve` restarts and is seen by another
//! process (the CLI) at once.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::{
    add_main_connection, command, fixture, fresh_database, postgres_url, scratch_dir, small_sim,
    text,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twilio_sim::SimHandle;

const METRIC: &str = "Messages by status";

/// Where the store is: the data folder, or a PostgreSQL database with the key file the first
/// command wrote.
struct Place {
    dir: PathBuf,
    postgres: Option<(String, PathBuf)>,
}

impl Place {
    fn run(&self, sim: &SimHandle, args: &[&str]) -> Command {
        let mut cmd = command(&self.dir, sim, args);
        if let Some((url, key)) = &self.postgres {
            cmd.env("SWITCHBOARD_DATABASE", url)
                .env("SWITCHBOARD_MASTER_KEY_FILE", key);
        }
        cmd
    }

    fn ok(&self, sim: &SimHandle, args: &[&str], stdin: &str) -> String {
        use std::io::Write as _;
        let mut child = self
            .run(sim, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("switchboard runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("exits");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A store with the simulator's connection and the imported metric on the Metrics screen.
fn prepared(sim: &SimHandle, name: &str, postgres: Option<String>) -> Place {
    let dir = scratch_dir(name);
    let postgres = postgres.map(|url| (url, dir.join("master.key")));
    match &postgres {
        Some((url, key)) => {
            let key = key.display().to_string();
            add_main_connection(&dir, sim, &["--database", url, "--master-key-file", &key]);
        }
        None => add_main_connection(&dir, sim, &[]),
    }
    let place = Place { dir, postgres };
    place.ok(
        sim,
        &["metric", "import", &fixture("messages_by_status.json")],
        "",
    );
    place
}

#[tokio::test(flavor = "multi_thread")]
async fn metric_interval_sets_and_clears_the_interval_that_list_and_show_print() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let place = prepared(&sim, "interval-cli", None);
        let listed = place.ok(&sim, &["metric", "list"], "");
        assert!(listed.contains(" 1h "), "{listed}");
        let set = place.ok(&sim, &["metric", "interval", METRIC, "15m"], "");
        assert!(set.contains("now syncs every 15 minutes"), "{set}");
        let listed = place.ok(&sim, &["metric", "list"], "");
        assert!(listed.contains(" 15m "), "{listed}");
        let shown = place.ok(&sim, &["metric", "show", METRIC], "");
        assert!(shown.contains("syncs: every 15 minutes\n"), "{shown}");
        let cleared = place.ok(&sim, &["metric", "interval", METRIC, "default"], "");
        assert!(
            cleared.contains("now syncs every hour (the default)"),
            "{cleared}"
        );
        let shown = place.ok(&sim, &["metric", "show", METRIC], "");
        assert!(shown.contains("syncs: every hour (the default)"), "{shown}");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn metric_interval_on_a_missing_metric_says_so() {
    let sim = small_sim().await;
    tokio::task::block_in_place(|| {
        let place = prepared(&sim, "interval-missing", None);
        let out = place
            .run(&sim, &["metric", "interval", "No such metric", "15m"])
            .output()
            .expect("runs");
        assert!(!out.status.success());
        assert!(text(&out).contains("No such metric"), "{}", text(&out));
    });
}

struct Serving {
    child: Child,
    addr: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --no-worker` on a free port; its address from its first line.
fn start_serve(place: &Place, sim: &SimHandle) -> Serving {
    let mut child = place
        .run(sim, &["serve", "--addr", "127.0.0.1:0", "--no-worker"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut line).expect("a line");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Serving { child, addr }
}

/// One API request over a fresh connection with a bearer token: the status and the JSON body.
async fn api(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    let status: u16 = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {reply}"));
    let (_, json) = reply.split_once("\r\n\r\n").expect("a body");
    (
        status,
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")),
    )
}

async fn an_interval_set_through_serve_survives_its_restart(postgres: Option<String>) {
    let sim = small_sim().await;
    let name = if postgres.is_some() {
        "interval-pg"
    } else {
        "interval-sqlite"
    };
    let (place, token) = tokio::task::block_in_place(|| {
        let place = prepared(&sim, name, postgres);
        place.ok(
            &sim,
            &[
                "user",
                "add",
                "eddie",
                "--role",
                "editor",
                "--password-stdin",
            ],
            "a long passphrase 1\n",
        );
        let token = place.ok(&sim, &["token", "create", "--user", "eddie"], "");
        (place, token.trim().to_owned())
    });
    let serve = tokio::task::block_in_place(|| start_serve(&place, &sim));
    let (status, listed) = api(&serve.addr, "GET", "/api/v1/metrics", &token, None).await;
    assert_eq!(status, 200, "{listed}");
    let id = listed["metrics"][0]["metric"]["id"]
        .as_i64()
        .expect("an id");
    let path = format!("/api/v1/metrics/{id}");
    let (status, patched) = api(
        &serve.addr,
        "PATCH",
        &path,
        &token,
        Some(serde_json::json!({ "sync_interval": "15m" })),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    drop(serve);

    let serve = tokio::task::block_in_place(|| start_serve(&place, &sim));
    let (status, read) = api(&serve.addr, "GET", &path, &token, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["metric"]["sync_interval"], "15m", "{read}");
    assert_eq!(read["metric"]["sync_interval_default"], false);
    // Another process reads the same stored value.
    let listed = tokio::task::block_in_place(|| place.ok(&sim, &["metric", "list"], ""));
    assert!(listed.contains(" 15m "), "{listed}");
    // And a change made by another process is what serve answers next, without a restart.
    tokio::task::block_in_place(|| place.ok(&sim, &["metric", "interval", METRIC, "1d"], ""));
    let (_, read) = api(&serve.addr, "GET", &path, &token, None).await;
    assert_eq!(read["metric"]["sync_interval"], "1d", "{read}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interval_set_through_serve_survives_its_restart_on_sqlite() {
    an_interval_set_through_serve_survives_its_restart(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interval_set_through_serve_survives_its_restart_on_postgres() {
    let Some(base) = postgres_url() else { return };
    let db = fresh_database(&base, "interval");
    an_interval_set_through_serve_survives_its_restart(Some(db.url.clone())).await;
    drop(db);
}
