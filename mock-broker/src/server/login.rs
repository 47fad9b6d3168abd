//! The desktop's endpoints: `/v1/login…`, `/v1/session…`, `/v1/logout`.

use super::{blocking, hashing, ApiError, ApiJson, AppState, JournalNote, NoFields, SessionToken};
use crate::broker::{token_hash, Broker, Subject};
use crate::rules::Timestamp;
use axum::extract::State;
use axum::{Extension, Json};
use portcullis_api::{
    DeviceRequest, Empty, LoggedOut, LoginCancelled, LoginRequest, LoginStep, PushWait,
    ResponseRequest, SessionInfo, SessionOpened, TicketRequest, WaitRequest,
};
use std::time::Duration;
use tokio::time::Instant;

/// A waiting desktop gets an answer at least this often, even if nothing moved.
const MAX_WAIT: Duration = Duration::from_secs(60);
const DEFAULT_WAIT: Duration = Duration::from_secs(25);

/// The password step (L1–L5): a session, a device choice (D6) or a second factor (D5).
#[utoipa::path(post, path = "/v1/login", tag = "login", request_body = LoginRequest,
    responses((status = 200, body = LoginStep)))]
pub(super) async fn password(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginStep>, ApiError> {
    who.user(&req.username);
    let step = hashing(&state, move |b| {
        b.login_password(
            &req.username,
            &req.password,
            req.device_id.as_deref(),
            req.channel,
        )
    })
    .await?;
    Ok(Json(step))
}

/// D6: the chosen device's second factor.
#[utoipa::path(post, path = "/v1/login/device", tag = "login", request_body = DeviceRequest,
    responses((status = 200, body = LoginStep)))]
pub(super) async fn device(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<Json<LoginStep>, ApiError> {
    let step = blocking(&state, move |b| {
        note_ticket(b, &who, &req.ticket);
        b.choose_device(&req.ticket, &req.device_id)
    })
    .await?;
    Ok(Json(step))
}

/// K3: the push is withdrawn; a challenge instead.
#[utoipa::path(post, path = "/v1/login/fallback", tag = "login", request_body = TicketRequest,
    responses((status = 200, body = LoginStep)))]
pub(super) async fn fallback(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Json<LoginStep>, ApiError> {
    let step = blocking(&state, move |b| {
        note_ticket(b, &who, &req.ticket);
        b.push_fallback(&req.ticket)
    })
    .await?;
    Ok(Json(step))
}

/// "Send again": a new push.
#[utoipa::path(post, path = "/v1/login/resend", tag = "login", request_body = TicketRequest,
    responses((status = 200, body = LoginStep)))]
pub(super) async fn resend(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Json<LoginStep>, ApiError> {
    let step = blocking(&state, move |b| {
        note_ticket(b, &who, &req.ticket);
        b.push_resend(&req.ticket)
    })
    .await?;
    Ok(Json(step))
}

/// K2: long-polls the push of a login. Answers as soon as the phone answers, when the
/// push expires, or after `timeout_ms` with `pending`. The desktop waits without a
/// thread and without polling: woken only by its own login's moves, the clock moving,
/// a reset (see `broker::Waiters`), or its push's expiry.
#[utoipa::path(post, path = "/v1/login/wait", tag = "login", request_body = WaitRequest,
    responses((status = 200, body = PushWait)))]
