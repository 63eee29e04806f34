//! CPU-heavy work (JSONata previews, Argon2, aggregating and drawing boards) kept off the async
//! workers that answer every other request.
//!
//! [`Heavy::run`] puts a closure on tokio's blocking pool, at most `workers` at once (one per
//! core); a caller waits for a turn while fewer than [`Heavy::max_waiting`] others do, and is
//! refused with a 503 beyond that, so a burst queues a bounded amount of work rather than all
//! of it.
//! [`Heavy::admit`] also bounds how many renders one requester (a share link, a user) has under
//! way, so one link hammered in parallel cannot take every turn.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

use crate::error::WebError;

/// Renders one requester may have under way at once.
pub const PER_REQUESTER: usize = 2;

pub struct Heavy {
    turns: Arc<Semaphore>,
    workers: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    admitted: Arc<Mutex<HashMap<String, usize>>>,
}

impl std::fmt::Debug for Heavy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heavy")
            .field("workers", &self.workers)
            .field("max_waiting", &self.max_waiting)
            .finish_non_exhaustive()
    }
}

impl Heavy {
    /// `workers` closures run at once (at least one); 32 times as many may wait, enough for a
    /// morning's burst of sign-ins (each waiter holds little: a password, a small closure).
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            turns: Arc::new(Semaphore::new(workers)),
            workers,
            waiting: AtomicUsize::new(0),
            max_waiting: workers * 32,
            admitted: Arc::default(),
        }
    }

    /// One worker per core. They are threads apart from the async workers, so the system's
    /// scheduler still gives those their turn within milliseconds while every core draws; one
    /// fewer would leave a core idle on a board's busiest minute for no gain in latency.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The process's pool, sized [`Heavy::for_this_machine`]: what the app uses unless its
    /// configuration sizes one of its own, and what operations without the app's state (the
    /// password work the CLI shares) use.
    pub fn shared() -> Arc<Heavy> {
        static SHARED: std::sync::OnceLock<Arc<Heavy>> = std::sync::OnceLock::new();
        Arc::clone(SHARED.get_or_init(|| Arc::new(Heavy::for_this_machine())))
    }

    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }

    /// Runs `f` on the blocking pool when a turn is free. `what` names the work in the error a
    /// refused caller gets.
    pub async fn run<T, F>(&self, what: &str, f: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = match Arc::clone(&self.turns).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let before = self.waiting.fetch_add(1, Ordering::SeqCst);
                let _left = Leave(&self.waiting);
                if before >= self.max_waiting {
                    return Err(busy(what));
                }
                Arc::clone(&self.turns)
                    .acquire_owned()
                    .await
                    .map_err(|_| WebError::Internal("the heavy-work pool is closed".into()))?
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| WebError::Internal(format!("{what} failed: {e}")))
    }

    /// Lets `requester` start one more render, or refuses when it already has
    /// [`PER_REQUESTER`] under way. The render counts until the guard drops.
    pub fn admit(&self, requester: String) -> Result<Admitted, WebError> {
        let mut map = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(requester.clone()).or_default();
        if *n >= PER_REQUESTER {
            return Err(busy(
                "this board is already being drawn for this link or person",
            ));
        }
        *n += 1;
        Ok(Admitted {
            map: Arc::clone(&self.admitted),
            requester,
        })
    }
}

fn busy(what: &str) -> WebError {
    WebError::Busy(format!(
        "{what}: the server is busy with other work like it; try again in a few seconds"
    ))
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One admitted render; dropping it lets the requester start another.
#[must_use]
pub struct Admitted {
    map: Arc<Mutex<HashMap<String, usize>>>,
    requester: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.requester) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.requester);
            }
        }
    }
}

/// The pool as `app`'s operations see it (hashing a password, say): a refusal stays `Busy`,
/// so a full pool answers 503 whichever layer asked.
pub struct HeavyPool(pub Arc<Heavy>);

impl app::Pool for HeavyPool {
    fn run(
        &self,
        what: &'static str,
        job: app::pool::Job,
    ) -> futures::future::BoxFuture<'_, Result<(), app::AppError>> {
        Box::pin(async move {
            self.0.run(what, job).await.map_err(|e| match e {
                WebError::Busy(message) => app::AppError::Busy(message),
                other => app::AppError::Internal(other.to_string()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_requester_gets_two_renders_at_once_and_a_third_after_one_ends() {
        let heavy = Heavy::new(1);
        let a = heavy.admit("share:1".into()).unwrap();
        let _b = heavy.admit("share:1".into()).unwrap();
        assert!(matches!(
            heavy.admit("share:1".into()),
            Err(WebError::Busy(_))
        ));
        let _other = heavy.admit("share:2".into()).unwrap();
        drop(a);
        let _c = heavy.admit("share:1".into()).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_beyond_the_waiting_room_is_refused_not_queued() {
        let heavy = Arc::new(Heavy::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        let busy_one = {
            let heavy = Arc::clone(&heavy);
            let hold = Arc::clone(&hold);
            tokio::spawn(async move {
                heavy
                    .run("test", move || {
                        let _ = hold.lock().unwrap().recv();
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut waiting = Vec::new();
        for _ in 0..heavy.max_waiting() {
            let heavy = Arc::clone(&heavy);
            waiting.push(tokio::spawn(async move { heavy.run("test", || 1).await }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(matches!(
            heavy.run("test", || 1).await,
            Err(WebError::Busy(_))
        ));
        release.send(()).unwrap();
        busy_one.await.unwrap().unwrap();
        for w in waiting {
            assert_eq!(w.await.unwrap().unwrap(), 1);
        }
    }
}
