//! The web app's pages: server-rendered HTML (askama), forms that post back, and a redirect
//! after every change. Each handler states the role it needs and checks the form's CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::{ConnectionId, MetricId, Store};

use crate::accounts::{Role, random_token, token_hash};
use crate::auth::{Caller, MaybeCaller, Via, clear_session_cookie, cookie, session_cookie};
use crate::error::{PageError, WebError};
use crate::ops;
use crate::state::AppState;
use crate::views::{self, format_value, sparkline, when};

type PageResult = Result<Response, PageError>;

/// Where the Metrics screen lives: `/metrics` itself is Prometheus text, for scrapers.
pub const METRICS_SCREEN: &str = "/metrics/all";

pub struct Nav {
    pub name: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf: String,
}

pub(crate) fn nav(c: &Caller) -> Option<Nav> {
    Some(Nav {
        name: c.user.name.clone(),
        role: c.user.role.label(),
        admin: c.user.role >= Role::Admin,
        csrf: c.csrf().to_owned(),
    })
}

/// The largest page sent. Boards bound what each block draws, so only an unusual board (many
/// blocks of many series) comes near it; past it the reader gets a clear error, not a page that
/// stalls the browser and holds the server's memory.
pub const MAX_PAGE_BYTES: usize = 8 << 20;

pub(crate) fn render(t: &impl Template) -> PageResult {
    let html = t
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    if html.len() > MAX_PAGE_BYTES {
        return Err(WebError::Invalid {
            code: "too_large",
            message: format!(
                "this page would be {} MB, more than the {} MB a page may be: pick a shorter range or split the board",
                html.len() >> 20,
                MAX_PAGE_BYTES >> 20
            ),
            field: None,
        }
        .into());
    }
    Ok(Html(html).into_response())
}

pub(crate) fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

pub use crate::flash::Flash;

/// A redirect to `path` showing `text` there once (see [`crate::flash`]).
pub(crate) fn with_flash(path: &str, ok: bool, text: &str) -> Response {
    crate::flash::redirect(path, ok, text)
}

// ---------------------------------------------------------------- errors

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Always `None`: the error page may be shown to anyone, so it carries no navigation.
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub title: &'static str,
    pub message: String,
}

// ---------------------------------------------------------------- sign-in and setup

const LOGIN_CSRF_COOKIE: &str = "sb_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    active: &'static str,
    error: Option<String>,
    setup_pending: bool,
    csrf: String,
    name: String,
}

pub async fn root() -> Response {
    see_other(METRICS_SCREEN)
}

pub async fn login_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
) -> PageResult {
    if caller.is_some() {
        return Ok(see_other(METRICS_SCREEN));
    }
    login_page(&state, None, String::new(), axum::http::StatusCode::OK).await
}

