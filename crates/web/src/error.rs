//! Errors at the edge: one [`WebError`], shown as JSON `{error: {code, message, field?}}` on the
//! API ([`ApiError`]) and as a page on the web app ([`PageError`]).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use crate::accounts::Role;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign in first: this needs a session or an API token")]
    Unauthenticated,
    #[error("your role cannot do this: it needs the {} role", .0.label())]
    Forbidden(Role),
    #[error(
        "the form is out of date or did not come from Switchboard (CSRF token missing or wrong): reload the page and try again"
    )]
    Csrf,
    /// A change the browser says came from another site.
    #[error("refused a change sent from another site ({0})")]
    CrossOrigin(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed sign-ins: try again in {0} seconds")]
    Throttled(u64),
    /// Heavy work refused because as much is already under way (see [`crate::heavy`]).
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        WebError::Invalid {
            code: "invalid",
            message: message.into(),
            field: Some(field),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Unauthenticated => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) | WebError::Csrf | WebError::CrossOrigin(_) => {
                StatusCode::FORBIDDEN
            }
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::Unauthenticated => "unauthenticated",
            WebError::Forbidden(_) => "forbidden",
            WebError::Csrf => "csrf",
            WebError::CrossOrigin(_) => "cross_origin",
            WebError::NotFound(_) => "not_found",
            WebError::Invalid { code, .. } => code,
            WebError::Conflict(_) => "conflict",
            WebError::Throttled(_) => "throttled",
            WebError::Busy(_) => "busy",
            WebError::Internal(_) => "internal",
        }
    }

    fn user_message(&self) -> String {
        match self {
            // The details of an internal failure go to the log, not to the client.
            WebError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "something went wrong on the server; the log has the details".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::NotFound { .. } => WebError::NotFound(e.to_string()),
            store::StoreError::Duplicate { .. } => WebError::Conflict(e.to_string()),
            // The store runs without its master key: the message says how to get it back.
            store::StoreError::SecretUnavailable(_) => WebError::Conflict(e.to_string()),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<crate::accounts::AccountsError> for WebError {
    fn from(e: crate::accounts::AccountsError) -> Self {
        use crate::accounts::AccountsError as E;
        match e {
            E::NameTaken(_) => WebError::Conflict(e.to_string()),
            E::BadName(_) => WebError::invalid("name", e.to_string()),
            E::NoUser(_) => WebError::NotFound(e.to_string()),
            E::LastAdmin(_) => WebError::Conflict(e.to_string()),
            E::Storage(_) => WebError::Internal(e.to_string()),
        }
    }
}

/// A name a handler parsed before calling an operation is refused as the operation would refuse
/// it.
impl From<app::NameError> for WebError {
    fn from(e: app::NameError) -> Self {
        app::AppError::from(e).into()
    }
}

/// The operations' answers, with the statuses and words the web gave before they moved to
/// `app`.
impl From<app::AppError> for WebError {
    fn from(e: app::AppError) -> Self {
        use app::AppError as E;
        match e {
            E::Invalid { field, message } => WebError::Invalid {
                code: "invalid",
                message,
                field: Some(field),
            },
            E::NotFound(what) => WebError::NotFound(what),
            E::Conflict(what) => WebError::Conflict(what),
            E::Forbidden(role) => WebError::Forbidden(role),
            E::Refused { field, message } => WebError::Invalid {
                code: "connection_refused",
                message,
                field: Some(field),
            },
            E::Busy(what) => WebError::Busy(what),
            E::Store(e) => e.into(),
            E::Accounts(e) => e.into(),
            E::Internal(detail) => WebError::Internal(detail),
        }
    }
}

/// A [`WebError`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut body = json!({"code": e.code(), "message": e.user_message()});
        if let WebError::Invalid {
            field: Some(field), ..
        } = &e
        {
            body["field"] = json!(field);
        }
        let mut response = (e.status(), Json(json!({ "error": body }))).into_response();
        retry_after(&e, &mut response);
        response
    }
}

/// A [`WebError`] answered as a page; an anonymous visitor is sent to the sign-in page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if matches!(e, WebError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let page = crate::pages::ErrorPage {
            frame: crate::pages::PageFrame::anonymous("", String::new()),
            title: title_of(&e),
            message: e.user_message(),
        };
        let html = askama::Template::render(&page).unwrap_or_else(|_| "<h1>Error</h1>".to_owned());
        let mut response = (e.status(), Html(html)).into_response();
        retry_after(&e, &mut response);
        // The handler that failed may not know who is asking (a 404 has no handler at all), so
        // `pages::error_pages` draws the page again with the reader's navigation.
        response.extensions_mut().insert(crate::pages::ErrorShown {
            title: page.title,
            message: page.message,
        });
        response
    }
}

/// When a throttled or busy client may try again.
fn retry_after(e: &WebError, response: &mut Response) {
    let secs = match e {
        WebError::Throttled(secs) => *secs,
        WebError::Busy(_) => 5,
        _ => return,
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn title_of(e: &WebError) -> &'static str {
    match e {
        WebError::Unauthenticated => "Sign in first",
        WebError::Forbidden(_) => "Not allowed",
        WebError::Csrf => "Form expired",
        WebError::CrossOrigin(_) => "Sent from another site",
        WebError::NotFound(_) => "Not found",
        WebError::Invalid { .. } => "Check the form",
        WebError::Conflict(_) => "Already exists",
        WebError::Throttled(_) => "Too many attempts",
        WebError::Busy(_) => "Busy",
        WebError::Internal(_) => "Something went wrong",
    }
}

/// A JSON request body whose rejection (bad JSON, wrong content type) is answered in the API's
/// error shape rather than axum's plain text.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError(WebError::Invalid {
                code: "bad_request_body",
                message: format!(
                    "the request body is not the JSON this route takes: {}",
                    rejection.body_text()
                ),
                field: None,
            })),
        }
    }
}
