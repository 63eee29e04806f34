//! Who is calling: a session cookie (the web app) or a bearer token (the API and scripts).
//! The role a route needs is checked where the route is registered ([`crate::routes::gate`]),
//! which leaves the [`Caller`] for the handler; state-changing requests made with a session
//! must carry its CSRF token ([`crate::csrf`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::accounts::{User, token_hash};
use crate::error::{ApiError, PageError, WebError};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sb_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum Via {
    Session { csrf: String },
    Token,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

impl Caller {
    /// Who is asking, for limits kept per requester ([`crate::heavy::Heavy::admit`]).
    pub fn requester(&self) -> String {
        format!("user:{}", self.user.id)
    }

    /// The CSRF token the session's forms carry; empty for token callers (they send no forms).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::Token => "",
        }
    }

    /// Checks a form's CSRF field. Bearer-token callers have no ambient credential a foreign
    /// page could ride on, so they need none.
    pub fn check_csrf(&self, given: &str) -> Result<(), WebError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf } => {
                let same: bool =
                    subtle::ConstantTimeEq::ct_eq(csrf.as_bytes(), given.trim().as_bytes()).into();
                if same && !csrf.is_empty() {
                    Ok(())
                } else {
                    Err(WebError::Csrf)
                }
            }
        }
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The caller of a request, if any. A bearer header that names no token is an error rather than
/// anonymity, so a script with a revoked token hears so.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, WebError> {
    let now = state.clock().now_ms();
    if let Some(token) = bearer(headers) {
        let user = state.accounts().user_by_token(&token_hash(token)).await?;
        return match user {
            Some(user) => Ok(Some(Caller {
                user,
                via: Via::Token,
            })),
            None => Err(WebError::Unauthenticated),
        };
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE)
        && let Some(session) = state.accounts().session(&token_hash(id), now).await?
    {
        return Ok(Some(Caller {
            user: session.user,
            via: Via::Session { csrf: session.csrf },
        }));
    }
    Ok(None)
}

/// Whether a request is for the JSON API. Inside the nested API router the path is stripped
/// of `/api/v1`, so this reads the original.
pub fn is_api(extensions: &axum::http::Extensions, uri: &axum::http::Uri) -> bool {
    extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(uri.path(), |u| u.0.path())
        .starts_with("/api/")
}

/// A refusal in the shape the surface answers: JSON on the API, a page (or the sign-in
/// redirect) elsewhere.
pub fn reject<B>(request: &axum::http::Request<B>, e: WebError) -> Response {
    if is_api(request.extensions(), request.uri()) {
        ApiError(e).into_response()
    } else {
        PageError(e).into_response()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    /// The caller [`crate::routes::gate`] admitted; a handler mounted without a role still
    /// identifies its caller here, so it answers 401 rather than failing.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let api = is_api(&parts.extensions, &parts.uri);
        let reject = |e: WebError| {
            if api {
                ApiError(e).into_response()
            } else {
                PageError(e).into_response()
            }
        };
        identify(state, &parts.headers)
            .await
            .map_err(reject)?
            .ok_or(WebError::Unauthenticated)
            .map_err(reject)
    }
}

/// An optional caller, for pages that anonymous visitors may also see (sign-in, setup).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(MaybeCaller(Some(caller.clone())));
        }
        match identify(state, &parts.headers).await {
            Ok(c) => Ok(MaybeCaller(c)),
            Err(WebError::Unauthenticated) => Ok(MaybeCaller(None)),
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(id: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