async fn login_page(
    state: &AppState,
    error: Option<String>,
    name: String,
    status: axum::http::StatusCode,
) -> PageResult {
    // Sign-in has no session yet, so its form's CSRF token is a cookie it must echo.
    let csrf = random_token();
    let page = LoginPage {
        nav: None,
        active: "",
        error,
        setup_pending: state.accounts().count_admins().await? == 0,
        csrf: csrf.clone(),
        name,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    set_cookie(
        &mut response,
        &format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
            if state.config().secure_cookies {
                "; Secure"
            } else {
                ""
            }
        ),
    );
    Ok(response)
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    client: crate::throttle::ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let same: bool =
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), form.csrf.as_bytes()).into();
    if !same || expected.is_empty() {
        return Err(WebError::Csrf.into());
    }
    let now = state.clock().now_ms();
    // The attempt is counted before the password is checked, so a burst cannot race the limit.
    let attempt = match crate::throttle::reserve(state.accounts(), &form.name, &client, now).await {
        Ok(attempt) => attempt,
        Err(e @ WebError::Throttled(_)) => {
            return login_page(&state, Some(e.to_string()), form.name, e.status()).await;
        }
        Err(e) => return Err(e.into()),
    };
    let found = state.accounts().user_for_login(&form.name).await?;
    let hash = found.as_ref().map(|u| u.password_hash.as_str());
    let ok = match crate::ops::password_matches(&form.password, hash).await {
        Ok(ok) => ok,
        Err(e) => {
            // Busy, not wrong: the check never ran, so it does not count against anyone.
            attempt.unchecked(state.accounts()).await?;
            return Err(e.into());
        }
    };
    let Some(user) = found.filter(|_| ok).map(|u| u.user) else {
        // The reserved attempt stays: it was a failure.
        drop(attempt);
        return login_page(
            &state,
            Some("That user name and password do not match.".to_owned()),
            form.name,
            axum::http::StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    attempt.succeeded(state.accounts(), now).await?;
    if user.disabled {
        // Said only to someone who knows the password.
        return login_page(
            &state,
            Some("This account is disabled: ask an Admin to enable it.".to_owned()),
            form.name,
            axum::http::StatusCode::FORBIDDEN,
        )
        .await;
    }
    start_session(&state, user.id, METRICS_SCREEN).await
}

async fn start_session(state: &AppState, user_id: i64, to: &str) -> PageResult {
    let id = random_token();
    let ttl = state.config().session_ttl_ms;
    state
        .accounts()
        .create_session(
            &token_hash(&id),
            user_id,
            &random_token(),
            state.clock().now_ms() + ttl,
        )
        .await?;
    let mut response = see_other(to);
    set_cookie(
        &mut response,
        &session_cookie(&id, ttl / 1000, state.config().secure_cookies),
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> PageResult {
    if let (Via::Session { .. }, Some(id)) =
        (&caller.via, cookie(&headers, crate::auth::SESSION_COOKIE))
    {
        state.accounts().delete_session(&token_hash(id)).await?;
    }
    let mut response = see_other("/login");
    set_cookie(
        &mut response,
        &clear_session_cookie(state.config().secure_cookies),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    nav: Option<Nav>,
    active: &'static str,
    error: Option<String>,
    min_password: usize,
    token: String,
    name: String,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

pub async fn setup_form(State(state): State<AppState>, Query(q): Query<SetupQuery>) -> PageResult {
    if !state.setup_link_is_live(&q.token).await {
        return Err(WebError::NotFound(ops::SETUP_LINK_DEAD.to_owned()).into());
    }
    render(&SetupPage {
        nav: None,
        active: "",
        error: None,
        min_password: crate::accounts::MIN_PASSWORD_LEN,
        token: q.token,
        name: String::new(),
    })
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn setup(State(state): State<AppState>, Form(form): Form<SetupForm>) -> PageResult {
    // The one-time token in the form is this page's CSRF protection: no other site knows it.
    if !state.setup_link_is_live(&form.token).await {
        return Err(WebError::NotFound(ops::SETUP_LINK_DEAD.to_owned()).into());
    }
    match ops::create_first_admin(state.accounts(), &form.name, &form.password).await {
        Ok(user) => {
            state.end_setup();
            start_session(&state, user.id, "/connections").await
        }
        Err(e @ (WebError::NotFound(_) | WebError::Internal(_))) => Err(e.into()),
        Err(e) => render(&SetupPage {
            nav: None,
            active: "",
            error: Some(e.to_string()),
            min_password: crate::accounts::MIN_PASSWORD_LEN,
            token: form.token,
            name: form.name,
        }),
    }
}

// ---------------------------------------------------------------- Metrics screen

struct MetricRow {
    id: i64,
    name: String,
    summary: Option<String>,
    from_ms: i64,
    to_ms: i64,
    value: String,
    raw_value: String,
    change: String,
    verdict: &'static str,
    spark: String,
    state: &'static str,
    reason: Option<String>,
    last_sync: String,
}

#[derive(Template)]
#[template(path = "metrics.html")]
struct MetricsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    period: String,
    flash: Option<String>,
    flash_kind: &'static str,
    rows: Vec<MetricRow>,
}

fn verdict_class(v: metric::Verdict) -> &'static str {
    match v {
        metric::Verdict::Good => "good",
        metric::Verdict::Bad => "bad",
        metric::Verdict::Unchanged => "unchanged",
        metric::Verdict::Unknown => "unknown",
    }
}

pub async fn metrics(State(state): State<AppState>, caller: Caller, flash: Flash) -> PageResult {
    let (flash_text, flash_kind) = flash.split();
    let now = state.clock().now();
    let mut rows = Vec::new();
    let mut period = String::new();
    for m in ops::screen_metrics(state.store()).await? {
        let s = views::summarize(state.store(), &m, now).await?;
        period = format!(
            "{} – {}",
            views::when(Some(s.from_ms)),
            views::when(Some(s.to_ms))
        );
        let change = match (s.change_percent, s.verdict) {
            (Some(p), _) => format!(
                "{}{:.1}% vs previous 7 days",
                if p > 0.0 { "+" } else { "" },
                p
            ),
            (None, metric::Verdict::Unchanged) => "no change".to_owned(),
            _ => "no earlier value".to_owned(),
        };
        rows.push(MetricRow {
            id: s.id,
            name: s.name.clone(),
            summary: s.definition_error.clone().or(s.summary.clone()),
            from_ms: s.from_ms,
            to_ms: s.to_ms,
            value: format_value(&s, s.value),
            raw_value: s.value.map(|v| v.to_string()).unwrap_or_default(),
            change,
            verdict: verdict_class(s.verdict),
            spark: sparkline(&s.daily),
            state: s.sync.state,
            reason: s.sync.reason.clone(),
            last_sync: when(s.sync.last_sync_ms),
        });
    }
    render(&MetricsPage {
        nav: nav(&caller),
        active: "metrics",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        period,
        flash: flash_text,
        flash_kind,
        rows,
    })
}

pub async fn metric_sync(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    ops::enqueue_sync(state.store(), m.id).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("{} will sync in a moment.", m.name),
    ))
}

pub async fn metric_duplicate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let copy = ops::duplicate_metric(state.store(), MetricId(id)).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("Added {}: its history is backfilling now.", copy.name),
    ))
}

