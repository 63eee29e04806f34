//! Which `serve` and `worker` processes are using a store, for commands that must not run
//! beside them: re-sealing every secret under a new master key while a server holds the old key
//! in memory would leave it unable to open any secret until it restarts.
//!
//! Each process refreshes its row every [`PRESENCE_EVERY`] and removes it when it stops
//! cleanly; a process killed outright stops counting [`PRESENCE_GRACE`] after its last refresh.

use std::future::Future;
use std::time::Duration;

use store::{ProcessRow, Store};

/// How often a running process refreshes its row.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(15);
/// How long after its last refresh a process still counts as running: four missed refreshes,
/// so a busy database or a paused process is not mistaken for a stopped one.
pub const PRESENCE_GRACE: Duration = Duration::from_secs(60);

/// A name for this process: its kind, process id and host.
pub fn process_id(kind: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{kind} {}@{host}", std::process::id())
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Keeps this process's row fresh until `stop` resolves, then removes it. A failed refresh is
/// logged and tried again at the next turn: presence is advisory, never a reason to stop.
pub async fn keep_present<S: Store>(
    store: &S,
    id: &str,
    kind: &str,
    stop: impl Future<Output = ()> + Send,
) {
    let mut stop = Box::pin(stop);
    loop {
        if let Err(e) = store.process_seen(id, kind, now_ms()).await {
            tracing::warn!(process = id, error = %e, "could not record this process as running");
        }
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(PRESENCE_EVERY) => {}
        }
    }
    if let Err(e) = store.process_gone(id).await {
        tracing::warn!(process = id, error = %e, "could not record this process as stopped");
    }
}

/// The processes using the store now (seen within [`PRESENCE_GRACE`]).
pub async fn running<S: Store>(store: &S) -> store::Result<Vec<ProcessRow>> {
    let grace = i64::try_from(PRESENCE_GRACE.as_millis()).unwrap_or(i64::MAX);
    store.live_processes(now_ms() - grace).await
}
