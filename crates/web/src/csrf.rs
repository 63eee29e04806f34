//! Cross-site request forgery, refused once for the whole app (pages, API, sign-in, setup).
//!
//! For every unsafe method:
//! 1. the browser's own word: `Sec-Fetch-Site` must be `same-origin` or `none`; lacking it, an
//!    `Origin` must name the host the request was sent to (or a trusted origin, or the public
//!    URL's). When a trusted proxy said the browser's scheme (`X-Forwarded-Proto`, see
//!    [`crate::client`]), the origin's scheme must be that one too; otherwise the scheme is not
//!    known here and only the host is compared. Requests with neither header (scripts, old
//!    browsers) pass this step.
//! 2. because step 1 passes requests without those headers, a caller signed in with a session
//!    cookie must also send the session's token, in `X-CSRF-Token` or in the `csrf` field of an
//!    urlencoded form. Bearer-token callers have no ambient credential a foreign page could
//!    ride on, so they are not asked for one.
//!
//! The caller found here is left in the request's extensions, so [`crate::routes::gate`] does
//! not look it up again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::{CSRF_HEADER, Via, identify, reject};
use crate::client::Scheme;
use crate::error::WebError;
use crate::state::AppState;

/// The largest urlencoded body read for its `csrf` field; the pages' biggest form (a board
/// block's settings) is a few kilobytes, and axum's own form limit is the same.
pub const FORM_CAP: usize = 2 * 1024 * 1024;

/// The layer (`from_fn_with_state`) over the whole app.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(request).await;
    }
    let config = state.config();
    let scheme = crate::client::Client::of(request.extensions()).scheme;
    let public = config.public_url.as_ref().map(|u| u.origin());
    let trusted = Trusted {
        origins: &config.trusted_origins,
        public,
    };
    if let Err(e) = same_origin(request.headers(), &trusted, scheme) {
        return reject(&request, e);
    }
    // An unknown bearer token or a store failure is answered by the route itself (401, or the
    // error page); a public route needs no caller.
    let Ok(Some(caller)) = identify(&state, request.headers()).await else {
        return next.run(request).await;
    };
    let mut request = match caller.via {
        Via::Token => request,
        Via::Session { .. } => {
            let (given, request) = match token_of(request).await {
                Ok(found) => found,
                Err((request, e)) => return reject(&request, e),
            };
            if let Err(e) = caller.check_csrf(&given) {
                return reject(&request, e);
            }
            request
        }
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Step 1: refuses a request the browser says came from another site.
/// An origin people reach the app at when it differs from the Host header the app sees (behind a
/// proxy that rewrites it): `https://dash.example.com` or `http://10.0.0.5:8080`, as a browser
/// sends it in `Origin` (a scheme, a host and maybe a port; no path, query or credentials).
pub fn parse_trusted_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("'{text}' is not an origin ({e}): write it as https://dash.example.com")
    })?;
    let plain = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !plain {
        return Err(format!(
            "'{text}' is not an origin: only a scheme, a host and a port, such as https://dash.example.com"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// The origins accepted whatever the Host header says.
struct Trusted<'a> {
    origins: &'a [String],
    public: Option<&'a str>,
}

impl Trusted<'_> {
    fn admits(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .map(String::as_str)
            .chain(self.public)
            .any(|t| t.eq_ignore_ascii_case(origin))
    }
}

fn same_origin(headers: &HeaderMap, trusted: &Trusted<'_>, scheme: Scheme) -> Result<(), WebError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| trusted.admits(o)) {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().unwrap_or("") {
            "same-origin" | "none" => Ok(()),
            other => Err(WebError::CrossOrigin(format!("Sec-Fetch-Site: {other}"))),
        };
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (origin_scheme, origin_host) = origin
        .split_once("://")
        .map_or(("", ""), |(s, rest)| (s, rest.trim_end_matches('/')));
    let scheme_matches = match scheme {
        Scheme::Https => origin_scheme.eq_ignore_ascii_case("https"),
        Scheme::Http => origin_scheme.eq_ignore_ascii_case("http"),
        Scheme::Unknown => true,
    };
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) && scheme_matches {
        Ok(())
    } else {
        let expected = match scheme {
            Scheme::Https => format!("https://{host}"),
            Scheme::Http => format!("http://{host}"),
            Scheme::Unknown => format!("the host {host}"),
        };
        Err(WebError::CrossOrigin(format!(
            "Origin {origin} is not {expected}"
        )))
    }
}

