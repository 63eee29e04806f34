//! `web::serve` on a real socket: a client that sends half a request is dropped after the
//! header-read timeout, and shutting down never waits on such a client.

mod support;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The app served on a loopback port, and the sender that stops it.
async fn served() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
    support::TestApp,
) {
    let app = support::spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    (addr, stop, server, app)
}

/// Half a request: the request line and one header, never the blank line that ends them.
async fn half_request(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let (addr, _stop, _server, _app) = served().await;
    let mut stream = half_request(addr).await;
    let started = Instant::now();
    let mut buf = [0u8; 512];
    // The server answers 408 or just closes; either way the read ends, it does not hang.
    let read = tokio::time::timeout(
        web::HEADER_READ_TIMEOUT + Duration::from_secs(5),
        stream.read(&mut buf),
    )
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open {:?} after the half request",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= web::HEADER_READ_TIMEOUT - Duration::from_secs(1),
        "dropped after {:?}, before the timeout",
        started.elapsed()
    );
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_half_sent_request() {
    let (addr, stop, server, _app) = served().await;
    let _held = half_request(addr).await;
    // A whole request still works beside it.
    let mut ok = TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let started = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(web::DRAIN_TIMEOUT + Duration::from_secs(3), server).await;
    assert!(
        matches!(ended, Ok(Ok(Ok(())))),
        "serve did not return within {:?}: {ended:?}",
        started.elapsed()
    );
}
