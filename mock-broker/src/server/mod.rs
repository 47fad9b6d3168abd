//! The broker's HTTP face (axum). Handlers translate JSON to a `Broker` call on a
//! blocking task and back; every error leaves through `ApiError`, which picks the
//! status for each code in one place (`status_of`). Malformed requests get a 4xx with
//! a code before any handler runs, and change nothing; so do requests from callers who
//! may not drive the broker (`edge`). Connections are accepted, capped and timed out
//! in `listen`.

use crate::broker::Broker;
use crate::error::{BrokerError, BUSY_RETRY_AFTER_SECONDS};
use crate::rules::ibkey::PushFailure;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

mod edge;
mod listen;
mod login;
mod phone;
mod qa;

pub use edge::{EdgePolicy, QaToken, QA_TOKEN_HEADER};
pub use listen::ConnectionLimits;
pub use phone::PhoneEvent;

/// Requests are small; anything larger is refused with `body_too_large`.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub broker: Arc<Broker>,
    /// QA controls answer only when the broker was started with `--qa`.
    pub qa: bool,
    /// What phones hear, after K4's faults.
    pub phone_events: broadcast::Sender<phone::PhoneEvent>,
    /// Who may drive the broker: `Host`, `Origin`, the QA token.
    pub edge: EdgePolicy,
}

impl AppState {
    /// The state, with the task that delivers pushes to phones running (needs a
    /// tokio runtime).
    pub fn new(broker: Arc<Broker>, qa: bool) -> AppState {
        let (phone_events, _) = broadcast::channel(1024);
        phone::spawn_delivery(broker.clone(), phone_events.clone());
        AppState {
            broker,
            qa,
            phone_events,
            edge: EdgePolicy::default(),
        }
    }

    pub fn with_edge(self, edge: EdgePolicy) -> AppState {
        AppState { edge, ..self }
    }
}

/// The router, testable without a socket.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/v1/login", post(login::password))
        .route("/v1/login/device", post(login::device))
        .route("/v1/login/fallback", post(login::fallback))
        .route("/v1/login/resend", post(login::resend))
        .route("/v1/login/wait", post(login::wait))
        .route("/v1/login/response", post(login::response))
        .route("/v1/login/cancel", post(login::cancel))
        .route("/v1/session", get(login::session))
        .route("/v1/session/keepalive", post(login::keepalive))
        .route("/v1/logout", post(login::logout))
        .route("/v1/phone/activation/start", post(phone::activation_start))
        .route(
            "/v1/phone/activation/verify",
            post(phone::activation_verify),
        )
        .route(
            "/v1/phone/activation/finish",
            post(phone::activation_finish),
        )
        .route("/v1/phone/events", get(phone::events))
        .route("/v1/phone/pushes", get(phone::pushes))
        .route("/v1/phone/pushes/{id}/approve", post(phone::approve))
        .route("/v1/phone/pushes/{id}/deny", post(phone::deny))
        .route("/v1/phone/access", get(phone::access));
    if state.qa {
        router = router
            .route("/qa/clock", get(qa::clock))
            .route("/qa/clock/advance", post(qa::clock_advance))
            .route("/qa/clock/set", post(qa::clock_set))
            .route("/qa/reset", post(qa::reset))
            .route("/qa/users/{username}/lockout", get(qa::lockout))
            .route("/qa/users/{username}/unlock", post(qa::unlock))
            .route("/qa/audit", get(qa::audit))
            .route("/qa/devices", get(qa::devices))
            .route("/qa/devices/{id}/provision", post(qa::provision))
            .route("/qa/phones/{id}/provision", post(qa::provision_phone))
            .route("/qa/sms", get(qa::sms))
            .route("/qa/faults", get(qa::faults).post(qa::set_fault))
            .route("/qa/settings", get(qa::settings).post(qa::set_settings))
            .route("/qa/pushes", get(qa::pushes));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Last, so it runs first, for every route and the fallbacks alike.
        .layer(middleware::from_fn_with_state(state.clone(), edge::guard))
        .with_state(state)
}

/// Serves until `shutdown` resolves, on a listener the caller bound (port 0 in tests),
/// with the default connection limits.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with_limits(listener, state, ConnectionLimits::default(), shutdown).await
}

/// [`run`], with the connection cap and timeouts given.
pub async fn run_with_limits(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve(listener, app(state), limits, shutdown).await
}

// ---- errors -----------------------------------------------------------------------

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Option<serde_json::Value>,
    /// Seconds, sent as `Retry-After` (with `busy`).
    retry_after: Option<u32>,
}

