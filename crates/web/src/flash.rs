//! One-time messages after a redirect ("Saved the goal."), carried in a short-lived cookie
//! signed with HMAC-SHA256, so only Switchboard can make its pages say something: a link
//! with text in it, or a cookie planted by a neighbouring site, is ignored.
//!
//! A handler answers with [`redirect`], which only marks the response; the [`carry`] layer
//! signs the message into the cookie, reads and checks the cookie on the next request (the
//! [`Flash`] extractor hands it to the page), and clears it once a page has been shown.
//!
//! The key is kept sealed in the store under [`KEY_PURPOSE`], as the share links' is, so every
//! process serving pages signs and checks with the same one.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::BoardStore as _;

use crate::auth::cookie;
use crate::state::AppState;

type HmacSha256 = Hmac<Sha256>;

pub const FLASH_COOKIE: &str = "sb_flash";
/// The purpose under which the store keeps the signing key.
pub const KEY_PURPOSE: &str = "flash";
/// How long a message waits for its page: a redirect is followed at once.
pub const LIFETIME_MS: i64 = 60_000;

/// The message the page was redirected with, if a genuine one came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flash {
    pub ok: Option<String>,
    pub err: Option<String>,
}

impl Flash {
    /// The text and its CSS kind (`good`, `bad`), as the templates show it.
    pub(crate) fn split(self) -> (Option<String>, &'static str) {
        match (self.ok, self.err) {
            (_, Some(e)) => (Some(e), "bad"),
            (Some(o), None) => (Some(o), "good"),
            _ => (None, ""),
        }
    }
}

impl FromRequestParts<AppState> for Flash {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Infallible> {
        Ok(parts.extensions.get::<Flash>().cloned().unwrap_or_default())
    }
}

/// A message a handler asks to show on the page it redirects to.
#[derive(Debug, Clone)]
struct Outgoing {
    ok: bool,
    text: String,
}

/// A redirect to `path` that shows `text` there once, as a success or a failure.
pub fn redirect(path: &str, ok: bool, text: &str) -> Response {
    let mut response = Redirect::to(path).into_response();
    mark(&mut response, ok, text);
    response
}

/// Asks [`carry`] to show `text` on the next page (used by an API answer the builder's script
/// follows with a navigation).
pub fn mark(response: &mut Response, ok: bool, text: &str) {
    response.extensions_mut().insert(Outgoing {
        ok,
        text: text.to_owned(),
    });
}

fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

/// `<payload>.<mac>`, both base64url; the payload is `ok|err`, the expiry, and the text.
pub fn sign(key: &[u8], ok: bool, text: &str, expires_ms: i64) -> String {
    let payload = format!("{}\n{expires_ms}\n{text}", if ok { "ok" } else { "err" });
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()))
    )
}

/// The message in a cookie value, if its MAC holds and it has not expired.
pub fn verify(key: &[u8], value: &str, now_ms: i64) -> Option<Flash> {
    let (p64, m64) = value.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(p64).ok()?;
    let given = URL_SAFE_NO_PAD.decode(m64).ok()?;
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).ok()?;
    m.update(&payload);
    m.verify_slice(&given).ok()?;
    let payload = String::from_utf8(payload).ok()?;
    let mut parts = payload.splitn(3, '\n');
    let kind = parts.next()?;
    let expires_ms: i64 = parts.next()?.parse().ok()?;
    let text = parts.next()?.to_owned();
    if expires_ms < now_ms {
        return None;
    }
    match kind {
        "ok" => Some(Flash {
            ok: Some(text),
            err: None,
        }),
        "err" => Some(Flash {
            ok: None,
            err: Some(text),
        }),
        _ => None,
    }
}

/// The signing key used while the store's own cannot be opened (it runs without its master
/// key): kept in this process only and never stored, so nothing is sealed under a key the
/// store does not trust. A flash lives 60 s; one signed by another process is just not shown.
fn process_key() -> Vec<u8> {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    KEY.get_or_init(rand::random).to_vec()
}

async fn key(state: &AppState) -> Option<Vec<u8>> {
    let candidate: [u8; 32] = rand::random();
    match state.store().signing_key(KEY_PURPOSE, &candidate).await {
        Ok(key) => Some(key),
        Err(store::StoreError::SecretUnavailable(_)) => Some(process_key()),
        Err(e) => {
            tracing::warn!(error = %e, "flash messages: could not read the signing key");
            None
        }
    }
}

fn set_cookie(response: &mut Response, value: &str, max_age_secs: i64, secure: bool) {
    let cookie = format!(
        "{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The layer (`from_fn_with_state`) over the whole app.
pub async fn carry(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = state.clock().now_ms();
    let had = cookie(request.headers(), FLASH_COOKIE).map(str::to_owned);
    let mut signing_key = None;
    if let Some(value) = &had {
        signing_key = key(&state).await;
        if let Some(flash) = signing_key.as_deref().and_then(|k| verify(k, value, now)) {
            request.extensions_mut().insert(flash);
        }
    }
    let shown = request.method() == Method::GET;
    let mut response = next.run(request).await;
    let secure = state.config().secure_cookies;
    if let Some(out) = response.extensions_mut().remove::<Outgoing>() {
        if signing_key.is_none() {
            signing_key = key(&state).await;
        }
        if let Some(k) = signing_key {
            let value = sign(&k, out.ok, &out.text, now + LIFETIME_MS);
            set_cookie(&mut response, &value, LIFETIME_MS / 1000, secure);
        }
    } else if had.is_some() && shown && response.status().is_success() {
        // Shown once: the page that read it ends it.
        set_cookie(&mut response, "", 0, secure);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_message_reads_back_and_a_forged_or_stale_one_does_not() {
        let key = [7u8; 32];
        let v = sign(&key, false, "That name is taken.", 1_000);
        assert_eq!(
            verify(&key, &v, 999),
            Some(Flash {
                ok: None,
                err: Some("That name is taken.".to_owned())
            })
        );
        assert_eq!(verify(&key, &v, 1_001), None, "expired");
        assert_eq!(verify(&[8u8; 32], &v, 999), None, "another key");
        let (_, m) = v.split_once('.').unwrap();
        let forged = format!(
            "{}.{m}",
            URL_SAFE_NO_PAD.encode(b"err\n1000\nYour account is locked, call us")
        );
        assert_eq!(verify(&key, &forged, 999), None, "altered text");
        assert_eq!(verify(&key, "just text", 999), None, "unsigned");
    }
}