pub async fn metric_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    ops::delete_metric(state.store(), m.id).await?;
    Ok(with_flash(
        METRICS_SCREEN,
        true,
        &format!("Deleted {}.", m.name),
    ))
}

pub async fn metric_export(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let doc: serde_json::Value = serde_json::from_str(&m.definition)
        .map_err(|e| WebError::Internal(format!("stored definition of {}: {e}", m.name)))?;
    let body = serde_json::to_string_pretty(&doc).map_err(|e| WebError::Internal(e.to_string()))?;
    let file: String = m
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.json\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

struct RunRow {
    started: String,
    window: String,
    status: &'static str,
    requests: u32,
    pages: u32,
    rows: u64,
    throttled: u32,
    error: String,
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    nav: Option<Nav>,
    active: &'static str,
    name: String,
    runs: Vec<RunRow>,
}

pub async fn metric_runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let runs = state.store().sync_runs(Some(m.id), 50).await?;
    let runs = runs
        .iter()
        .map(|r| {
            let ledger = metric_sync::RunLedger::from_json(&r.ledger).unwrap_or_default();
            RunRow {
                started: when(Some(r.started_ms)),
                window: format!("{} → {}", when(Some(r.from_ms)), when(Some(r.to_ms))),
                status: r.status.as_str(),
                requests: ledger.requests,
                pages: ledger.pages,
                rows: ledger.rows_stored,
                throttled: ledger.throttled,
                error: r.error.clone().unwrap_or_default(),
            }
        })
        .collect();
    render(&RunsPage {
        nav: nav(&caller),
        active: "metrics",
        name: m.name,
        runs,
    })
}

// ---------------------------------------------------------------- Data Manager

struct ConnRow {
    id: i64,
    label: String,
    account_sid: String,
    api_key_sid: String,
    metrics: usize,
}

#[derive(Default, Deserialize)]
pub struct ConnectionForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    api_key_sid: String,
    /// Write-only: read from the form, never put back into a page.
    #[serde(default)]
    secret: String,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    flash: Option<String>,
    flash_kind: &'static str,
    connections: Vec<ConnRow>,
    form: ConnectionForm,
}