fn status_of(err: &BrokerError) -> StatusCode {
    match err {
        BrokerError::MissingField(_) | BrokerError::BadRequest(_) | BrokerError::BadCharacter => {
            StatusCode::BAD_REQUEST
        }
        BrokerError::InvalidCredentials
        | BrokerError::LoginFailed
        | BrokerError::PushFailed(_)
        | BrokerError::InvalidSession
        | BrokerError::SessionExpired(_) => StatusCode::UNAUTHORIZED,
        BrokerError::Locked { .. } => StatusCode::LOCKED,
        BrokerError::ChallengeExpired => StatusCode::GONE,
        BrokerError::NoPendingLogin => StatusCode::CONFLICT,
        BrokerError::NotFound(_) => StatusCode::NOT_FOUND,
        BrokerError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        BrokerError::LoginExpired | BrokerError::PushExpired | BrokerError::ActivationOver(_) => {
            StatusCode::GONE
        }
        BrokerError::WrongStage(_) | BrokerError::PushAnswered | BrokerError::AlreadyAdded => {
            StatusCode::CONFLICT
        }
        BrokerError::PushDenied
        | BrokerError::NumberMismatch
        | BrokerError::InvalidCode { .. }
        | BrokerError::UnknownPhone => StatusCode::UNAUTHORIZED,
        BrokerError::InvalidPhoneNumber(_) | BrokerError::InvalidPin(_) => StatusCode::BAD_REQUEST,
        BrokerError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        BrokerError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        BrokerError::ForbiddenOrigin | BrokerError::ForbiddenHost => StatusCode::FORBIDDEN,
        BrokerError::QaTokenRequired => StatusCode::UNAUTHORIZED,
    }
}

/// L6: what a "Login failed" for a wrong second factor adds.
const LOGIN_FAILED_HINTS: [&str; 2] = [
    "Temporary passcodes are upper case and case-sensitive.",
    "Security card and device responses have no spaces between characters.",
];

impl From<BrokerError> for ApiError {
    fn from(err: BrokerError) -> Self {
        if let BrokerError::Store(cause) = &err {
            // The cause goes to the log; the client gets the code and a plain message.
            tracing::error!(%cause, "store failure");
        }
        let extra = match &err {
            BrokerError::Locked { until } => Some(json!({ "locked_until": until.rfc3339() })),
            BrokerError::LoginFailed => Some(json!({ "hints": LOGIN_FAILED_HINTS })),
            BrokerError::PushFailed(why @ PushFailure::WrongResponse) => {
                Some(json!({ "reason": why.as_str(), "hints": LOGIN_FAILED_HINTS }))
            }
            BrokerError::PushFailed(why @ PushFailure::NumberMismatch) => {
                Some(json!({ "reason": why.as_str() }))
            }
            BrokerError::SessionExpired(why) => Some(json!({ "reason": why.as_str() })),
            BrokerError::InvalidCode { tries_left } => Some(json!({ "tries_left": tries_left })),
            BrokerError::MissingField(_)
            | BrokerError::BadRequest(_)
            | BrokerError::BadCharacter
            | BrokerError::InvalidCredentials
            | BrokerError::ChallengeExpired
            | BrokerError::NoPendingLogin
            | BrokerError::InvalidSession
            | BrokerError::NotFound(_)
            | BrokerError::Store(_)
            | BrokerError::LoginExpired
            | BrokerError::WrongStage(_)
            | BrokerError::PushDenied
            | BrokerError::PushExpired
            | BrokerError::PushAnswered
            | BrokerError::NumberMismatch
            | BrokerError::InvalidPhoneNumber(_)
            | BrokerError::InvalidPin(_)
            | BrokerError::ActivationOver(_)
            | BrokerError::AlreadyAdded
            | BrokerError::UnknownPhone
            | BrokerError::Busy
            | BrokerError::UnsupportedMediaType
            | BrokerError::ForbiddenOrigin
            | BrokerError::ForbiddenHost
            | BrokerError::QaTokenRequired => None,
        };
        let retry_after = match &err {
            BrokerError::Busy => Some(BUSY_RETRY_AFTER_SECONDS),
            BrokerError::MissingField(_)
            | BrokerError::BadRequest(_)
            | BrokerError::BadCharacter
            | BrokerError::InvalidCredentials
            | BrokerError::Locked { .. }
            | BrokerError::LoginFailed
            | BrokerError::ChallengeExpired
            | BrokerError::NoPendingLogin
            | BrokerError::LoginExpired
            | BrokerError::WrongStage(_)
            | BrokerError::PushDenied
            | BrokerError::PushExpired
            | BrokerError::PushAnswered
            | BrokerError::NumberMismatch
            | BrokerError::InvalidPhoneNumber(_)
            | BrokerError::InvalidPin(_)
            | BrokerError::InvalidCode { .. }
            | BrokerError::ActivationOver(_)
            | BrokerError::AlreadyAdded
            | BrokerError::UnknownPhone
            | BrokerError::InvalidSession
            | BrokerError::NotFound(_)
            | BrokerError::Store(_)
            | BrokerError::UnsupportedMediaType
            | BrokerError::ForbiddenOrigin
            | BrokerError::ForbiddenHost
            | BrokerError::QaTokenRequired
            | BrokerError::PushFailed(_)
            | BrokerError::SessionExpired(_) => None,
        };
        ApiError {
            status: status_of(&err),
            code: err.code(),
            message: err.message(),
            extra,
            retry_after,
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
            retry_after: None,
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
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
        retry_after: None,
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: "Method not allowed.".into(),
        extra: None,
        retry_after: None,
    }
}

/// Runs a broker call on a blocking task (Argon2 and SQLite block).
pub(crate) async fn blocking<T: Send + 'static>(
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
                retry_after: None,
            }
        })?
        .map_err(ApiError::from)
}

pub(crate) fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| BrokerError::InvalidSession.into())
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}
