//! The web app's pages: server-rendered HTML (askama), forms that post back, and a redirect
//! after every change. What every screen shares is here (the navigation, rendering, the error
//! page, redirects with a one-time message); each feature's screens are in its folder under
//! `features/`, re-exported here under the names the crate has used.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};
use crate::state::AppState;

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

/// What every page draws around its content the same way: the navigation (with the section
/// `active` marked), the form token, whether the reader may change things, and the message the
/// last action left. One rule for each, so no screen shows an Editor's button to a Viewer that
/// another screen hides.
pub struct PageFrame {
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub csrf: String,
    pub can_edit: bool,
    pub flash: Option<String>,
    /// The flash's CSS kind: `good`, `bad`, or empty with no flash.
    pub flash_kind: &'static str,
}

impl PageFrame {
    /// A signed-in reader's page in section `active`.
    pub(crate) fn of(caller: &Caller, active: &'static str) -> PageFrame {
        PageFrame {
            nav: nav(caller),
            active,
            csrf: caller.csrf().to_owned(),
            can_edit: caller.user.role >= Role::Editor,
            flash: None,
            flash_kind: "",
        }
    }

    /// A page for someone not signed in (sign-in, setup, an error, a share link): no navigation
    /// and nothing to change; `csrf` is what its forms post, if it has any.
    pub(crate) fn anonymous(active: &'static str, csrf: String) -> PageFrame {
        PageFrame {
            nav: None,
            active,
            csrf,
            can_edit: false,
            flash: None,
            flash_kind: "",
        }
    }

    /// With the message the last action left.
    pub(crate) fn flash(self, flash: crate::flash::Flash) -> PageFrame {
        self.message(flash.split())
    }

    /// With a message and its kind, as [`crate::flash::Flash::split`] gives them.
    pub(crate) fn message(mut self, (flash, kind): (Option<String>, &'static str)) -> PageFrame {
        self.flash = flash;
        self.flash_kind = kind;
        self
    }
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

/// The choices of a form's select (watch screens, block editor): every metric, goal or channel
/// by id and name.
#[derive(Clone, Copy)]
pub(crate) enum Choice {
    Metrics,
    Goals,
    Channels,
}

pub(crate) async fn choices(
    state: &AppState,
    what: Choice,
) -> Result<Vec<(i64, String)>, WebError> {
    let s = state.store();
    Ok(match what {
        Choice::Metrics => store::Store::list_metrics(s.as_ref())
            .await?
            .into_iter()
            .map(|m| (m.id.0, m.name))
            .collect(),
        Choice::Goals => store::WatchStore::list_goals(s.as_ref())
            .await?
            .into_iter()
            .map(|g| (g.id.0, g.name))
            .collect(),
        Choice::Channels => store::WatchStore::list_channels(s.as_ref())
            .await?
            .into_iter()
            .map(|c| (c.id.0, c.name))
            .collect(),
    })
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
    pub frame: PageFrame,
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
        frame: PageFrame::of(&caller, ""),
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
