//! The HTTP side: one port for every Twilio host (routed on `Host`), the admin endpoints under
//! `/__sim/`, faults and the request log.

mod admin;
mod api2010;
mod auth;
mod error;
mod faults;
mod log;
mod paging;
mod product;
#[cfg(test)]
mod product_tests;
mod query;
mod voice_summaries;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::accounts::{AccountError, AccountState, AccountStates, StartState};
use crate::config::{Faults, SimConfig};
use crate::dataset::Dataset;
use crate::generate::generate;

pub use error::ApiError;
pub use log::LoggedRequest;

/// Messages older than this many days (before `now`) are not served, as on Twilio.
pub const MESSAGE_RETENTION_DAYS: i64 = 400;
/// Alerts are kept this many days.
pub const ALERT_RETENTION_DAYS: i64 = 30;

/// A running simulator's state: the dataset, the fault settings, the accounts' live statuses
/// and names, and the request log. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

struct Inner {
    data: Dataset,
    faults: RwLock<Faults>,
    /// Replaced whole on a change, so a request reads one consistent view without holding
    /// the lock while it is answered.
    accounts: RwLock<Arc<AccountStates>>,
    log: Mutex<log::RequestLog>,
    inflight: Mutex<HashMap<String, u32>>,
    rng: Mutex<ChaCha8Rng>,
    request_counter: AtomicU64,
    live: crate::live::Shared,
}

impl Sim {
    /// Generates the dataset from `config` and sets its faults.
    pub fn new(config: SimConfig) -> Sim {
        let data = generate(&config);
        Sim::from_dataset(data, config.faults, config.seed)
    }

