//! The QA endpoints under `/qa` (routed only with `--qa`).

use super::{blocking, ApiError, ApiJson, AppState};
use crate::rules::{Duration, Timestamp};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

pub(super) async fn clock(State(state): State<AppState>) -> Json<crate::broker::ClockInfo> {
    Json(state.broker.clock())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceRequest {
    seconds: i64,
}

pub(super) async fn clock_advance(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AdvanceRequest>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| {
        b.advance_clock(Duration::seconds(req.seconds))
    })
    .await?;
    Ok(Json(info).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetClockRequest {
    unix_seconds: i64,
}

pub(super) async fn clock_set(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SetClockRequest>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| {
        b.set_clock(Timestamp::from_unix_seconds(req.unix_seconds))
    })
    .await?;
    Ok(Json(info).into_response())
}

pub(super) async fn reset(State(state): State<AppState>) -> Result<Response, ApiError> {
    blocking(&state, |b| b.reset()).await?;
    Ok(Json(json!({ "status": "reset" })).into_response())
}

pub(super) async fn lockout(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| b.lockout(&username)).await?;
    Ok(Json(info).into_response())
}

pub(super) async fn unlock(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| b.unlock(&username, "client services (QA)")).await?;
    Ok(Json(info).into_response())
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_query",
        message: e.body_text(),
        extra: None,
        retry_after: None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    username: Option<String>,
    limit: Option<u32>,
}

pub(super) async fn audit(
    State(state): State<AppState>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(200).min(10_000);
    let events = blocking(&state, move |b| b.audit(q.username.as_deref(), limit)).await?;
    Ok(Json(json!({ "events": events })).into_response())
}

pub(super) async fn devices(State(state): State<AppState>) -> Result<Response, ApiError> {
    let devices = blocking(&state, |b| b.devices()).await?;
    Ok(Json(json!({ "devices": devices })).into_response())
}

pub(super) async fn provision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let provision = blocking(&state, move |b| b.provision(&id)).await?;
    Ok(Json(provision).into_response())
}

pub(super) async fn provision_phone(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let provision = blocking(&state, move |b| b.provision_phone(&id)).await?;
    Ok(Json(provision).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SmsQuery {
    number: Option<String>,
}

pub(super) async fn sms(
    State(state): State<AppState>,
    q: Result<Query<SmsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let messages = blocking(&state, move |b| b.sms(q.number.as_deref())).await?;
    Ok(Json(json!({ "messages": messages })).into_response())
}

pub(super) async fn faults(State(state): State<AppState>) -> Result<Response, ApiError> {
    let faults = blocking(&state, |b| b.faults()).await?;
    Ok(Json(json!({ "faults": faults })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultRequest {
    /// One device, or every device when absent.
    #[serde(default)]
    device_id: Option<String>,
    mode: String,
    #[serde(default)]
    delay_ms: u64,
}

pub(super) async fn set_fault(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<FaultRequest>,
) -> Result<Response, ApiError> {
    let faults = blocking(&state, move |b| {
        b.set_fault(req.device_id.as_deref(), &req.mode, req.delay_ms)
    })
    .await?;
    Ok(Json(json!({ "faults": faults })).into_response())
}

pub(super) async fn settings(State(state): State<AppState>) -> Result<Response, ApiError> {
    let settings = blocking(&state, |b| b.settings()).await?;
    Ok(Json(settings).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SettingsRequest {
    number_matching: bool,
}

pub(super) async fn set_settings(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SettingsRequest>,
) -> Result<Response, ApiError> {
    let settings = blocking(&state, move |b| b.set_number_matching(req.number_matching)).await?;
    Ok(Json(settings).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PushQuery {
    username: Option<String>,
}

pub(super) async fn pushes(
    State(state): State<AppState>,
    q: Result<Query<PushQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let pushes = blocking(&state, move |b| b.pushes(q.username.as_deref())).await?;
    Ok(Json(json!({ "pushes": pushes })).into_response())
}
