//! Twilio error bodies: `{code, message, more_info, status}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: u32,
    pub message: String,
    /// Present on 401s, as Twilio sends it.
    pub detail: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
            retry_after: None,
        }
    }

    pub fn not_found(resource: &str) -> ApiError {
        ApiError::new(
            404,
            20404,
            format!("The requested resource {resource} was not found"),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, 20001, message)
    }

    pub fn bad_token() -> ApiError {
        ApiError::new(
            400,
            21481,
            "Invalid PageToken: be sure you are requesting the provided paging urls",
        )
    }

    pub fn unauthenticated() -> ApiError {
        ApiError {
            detail: Some(String::new()),
            ..ApiError::new(401, 20003, "Authenticate")
        }
    }

    pub fn no_credentials() -> ApiError {
        ApiError {
            detail: Some("Your AccountSid or AuthToken was incorrect.".into()),
            ..ApiError::new(401, 20003, "Authentication Error - No credentials provided")
        }
    }

    pub fn too_many(retry_after: Option<u64>) -> ApiError {
        ApiError {
            retry_after,
            ..ApiError::new(429, 20429, "Too Many Requests")
        }
    }

    pub fn body(&self) -> Vec<u8> {
        let mut v = serde_json::Map::new();
        v.insert("code".into(), self.code.into());
        if let Some(d) = &self.detail {
            v.insert("detail".into(), d.clone().into());
        }
        v.insert("message".into(), self.message.clone().into());
        v.insert(
            "more_info".into(),
            format!("https://www.twilio.com/docs/errors/{}", self.code).into(),
        );
        v.insert("status".into(), self.status.into());
        serde_json::to_vec(&v).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, self.body()).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == 401 {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Twilio API\""),
            );
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
