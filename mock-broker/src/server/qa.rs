//! The QA endpoints under `/qa` (routed, and documented, only with `--qa`).

use super::{blocking, ApiError, ApiJson, ApiPath, AppState, JournalFilter, NoFields};
use crate::rules::{Duration, Timestamp};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::Json;
use portcullis_api::{
    AdvanceRequest, AuditLog, AuditQuery, ClockInfo, DeviceInfo, DeviceList, DeviceProvision,
    Empty, ErrorCode, FaultInfo, FaultList, FaultRequest, JournalPage, JournalQuery, LockoutInfo,
    PhoneProvision, PushList, PushQuery, ResetDone, SetClockRequest, SettingsInfo, SettingsRequest,
    SmsMessage, SmsOutbox, SmsQuery, TemporaryPasscodeIssued,
};

#[utoipa::path(get, path = "/qa/clock", tag = "qa", security(("qa_token" = [])),
    responses((status = 200, body = ClockInfo)))]
pub(super) async fn clock(State(state): State<AppState>) -> Json<ClockInfo> {
    Json(state.broker.clock())
}

/// Moves the simulated clock forward (never back).
#[utoipa::path(post, path = "/qa/clock/advance", tag = "qa", security(("qa_token" = [])),
    request_body = AdvanceRequest, responses((status = 200, body = ClockInfo)))]
pub(super) async fn clock_advance(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AdvanceRequest>,
) -> Result<Json<ClockInfo>, ApiError> {
    let info = blocking(&state, move |b| {
        b.advance_clock(Duration::seconds(req.seconds))
    })
    .await?;
    Ok(Json(info))
}

#[utoipa::path(post, path = "/qa/clock/set", tag = "qa", security(("qa_token" = [])),
    request_body = SetClockRequest, responses((status = 200, body = ClockInfo)))]
pub(super) async fn clock_set(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SetClockRequest>,
) -> Result<Json<ClockInfo>, ApiError> {
    let info = blocking(&state, move |b| {
        b.set_clock(Timestamp::from_unix_seconds(req.unix_seconds))
    })
    .await?;
    Ok(Json(info))
}

/// Back to the scenario: users, devices, no locks or sessions, the clock at real time.
#[utoipa::path(post, path = "/qa/reset", tag = "qa", security(("qa_token" = [])),
    request_body = Empty, responses((status = 200, body = ResetDone)))]
pub(super) async fn reset(
    State(state): State<AppState>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<ResetDone>, ApiError> {
    blocking(&state, |b| b.reset()).await?;
    // The journal starts again too (but for this request, recorded as it leaves), and
    // the broker's own faults are lifted: nothing held, delayed or failed.
    state.journal.clear();
    state.faults.clear();
    Ok(Json(ResetDone::Reset))
}

#[utoipa::path(get, path = "/qa/users/{username}/lockout", tag = "qa",
    security(("qa_token" = [])), params(("username" = String, Path)),
    responses((status = 200, body = LockoutInfo)))]
pub(super) async fn lockout(
    State(state): State<AppState>,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<LockoutInfo>, ApiError> {
    let info = blocking(&state, move |b| b.lockout(&username)).await?;
    Ok(Json(info))
}

/// L5: Client Services lifts the lock (audited).
#[utoipa::path(post, path = "/qa/users/{username}/unlock", tag = "qa",
    security(("qa_token" = [])), params(("username" = String, Path)), request_body = Empty,
    responses((status = 200, body = LockoutInfo)))]
pub(super) async fn unlock(
    State(state): State<AppState>,
    ApiPath(username): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<LockoutInfo>, ApiError> {
    let info = blocking(&state, move |b| b.unlock(&username, "client services (QA)")).await?;
    Ok(Json(info))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))
}

#[utoipa::path(get, path = "/qa/audit", tag = "qa", security(("qa_token" = [])),
    params(AuditQuery), responses((status = 200, body = AuditLog)))]
pub(super) async fn audit(
    State(state): State<AppState>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditLog>, ApiError> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(200).min(10_000);
    let events = blocking(&state, move |b| b.audit(q.username.as_deref(), limit)).await?;
    Ok(Json(AuditLog { events }))
}

/// Every request the broker answered ("verify what happened"), oldest first. A filter
/// value that does not fit is `invalid_field`; an unknown filter `invalid_query`.
#[utoipa::path(get, path = "/qa/journal", tag = "qa", security(("qa_token" = [])),
    params(JournalQuery), responses((status = 200, body = JournalPage)))]
pub(super) async fn journal(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<JournalPage>, ApiError> {
    let filter = JournalFilter::parse(query.as_deref())?;
    Ok(Json(state.journal.read(&filter)))
}

#[utoipa::path(get, path = "/qa/devices", tag = "qa", security(("qa_token" = [])),
    responses((status = 200, body = DeviceList)))]
pub(super) async fn devices(State(state): State<AppState>) -> Result<Json<DeviceList>, ApiError> {
    let devices = blocking(&state, |b| b.devices()).await?;
    Ok(Json(DeviceList { devices }))
}