async fn connections_page(
    state: &AppState,
    caller: &Caller,
    flash: (Option<String>, &'static str),
    form: ConnectionForm,
    status: axum::http::StatusCode,
) -> PageResult {
    let metrics = state.store().list_metrics().await?;
    let connections = state
        .store()
        .list_connections()
        .await?
        .into_iter()
        .map(|c| ConnRow {
            id: c.id.0,
            metrics: metrics
                .iter()
                .filter(|m| m.connection_id == Some(c.id))
                .count(),
            label: c.label,
            account_sid: c.account_sid.to_string(),
            api_key_sid: c.api_key_sid.to_string(),
        })
        .collect();
    let mut response = render(&ConnectionsPage {
        nav: nav(caller),
        active: "connections",
        csrf: caller.csrf().to_owned(),
        flash: flash.0,
        flash_kind: flash.1,
        connections,
        form,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn connections(
    State(state): State<AppState>,
    caller: Caller,
    flash: Flash,
) -> PageResult {
    connections_page(
        &state,
        &caller,
        flash.split(),
        ConnectionForm::default(),
        axum::http::StatusCode::OK,
    )
    .await
}

pub async fn connection_add(
    State(state): State<AppState>,
    caller: Caller,
    Form(mut form): Form<ConnectionForm>,
) -> PageResult {
    let secret = domain::Secret::new(std::mem::take(&mut form.secret));
    match ops::add_connection(
        &state,
        &form.label,
        &form.account_sid,
        &form.api_key_sid,
        secret,
    )
    .await
    {
        Ok((conn, check)) => Ok(with_flash(
            "/connections",
            true,
            &format!("Saved {}: {check}.", conn.label),
        )),
        Err(e) => {
            let status = e.status();
            connections_page(&state, &caller, (Some(e.to_string()), "bad"), form, status).await
        }
    }
}

pub async fn connection_test(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let check = ops::check_connection(&state, &conn).await;
    Ok(with_flash(
        "/connections",
        check.is_connected(),
        &format!("{}: {check}.", conn.label),
    ))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    label: String,
}

pub async fn connection_rename(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let old = state.store().connection(ConnectionId(id)).await?.label;
    Ok(
        match ops::rename_connection(state.store(), ConnectionId(id), &form.label).await {
            Ok(conn) => with_flash(
                "/connections",
                true,
                &format!("Renamed {old} to {}.", conn.label),
            ),
            Err(e) => with_flash("/connections", false, &format!("Not renamed: {e}.")),
        },
    )
}

#[derive(Template)]
#[template(path = "connection_delete.html")]
struct ConnectionDeletePage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    id: i64,
    label: String,
    metrics: Vec<String>,
}

pub async fn connection_delete_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let metrics = ops::metrics_of_connection(state.store(), conn.id)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    render(&ConnectionDeletePage {
        nav: nav(&caller),
        active: "connections",
        csrf: caller.csrf().to_owned(),
        id,
        label: conn.label,
        metrics,
    })
}

pub async fn connection_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let conn = state.store().connection(ConnectionId(id)).await?;
    let stopped = ops::remove_connection(state.store(), conn.id).await?;
    let text = if stopped.is_empty() {
        format!("Removed {}.", conn.label)
    } else {
        format!(
            "Removed {}; these metrics stopped syncing: {}.",
            conn.label,
            stopped.join(", ")
        )
    };
    Ok(with_flash("/connections", true, &text))
}

// ---------------------------------------------------------------- library

struct LibRow {
    slug: String,
    name: String,
    summary: String,
    source: String,
    added: bool,
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    can_edit: bool,
    flash: Option<String>,
    flash_kind: &'static str,
    q: String,
    categories: Vec<(String, bool)>,
    connections: Vec<String>,
    groups: Vec<(String, Vec<LibRow>)>,
}

#[derive(Deserialize, Default)]
pub struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
}

