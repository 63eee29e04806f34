//! `web::serve` behind a reverse proxy, over real HTTP on loopback: the peer is 127.0.0.1, which
//! a test makes a trusted proxy or not. Forwarding headers from a trusted peer decide the client
//! (and so the sign-in throttle), the scheme (cookies) and the request id; from an untrusted peer
//! they are ignored. Also the idle keep-alive timeout and the public URL's links.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use support::{PASSWORD, TestApp, encode, flash, hidden, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use web::client::{PublicUrl, TrustedProxies};
use web::{Role, WebConfig};

fn behind(trusted: &str) -> WebConfig {
    WebConfig {
        trusted_proxies: TrustedProxies::parse(trusted).unwrap(),
        ..WebConfig::default()
    }
}

/// The app's state served on a loopback port until the test ends.
struct Served {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    // Its data folder lives as long as the server.
    _app: TestApp,
}

async fn serve(app: TestApp) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    Served {
        addr,
        _stop: stop,
        _app: app,
    }
}

/// An HTTP answer as read off the socket.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The whole `Set-Cookie` line of cookie `name`.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    fn cookie_value(&self, name: &str) -> Option<String> {
        let line = self.set_cookie(name)?;
        let pair = line.split(';').next()?;
        Some(pair.split_once('=')?.1.to_owned())
    }
}

/// One request on a fresh connection (`Connection: close`), with `headers` as a proxy would
/// add them.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Answer {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    parse(&raw)
}

