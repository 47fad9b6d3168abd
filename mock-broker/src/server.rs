//! The broker's HTTP face (axum). Handlers translate JSON to a `Broker` call on a
//! blocking task and back; every error leaves through `ApiError`, which picks the
//! status for each code in one place (`status_of`). Malformed requests get a 4xx with
//! a code before any handler runs, and change nothing.

use crate::broker::Broker;
use crate::error::BrokerError;
use crate::rules::{Duration, Timestamp};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Requests are small; anything larger is refused with `body_too_large`.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub broker: Arc<Broker>,
    /// QA controls answer only when the broker was started with `--qa`.
    pub qa: bool,
}

/// The router, testable without a socket.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/v1/login", post(login_password))
        .route("/v1/login/response", post(login_response))
        .route("/v1/login/cancel", post(login_cancel))
        .route("/v1/session", get(session))
        .route("/v1/logout", post(logout));
    if state.qa {
        router = router
            .route("/qa/clock", get(qa_clock))
            .route("/qa/clock/advance", post(qa_clock_advance))
            .route("/qa/clock/set", post(qa_clock_set))
            .route("/qa/reset", post(qa_reset))
            .route("/qa/users/{username}/lockout", get(qa_lockout))
            .route("/qa/users/{username}/unlock", post(qa_unlock))
            .route("/qa/audit", get(qa_audit))
            .route("/qa/devices", get(qa_devices))
            .route("/qa/devices/{id}/provision", post(qa_provision));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves until `shutdown` resolves, on a listener the caller bound (port 0 in tests).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

// ---- errors -----------------------------------------------------------------------

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Option<serde_json::Value>,
}

fn status_of(err: &BrokerError) -> StatusCode {
    match err {
        BrokerError::MissingField(_) | BrokerError::BadRequest(_) | BrokerError::BadCharacter => {
            StatusCode::BAD_REQUEST
        }
        BrokerError::InvalidCredentials
        | BrokerError::LoginFailed
        | BrokerError::InvalidSession => StatusCode::UNAUTHORIZED,
        BrokerError::Locked { .. } => StatusCode::LOCKED,
        BrokerError::ChallengeExpired => StatusCode::GONE,
        BrokerError::NoPendingLogin => StatusCode::CONFLICT,
        BrokerError::NotFound(_) => StatusCode::NOT_FOUND,
        BrokerError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<BrokerError> for ApiError {
    fn from(err: BrokerError) -> Self {
        if let BrokerError::Store(cause) = &err {
            // The cause goes to the log; the client gets the code and a plain message.
            tracing::error!(%cause, "store failure");
        }
        let extra = match &err {
            BrokerError::Locked { until } => Some(json!({ "locked_until": until.rfc3339() })),
            BrokerError::LoginFailed => Some(json!({ "hints": [
                "Temporary passcodes are upper case and case-sensitive.",
                "Security card and device responses have no spaces between characters.",
            ] })),
            BrokerError::MissingField(_)
            | BrokerError::BadRequest(_)
            | BrokerError::BadCharacter
            | BrokerError::InvalidCredentials
            | BrokerError::ChallengeExpired
            | BrokerError::NoPendingLogin
            | BrokerError::InvalidSession
            | BrokerError::NotFound(_)
            | BrokerError::Store(_) => None,
        };
        ApiError {
            status: status_of(&err),
            code: err.code(),
            message: err.message(),
            extra,
        }
    }
}

impl From<JsonRejection> for ApiError {
    // axum's rejection enum is non-exhaustive: a wildcard is the only way to cover it.
    #[allow(clippy::wildcard_enum_match_arm)]
    fn from(rejection: JsonRejection) -> Self {
        let code = match &rejection {
            JsonRejection::JsonDataError(_) => "invalid_field",
            JsonRejection::JsonSyntaxError(_) => "invalid_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                "body_too_large"
            }
            _ => "bad_request",
        };
        ApiError {
            status: rejection.status(),
            code,
            message: rejection.body_text(),
            extra: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let (Some(serde_json::Value::Object(extra)), Some(obj)) =
            (self.extra, body.as_object_mut())
        {
            obj.extend(extra);
        }
        (self.status, Json(body)).into_response()
    }
}

/// `Json<T>` whose rejections are `ApiError`s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "No such endpoint.".into(),
        extra: None,
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: "Method not allowed.".into(),
        extra: None,
    }
}

/// Runs a broker call on a blocking task (Argon2 and SQLite block).
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Broker) -> Result<T, BrokerError> + Send + 'static,
) -> Result<T, ApiError> {
    let broker = state.broker.clone();
    tokio::task::spawn_blocking(move || f(&broker))
        .await
        .map_err(|e| {
            tracing::error!(cause = %e, "broker task failed");
            ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "internal",
                message: "The broker could not complete the request.".into(),
                extra: None,
            }
        })?
        .map_err(ApiError::from)
}

fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| BrokerError::InvalidSession.into())
}

// ---- login ------------------------------------------------------------------------

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
}

async fn login_password(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let step = blocking(&state, move |b| {
        b.login_password(&req.username, &req.password)
    })
    .await?;
    Ok(Json(step).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseRequest {
    ticket: String,
    response: String,
}

async fn login_response(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketRequest {
    ticket: String,
}

async fn login_cancel(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<Response, ApiError> {
    blocking(&state, move |b| b.cancel_login(&req.ticket)).await?;
    Ok(Json(json!({ "status": "cancelled" })).into_response())
}

async fn session(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let info = blocking(&state, move |b| b.session(&token)).await?;
    Ok(Json(info).into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    blocking(&state, move |b| b.logout(&token)).await?;
    Ok(Json(json!({ "status": "logged_out" })).into_response())
}

// ---- QA ---------------------------------------------------------------------------

async fn qa_clock(State(state): State<AppState>) -> Json<crate::broker::ClockInfo> {
    Json(state.broker.clock())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    seconds: i64,
}

async fn qa_clock_advance(
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
struct SetClockRequest {
    unix_seconds: i64,
}

async fn qa_clock_set(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SetClockRequest>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| {
        b.set_clock(Timestamp::from_unix_seconds(req.unix_seconds))
    })
    .await?;
    Ok(Json(info).into_response())
}

async fn qa_reset(State(state): State<AppState>) -> Result<Response, ApiError> {
    blocking(&state, |b| b.reset()).await?;
    Ok(Json(json!({ "status": "reset" })).into_response())
}

async fn qa_lockout(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| b.lockout(&username)).await?;
    Ok(Json(info).into_response())
}

async fn qa_unlock(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let info = blocking(&state, move |b| b.unlock(&username, "client services (QA)")).await?;
    Ok(Json(info).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    username: Option<String>,
    limit: Option<u32>,
}

async fn qa_audit(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_query",
        message: e.body_text(),
        extra: None,
    })?;
    let limit = q.limit.unwrap_or(200).min(10_000);
    let events = blocking(&state, move |b| b.audit(q.username.as_deref(), limit)).await?;
    Ok(Json(json!({ "events": events })).into_response())
}

async fn qa_devices(State(state): State<AppState>) -> Result<Response, ApiError> {
    let devices = blocking(&state, |b| b.devices()).await?;
    Ok(Json(json!({ "devices": devices })).into_response())
}

async fn qa_provision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let provision = blocking(&state, move |b| b.provision(&id)).await?;
    Ok(Json(provision).into_response())
}