pub async fn library_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<LibraryQuery>,
    flash: Flash,
) -> PageResult {
    let entries = ops::library_matches(&query.q, &query.category)?;
    let existing: Vec<String> = state
        .store()
        .list_metrics()
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let mut groups: Vec<(String, Vec<LibRow>)> = Vec::new();
    for e in entries {
        let label = e.category.label().to_owned();
        let row = LibRow {
            slug: e.slug.clone(),
            name: e.name().to_owned(),
            summary: e.summary().to_owned(),
            source: e.source(),
            added: existing.iter().any(|n| n == e.name()),
        };
        match groups.iter_mut().find(|g| g.0 == label) {
            Some(g) => g.1.push(row),
            None => groups.push((label, vec![row])),
        }
    }
    let categories = ops::categories()
        .into_iter()
        .map(|c| {
            let selected = c.eq_ignore_ascii_case(query.category.trim());
            (c, selected)
        })
        .collect();
    let connections = state
        .store()
        .list_connections()
        .await?
        .into_iter()
        .map(|c| c.label)
        .collect();
    let flash = Flash {
        ok: flash.ok,
        err: flash.err,
    }
    .split();
    render(&LibraryPage {
        nav: nav(&caller),
        active: "library",
        csrf: caller.csrf().to_owned(),
        can_edit: caller.user.role >= Role::Editor,
        flash: flash.0,
        flash_kind: flash.1,
        q: query.q,
        categories,
        connections,
        groups,
    })
}

#[derive(Deserialize)]
pub struct LibraryAddForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    connection: String,
}

pub async fn library_add(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<LibraryAddForm>,
) -> PageResult {
    match ops::add_library_metric(state.store(), &form.slug, &form.connection).await {
        Ok(m) => Ok(with_flash(
            METRICS_SCREEN,
            true,
            &format!("Added {}: its history is backfilling now.", m.name),
        )),
        Err(e) => Ok(with_flash("/library", false, &e.to_string())),
    }
}

// ---------------------------------------------------------------- people and tokens

struct PersonRow {
    id: i64,
    name: String,
    role: Role,
    disabled: bool,
    since: String,
    is_you: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    flash: Option<String>,
    flash_kind: &'static str,
    min_password: usize,
    roles: [Role; 3],
    users: Vec<PersonRow>,
}