fn parse(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn forwarded_for(client: &str) -> Vec<(&'static str, String)> {
    vec![("X-Forwarded-For", client.to_owned())]
}

/// Signs in through the login form as a browser behind the proxy would, `via` being the
/// headers the proxy adds.
async fn login(addr: SocketAddr, via: &[(&str, String)], name: &str, password: &str) -> Answer {
    let form = http(addr, "GET", "/login", via, "").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = hidden(&form.body, "csrf").expect("the login form's CSRF field");
    let cookie = form
        .cookie_value("sb_login_csrf")
        .expect("the login cookie");
    let mut headers = via.to_vec();
    headers.push((
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    ));
    headers.push(("Cookie", format!("sb_login_csrf={cookie}")));
    let body = format!(
        "csrf={csrf}&name={}&password={}",
        encode(name),
        encode(password)
    );
    http(addr, "POST", "/login", &headers, &body).await
}

fn signed_in(answer: &Answer) -> bool {
    answer.status == 303 && answer.cookie_value("sb_session").is_some()
}

/// Issue 18's scenario: behind a trusted proxy, a client failing five times with made-up names
/// and five times with the real user's name locks out only itself; the real user signs in from
/// another address through the same proxy.
async fn one_clients_failures_behind_a_trusted_proxy_do_not_lock_out_another(app: TestApp) {
    app.user("ada", Role::Admin).await;
    let served = serve(app).await;
    let attacker = forwarded_for("203.0.113.5");
    for i in 0..5 {
        let a = login(served.addr, &attacker, &format!("made-up-{i}"), "guess").await;
        assert_eq!(a.status, 401, "a wrong name is refused");
    }
    for _ in 0..web::throttle::MAX_FAILURES {
        let a = login(served.addr, &attacker, "ada", "a guess at her password").await;
        assert_eq!(a.status, 401, "a wrong password is refused");
    }
    // The attacker's address is locked out of ada's account, even with the right password:
    // the attempts counted against it, not against the proxy.
    let locked = login(served.addr, &attacker, "ada", PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    let ada = login(served.addr, &forwarded_for("198.51.100.7"), "ada", PASSWORD).await;
    assert!(
        signed_in(&ada),
        "ada signs in from her own address: {} {:?}",
        ada.status,
        ada.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_another_sqlite() {
    let app = spawn_app_with(behind("127.0.0.1")).await;
    one_clients_failures_behind_a_trusted_proxy_do_not_lock_out_another(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_another_postgres() {
    let Some((app, _schema)) = support::spawn_app_pg_with(behind("127.0.0.1")).await else {
        return;
    };
    one_clients_failures_behind_a_trusted_proxy_do_not_lock_out_another(app).await;
}

/// An untrusted peer's `X-Forwarded-For` is ignored: rotating made-up addresses does not get
/// a client more guesses, every attempt counts against the peer.
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(app: TestApp) {
    app.user("ada", Role::Admin).await;
    let served = serve(app).await;
    for i in 0..web::throttle::MAX_FAILURES {
        let spoofed = forwarded_for(&format!("203.0.113.{}", 10 + i));
        let a = login(served.addr, &spoofed, "ada", "a guess at her password").await;
        assert_eq!(a.status, 401);
    }
    let spoofed = forwarded_for("198.51.100.7");
    let next = login(served.addr, &spoofed, "ada", PASSWORD).await;
    assert_eq!(
        next.status, 429,
        "the spoofed address was believed: {}",
        next.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored_sqlite() {
    // A proxy is configured, but the test's peer (127.0.0.1) is not it.
    let app = spawn_app_with(behind("10.0.0.0/8")).await;
    a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored_postgres() {
    let Some((app, _schema)) = support::spawn_app_pg_with(behind("10.0.0.0/8")).await else {
        return;
    };
    a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_said_by_a_trusted_proxy_marks_cookies_secure_and_said_by_another_does_not() {
    let https = vec![("X-Forwarded-Proto", "https".to_owned())];
    let trusted = serve(spawn_app_with(behind("127.0.0.1")).await).await;
    let form = http(trusted.addr, "GET", "/login", &https, "").await;
    let cookie = form.set_cookie("sb_login_csrf").expect("a login cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    let untrusted = serve(spawn_app_with(behind("10.0.0.0/8")).await).await;
    let form = http(untrusted.addr, "GET", "/login", &https, "").await;
    let cookie = form.set_cookie("sb_login_csrf").expect("a login cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_from_the_http_origin_is_refused_when_a_trusted_proxy_says_https() {
    let served = serve(spawn_app_with(behind("127.0.0.1")).await).await;
    let addr = served.addr;
    let host = addr.to_string();
    let post = |proto: &'static str, origin: String| {
        let headers = vec![
            ("X-Forwarded-Proto", proto.to_owned()),
            ("Origin", origin),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        async move { http(addr, "POST", "/login", &headers, "name=a&password=b").await }
    };
    // Refused by the origin check, before the form's own CSRF cookie is looked at.
    let refused = post("https", format!("http://{host}")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Sent from another site"),
        "{}",
        refused.body
    );
    // The same origin with the scheme the proxy said passes the origin check (and then fails
    // only for lack of the login cookie, which is not a cross-origin refusal).
    let passed = post("https", format!("https://{host}")).await;
    assert!(
        !passed.body.contains("Sent from another site"),
        "{}",
        passed.body
    );
    // Without a scheme from a trusted proxy, the host alone is compared, as before.
    let plain = post("http", format!("http://{host}")).await;
    assert!(
        !plain.body.contains("Sent from another site"),
        "{}",
        plain.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_is_taken_from_a_trusted_proxy_only_and_always_answered() {
    let given = vec![("X-Request-Id", "edge-42.a:b_c".to_owned())];
    let trusted = serve(spawn_app_with(behind("127.0.0.1")).await).await;
    let a = http(trusted.addr, "GET", "/healthz", &given, "").await;
    assert_eq!(a.header("x-request-id"), Some("edge-42.a:b_c"));
    // Not a safe id: a new one.
    let unsafe_id = vec![("X-Request-Id", "a b<script>".to_owned())];
    let a = http(trusted.addr, "GET", "/healthz", &unsafe_id, "").await;
    let id = a.header("x-request-id").expect("an id");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );

    let untrusted = serve(spawn_app_with(behind("10.0.0.0/8")).await).await;
    let a = http(untrusted.addr, "GET", "/healthz", &given, "").await;
    let id = a.header("x-request-id").expect("an id");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let b = http(untrusted.addr, "GET", "/healthz", &[], "").await;
    assert_ne!(
        b.header("x-request-id"),
        Some(id),
        "each request has its own id"
    );
}

/// Reads one response off a keep-alive connection (headers and a `Content-Length` body).
async fn read_one(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed mid-answer");
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let answer = parse(&text);
            let len: usize = answer
                .header("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            if body.len() >= len {
                let _ = head;
                return answer;
            }
        }
    }
}

async fn keep_alive_request(stream: &mut TcpStream, addr: SocketAddr) -> Answer {
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_one(stream).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_secs(1);
    let served = serve(
        spawn_app_with(WebConfig {
            http_idle_timeout: idle,
            ..WebConfig::default()
        })
        .await,
    )
    .await;
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    assert_eq!(
        keep_alive_request(&mut stream, served.addr).await.status,
        200
    );
    // Still open for a second request within the timeout.
    tokio::time::sleep(idle / 2).await;
    assert_eq!(
        keep_alive_request(&mut stream, served.addr).await.status,
        200
    );
    let answered = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(web::HEADER_READ_TIMEOUT, stream.read(&mut buf)).await;
    let waited = answered.elapsed();
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the idle connection was not closed within {:?}: {read:?}",
        web::HEADER_READ_TIMEOUT
    );
    assert!(
        waited >= idle - Duration::from_millis(100) && waited < idle * 4,
        "closed {waited:?} after the last answer, the idle timeout is {idle:?}"
    );
}

/// The reason the idle timeout is ours: hyper's header-read timer would also close an idle
/// keep-alive connection after the header timeout, racing a proxy's pooled connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_outlives_the_header_timeout_while_the_idle_timeout_allows() {
    let served = serve(
        spawn_app_with(WebConfig {
            http_idle_timeout: web::HEADER_READ_TIMEOUT * 3,
            ..WebConfig::default()
        })
        .await,
    )
    .await;
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    assert_eq!(
        keep_alive_request(&mut stream, served.addr).await.status,
        200
    );
    tokio::time::sleep(web::HEADER_READ_TIMEOUT + Duration::from_secs(2)).await;
    assert_eq!(
        keep_alive_request(&mut stream, served.addr).await.status,
        200
    );
}

#[tokio::test]
async fn with_a_public_url_share_links_are_absolute_on_it() {
    let app = spawn_app_with(WebConfig {
        public_url: Some(PublicUrl::parse("https://dash.example.com/sb/").unwrap()),
        ..WebConfig::default()
    })
    .await;
    let admin = app.admin().await;
    let made = app
        .post_form(
            "/boards",
            Some(&admin),
            &[("csrf", &admin.csrf), ("name", "Lobby")],
        )
        .await;
    let board = made.location().expect("the new board").to_owned();
    let shared = app
        .post_form(
            &format!("{board}/shares"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("label", "wall"), ("days", "7")],
        )
        .await;
    let (ok, text) = flash(&shared).expect("a message with the link");
    assert!(ok, "{text}");
    let link = text.rsplit(' ').next().unwrap();
    let path = link
        .strip_prefix("https://dash.example.com/sb")
        .unwrap_or_else(|| panic!("not on the public URL: {text}"));
    assert!(path.starts_with("/shared/"), "{text}");
    let editing = app.get(&format!("{board}?edit=1"), Some(&admin)).await;
    assert!(
        editing.body.contains(link),
        "the board's share list shows the same absolute link"
    );
    assert_eq!(app.get(path, None).await.status, StatusCode::OK);
}

/// Log lines written by a test's subscriber.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn an_event_logged_during_a_request_carries_its_request_id() {
    let app = spawn_app_with(WebConfig::default()).await;
    // A closed store makes the readiness check log a warning while it answers.
    store::Store::close(app.state.store().as_ref()).await;
    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(log.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let reply = app.get("/readyz", None).await;
    drop(guard);
    let id = reply
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Request-Id")
        .to_owned();
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    let warning = text
        .lines()
        .find(|l| l.contains("readiness check"))
        .unwrap_or_else(|| panic!("no warning from the readiness check: {text}"));
    assert!(
        warning.contains(&format!("request{{request_id={id}}}")),
        "{warning}"
    );
}
