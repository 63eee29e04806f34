//! Who is calling: a session cookie (the web app) or a bearer token (the API and scripts).
//! Every handler takes a [`Caller`] and states the role it needs with [`Caller::require`];
//! state-changing requests made with a session must carry its CSRF token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};

use crate::accounts::{Role, User, token_hash};
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
    pub fn require(&self, role: Role) -> Result<&Self, WebError> {
        if self.user.role >= role {
            Ok(self)
        } else {
            Err(WebError::Forbidden(role))
        }
    }

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
    let now = jiff::Timestamp::now().as_millisecond();
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // Inside the nested API router the path is stripped of `/api/v1`: read the original.
        let api = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(parts.uri.path(), |u| u.0.path())
            .starts_with("/api/");
        let reject = |e: WebError| {
            if api {
                ApiError(e).into_response()
            } else {
                PageError(e).into_response()
            }
        };
        let caller = identify(state, &parts.headers)
            .await
            .map_err(reject)?
            .ok_or(WebError::Unauthenticated)
            .map_err(reject)?;
        // The API's state-changing requests made with a session cookie carry the CSRF token in
        // a header; the pages' forms carry it in a field, checked by their handlers.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if api && !safe {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            caller.check_csrf(given).map_err(reject)?;
        }
        Ok(caller)
    }
}

/// An optional caller, for pages that anonymous visitors may also see (sign-in, setup).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
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
