//! The broker's HTTP face (axum). Handlers translate JSON to a `Broker` call on a
//! blocking task and back; every error leaves through `ApiError`, which picks the
//! status for each code in one place (`status_of`). Malformed requests get a 4xx with
//! a code before any handler runs, and change nothing; so do requests from callers who
//! may not drive the broker (`edge`). Connections are accepted, capped and timed out
//! in `listen`.
//!
//! The wire's types are `portcullis_api`'s; each route is registered together with its
//! OpenAPI operation (`openapi`), and tokens are read by extractors (`token`).

use crate::broker::Broker;
use crate::error::{BrokerError, WrongStage, BUSY_RETRY_AFTER_SECONDS};
use crate::rules::account::{Exceeded, Restricted, ACH_EFT_CAP_USD};
use crate::rules::ibkey::{PhoneNumberError, PinError, PushFailure};
use crate::rules::replacement::{AddressError, SoftPinError};
use crate::rules::session::SessionEnd;
use crate::rules::sharing::Refusal;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Extension, Json, Router};
use portcullis_api::{AchEftFunding, ErrorBody, ErrorCode, ErrorReason, Health, HintCode};
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod account;
mod edge;
mod faults;
mod journal;
mod listen;
mod login;
pub mod openapi;
mod phone;
mod portal;
mod qa;
mod replacement;
mod sharing;
mod token;
mod turns;

pub use edge::{is_loopback_host, EdgePolicy, QaToken, QA_TOKEN_HEADER};
pub use faults::BrokerFaults;
pub use journal::{Journal, JournalFilter, JournalNote};
pub use listen::ConnectionLimits;
pub use portcullis_api::PhoneEvent;
pub use token::{PhoneToken, SessionToken};
use turns::HashTurns;

/// Requests are small; anything larger is refused with `body_too_large`.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub broker: Arc<Broker>,
    /// QA controls answer only when the broker was started with `--qa`.
    pub qa: bool,
    /// What phones hear, after K4's faults.
    pub phone_events: broadcast::Sender<PhoneEvent>,
    /// Who may drive the broker: `Host`, `Origin`, the QA token.
    pub edge: EdgePolicy,
    /// Every request answered, for `/qa/journal` (kept with or without `--qa`).
    pub journal: Arc<Journal>,
    /// The broker's own faults and its freeze (set only through `--qa` routes).
    pub faults: Arc<BrokerFaults>,
    /// Turns at password hashing, taken before a blocking thread is.
    hash_turns: Arc<HashTurns>,
}

impl AppState {
    /// The state, with the task that delivers pushes to phones running (needs a
    /// tokio runtime).
    pub fn new(broker: Arc<Broker>, qa: bool) -> AppState {
        let (phone_events, _) = broadcast::channel(1024);
        phone::spawn_delivery(broker.clone(), phone_events.clone());
        AppState {
            hash_turns: Arc::new(HashTurns::new(broker.hash_limits())),
            broker,
            qa,
            phone_events,
            edge: EdgePolicy::default(),
            journal: Arc::default(),
            faults: Arc::default(),
        }
    }

    pub fn with_edge(self, edge: EdgePolicy) -> AppState {
        AppState { edge, ..self }
    }
}

/// The router, testable without a socket. Every route is registered with its OpenAPI
/// operation (`routes!`), so the document served at `/openapi.json` is the router's.
pub fn app(state: AppState) -> Router {
    let (router, mut document) = routes(state.qa).split_for_parts();
    openapi::finish(&mut document);
    router
        // Routed requests only: a path not served is `not_found`, whatever it sends.
        .route_layer(middleware::from_fn(edge::json_only))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Arc::new(document)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Inside the guard: a request the edge refuses is never held or delayed.
        .layer(middleware::from_fn_with_state(state.clone(), faults::apply))
        .layer(middleware::from_fn_with_state(state.clone(), edge::guard))
        // Last, so it runs first, for every route and the fallbacks alike: a request
        // the edge refuses is journalled too.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            journal::record,
        ))
        .with_state(state)
}

/// The OpenAPI 3.1 document of a broker started with (`qa`) or without `--qa`.
pub fn openapi(qa: bool) -> utoipa::openapi::OpenApi {
    let mut document = routes(qa).into_openapi();
    openapi::finish(&mut document);
    document
}

