//! A share link flooded by fifty clients at once, each asking for 273 years by day, against the
//! real `switchboard serve --demo` (release build): how much memory the server takes and how
//! fast `/healthz` answers meanwhile, against `/healthz` on the idle server in the same run.
//!
//! `cargo bench -p switchboard --bench share_flood` (add `-- --seconds 10` for a shorter run).
//! Issue 15's goal: under 300 MB of RSS and `/healthz` under 100 ms throughout.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;

fn main() {
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = std::env::temp_dir().join(format!("sb-flood-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("SWITCHBOARD_DATA_DIR", &dir)
        .env_remove("SWITCHBOARD_DATABASE")
        .env_remove("SWITCHBOARD_MASTER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("switchboard serve --demo starts");
    let pid = server.id();
    let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let mut base = String::new();
    let mut login = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.expect("stdout");
        if let Some(rest) = line.strip_prefix("Switchboard demo at ") {
            base = rest.trim_end_matches('/').to_owned();
        }
        if let Some(rest) = line.trim().strip_prefix("sign in as ") {
            let mut words = rest.split_whitespace();
            login.0 = words.next().unwrap().to_owned();
            login.1 = words.last().unwrap().to_owned();
            break;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let token = share_link(&client, &base, &login).await;
        let url = format!("{base}/shared/{token}?range=custom&from=1753-06-01&to=2026-12-01");
        let first = client.get(&url).send().await.unwrap();
        let status = first.status();
        let size = first.bytes().await.unwrap().len();
        println!("one render of the flooded URL: HTTP {status}, {size} bytes");

        let idle = probe(&client, &base, pid, Duration::from_secs(5), None).await;
        let stop = Arc::new(AtomicBool::new(false));
        let (ok, busy, other) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let flood: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (client, url, stop) = (client.clone(), url.clone(), Arc::clone(&stop));
                let (ok, busy, other) = (Arc::clone(&ok), Arc::clone(&busy), Arc::clone(&other));
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let counter = match client.get(&url).send().await {
                            Ok(r) if r.status() == 200 => {
                                let _ = r.bytes().await;
                                &ok
                            }
                            Ok(r) if r.status() == 503 => &busy,
                            _ => &other,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let loaded = probe(
            &client,
            &base,
            pid,
            Duration::from_secs(seconds),
            Some(&stop),
        )
        .await;
        for f in flood {
            let _ = f.await;
        }
        println!(
            "flood: {CLIENTS} clients for {seconds} s: {} drawn, {} refused with 503, {} other",
            ok.load(Ordering::Relaxed),
            busy.load(Ordering::Relaxed),
            other.load(Ordering::Relaxed)
        );
        println!("| run | /healthz p50 | p99 | max | peak RSS |");
        println!("|---|---|---|---|---|");
        for (name, r) in [("idle (baseline)", &idle), ("under the flood", &loaded)] {
            println!(
                "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {} MB |",
                r.p50, r.p99, r.max, r.peak_rss_mb
            );
        }
        println!(
            "ratio of /healthz p99 under the flood to idle: {:.1}x",
            loaded.p99 / idle.p99.max(0.001)
        );
    });
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

struct Probe {
    p50: f64,
    p99: f64,
    max: f64,
    peak_rss_mb: u64,
}

/// Polls `/healthz` every 20 ms and the server's RSS for `length`, then raises `stop`.
async fn probe(
    client: &reqwest::Client,
    base: &str,
    pid: u32,
    length: Duration,
    stop: Option<&AtomicBool>,
) -> Probe {
    let until = Instant::now() + length;
    let mut took = Vec::new();
    let mut peak = 0;
    while Instant::now() < until {
        let started = Instant::now();
        let r = client.get(format!("{base}/healthz")).send().await;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(r.is_ok_and(|r| r.status() == 200), "/healthz answers");
        peak = peak.max(rss_mb(pid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(stop) = stop {
        stop.store(true, Ordering::Relaxed);
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    Probe {
        p50: at(0.5),
        p99: at(0.99),
        max: *took.last().unwrap(),
        peak_rss_mb: peak,
    }
}

fn rss_mb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Signs in as the demo user, makes a board from the Messaging template and returns a share
/// link's token for it.
async fn share_link(client: &reqwest::Client, base: &str, login: &(String, String)) -> String {
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = cookies(&page);
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", csrf.as_str()),
            ("name", &login.0),
            ("password", &login.1),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in");
    let session = cookies(&r);
    let boards = client
        .get(format!("{base}/boards"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let csrf = hidden(&boards.text().await.unwrap(), "csrf");
    let made = client
        .post(format!("{base}/boards/templates"))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str()), ("template", "messaging")]))
        .send()
        .await
        .unwrap();
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let id: String = location
        .trim_start_matches("/boards/")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let shared = client
        .post(format!("{base}/boards/{id}/shares"))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", csrf.as_str()),
            ("label", "wall"),
            ("days", "7"),
        ]))
        .send()
        .await
        .unwrap();
    let location = shared.headers()["location"].to_str().unwrap().to_owned();
    let flash: String = url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "ok")
        .unwrap()
        .1
        .into_owned();
    flash.rsplit("/shared/").next().unwrap().to_owned()
}

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("a hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}