    /// A simulator serving an already generated dataset.
    pub fn from_dataset(data: Dataset, faults: Faults, seed: u64) -> Sim {
        let accounts = RwLock::new(Arc::new(AccountStates::new(&data)));
        Sim {
            inner: Arc::new(Inner {
                data,
                faults: RwLock::new(faults),
                accounts,
                log: Mutex::new(log::RequestLog::default()),
                inflight: Mutex::new(HashMap::new()),
                rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_FA17)),
                request_counter: AtomicU64::new(0),
                live: crate::live::Shared::default(),
            }),
        }
    }

    pub fn dataset(&self) -> &Dataset {
        &self.inner.data
    }

    /// Live mode's clock, records and counters.
    pub(crate) fn live(&self) -> &crate::live::Shared {
        &self.inner.live
    }

    pub fn faults(&self) -> Faults {
        self.inner
            .faults
            .read()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.inner.faults.write() {
            *f = faults;
        }
    }

    /// Checks `faults` as `Faults::validate` does, and that every SID `deny_subaccounts` names is
    /// a subaccount here (denying the main account its own data would test nothing).
    pub fn check_faults(&self, faults: &Faults) -> Result<(), String> {
        faults.validate()?;
        let data = self.dataset();
        for sid in &faults.deny_subaccounts {
            if !data.subaccounts().any(|a| a.sid.eq_ignore_ascii_case(sid)) {
                return Err(format!(
                    "deny_subaccounts: {sid} is not a subaccount of this simulator"
                ));
            }
        }
        Ok(())
    }

    /// Every account's live status and friendly name.
    pub fn accounts(&self) -> Arc<AccountStates> {
        match self.inner.accounts.read() {
            Ok(a) => Arc::clone(&a),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The live status of the account `sid`.
    pub fn account_state(&self, sid: &str) -> Option<AccountState> {
        self.accounts().state_of(sid)
    }

    /// Sets the status of the account `sid` from now on (the dataset's records do not change).
    /// The main account cannot be `Absent`.
    pub fn set_account_state(&self, sid: &str, state: AccountState) -> Result<(), AccountError> {
        self.change_accounts(|a| a.set(sid, state))
    }

    /// Renames the account `sid`: its Account resource, `Accounts.json` (and its `FriendlyName`
    /// filter) show the new name from now on.
    pub fn rename_account(&self, sid: &str, name: &str) -> Result<(), AccountError> {
        self.change_accounts(|a| a.rename(sid, name))
    }

    /// Sets a status, a name or both at once: when one is refused neither changes.
    pub(crate) fn change_account(
        &self,
        sid: &str,
        state: Option<AccountState>,
        name: Option<&str>,
    ) -> Result<(), AccountError> {
        self.change_accounts(|a| {
            if let Some(state) = state {
                a.set(sid, state)?;
            }
            if let Some(name) = name {
                a.rename(sid, name)?;
            }
            Ok(())
        })
    }

    /// Puts the subaccounts `start` names in their states (`sim --account-state`); nothing
    /// changes when one of them is refused.
    pub fn set_start_states(&self, start: &[StartState]) -> Result<(), AccountError> {
        let states = AccountStates::starting(self.dataset(), start)?;
        self.change_accounts(|a| {
            *a = states;
            Ok(())
        })
    }

    fn change_accounts(
        &self,
        change: impl FnOnce(&mut AccountStates) -> Result<(), AccountError>,
    ) -> Result<(), AccountError> {
        let mut guard = match self.inner.accounts.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = AccountStates::clone(&guard);
        change(&mut next)?;
        *guard = Arc::new(next);
        Ok(())
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.inner
            .log
            .lock()
            .map(|l| l.entries.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The highest number of Twilio requests in flight at once for any single account since
    /// start or the last clear. A request is in flight from its arrival (once authenticated)
    /// until its body has been sent.
    pub fn peak_concurrency(&self) -> u32 {
        self.inner.log.lock().map(|l| l.peak).unwrap_or(0)
    }

    /// The same peak per account SID.
    pub fn peak_concurrency_by_account(&self) -> HashMap<String, u32> {
        self.inner
            .log
            .lock()
            .map(|l| l.peak_by_account.clone())
            .unwrap_or_default()
    }

    /// Empties the request log and resets the peaks.
    pub fn clear_request_log(&self) {
        if let Ok(mut l) = self.inner.log.lock() {
            *l = log::RequestLog::default();
        }
    }
}

/// The simulator as an axum `Router` (for in-process tower tests).
pub fn router(sim: Sim) -> Router {
    Router::new()
        .route(
            "/__sim/faults",
            // A generous limit so an oversized settings body is read and refused with a JSON
            // 400, rather than answered 413 before it is read (which resets the connection).
            get(admin::get_faults)
                .put(admin::put_faults)
                .layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        .route("/__sim/requests", get(admin::get_requests))
        .route("/__sim/requests/clear", post(admin::clear_requests))
        .route("/__sim/credentials", get(admin::get_credentials))
        .route("/__sim/accounts", get(admin::get_accounts))
        .route("/__sim/live", get(admin::get_live))
        .route(
            "/__sim/accounts/{sid}",
            axum::routing::put(admin::put_account),
        )
        .fallback(twilio)
        .with_state(sim)
}

/// Serves the simulator on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Sim,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(sim))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A simulator running in the background on a loopback port.
pub struct SimHandle {
    sim: Sim,
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Generates the dataset, binds `127.0.0.1:0` and serves in the background.
pub async fn spawn(config: SimConfig) -> std::io::Result<SimHandle> {
    let sim = Sim::new(config);
    spawn_sim(sim).await
}

/// Serves an existing `Sim` on `127.0.0.1:0` in the background.
pub async fn spawn_sim(sim: Sim) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, sim.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(SimHandle {
        sim,
        addr,
        stop: Some(stop),
        task,
    })
}

impl SimHandle {
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
    pub fn dataset(&self) -> &Dataset {
        self.sim.dataset()
    }
    pub fn set_faults(&self, faults: Faults) {
        self.sim.set_faults(faults)
    }
    pub fn set_account_state(&self, sid: &str, state: AccountState) -> Result<(), AccountError> {
        self.sim.set_account_state(sid, state)
    }
    pub fn rename_account(&self, sid: &str, name: &str) -> Result<(), AccountError> {
        self.sim.rename_account(sid, name)
    }
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.sim.request_log()
    }
    pub fn peak_concurrency(&self) -> u32 {
        self.sim.peak_concurrency()
    }
    pub fn clear_request_log(&self) {
        self.sim.clear_request_log()
    }
    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Which Twilio product a `Host` names: `api`, `messaging`, ... from `{product}.twilio.com`,
/// `{product}.{region}.twilio.com` or `{product}.{edge}.{region}.twilio.com` (port stripped).
pub fn product_of(host: &str) -> Option<String> {
    let host = host.trim().to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => host,
    };
    let rest = host.strip_suffix(".twilio.com")?;
    let labels: Vec<&str> = rest.split('.').collect();
    if labels.is_empty() || labels.len() > 3 || labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    Some(labels[0].to_string())
}

/// A Twilio answer before faults shape it: status, JSON body, and the account that asked.
pub(crate) struct Answer {
    pub body: Result<Vec<u8>, ApiError>,
}

/// Everything a route needs about the request.
pub(crate) struct Ctx<'a> {
    pub sim: &'a Sim,
    pub product: &'a str,
    pub path: &'a str,
    pub query: query::Query,
    pub principal: auth::Principal,
    /// The accounts' statuses and names as they were when the request arrived.
    pub accounts: &'a AccountStates,
}

impl Ctx<'_> {
    pub fn data(&self) -> &Dataset {
        self.sim.dataset()
    }
}

async fn twilio(State(sim): State<Sim>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let started_at = jiff::Timestamp::now();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("")
        .to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().map(str::to_string);
    let request_id = sim.request_id();

    let (mut response, account) = sim
        .handle(&host, &method, &path, raw_query.as_deref(), req.headers())
        .await;
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("twilio-request-id", v);
    }
    if let Some(product) = product_of(&host)
        && let Ok(v) = HeaderValue::from_str(&format!("{product}.twilio.com"))
    {
        h.insert("x-api-domain", v);
    }
    h.insert("x-home-region", HeaderValue::from_static("us1"));
    h.insert("x-powered-by", HeaderValue::from_static("AT-5000"));
    h.insert("x-shenanigans", HeaderValue::from_static("none"));
    let elapsed = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&format!("{:.3}", elapsed.as_secs_f64())) {
        h.insert("twilio-request-duration", v);
    }
    sim.record(LoggedRequest {
        host,
        method: method.to_string(),
        path,
        query: raw_query.unwrap_or_default(),
        status: response.status().as_u16(),
        account_sid: account,
        request_id,
        started_at,
        finished_at: jiff::Timestamp::now(),
        duration_ms: elapsed.as_secs_f64() * 1000.0,
    });
    response
}

