//! The desktop's side of the wire: the login's steps (L1–L6, D5, D6, C1–C4, K2, K3,
//! D3), linked by a ticket, and the session they open.

use crate::access::{SessionRestriction, WithdrawalLimits};
use crate::device::{Channel, DeviceKind};
use serde::{Deserialize, Serialize};

/// `POST /v1/login`: the password step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// D6: skip the device choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Where the login comes from; `trading` when absent.
    #[serde(default)]
    pub channel: Channel,
}

/// `POST /v1/login/fallback`, `/resend`, `/cancel`: a login named by its ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    pub ticket: String,
}

/// `POST /v1/login/device` (D6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub ticket: String,
    pub device_id: String,
}

/// `POST /v1/login/wait` (K2's long poll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WaitRequest {
    pub ticket: String,
    /// Default 25 s, at most 60 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// `POST /v1/login/response`: a challenge's response or the SMS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseRequest {
    pub ticket: String,
    pub response: String,
}

/// Where a login goes next: after the password, after a device choice, a fallback or
/// a "Send again".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginStep {
    /// No Secure Login device: D5 does not apply.
    Authenticated(NewSession),
    /// D6: several active devices; the user picks one (the last used is the default).
    SelectDevice(DeviceChoice),
    /// D5: the chosen device's second factor is under way.
    SecondFactor(SecondFactor),
}

/// `POST /v1/login/response`: the session the answer opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SessionOpened {
    Authenticated(NewSession),
}

/// D6: the devices to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceChoice {
    pub ticket: String,
    pub devices: Vec<DeviceOption>,
    pub default_device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceOption {
    pub id: String,
    pub kind: DeviceKind,
}

/// D5: the second factor a device asks for; what it shows depends on `method`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecondFactor {
    pub ticket: String,
    pub device_id: String,
    pub device_kind: DeviceKind,
    #[serde(flatten)]
    pub method: Method,
    pub expires_at: String,
    /// Relative, so a screen's countdown is right even when the broker's clock travels.
    pub expires_in_seconds: i64,
}

/// How a second factor is answered, and what the screen shows for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// C1/K3: type the device's response to this code (6 digits).
    Challenge { challenge: String },
    /// K2: a notification went to the phone; `number_match` is the number to pick there
    /// (null when number matching is off).
    Push { number_match: Option<u8> },
    /// D3: a code went by text message.
    Sms { masked_number: String },
    /// D7/T3: type the card's codes at these two indexes (00–99) together, no spaces.
    IndexCard { indexes: Vec<u8> },
    /// T1/T2: type the temporary passcode (upper case, case-sensitive).
    TemporaryPasscode {},
}

/// What a desktop waiting on a push learns (`POST /v1/login/wait`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
// One answer per request, moved once: boxing the session would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum PushWait {
    Pending { expires_in_seconds: i64 },
    Authenticated(NewSession),
}

/// A session's token, once, and the session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSession {
    pub token: String,
    pub session: SessionInfo,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"…")
            .field("session", &self.session)
            .finish()
    }
}

/// `GET /v1/session`, `POST /v1/session/keepalive`, and the `session` of every
/// `authenticated` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub username: String,
    pub full_name: String,
    pub account: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub device_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub device_kind: Option<DeviceKind>,
    /// Where the login came from.
    pub channel: Channel,
    pub logged_in_at: String,
    /// Issue 6: the sooner of the idle end and the daily end, if nothing happens.
    pub expires_at: String,
    pub idle_timeout_seconds: i64,
    /// D2: the user's withdrawal limits now.
    pub limits: WithdrawalLimits,
    /// T2: what this session is limited to; null when it is not.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub restriction: Option<SessionRestriction>,
}

/// `POST /v1/login/cancel`: `{"status":"cancelled"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginCancelled {
    Cancelled,
}

/// `POST /v1/logout`: `{"status":"logged_out"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoggedOut {
    LoggedOut,
}

/// `GET /health`: `{"status":"ok"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Health {
    Ok,
}

/// A `POST` with nothing to say sends `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Empty {}

impl LoginStep {
    /// The ticket that links the next step, if the login goes on.
    pub fn ticket(&self) -> Option<&str> {
        match self {
            LoginStep::Authenticated(_) => None,
            LoginStep::SelectDevice(choice) => Some(&choice.ticket),
            LoginStep::SecondFactor(factor) => Some(&factor.ticket),
        }
    }
}

impl SecondFactor {
    /// The code to answer, for `challenge`.
    pub fn challenge(&self) -> Option<&str> {
        match &self.method {
            Method::Challenge { challenge } => Some(challenge),
            Method::Push { .. }
            | Method::Sms { .. }
            | Method::IndexCard { .. }
            | Method::TemporaryPasscode {} => None,
        }
    }
}