fn routes(qa: bool) -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health))
        .routes(routes!(openapi::document))
        .routes(routes!(login::password))
        .routes(routes!(login::device))
        .routes(routes!(login::fallback))
        .routes(routes!(login::resend))
        .routes(routes!(login::wait))
        .routes(routes!(login::response))
        .routes(routes!(login::cancel))
        .routes(routes!(login::session))
        .routes(routes!(login::keepalive))
        .routes(routes!(login::logout))
        .routes(routes!(portal::online_card))
        .routes(routes!(portal::online_card_activate))
        .routes(routes!(portal::messages))
        .routes(routes!(portal::devices))
        .routes(routes!(portal::reactivate))
        .routes(routes!(portal::reactivate_confirm))
        .routes(routes!(account::account))
        .routes(routes!(account::opt_out))
        .routes(routes!(account::opt_in))
        .routes(routes!(account::order))
        .routes(routes!(account::withdrawal))
        .routes(routes!(account::deposit))
        .routes(routes!(account::bank_instructions))
        .routes(routes!(account::email))
        .routes(routes!(phone::activation_start))
        .routes(routes!(phone::activation_verify))
        .routes(routes!(phone::activation_finish))
        .routes(routes!(phone::events))
        .routes(routes!(phone::pushes))
        .routes(routes!(phone::approve))
        .routes(routes!(phone::deny))
        .routes(routes!(phone::access))
        .routes(routes!(sharing::start))
        .routes(routes!(sharing::answer))
        .routes(routes!(sharing::confirm))
        .routes(routes!(sharing::cancel))
        .routes(routes!(sharing::list))
        .routes(routes!(replacement::order))
        .routes(routes!(replacement::order_confirm))
        .routes(routes!(replacement::orders))
        .routes(routes!(replacement::send_back))
        .routes(routes!(replacement::report_lost))
        .routes(routes!(replacement::holds));
    if !qa {
        return router;
    }
    router
        .routes(routes!(qa::clock))
        .routes(routes!(qa::clock_advance))
        .routes(routes!(qa::clock_set))
        .routes(routes!(qa::reset))
        .routes(routes!(qa::lockout))
        .routes(routes!(qa::unlock))
        .routes(routes!(qa::audit))
        .routes(routes!(qa::journal))
        .routes(routes!(qa::devices))
        .routes(routes!(qa::provision))
        .routes(routes!(qa::provision_phone))
        .routes(routes!(qa::sms))
        .routes(routes!(qa::faults, qa::set_fault))
        .routes(routes!(faults::list, faults::add))
        .routes(routes!(faults::remove))
        .routes(routes!(faults::clear))
        .routes(routes!(faults::freeze))
        .routes(routes!(faults::thaw))
        .routes(routes!(qa::settings, qa::set_settings))
        .routes(routes!(qa::pushes))
        .routes(routes!(qa::temporary_passcode))
        .routes(routes!(qa::activate))
        .routes(routes!(sharing::approve))
        .routes(routes!(sharing::reject))
        .routes(routes!(replacement::close_account))
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

/// An error answer: the status (from the code, in [`status_of`]), the body, and for
/// `busy` when to try again.
pub struct ApiError {
    status: StatusCode,
    /// Boxed: the body grows a field with each code that says more, and an error
    /// travels in every handler's `Result`.
    body: Box<ErrorBody>,
    /// Seconds, sent as `Retry-After` (with `busy`).
    retry_after: Option<u32>,
}

impl ApiError {
    /// An error that did not come from the broker (the edge, axum's rejections).
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status_of(code),
            body: Box::new(ErrorBody::new(code, message)),
            retry_after: None,
        }
    }
}