pub(super) async fn wait(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<WaitRequest>,
) -> Result<Json<PushWait>, ApiError> {
    let timeout = req
        .timeout_ms
        .map_or(DEFAULT_WAIT, Duration::from_millis)
        .min(MAX_WAIT);
    let deadline = Instant::now() + timeout;
    // Watch before the first look: an answer that lands in between is not missed.
    let mut watch = state.broker.waiters().watch(token_hash(&req.ticket));
    let ticket = req.ticket.clone();
    let mut standing = blocking(&state, move |b| {
        note_ticket(b, &who, &ticket);
        b.push_status(&ticket)
    })
    .await?;
    loop {
        let expires_at = match standing.expires_at {
            Some(at) if Instant::now() < deadline => at,
            Some(_) | None => return Ok(Json(standing.answer)),
        };
        let expiry = instant_of(expires_at, state.broker.now(), Instant::now());
        tokio::select! {
            () = watch.changed() => {}
            () = tokio::time::sleep_until(expiry) => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
        let ticket = req.ticket.clone();
        standing = blocking(&state, move |b| b.push_status(&ticket)).await?;
    }
}

/// The instant at which the broker's clock, reading `now` at the instant `then`, will
/// read `at`. The clock runs at real speed; when QA moves it, every waiter is woken
/// and computes this again.
fn instant_of(at: Timestamp, now: Timestamp, then: Instant) -> Instant {
    let left = u64::try_from(at.0.saturating_sub(now.0)).unwrap_or(0);
    // At least a millisecond: a push that is due is looked at again, not spun on.
    then + Duration::from_millis(left.max(1))
}

/// A challenge's response or the SMS code.
#[utoipa::path(post, path = "/v1/login/response", tag = "login", request_body = ResponseRequest,
    responses((status = 200, body = SessionOpened)))]
pub(super) async fn response(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<ResponseRequest>,
) -> Result<Json<SessionOpened>, ApiError> {
    let session = blocking(&state, move |b| {
        note_ticket(b, &who, &req.ticket);
        b.login_response(&req.ticket, &req.response)
    })
    .await?;
    Ok(Json(SessionOpened::Authenticated(session)))
}

/// The login ends here; a push still out is withdrawn.
#[utoipa::path(post, path = "/v1/login/cancel", tag = "login", request_body = TicketRequest,
    responses((status = 200, body = LoginCancelled)))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Json<LoginCancelled>, ApiError> {
    blocking(&state, move |b| {
        note_ticket(b, &who, &req.ticket);
        b.cancel_login(&req.ticket)
    })
    .await?;
    Ok(Json(LoginCancelled::Cancelled))
}

/// The session; reading it is not activity.
#[utoipa::path(get, path = "/v1/session", tag = "login",
    security(("session_token" = [])),
    responses((status = 200, body = SessionInfo)))]
pub(super) async fn session(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<SessionInfo>, ApiError> {
    let info = blocking(&state, move |b| b.session(&token)).await?;
    Ok(Json(info))
}

/// Issue 6: activity from the desktop; the idle limit counts again from now.
#[utoipa::path(post, path = "/v1/session/keepalive", tag = "login",
    security(("session_token" = [])), request_body = Empty,
    responses((status = 200, body = SessionInfo)))]
pub(super) async fn keepalive(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<SessionInfo>, ApiError> {
    let info = blocking(&state, move |b| b.keepalive(&token)).await?;
    Ok(Json(info))
}

#[utoipa::path(post, path = "/v1/logout", tag = "login",
    security(("session_token" = [])), request_body = Empty,
    responses((status = 200, body = LoggedOut)))]
pub(super) async fn logout(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<LoggedOut>, ApiError> {
    blocking(&state, move |b| b.logout(&token)).await?;
    Ok(Json(LoggedOut::LoggedOut))
}

/// The journal: the user whose login `ticket` is (read before the step, which may end
/// the login).
fn note_ticket(broker: &Broker, who: &JournalNote, ticket: &str) {
    who.set_user(broker.whose(&[Subject::Ticket(ticket.to_owned())]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue11_k6_the_expiry_timer_counts_from_the_simulated_clock() {
        let then = Instant::now();
        let now = Timestamp(1_000_000);
        assert_eq!(
            instant_of(Timestamp(1_180_000), now, then),
            then + Duration::from_secs(180),
            "a push due 180 s from the broker's now is due 180 s of real time from now"
        );
        assert_eq!(
            instant_of(Timestamp(999_000), now, then),
            then + Duration::from_millis(1),
            "a push already due (the clock was moved past it) is looked at at once"
        );
    }
}