pub async fn users(State(state): State<AppState>, caller: Caller, flash: Flash) -> PageResult {
    let users = state
        .accounts()
        .list_users()
        .await?
        .into_iter()
        .map(|u| PersonRow {
            is_you: u.id == caller.user.id,
            id: u.id,
            name: u.name,
            role: u.role,
            disabled: u.disabled,
            since: when(Some(u.created_ms)),
        })
        .collect();
    let flash = flash.split();
    render(&UsersPage {
        nav: nav(&caller),
        active: "users",
        csrf: caller.csrf().to_owned(),
        flash: flash.0,
        flash_kind: flash.1,
        min_password: crate::accounts::MIN_PASSWORD_LEN,
        roles: [Role::Viewer, Role::Editor, Role::Admin],
        users,
    })
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// Back to the People page saying what happened; a failure the Admin can act on is a message
/// there, a server failure is an error page.
fn people_outcome(outcome: Result<String, WebError>) -> PageResult {
    match outcome {
        Ok(text) => Ok(with_flash("/users", true, &text)),
        Err(e @ WebError::Internal(_)) => Err(e.into()),
        Err(e) => Ok(with_flash("/users", false, &e.to_string())),
    }
}

pub async fn user_add(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<UserForm>,
) -> PageResult {
    people_outcome(
        ops::add_user(&state, &form.name, &form.role, &form.password)
            .await
            .map(|u| format!("Added {} as {}.", u.name, u.role.label())),
    )
}

/// The person a People-page button is about.
async fn person(state: &AppState, id: i64) -> Result<crate::accounts::User, WebError> {
    Ok(state
        .accounts()
        .user(id)
        .await?
        .ok_or(crate::accounts::AccountsError::NoUser(id))?
        .user)
}

pub async fn user_disable(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    people_outcome(
        ops::set_user_disabled(state.accounts(), id, true)
            .await
            .map(|u| {
                format!(
                    "Disabled {}: their sessions ended and their API tokens stop working until enabled.",
                    u.name
                )
            }),
    )
}

pub async fn user_enable(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    people_outcome(
        ops::set_user_disabled(state.accounts(), id, false)
            .await
            .map(|u| format!("Enabled {}: they can sign in again.", u.name)),
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn user_role(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> PageResult {
    people_outcome(
        ops::set_user_role(state.accounts(), id, &form.role)
            .await
            .map(|u| format!("{} is now {}.", u.name, u.role.label())),
    )
}

pub async fn user_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let outcome = match person(&state, id).await {
        Ok(u) => ops::delete_user(state.accounts(), id)
            .await
            .map(|()| format!("Deleted {} with their sessions and API tokens.", u.name)),
        Err(e) => Err(e),
    };
    people_outcome(outcome)
}

pub async fn user_revoke(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let outcome = match person(&state, id).await {
        Ok(u) => ops::revoke_access(state.accounts(), id).await.map(|r| {
            format!(
                "Signed {} out of {} session(s) and deleted {} API token(s).",
                u.name, r.sessions, r.tokens
            )
        }),
        Err(e) => Err(e),
    };
    people_outcome(outcome)
}

#[derive(Deserialize)]
pub struct ResetForm {
    /// Write-only: never put back into a page.
    #[serde(default)]
    password: String,
}

pub async fn user_password(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ResetForm>,
) -> PageResult {
    let outcome = match person(&state, id).await {
        Ok(u) => ops::reset_password(state.accounts(), id, &form.password)
            .await
            .map(|()| {
                format!(
                    "Set a new password for {}: their sessions ended; share it privately.",
                    u.name
                )
            }),
        Err(e) => Err(e),
    };
    people_outcome(outcome)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Option<Nav>,
    active: &'static str,
    csrf: String,
    flash: Option<String>,
    flash_kind: &'static str,
    min_password: usize,
    new_token: Option<String>,
    tokens: Vec<(i64, String, String)>,
}

async fn account_page(
    state: &AppState,
    caller: &Caller,
    flash: (Option<String>, &'static str),
    new_token: Option<String>,
) -> PageResult {
    let tokens = state
        .accounts()
        .list_tokens(caller.user.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name, when(Some(t.created_ms))))
        .collect();
    let mut response = render(&AccountPage {
        nav: nav(caller),
        active: "account",
        csrf: caller.csrf().to_owned(),
        flash: flash.0,
        flash_kind: flash.1,
        min_password: crate::accounts::MIN_PASSWORD_LEN,
        new_token,
        tokens,
    })?;
    // The page may hold a token shown once: keep it out of caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn account(State(state): State<AppState>, caller: Caller, flash: Flash) -> PageResult {
    account_page(&state, &caller, flash.split(), None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    /// Both write-only: never put back into a page.
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the caller's own password. Every session of theirs ends, this one included, and the
/// browser that changed it gets a fresh session, so it stays signed in while others are not.
pub async fn account_password(
    State(state): State<AppState>,
    caller: Caller,
    client: crate::throttle::ClientAddr,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    match ops::change_own_password(
        state.accounts(),
        &caller.user,
        &client,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => {
            let mut response = start_session(&state, caller.user.id, "/account").await?;
            crate::flash::mark(
                &mut response,
                true,
                "Password changed: your other sessions ended.",
            );
            Ok(response)
        }
        Err(e @ WebError::Internal(_)) => Err(e.into()),
        Err(e) => Ok(with_flash("/account", false, &e.to_string())),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn token_create(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let (token, _) = ops::create_token(&state, caller.user.id, &form.name).await?;
    account_page(&state, &caller, (None, ""), Some(token)).await
}

pub async fn token_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    if !state.accounts().delete_token(caller.user.id, id).await? {
        return Err(WebError::NotFound(format!("you have no token {id}")).into());
    }
    Ok(see_other("/account"))
}