/// The one place each code gets its HTTP status.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadCharacter
        | ErrorCode::MissingField
        | ErrorCode::BadRequest
        | ErrorCode::InvalidJson
        | ErrorCode::InvalidQuery
        | ErrorCode::InvalidPhoneNumber
        | ErrorCode::InvalidPin
        | ErrorCode::InvalidAddress
        | ErrorCode::NotReturnable => StatusCode::BAD_REQUEST,
        ErrorCode::InvalidCredentials
        | ErrorCode::LoginFailed
        | ErrorCode::InvalidSession
        | ErrorCode::SessionExpired
        | ErrorCode::PushDenied
        | ErrorCode::NumberMismatch
        | ErrorCode::InvalidCode
        | ErrorCode::UnknownPhone
        | ErrorCode::QaTokenRequired => StatusCode::UNAUTHORIZED,
        ErrorCode::ForbiddenOrigin
        | ErrorCode::ForbiddenHost
        | ErrorCode::UseClientPortal
        | ErrorCode::TemporaryAccessExpired
        | ErrorCode::NoActiveDevice
        | ErrorCode::NotPermitted
        | ErrorCode::NotPrimary
        | ErrorCode::Restricted
        | ErrorCode::LimitExceeded => StatusCode::FORBIDDEN,
        ErrorCode::InsufficientEquity => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::NoPendingLogin
        | ErrorCode::WrongStage
        | ErrorCode::PushAlreadyAnswered
        | ErrorCode::AlreadyAdded
        | ErrorCode::ConsecutivePasscode
        | ErrorCode::AlreadyHasDscPlus
        | ErrorCode::NoPendingOrder => StatusCode::CONFLICT,
        ErrorCode::ChallengeExpired
        | ErrorCode::LoginExpired
        | ErrorCode::PushExpired
        | ErrorCode::ActivationOver => StatusCode::GONE,
        ErrorCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::InvalidField => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Locked => StatusCode::LOCKED,
        ErrorCode::Busy | ErrorCode::Internal | ErrorCode::Unavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::LessSecureDevice
        | ErrorCode::DifferentIdentification
        | ErrorCode::TemporaryDeviceAssigned
        | ErrorCode::UseAddUser => StatusCode::FORBIDDEN,
    }
}

/// The one place a broker error becomes a code, and what the code carries besides.
fn error_code(err: &BrokerError) -> ErrorCode {
    match err {
        BrokerError::MissingField(_) => ErrorCode::MissingField,
        BrokerError::BadRequest(_) => ErrorCode::BadRequest,
        BrokerError::BadCharacter => ErrorCode::BadCharacter,
        BrokerError::InvalidCredentials => ErrorCode::InvalidCredentials,
        BrokerError::Locked { .. } => ErrorCode::Locked,
        // A phone's wrong answer has the code of a wrong response typed on the desktop
        // (L6); `reason` says which.
        BrokerError::LoginFailed | BrokerError::PushFailed(_) => ErrorCode::LoginFailed,
        BrokerError::ChallengeExpired => ErrorCode::ChallengeExpired,
        BrokerError::NoPendingLogin => ErrorCode::NoPendingLogin,
        BrokerError::InvalidSession => ErrorCode::InvalidSession,
        BrokerError::SessionExpired(_) => ErrorCode::SessionExpired,
        BrokerError::LoginExpired => ErrorCode::LoginExpired,
        BrokerError::WrongStage(_) => ErrorCode::WrongStage,
        BrokerError::PushDenied => ErrorCode::PushDenied,
        BrokerError::PushExpired => ErrorCode::PushExpired,
        BrokerError::PushAnswered => ErrorCode::PushAlreadyAnswered,
        BrokerError::NumberMismatch => ErrorCode::NumberMismatch,
        BrokerError::InvalidPhoneNumber(_) => ErrorCode::InvalidPhoneNumber,
        BrokerError::InvalidPin(_) => ErrorCode::InvalidPin,
        BrokerError::InvalidCode { .. } => ErrorCode::InvalidCode,
        BrokerError::ActivationOver(_) => ErrorCode::ActivationOver,
        BrokerError::AlreadyAdded => ErrorCode::AlreadyAdded,
        BrokerError::UnknownPhone => ErrorCode::UnknownPhone,
        BrokerError::UseClientPortal => ErrorCode::UseClientPortal,
        BrokerError::TemporaryAccessExpired => ErrorCode::TemporaryAccessExpired,
        BrokerError::NoActiveDevice => ErrorCode::NoActiveDevice,
        BrokerError::NotPermitted(_) => ErrorCode::NotPermitted,
        BrokerError::ConsecutivePasscode => ErrorCode::ConsecutivePasscode,
        BrokerError::NotFound(_) => ErrorCode::NotFound,
        BrokerError::Store(_) => ErrorCode::Internal,
        BrokerError::Busy => ErrorCode::Busy,
        BrokerError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
        BrokerError::ForbiddenOrigin => ErrorCode::ForbiddenOrigin,
        BrokerError::ForbiddenHost => ErrorCode::ForbiddenHost,
        BrokerError::QaTokenRequired => ErrorCode::QaTokenRequired,
        BrokerError::NotPrimary { .. } => ErrorCode::NotPrimary,
        BrokerError::Restricted(_) => ErrorCode::Restricted,
        BrokerError::LimitExceeded { .. } => ErrorCode::LimitExceeded,
        BrokerError::SharingRefused(why) => sharing_refusal_code(*why),
        BrokerError::SharingStage(_) => ErrorCode::WrongStage,
        BrokerError::InsufficientEquity { .. } => ErrorCode::InsufficientEquity,
        BrokerError::InvalidAddress(_) => ErrorCode::InvalidAddress,
        BrokerError::InvalidSoftPin(_) => ErrorCode::InvalidPin,
        BrokerError::AlreadyHasDscPlus { .. } => ErrorCode::AlreadyHasDscPlus,
        BrokerError::NoPendingOrder => ErrorCode::NoPendingOrder,
        BrokerError::NotReturnable(_) => ErrorCode::NotReturnable,
    }
}

