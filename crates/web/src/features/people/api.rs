//! People and access on the JSON API: who am I, my password and tokens, and (Admins) users.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::api::ApiResult;
use crate::auth::Caller;
use crate::error::{JsonBody, WebError};
use crate::state::AppState;

use super::{OwnPasswordIn, PasswordIn, TokenIn, UserIn};

pub async fn me(caller: Caller) -> ApiResult {
    Ok(Json(&caller.user).into_response())
}

pub async fn users(State(state): State<AppState>, _caller: Caller) -> ApiResult {
    let users = state.accounts().list_users().await?;
    Ok(Json(json!({ "users": users })).into_response())
}

pub async fn user_create(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody<UserIn>,
) -> ApiResult {
    let user = super::add_user(&state, &body.name, &body.role, &body.password).await?;
    crate::api::created(json!({ "user": user }))
}

#[derive(Deserialize)]
pub struct UserPatch {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
}

pub async fn user_update(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<UserPatch>,
) -> ApiResult {
    if body.role.is_none() && body.disabled.is_none() {
        return Err(WebError::Invalid {
            code: "invalid",
            message: "send the role to give, whether the person is disabled, or both".to_owned(),
            field: None,
        }
        .into());
    }
    let mut user = None;
    if let Some(role) = &body.role {
        user = Some(super::set_role(&state, id, role).await?);
    }
    if let Some(disabled) = body.disabled {
        user = Some(state.app().set_user_disabled(id, disabled).await?);
    }
    Ok(Json(json!({ "user": user })).into_response())
}

pub async fn user_delete(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    state.app().delete_user(id).await?;
    Ok(Json(json!({ "deleted": id })).into_response())
}

pub async fn user_password(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<PasswordIn>,
) -> ApiResult {
    state.app().reset_password(id, &body.password).await?;
    Ok(Json(json!({ "user_id": id, "sessions_ended": true })).into_response())
}

pub async fn user_revoke(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let r = state.app().revoke_access(id).await?;
    Ok(Json(json!({ "sessions": r.sessions, "tokens": r.tokens })).into_response())
}

pub async fn me_password(
    State(state): State<AppState>,
    caller: Caller,
    client: crate::throttle::ClientAddr,
    JsonBody(body): JsonBody<OwnPasswordIn>,
) -> ApiResult {
    super::change_own_password(
        &state,
        &caller.user,
        &client,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(Json(json!({ "user_id": caller.user.id, "sessions_ended": true })).into_response())
}

pub async fn tokens(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let list = state.accounts().list_tokens(caller.user.id).await?;
    Ok(Json(json!({ "tokens": list })).into_response())
}

pub async fn token_create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<TokenIn>,
) -> ApiResult {
    let (token, info) = super::create_token(&state, caller.user.id, &body.name).await?;
    crate::api::created(json!({ "token": token, "info": info }))
}

pub async fn token_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    state.app().delete_own_token(caller.user.id, id).await?;
    Ok(Json(json!({ "deleted": id })).into_response())
}
