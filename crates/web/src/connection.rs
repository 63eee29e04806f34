//! One HTTP/1 connection of [`crate::serve`], with its two clocks.
//!
//! hyper's own header-read timer starts whenever the connection waits for a request, so it also
//! closes every idle keep-alive connection after the same few seconds; that is too short for a
//! reverse proxy that pools connections to us (it would race our close and answer 502). So the
//! two are kept apart here, from what the socket and the service see:
//! - a request's headers must arrive within [`crate::HEADER_READ_TIMEOUT`] of its first byte
//!   (of the connection's opening, for the first request);
//! - a connection with no request under way and no byte read or written for the idle timeout is
//!   closed.
//!
//! A request under way is never cut: its connection is only looked at again once it ends.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::HEADER_READ_TIMEOUT;

/// What one connection is doing, shared by its socket, its service and its watcher.
pub(crate) struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds since `opened` of the last byte read or written, or of the last request's end.
    last_io_ms: AtomicU64,
    /// One more than the milliseconds since `opened` when a request's first byte arrived while
    /// none was under way; 0 when no request is being read.
    head_started: AtomicU64,
    /// Wakes the watcher when a deadline may have moved earlier: a request ended (the idle
    /// clock starts) or a new one began to arrive (its header clock starts).
    changed: tokio::sync::Notify,
}

/// Why a connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    Headers,
    Idle,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_io_ms: AtomicU64::new(0),
            // The first request's headers are due from the connection's opening.
            head_started: AtomicU64::new(1),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) {
        let now = self.now_ms();
        self.last_io_ms.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ =
                self.head_started
                    .compare_exchange(0, now + 1, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_io_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A request's headers have arrived: it is under way until the guard drops.
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
        InFlight(Arc::clone(self))
    }

    /// Resolves when a deadline may have moved (see `changed`).
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// How long to wait before looking again, or why the connection must close now.
    pub(crate) fn check(&self, idle: Duration) -> Result<Duration, Expired> {
        let now = self.now_ms();
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Ok(idle.min(HEADER_READ_TIMEOUT));
        }
        let head = self.head_started.load(Ordering::Acquire);
        let (due, why) = if head != 0 {
            (
                (head - 1).saturating_add(millis(HEADER_READ_TIMEOUT)),
                Expired::Headers,
            )
        } else {
            (
                self.last_io_ms
                    .load(Ordering::Relaxed)
                    .saturating_add(millis(idle)),
                Expired::Idle,
            )
        };
        if now >= due {
            Err(why)
        } else {
            Ok(Duration::from_millis(due - now))
        }
    }
}

/// A request under way on a connection.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_io_ms.store(a.now_ms(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
        a.changed.notify_one();
    }
}

/// A socket that tells its [`Activity`] of every byte read or written.
pub(crate) struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Tracked<T> {
    pub(crate) fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_owes_its_headers_and_a_request_under_way_is_never_expired() {
        let a = Activity::new();
        let wait = a.check(Duration::from_secs(60)).unwrap();
        assert!(wait <= HEADER_READ_TIMEOUT, "{wait:?}");
        let guard = a.begin();
        assert!(a.check(Duration::ZERO).is_ok());
        drop(guard);
        // Done, nothing read since: the idle clock runs, and at zero it has run out.
        assert_eq!(a.check(Duration::ZERO), Err(Expired::Idle));
        assert!(a.check(Duration::from_secs(60)).unwrap() > HEADER_READ_TIMEOUT);
        // A byte of the next request: its headers are due.
        a.read();
        assert!(a.check(Duration::from_secs(60)).unwrap() <= HEADER_READ_TIMEOUT);
    }
}