/// S5: each sharing refusal's code.
fn sharing_refusal_code(why: Refusal) -> ErrorCode {
    match why {
        Refusal::LessSecureDevice => ErrorCode::LessSecureDevice,
        Refusal::DifferentIdentification => ErrorCode::DifferentIdentification,
        Refusal::TemporaryDeviceAssigned => ErrorCode::TemporaryDeviceAssigned,
        Refusal::UseAddUser => ErrorCode::UseAddUser,
    }
}

/// L6: what a "Login failed" for a wrong second factor adds.
const LOGIN_FAILED_HINTS: [&str; 2] = [
    "Temporary passcodes are upper case and case-sensitive.",
    "Security card and device responses have no spaces between characters.",
];

/// Their codes, in the same order (a client words them itself).
const LOGIN_FAILED_HINT_CODES: [HintCode; 2] = [HintCode::TemporaryCase, HintCode::NoSpaces];

fn hints(body: &mut ErrorBody) {
    body.hints = Some(LOGIN_FAILED_HINTS.map(String::from).to_vec());
    body.hint_codes = Some(LOGIN_FAILED_HINT_CODES.to_vec());
}

fn push_failure_reason(why: PushFailure) -> ErrorReason {
    match why {
        PushFailure::WrongResponse => ErrorReason::WrongResponse,
        PushFailure::NumberMismatch => ErrorReason::NumberMismatch,
    }
}

fn session_end_reason(why: SessionEnd) -> ErrorReason {
    match why {
        SessionEnd::Idle => ErrorReason::Idle,
        SessionEnd::DailyEnd => ErrorReason::DailyEnd,
        SessionEnd::DeviceEnded => ErrorReason::DeviceEnded,
    }
}

fn phone_number_reason(why: &PhoneNumberError) -> ErrorReason {
    match why {
        PhoneNumberError::NotDigits => ErrorReason::NotDigits,
        PhoneNumberError::TrunkPrefix => ErrorReason::TrunkPrefix,
        PhoneNumberError::Length => ErrorReason::Length,
    }
}

fn pin_reason(why: &PinError) -> ErrorReason {
    match why {
        PinError::Length => ErrorReason::Length,
        PinError::Characters => ErrorReason::Characters,
    }
}

fn address_reason(why: AddressError) -> ErrorReason {
    match why {
        AddressError::Incomplete => ErrorReason::Incomplete,
        AddressError::Country => ErrorReason::Country,
        AddressError::Length => ErrorReason::Length,
        AddressError::Characters => ErrorReason::Characters,
    }
}

fn soft_pin_reason(why: SoftPinError) -> ErrorReason {
    match why {
        SoftPinError::Length => ErrorReason::Length,
        SoftPinError::Characters => ErrorReason::Characters,
    }
}

fn stage_reason(stage: WrongStage) -> ErrorReason {
    match stage {
        WrongStage::NotPushing => ErrorReason::NotPushing,
        WrongStage::PushApproved => ErrorReason::PushApproved,
        WrongStage::NotTyped => ErrorReason::NotTyped,
        WrongStage::AwaitingDevice => ErrorReason::AwaitingDevice,
        WrongStage::NotVerifying => ErrorReason::NotVerifying,
    }
}

fn restricted_reason(why: Restricted) -> ErrorReason {
    match why {
        Restricted::PinkSheet => ErrorReason::PinkSheet,
        Restricted::Otcbb => ErrorReason::Otcbb,
        Restricted::BankInstructions => ErrorReason::BankInstructions,
        Restricted::Email => ErrorReason::Email,
        Restricted::AchEftCap { .. } => ErrorReason::AchEftCap,
    }
}

