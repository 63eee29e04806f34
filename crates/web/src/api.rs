//! The REST API under `/api/v1`: JSON in and out, bearer tokens or the session (with its CSRF
//! token in `X-CSRF-Token` for changes), errors as `{error: {code, message, field?}}`.
//! Connections are returned without their secret, always.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ApiError, WebError};

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

/// A resource made by the request: 201 with `body`.
pub(crate) fn created(body: serde_json::Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Unknown paths under `/api/v1` answer JSON too.
pub async fn not_found() -> ApiError {
    ApiError(WebError::NotFound(
        "no such API route: see /api/v1/openapi.json".to_owned(),
    ))
}

/// Errors axum answers by itself (a path segment that is not a number, a method the route
/// does not take) come as plain text; the API answers every error in its JSON shape.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned()
    } else {
        text
    };
    let mut out = (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        out.headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    out
}
