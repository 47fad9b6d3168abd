//! The desktop's endpoints: `/v1/login…`, `/v1/session…`, `/v1/logout`.

use super::{bearer, blocking, ApiError, ApiJson, AppState};
use crate::broker::PushWait;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

/// A waiting desktop gets an answer at least this often, even if nothing moved.
const MAX_WAIT: Duration = Duration::from_secs(60);
const DEFAULT_WAIT: Duration = Duration::from_secs(25);
/// Expiry is a matter of time passing, which no event announces: look this often.
const EXPIRY_CHECK: Duration = Duration::from_millis(500);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    username: String,
    password: String,
    /// D6: skip the device choice.
    #[serde(default)]
    device_id: Option<String>,
}

pub(super) async fn password(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let step = blocking(&state, move |b| {
        b.login_password(&req.username, &req.password, req.device_id.as_deref())
    })
    .await?;
    Ok(Json(step).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TicketRequest {
    ticket: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceRequest {
    ticket: String,
    device_id: String,
}

/// D6.
pub(super) async fn device(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<Response, ApiError> {
    let step = blocking(&state, move |b| {
        b.choose_device(&req.ticket, &req.device_id)
    })
    .await?;
    Ok(Json(step).into_response())
}

/// K3.
pub(super) async fn fallback(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Response, ApiError> {
    let step = blocking(&state, move |b| b.push_fallback(&req.ticket)).await?;
    Ok(Json(step).into_response())
}

/// "Send again".
pub(super) async fn resend(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Response, ApiError> {
    let step = blocking(&state, move |b| b.push_resend(&req.ticket)).await?;
    Ok(Json(step).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WaitRequest {
    ticket: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

/// K2: long-polls the push of a login. Answers as soon as the phone answers (an event
/// wakes it), when the push expires, or after `timeout_ms` with `pending`.
pub(super) async fn wait(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<WaitRequest>,
) -> Result<Response, ApiError> {
    let mut changes = state.broker.subscribe();
    let timeout = req
        .timeout_ms
        .map_or(DEFAULT_WAIT, Duration::from_millis)
        .min(MAX_WAIT);
    let deadline = Instant::now() + timeout;
    loop {
        let ticket = req.ticket.clone();
        let status = blocking(&state, move |b| b.push_status(&ticket)).await?;
        match status {
            PushWait::Pending { .. } if Instant::now() < deadline => {}
            PushWait::Pending { .. } | PushWait::Authenticated(_) => {
                return Ok(Json(status).into_response())
            }
        }
        tokio::select! {
            _ = changes.recv() => {}
            _ = tokio::time::sleep(EXPIRY_CHECK) => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResponseRequest {
    ticket: String,
    response: String,
}

pub(super) async fn response(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResponseRequest>,
) -> Result<Response, ApiError> {
    let session = blocking(&state, move |b| {
        b.login_response(&req.ticket, &req.response)
    })
    .await?;
    Ok(Json(
        json!({ "status": "authenticated", "token": session.token, "session": session.session }),
    )
    .into_response())
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Response, ApiError> {
    blocking(&state, move |b| b.cancel_login(&req.ticket)).await?;
    Ok(Json(json!({ "status": "cancelled" })).into_response())
}

pub(super) async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let info = blocking(&state, move |b| b.session(&token)).await?;
    Ok(Json(info).into_response())
}

/// Issue 6: activity from the desktop; the idle limit counts again from now.
pub(super) async fn keepalive(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let info = blocking(&state, move |b| b.keepalive(&token)).await?;
    Ok(Json(info).into_response())
}

pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    blocking(&state, move |b| b.logout(&token)).await?;
    Ok(Json(json!({ "status": "logged_out" })).into_response())
}