/// Step 2's token: the header, or the `csrf` field of an urlencoded body, which is read under
/// [`FORM_CAP`] and put back for the handler.
async fn token_of(request: Request) -> Result<(String, Request), (Request, WebError)> {
    if let Some(given) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return Ok((given.to_owned(), request));
    }
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((String::new(), request));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_CAP).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let request = Request::from_parts(parts, Body::empty());
            return Err((
                request,
                WebError::Invalid {
                    code: "form_too_large",
                    message: format!("the form could not be read (at most {FORM_CAP} bytes): {e}"),
                    field: None,
                },
            ));
        }
    };
    let given = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    Ok((given, Request::from_parts(parts, Body::from(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_trusted_origin_is_a_scheme_a_host_and_a_port_only() {
        assert_eq!(
            parse_trusted_origin("https://Dash.Example.com/").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(
            parse_trusted_origin("http://10.0.0.5:8080").unwrap(),
            "http://10.0.0.5:8080"
        );
        for bad in [
            "dash.example.com",
            "https://dash.example.com/app",
            "https://user:pw@dash.example.com",
            "ftp://dash.example.com",
            "https://dash.example.com/?a=1",
        ] {
            let e = parse_trusted_origin(bad).unwrap_err();
            assert!(
                e.contains(bad) && e.contains("https://dash.example.com"),
                "{e}"
            );
        }
    }

    const NONE: Trusted<'static> = Trusted {
        origins: &[],
        public: None,
    };

    #[test]
    fn same_origin_follows_the_browser_headers() {
        let none = &NONE;
        let same_origin = |h: &HeaderMap, t: &Trusted<'_>| same_origin(h, t, Scheme::Unknown);
        assert!(same_origin(&headers(&[]), none).is_ok());
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), none).is_ok());
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")]), none).is_ok());
        assert!(same_origin(&headers(&[("sec-fetch-site", "cross-site")]), none).is_err());
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-site")]), none).is_err());
        let ok = headers(&[("origin", "http://a.test:8080"), ("host", "a.test:8080")]);
        assert!(same_origin(&ok, none).is_ok());
        let foreign = headers(&[("origin", "https://evil.test"), ("host", "a.test:8080")]);
        assert!(same_origin(&foreign, none).is_err());
        let evil = ["https://evil.test".to_owned()];
        let listed = Trusted {
            origins: &evil,
            public: None,
        };
        assert!(same_origin(&foreign, &listed).is_ok());
        assert!(same_origin(&headers(&[("origin", "null"), ("host", "a.test")]), none).is_err());
    }

    #[test]
    fn a_scheme_said_by_a_trusted_proxy_must_be_the_origins() {
        let h = headers(&[("origin", "http://a.test"), ("host", "a.test")]);
        assert!(same_origin(&h, &NONE, Scheme::Https).is_err());
        assert!(same_origin(&h, &NONE, Scheme::Http).is_ok());
        assert!(same_origin(&h, &NONE, Scheme::Unknown).is_ok());
        let h = headers(&[("origin", "https://a.test"), ("host", "a.test")]);
        assert!(same_origin(&h, &NONE, Scheme::Https).is_ok());
    }

    #[test]
    fn the_public_urls_origin_is_accepted_whatever_the_host() {
        let h = headers(&[
            ("origin", "https://dash.example.com"),
            ("host", "10.0.0.5:8080"),
        ]);
        assert!(same_origin(&h, &NONE, Scheme::Unknown).is_err());
        let public = Trusted {
            origins: &[],
            public: Some("https://dash.example.com"),
        };
        assert!(same_origin(&h, &public, Scheme::Https).is_ok());
    }
}
