//! The web app's pages: server-rendered HTML (askama), forms that post back, and a redirect
//! after every change. What every screen shares is here (the navigation, rendering, the error
//! page, redirects with a one-time message); each feature's screens are in its folder under
//! `features/`, re-exported here under the names the crate has used.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};

pub(crate) type PageResult = Result<Response, PageError>;

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
    /// The signed-in reader's navigation, added by [`error_pages`]; `None` for anyone else.
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub title: &'static str,
    pub message: String,
}

/// What an error page said, kept on its response for [`error_pages`].
#[derive(Clone)]
pub(crate) struct ErrorShown {
    pub title: &'static str,
    pub message: String,
}

/// Draws an error page again with the navigation of whoever is signed in, so a wrong link or a
/// refusal leaves them one click from the rest of the app. Only error pages pay for asking who
/// the reader is a second time; an anonymous reader gets the page as it was.
pub(crate) async fn error_pages(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let mut response = next.run(request).await;
    let Some(shown) = response.extensions_mut().remove::<ErrorShown>() else {
        return response;
    };
    let Ok(Some(caller)) = crate::auth::identify(&state, &headers).await else {
        return response;
    };
    let page = ErrorPage {
        nav: nav(&caller),
        active: "",
        title: shown.title,
        message: shown.message,
    };
    let Ok(html) = page.render() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

/// Any address no page answers: the app's own "not found" page rather than a bare status.
pub(crate) async fn not_found(uri: axum::http::Uri) -> PageError {
    PageError(WebError::NotFound(format!(
        "there is no page at {}: check the address, or pick a page from the navigation",
        uri.path()
    )))
}
