//! Sign-in, setup, sign-out, the People screen and each person's account page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;

use crate::accounts::{Role, random_token, token_hash};
use crate::auth::{Caller, MaybeCaller, Via, clear_session_cookie, cookie, session_cookie};
use crate::error::WebError;
use crate::state::AppState;
use crate::views::when;

use crate::pages::*;

use super::{OwnPasswordIn, PasswordIn, TokenIn, UserIn};

// ---------------------------------------------------------------- sign-in and setup

const LOGIN_CSRF_COOKIE: &str = "sb_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    frame: PageFrame,
    error: Option<String>,
    setup_pending: bool,
    name: String,
}

pub async fn root(State(state): State<AppState>) -> PageResult {
    Ok(see_other(&home(&state).await?))
}

/// Where signing in lands: the home board when one is chosen (the demo chooses its Messaging
/// board), else the Metrics screen.
async fn home(state: &AppState) -> Result<String, WebError> {
    use store::BoardStore as _;
    Ok(match state.store().home_board().await? {
        Some(id) => format!("/boards/{}", id.0),
        None => METRICS_SCREEN.to_owned(),
    })
}

pub async fn login_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
) -> PageResult {
    if caller.is_some() {
        return Ok(see_other(&home(&state).await?));
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
        frame: PageFrame::anonymous("", csrf.clone()),
        error,
        setup_pending: state.accounts().count_admins().await? == 0,
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
    let ok = match state.app().password_matches(&form.password, hash).await {
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
    let to = home(&state).await?;
    start_session(&state, user.id, &to).await
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
    frame: PageFrame,
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
        return Err(WebError::NotFound(app::people::SETUP_LINK_DEAD.to_owned()).into());
    }
    render(&SetupPage {
        frame: PageFrame::anonymous("", String::new()),
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
        return Err(WebError::NotFound(app::people::SETUP_LINK_DEAD.to_owned()).into());
    }
    match super::create_first_admin(&state, &form.name, &form.password).await {
        Ok(user) => {
            state.end_setup();
            start_session(&state, user.id, "/connections").await
        }
        Err(e @ (WebError::NotFound(_) | WebError::Internal(_))) => Err(e.into()),
        Err(e) => render(&SetupPage {
            frame: PageFrame::anonymous("", String::new()),
            error: Some(e.to_string()),
            min_password: crate::accounts::MIN_PASSWORD_LEN,
            token: form.token,
            name: form.name,
        }),
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
    frame: PageFrame,
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
        frame: PageFrame::of(&caller, "users").message(flash),
        min_password: crate::accounts::MIN_PASSWORD_LEN,
        roles: [Role::Viewer, Role::Editor, Role::Admin],
        users,
    })
}

/// Back to the People page saying what happened.
fn people_outcome(outcome: Result<String, WebError>) -> PageResult {
    match outcome {
        Ok(text) => Ok(with_flash("/users", true, &text)),
        Err(e) => refused_on("/users", e),
    }
}

/// A failure the person can act on is a message on `screen`; a server failure is an error page.
fn refused_on(screen: &str, e: WebError) -> PageResult {
    match e {
        WebError::Internal(_) => Err(e.into()),
        e => Ok(with_flash(screen, false, &e.to_string())),
    }
}

pub async fn user_add(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<UserIn>,
) -> PageResult {
    people_outcome(
        super::add_user(&state, &form.name, &form.role, &form.password)
            .await
            .map(|u| format!("Added {} as {}.", u.name, u.role.label())),
    )
}

/// Back to the People page after an operation on one person, saying what became of them by
/// the name read before it ran (a deleted person has no name to read afterwards).
async fn about_person<T, Fut>(
    state: &AppState,
    id: i64,
    op: impl FnOnce() -> Fut,
    said: impl FnOnce(&crate::accounts::User, T) -> String,
) -> PageResult
where
    Fut: std::future::Future<Output = Result<T, app::AppError>>,
{
    let outcome = async {
        let u = state
            .accounts()
            .user(id)
            .await?
            .ok_or(crate::accounts::AccountsError::NoUser(id))?
            .user;
        let done = op().await?;
        Ok::<_, WebError>(said(&u, done))
    }
    .await;
    people_outcome(outcome)
}

/// Disables or enables a person, saying what that does to their access.
async fn set_disabled(state: &AppState, id: i64, disabled: bool) -> PageResult {
    people_outcome(
        state
            .app()
            .set_user_disabled(id, disabled)
            .await
            .map_err(WebError::from)
            .map(|u| match disabled {
                true => format!(
                    "Disabled {}: their sessions ended and their API tokens stop working until enabled.",
                    u.name
                ),
                false => format!("Enabled {}: they can sign in again.", u.name),
            }),
    )
}

pub async fn user_disable(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    set_disabled(&state, id, true).await
}

pub async fn user_enable(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    set_disabled(&state, id, false).await
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
        super::set_role(&state, id, &form.role)
            .await
            .map(|u| format!("{} is now {}.", u.name, u.role.label())),
    )
}

pub async fn user_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    about_person(
        &state,
        id,
        || state.app().delete_user(id),
        |u, ()| format!("Deleted {} with their sessions and API tokens.", u.name),
    )
    .await
}

pub async fn user_revoke(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    about_person(
        &state,
        id,
        || state.app().revoke_access(id),
        |u, r| {
            format!(
                "Signed {} out of {} session(s) and deleted {} API token(s).",
                u.name, r.sessions, r.tokens
            )
        },
    )
    .await
}

pub async fn user_password(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<PasswordIn>,
) -> PageResult {
    about_person(
        &state,
        id,
        || state.app().reset_password(id, &form.password),
        |u, ()| {
            format!(
                "Set a new password for {}: their sessions ended; share it privately.",
                u.name
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: PageFrame,
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
        frame: PageFrame::of(caller, "account").message(flash),
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

/// Changes the caller's own password. Every session of theirs ends, this one included, and the
/// browser that changed it gets a fresh session, so it stays signed in while others are not.
pub async fn account_password(
    State(state): State<AppState>,
    caller: Caller,
    client: crate::throttle::ClientAddr,
    Form(form): Form<OwnPasswordIn>,
) -> PageResult {
    match super::change_own_password(
        &state,
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
        Err(e) => refused_on("/account", e),
    }
}

pub async fn token_create(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<TokenIn>,
) -> PageResult {
    let (token, _) = super::create_token(&state, caller.user.id, &form.name).await?;
    account_page(&state, &caller, (None, ""), Some(token)).await
}

pub async fn token_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    state.app().delete_own_token(caller.user.id, id).await?;
    Ok(see_other("/account"))
}
