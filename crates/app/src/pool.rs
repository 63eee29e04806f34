//! Where CPU-heavy work of an operation (Argon2 hashing) runs: never on the async workers that
//! answer requests. The web gives its bounded heavy-work pool; the CLI, with nothing else to
//! serve, tokio's blocking threads.

use futures::future::BoxFuture;

use crate::AppError;

/// A job for the pool: it runs once, on a thread that may block.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

pub trait Pool: Send + Sync + 'static {
    /// Runs `job` when the pool has a turn; `AppError::Busy` when it is refusing work. `what`
    /// names the work in that error.
    fn run(&self, what: &'static str, job: Job) -> BoxFuture<'_, Result<(), AppError>>;
}

/// tokio's blocking threads: for a process that serves no one else while it works (the CLI).
#[derive(Debug, Default, Clone, Copy)]
pub struct Blocking;

impl Pool for Blocking {
    fn run(&self, what: &'static str, job: Job) -> BoxFuture<'_, Result<(), AppError>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(job)
                .await
                .map_err(|e| AppError::Internal(format!("{what} stopped: {e}")))
        })
    }
}

/// Runs `f` on `pool` and returns what it returned.
pub async fn on_pool<T, F>(pool: &dyn Pool, what: &'static str, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool.run(
        what,
        Box::new(move || {
            // The receiver is gone only when the caller stopped waiting; nothing to tell it.
            let _ = tx.send(f());
        }),
    )
    .await?;
    rx.await
        .map_err(|_| AppError::Internal(format!("{what} ended without a result")))
}