impl From<BrokerError> for ApiError {
    fn from(err: BrokerError) -> Self {
        if let BrokerError::Store(cause) = &err {
            // The cause goes to the log; the client gets the code and a plain message.
            tracing::error!(%cause, "store failure");
        }
        let mut body = ErrorBody::new(error_code(&err), err.message());
        let mut retry_after = None;
        match &err {
            BrokerError::Locked { until } => body.locked_until = Some(until.rfc3339()),
            BrokerError::LoginFailed => hints(&mut body),
            BrokerError::PushFailed(why) => {
                body.reason = Some(push_failure_reason(*why));
                if *why == PushFailure::WrongResponse {
                    hints(&mut body);
                }
            }
            BrokerError::SessionExpired(why) => body.reason = Some(session_end_reason(*why)),
            BrokerError::InvalidCode { tries_left } => body.tries_left = Some(*tries_left),
            BrokerError::InvalidPhoneNumber(why) => body.reason = Some(phone_number_reason(why)),
            BrokerError::InvalidPin(why) => body.reason = Some(pin_reason(why)),
            BrokerError::WrongStage(stage) => body.reason = Some(stage_reason(*stage)),
            BrokerError::Busy => retry_after = Some(BUSY_RETRY_AFTER_SECONDS),
            BrokerError::NotPrimary { primary_username } => {
                body.primary_username.clone_from(primary_username);
            }
            BrokerError::Restricted(why) => {
                body.reason = Some(restricted_reason(*why));
                if let Restricted::AchEftCap { left_usd } = why {
                    body.ach_eft = Some(AchEftFunding {
                        total_usd: ACH_EFT_CAP_USD.saturating_sub(*left_usd),
                        left_usd: Some(*left_usd),
                    });
                }
            }
            BrokerError::LimitExceeded { which, usage } => {
                body.reason = Some(match which {
                    Exceeded::PerDay => ErrorReason::PerDay,
                    Exceeded::Per5BusinessDays => ErrorReason::Per5BusinessDays,
                });
                body.withdrawals = Some(usage.clone());
            }
            BrokerError::InvalidAddress(why) => body.reason = Some(address_reason(*why)),
            BrokerError::InvalidSoftPin(why) => body.reason = Some(soft_pin_reason(*why)),
            BrokerError::MissingField(_)
            | BrokerError::BadRequest(_)
            | BrokerError::BadCharacter
            | BrokerError::InvalidCredentials
            | BrokerError::ChallengeExpired
            | BrokerError::NoPendingLogin
            | BrokerError::InvalidSession
            | BrokerError::NotFound(_)
            | BrokerError::UseClientPortal
            | BrokerError::TemporaryAccessExpired
            | BrokerError::NoActiveDevice
            | BrokerError::NotPermitted(_)
            | BrokerError::ConsecutivePasscode
            | BrokerError::Store(_)
            | BrokerError::LoginExpired
            | BrokerError::PushDenied
            | BrokerError::PushExpired
            | BrokerError::PushAnswered
            | BrokerError::NumberMismatch
            | BrokerError::ActivationOver(_)
            | BrokerError::AlreadyAdded
            | BrokerError::UnknownPhone
            | BrokerError::UnsupportedMediaType
            | BrokerError::ForbiddenOrigin
            | BrokerError::ForbiddenHost
            | BrokerError::QaTokenRequired
            | BrokerError::SharingRefused(_)
            | BrokerError::SharingStage(_) => {}
            BrokerError::InsufficientEquity { .. }
            | BrokerError::AlreadyHasDscPlus { .. }
            | BrokerError::NoPendingOrder
            | BrokerError::NotReturnable(_) => {}
        }
        ApiError {
            status: status_of(body.code),
            body: Box::new(body),
            retry_after,
        }
    }
}

