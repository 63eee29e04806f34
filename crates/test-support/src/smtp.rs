//! A tiny SMTP server on loopback for tests: enough of RFC 5321 for lettre to hand it a message
//! (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), no TLS, no authentication. Every message it
//! accepts is kept for the test to read.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The DATA section with dot-stuffing undone, lines joined with CRLF.
    pub data: String,
}

impl Mail {
    /// The text of a MIME part of the given content type, quoted-printable or 7bit, with soft
    /// line breaks joined: enough for the messages lettre builds.
    pub fn part(&self, content_type: &str) -> Option<String> {
        let at = self.data.find(&format!("Content-Type: {content_type}"))?;
        let rest = &self.data[at..];
        let body_at = rest.find("\r\n\r\n")? + 4;
        let headers = &rest[..body_at];
        let body = &rest[body_at..];
        let end = body.find("\r\n--").unwrap_or(body.len());
        let body = &body[..end];
        if headers.contains("quoted-printable") {
            Some(decode_qp(body))
        } else if headers.contains("base64") {
            None
        } else {
            Some(body.to_owned())
        }
    }
}

impl Mail {
    /// Every base64 MIME part of the given content type with its Content-ID (angle brackets
    /// removed; empty when it has none) and its decoded bytes: the inline images of an email.
    pub fn binary_parts(&self, content_type: &str) -> Vec<(String, Vec<u8>)> {
        use base64::Engine as _;
        let mut out = Vec::new();
        for chunk in self.data.split("\r\n--") {
            let Some(split) = chunk.find("\r\n\r\n") else {
                continue;
            };
            let (headers, body) = (&chunk[..split], &chunk[split + 4..]);
            let header = |name: &str| {
                headers.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_owned())
                })
            };
            let is_type = header("Content-Type").is_some_and(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|t| t.trim() == content_type)
            });
            let is_base64 = header("Content-Transfer-Encoding")
                .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
            if !(is_type && is_base64) {
                continue;
            }
            let cid = header("Content-ID")
                .unwrap_or_default()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
                out.push((cid, bytes));
            }
        }
        out
    }
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server; dropping it stops accepting.
pub struct SmtpServer {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let addr = listener.local_addr().expect("SMTP address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(socket, kept).await;
                });
            }
        });
        SmtpServer { addr, mails, task }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits up to `secs` for at least `n` messages.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        for _ in 0..secs * 20 {
            let m = self.mails();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.mails()
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l == "." {
                    break;
                }
                data.push(l.strip_prefix('.').unwrap_or(l).to_owned());
            }
            if let Ok(mut m) = kept.lock() {
                m.push(Mail {
                    from: from.clone(),
                    to: to.clone(),
                    data: data.join("\r\n"),
                });
            }
            b"250 queued\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn address(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    s.trim_start_matches('<').trim_end_matches('>').to_owned()
}
