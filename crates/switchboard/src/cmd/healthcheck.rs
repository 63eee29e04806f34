//! `switchboard healthcheck [URL]`: exits 0 when `serve` answers 200 at its `/healthz`, for a
//! container's HEALTHCHECK, where no curl or wget is installed. Plain HTTP to the server's own
//! address only: it runs beside the server, never across a network.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(clap::Args)]
pub struct Args {
    /// The health endpoint to ask (http:// only).
    #[arg(default_value = "http://127.0.0.1:8080/healthz")]
    url: String,
    /// Seconds to wait for the whole answer.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (authority, path) = split_http_url(&args.url)?;
    let status = tokio::time::timeout(Duration::from_secs(args.timeout), ask(authority, path))
        .await
        .with_context(|| format!("{} did not answer within {} s", args.url, args.timeout))??;
    if status != 200 {
        bail!("{} answered {status}, not 200", args.url);
    }
    println!("ok");
    Ok(())
}

/// `http://host:port/path` as (`host:port`, `/path`).
fn split_http_url(url: &str) -> anyhow::Result<(&str, &str)> {
    let rest = url.strip_prefix("http://").with_context(|| {
        format!("'{url}' is not an http:// URL: give the server's own address, e.g. http://127.0.0.1:8080/healthz")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        bail!("'{url}' names no host");
    }
    Ok((authority, path))
}

async fn ask(authority: &str, path: &str) -> anyhow::Result<u16> {
    // A URL without a port means HTTP's own.
    let target = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(target.as_str())
        .await
        .with_context(|| format!("could not connect to {authority}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .with_context(|| format!("could not send the request to {authority}"))?;
    // The status line is all that is needed; a small bound keeps a strange answer cheap.
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream
            .read(&mut buf)
            .await
            .with_context(|| format!("could not read the answer of {authority}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{authority} did not answer HTTP"))
}

#[cfg(test)]
mod tests {
    use super::split_http_url;

    #[test]
    fn urls_split_into_authority_and_path() {
        assert_eq!(
            split_http_url("http://127.0.0.1:8080/healthz").unwrap(),
            ("127.0.0.1:8080", "/healthz")
        );
        assert_eq!(
            split_http_url("http://localhost:80").unwrap(),
            ("localhost:80", "/")
        );
        assert!(split_http_url("https://example.com/healthz").is_err());
        assert!(split_http_url("http:///healthz").is_err());
    }
}