impl From<JsonRejection> for ApiError {
    // axum's rejection enum is non-exhaustive: a wildcard is the only way to cover it.
    #[allow(clippy::wildcard_enum_match_arm)]
    fn from(rejection: JsonRejection) -> Self {
        let code = match &rejection {
            JsonRejection::JsonDataError(_) => ErrorCode::InvalidField,
            JsonRejection::JsonSyntaxError(_) => ErrorCode::InvalidJson,
            JsonRejection::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ErrorCode::BodyTooLarge
            }
            _ => ErrorCode::BadRequest,
        };
        ApiError {
            // axum's own status, as before: it agrees with `status_of` for every code
            // above.
            status: rejection.status(),
            body: Box::new(ErrorBody::new(code, rejection.body_text())),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.body.code;
        let mut response = (self.status, Json(*self.body)).into_response();
        // The request journal reads the code here rather than parse the body again.
        response.extensions_mut().insert(code);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `Json<T>` whose rejections are `ApiError`s: a body that is not JSON is
/// `invalid_json`; JSON of the wrong shape — a field missing, unknown or of the wrong
/// type, whatever the type (serde reads a `null` where an enum belongs as a syntax
/// error; here it is a field's) — is `invalid_field`, naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(json) = Json::<Value>::from_request(req, state).await?;
        shaped(json).map(ApiJson)
    }
}

/// `Path<T>` whose rejections are `ApiError`s: a path parameter that does not decode
/// (not UTF-8 once percent-decoded) is `bad_request` in the usual error body, not
/// axum's plain text.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))?;
        Ok(ApiPath(value))
    }
}

/// [`ApiJson`] for a body that may be left out: no body at all, or `null` (as the
/// OpenAPI document says of an optional body), is `T::default()` (the `Content-Type`
/// is still JSON, as for every `POST`); any other body must be a JSON object (a
/// derived struct would take `[]` as a sequence of no fields), read as `ApiJson` reads
/// it.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ErrorCode::BodyTooLarge
            } else {
                ErrorCode::BadRequest
            };
            ApiError::new(code, e.body_text())
        })?;
        if bytes.is_empty() {
            return Ok(OptionalJson(T::default()));
        }
        let Json(json) = Json::<Value>::from_bytes(&bytes)?;
        match json {
            Value::Null => Ok(OptionalJson(T::default())),
            Value::Object(_) => shaped(json).map(OptionalJson),
            Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => {
                Err(ApiError::new(
                    ErrorCode::InvalidField,
                    "The body is a JSON object, null or nothing at all.",
                ))
            }
        }
    }
}

/// JSON of the wrong shape is `invalid_field`, naming the field. Public for the
/// `requests` fuzz target, which decodes bodies as [`ApiJson`] does.
pub fn shaped<T: DeserializeOwned>(json: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(json).map_err(|e| ApiError {
        status: status_of(ErrorCode::InvalidField),
        body: Box::new(ErrorBody::new(
            ErrorCode::InvalidField,
            format!(
                "Failed to deserialize the JSON body into the target type: {}: {}",
                e.path(),
                e.inner()
            ),
        )),
        retry_after: None,
    })
}

/// The body of a `POST` with nothing to say: exactly `{}`. Not `[]` or `null` (a
/// derived struct would take a sequence), and no fields, so a caller who thinks the
/// endpoint reads something hears that it does not. Taken through [`ApiJson`]: not
/// JSON is `invalid_json`, anything but `{}` is `invalid_field`.
pub struct NoFields;

impl<'de> Deserialize<'de> for NoFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EmptyObject;

        impl<'de> Visitor<'de> for EmptyObject {
            type Value = NoFields;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an empty object, {}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoFields, A::Error> {
                match map.next_key::<String>()? {
                    None => Ok(NoFields),
                    Some(field) => Err(serde::de::Error::custom(format_args!(
                        "unknown field `{field}`: this endpoint takes {{}}"
                    ))),
                }
            }
        }

        deserializer.deserialize_map(EmptyObject)
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "No such endpoint.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "Method not allowed.")
}

/// Runs a broker call that checks a password on a blocking task, once it has a turn at
/// hashing ([`HashTurns`]): a flood of logins waits here, holding no thread, and past
/// the queue answers `busy`.
pub(crate) async fn hashing<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Broker) -> Result<T, BrokerError> + Send + 'static,
) -> Result<T, ApiError> {
    let turn = state.hash_turns.take().await?;
    blocking(state, move |b| {
        // Held until the hash is done, even if the client hangs up meanwhile.
        let _turn = turn;
        f(b)
    })
    .await
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
            ApiError::new(
                ErrorCode::Internal,
                "The broker could not complete the request.",
            )
        })?
        .map_err(ApiError::from)
}

/// Whether the broker is up.
#[utoipa::path(get, path = "/health", tag = "broker",
    responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health::Ok)
}