impl Sim {
    fn request_id(&self) -> String {
        let n = self.inner.request_counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "RQ{:032x}",
            u128::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) ^ 0x5151
        )
    }

    fn record(&self, entry: LoggedRequest) {
        if let Ok(mut l) = self.inner.log.lock() {
            l.push(entry);
        }
    }

    async fn handle(
        &self,
        host: &str,
        method: &Method,
        path: &str,
        raw_query: Option<&str>,
        headers: &axum::http::HeaderMap,
    ) -> (Response, Option<String>) {
        let Some(product) = product_of(host) else {
            return (ApiError::not_found(path).into_response(), None);
        };
        let accounts = self.accounts();
        let principal = match auth::authenticate(self.dataset(), &accounts, headers) {
            Ok(p) => p,
            Err(e) => return (e.into_response(), None),
        };
        let account_sid = self
            .dataset()
            .accounts
            .get(principal.account)
            .map(|a| a.sid.clone())
            .unwrap_or_default();
        let guard = faults::InFlight::enter(self, &account_sid);
        let faults = self.faults();
        if let Some(limit) = faults.concurrency_limit
            && guard.count > limit
        {
            let mut r = ApiError::too_many(faults.retry_after_secs).into_response();
            faults::concurrent_header(&mut r, guard.count);
            return (r, Some(account_sid));
        }
        let injected = faults::random_error(self, &faults);
        faults::delay(self, &faults).await;
        if let Some(err) = injected {
            let mut r = err.into_response();
            faults::concurrent_header(&mut r, guard.count);
            return (r, Some(account_sid));
        }
        if method != Method::GET && method != Method::HEAD {
            let err = ApiError::new(405, 20004, "Method not allowed");
            return (err.into_response(), Some(account_sid));
        }
        let ctx = Ctx {
            sim: self,
            product: &product,
            path,
            query: query::Query::parse(raw_query),
            principal,
            accounts: &accounts,
        };
        let answer = match product.as_str() {
            "api" => api2010::route(&ctx, &faults),
            // Product APIs serve the credentials' own account.
            _ => match auth::state_refusal(accounts.state(principal.account), path) {
                Some(err) => Answer { body: Err(err) },
                None => product::route(&ctx),
            },
        };
        let count = guard.count;
        let mut response = match answer.body {
            Ok(body) => faults::shape_body(self, &faults, body, guard),
            Err(err) => err.into_response(),
        };
        faults::concurrent_header(&mut response, count);
        (response, Some(account_sid))
    }
}

/// A 200 JSON response whose body also holds `guard` until it has been sent.
pub(crate) fn json_response(body: Body) -> Response {
    let mut r = Response::new(body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