/// A card simulator's key (audited, the key not logged).
#[utoipa::path(post, path = "/qa/devices/{id}/provision", tag = "qa",
    security(("qa_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = DeviceProvision)))]
pub(super) async fn provision(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<DeviceProvision>, ApiError> {
    let provision = blocking(&state, move |b| b.provision(&id)).await?;
    Ok(Json(provision))
}

/// A fresh phone token and the keys of its users; the old token stops at once.
#[utoipa::path(post, path = "/qa/phones/{id}/provision", tag = "qa",
    security(("qa_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = PhoneProvision)))]
pub(super) async fn provision_phone(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<PhoneProvision>, ApiError> {
    let provision = blocking(&state, move |b| b.provision_phone(&id)).await?;
    Ok(Json(provision))
}

/// The simulated SMS outbox.
#[utoipa::path(get, path = "/qa/sms", tag = "qa", security(("qa_token" = [])),
    params(SmsQuery), responses((status = 200, body = SmsOutbox)))]
pub(super) async fn sms(
    State(state): State<AppState>,
    q: Result<Query<SmsQuery>, QueryRejection>,
) -> Result<Json<SmsOutbox>, ApiError> {
    let q = query(q)?;
    let messages = blocking(&state, move |b| b.sms(q.number.as_deref())).await?;
    Ok(Json(SmsOutbox {
        messages: messages
            .into_iter()
            .map(|m| SmsMessage {
                id: m.id,
                at: m.at,
                number: m.number,
                body: m.body,
            })
            .collect(),
    }))
}

fn fault_list(faults: Vec<crate::store::ibkey::Fault>) -> FaultList {
    FaultList {
        faults: faults
            .into_iter()
            .map(|f| FaultInfo {
                target: f.target,
                mode: f.mode.as_str().into(),
                delay_ms: f.delay_ms,
            })
            .collect(),
    }
}

/// K4: the faults in force.
#[utoipa::path(get, path = "/qa/faults", tag = "qa", security(("qa_token" = [])),
    responses((status = 200, body = FaultList)))]
pub(super) async fn faults(State(state): State<AppState>) -> Result<Json<FaultList>, ApiError> {
    let faults = blocking(&state, |b| b.faults()).await?;
    Ok(Json(fault_list(faults)))
}

/// K4: `drop` loses the push; `delay` sends it late; `offline` holds it until lifted.
#[utoipa::path(post, path = "/qa/faults", tag = "qa", security(("qa_token" = [])),
    request_body = FaultRequest, responses((status = 200, body = FaultList)))]
pub(super) async fn set_fault(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<FaultRequest>,
) -> Result<Json<FaultList>, ApiError> {
    let faults = blocking(&state, move |b| {
        b.set_fault(req.device_id.as_deref(), &req.mode, req.delay_ms)
    })
    .await?;
    Ok(Json(fault_list(faults)))
}

#[utoipa::path(get, path = "/qa/settings", tag = "qa", security(("qa_token" = [])),
    responses((status = 200, body = SettingsInfo)))]
pub(super) async fn settings(
    State(state): State<AppState>,
) -> Result<Json<SettingsInfo>, ApiError> {
    let settings = blocking(&state, |b| b.settings()).await?;
    Ok(Json(settings))
}

/// Number matching on or off.
#[utoipa::path(post, path = "/qa/settings", tag = "qa", security(("qa_token" = [])),
    request_body = SettingsRequest, responses((status = 200, body = SettingsInfo)))]
pub(super) async fn set_settings(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SettingsRequest>,
) -> Result<Json<SettingsInfo>, ApiError> {
    let settings = blocking(&state, move |b| b.set_number_matching(req.number_matching)).await?;
    Ok(Json(settings))
}

/// Every push and its state at the broker's now.
#[utoipa::path(get, path = "/qa/pushes", tag = "qa", security(("qa_token" = [])),
    params(PushQuery), responses((status = 200, body = PushList)))]
pub(super) async fn pushes(
    State(state): State<AppState>,
    q: Result<Query<PushQuery>, QueryRejection>,
) -> Result<Json<PushList>, ApiError> {
    let q = query(q)?;
    let pushes = blocking(&state, move |b| b.pushes(q.username.as_deref())).await?;
    Ok(Json(PushList { pushes }))
}

/// T1: Client Services issues a temporary passcode (audited; shown this once). 409
/// `consecutive_passcode` until a permanent device is reactivated.
#[utoipa::path(post, path = "/qa/users/{username}/temporary-passcode", tag = "qa",
    security(("qa_token" = [])), params(("username" = String, Path)), request_body = Empty,
    responses((status = 200, body = TemporaryPasscodeIssued)))]
pub(super) async fn temporary_passcode(
    State(state): State<AppState>,
    ApiPath(username): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<TemporaryPasscodeIssued>, ApiError> {
    let issued = blocking(&state, move |b| {
        b.issue_temporary_passcode(&username, "client services (QA)")
    })
    .await?;
    Ok(Json(issued))
}

/// Case 10: a shipped replacement activated, or a kept device reactivated, by hand
/// (audited). T4: the temporary passcode and the online card stop at once.
#[utoipa::path(post, path = "/qa/devices/{id}/activate", tag = "qa",
    security(("qa_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = DeviceInfo)))]
pub(super) async fn activate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<DeviceInfo>, ApiError> {
    let device = blocking(&state, move |b| {
        b.activate_device(&id, "client services (QA)")
    })
    .await?;
    Ok(Json(device))
}
