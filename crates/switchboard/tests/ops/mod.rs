//! Helpers of the operations tests (backups, upgrades, packaging): `serve` started and stopped
//! as an operator would, one HTTP request at a time, a PostgreSQL database of a test's own, and
//! the simulator's messages counted from its dataset.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const DAY_MS: i64 = 86_400_000;

/// The switchboard binary with no store, key or Twilio setting inherited from the environment.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for var in [
        "SWITCHBOARD_MASTER_KEY",
        "SWITCHBOARD_MASTER_KEY_FILE",
        "SWITCHBOARD_DATABASE",
        "SWITCHBOARD_DATABASE_FILE",
        "SWITCHBOARD_DATA_DIR",
        "SWITCHBOARD_API_KEY_SECRET",
        "SWITCHBOARD_TWILIO_BASE_URL",
        "SWITCHBOARD_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to its end; its exit status and what it wrote on stdout and stderr.
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the command runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`run`], writing `stdin` to the command's standard input.
pub fn run_with_stdin(cmd: &mut Command, stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("the command ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `serve` and the address it listens on.
pub struct Serve {
    pub child: Child,
    pub addr: String,
}

impl Serve {
    /// Starts `serve --addr 127.0.0.1:0 --no-worker` as `cmd` (the binary with the store set in
    /// its environment) and waits for the address it prints.
    pub fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .args(["serve", "--addr", "127.0.0.1:0", "--no-worker"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        // "Switchboard at http://127.0.0.1:PORT/ (store: ...)"
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .expect("serve prints its address");
        // Read what serve prints next too: a closed pipe would make its next line fail.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("no address in serve's first line {line:?}")
            });
        Self { child, addr }
    }

    /// SIGTERM, then waits (at most 20 s) for a clean exit.
    pub fn stop(mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("serve's status") {
                assert!(status.success(), "serve exited with {status}");
                return;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("serve still running 20 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // After `stop` this finds the process gone; on a failed test it ends it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET with a bearer token over a fresh HTTP/1.1 connection: the status and the body.
pub async fn get(addr: &str, path: &str, token: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to serve");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .await
        .expect("read the reply");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// GET returning JSON, insisting on 200.
pub async fn get_json(addr: &str, path: &str, token: &str) -> serde_json::Value {
    let (status, body) = get(addr, path, token).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Whether `tool` runs here (`tool --version`).
pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A PostgreSQL database of the test's own on the test server, dropped with this value.
/// Whole databases, not schemas: a `pg_dump` names its schema in every statement, and the
/// operator's way to restore one is into a new, empty database.
pub struct PgDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    /// A new database, or `None` after a loud skip when PostgreSQL or `psql` is missing.
    pub fn create(prefix: &str) -> Option<Self> {
        let admin = test_support::pg_url_or_skip()?;
        if !have("psql") {
            return test_support::skip("psql is not installed", "the PostgreSQL client runs dumps");
        }
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond() % 1_000_000_000
        );
        let (ok, _, err) = run(Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", &admin, "-c"])
            .arg(format!("CREATE DATABASE {name}")));
        if !ok {
            return test_support::skip(
                "cannot create a PostgreSQL database",
                &format!("the test server refused CREATE DATABASE: {err}"),
            );
        }
        let mut url = url::Url::parse(&admin).expect("the test database URL parses");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            admin,
            name,
        })
    }

    /// Runs the SQL script `sql` (a plain `pg_dump`) in this database with `psql`.
    pub fn load(&self, sql: &[u8]) {
        use std::io::Write;
        let mut child = Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", &self.url])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(sql)
            .expect("feed psql");
        let out = child.wait_with_output().expect("psql ends");
        assert!(
            out.status.success(),
            "psql could not load the dump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-q", &self.admin, "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Epoch milliseconds of an RFC 2822 field of a simulator record.
fn rfc2822_ms(record: &serde_json::Value, field: &str) -> Option<i64> {
    let text = record[field].as_str()?;
    jiff::fmt::rfc2822::parse(text)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// The main account's messages by status in `[from_ms, to_ms)`, dated as the library's
/// "Messages by status" dates them (sent, else created), counted from the dataset itself.
pub fn messages_by_status(
    dataset: &serde_json::Value,
    from_ms: i64,
    to_ms: i64,
) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for m in dataset["accounts"][0]["messages"]
        .as_array()
        .expect("the dataset's messages")
    {
        let at = rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created"));
        if at.is_some_and(|at| from_ms <= at && at < to_ms) {
            *out.entry(m["status"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
    }
    out
}

/// The same for calls ("Calls by status": dated when they started).
pub fn calls_by_status(
    dataset: &serde_json::Value,
    from_ms: i64,
    to_ms: i64,
) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for c in dataset["accounts"][0]["calls"]
        .as_array()
        .expect("the dataset's calls")
    {
        let at = rfc2822_ms(c, "start_time");
        if at.is_some_and(|at| from_ms <= at && at < to_ms) {
            *out.entry(c["status"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
    }
    out
}

/// Epoch milliseconds of midnight UTC of `date` (YYYY-MM-DD).
pub fn day_ms(date: &str) -> i64 {
    date.parse::<jiff::civil::Date>()
        .expect("a date")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("UTC")
        .timestamp()
        .as_millisecond()
}

/// Copies `from` to `to` with mode 0600, as the store keeps its files.
pub fn copy_private(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}
