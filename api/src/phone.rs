//! The phone's side of the wire (IB Key): activation (K1) and Add user (K5), its
//! event stream, the requests it approves or denies (K2, K6), trading access (K7).

use crate::device::DeviceKind;
use serde::{Deserialize, Serialize};

/// `POST /v1/phone/activation/start` (K1; with the phone's token, K5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivationStartRequest {
    pub username: String,
    pub password: String,
    /// Digits only, without the trunk prefix, 6–14 digits (D3/K1).
    pub phone_number: String,
}

/// `POST /v1/phone/activation/verify`: the active device's answer (K1 vs D5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivationVerifyRequest {
    pub activation_id: String,
    pub response: String,
}

/// `POST /v1/phone/activation/finish`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivationFinishRequest {
    pub activation_id: String,
    pub code: String,
    /// `pin` or `biometric`; anything else is a `bad_request`.
    pub security: String,
    pub pin: String,
}

/// What `activation/start` answers (and `activation/verify`, with `code_sent`): the
/// code is on its way, or the active device must answer first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActivationStep {
    CodeSent(CodeSent),
    VerifyDevice(VerifyDevice),
}

/// K1: the activation code went by SMS to `masked_number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    pub activation_id: String,
    pub masked_number: String,
    pub expires_in_seconds: i64,
}

/// K1 vs D5: no code yet; the user's active device answers first (`activation/verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyDevice {
    pub activation_id: String,
    pub device_id: String,
    pub device_kind: DeviceKind,
    #[serde(flatten)]
    pub method: VerifyMethod,
    pub expires_in_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum VerifyMethod {
    /// A DSC+ (C2) or IB Key (its Authenticate screen, K3) answers this code.
    Challenge { challenge: String },
    /// A code went to the number of the user's SMS device (D3).
    Sms { masked_number: String },
    /// D7, T3: the codes at these two indexes of the user's card, typed together.
    IndexCard { indexes: Vec<u8> },
    /// T1: the user's temporary passcode (upper case, case-sensitive).
    TemporaryPasscode {},
}

/// What a phone keeps after activation (in its keyring). Its `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activated {
    pub phone_id: String,
    /// Only for a newly registered phone; Add user keeps the phone's token.
    pub phone_token: Option<String>,
    pub username: String,
    pub device_id: String,
    pub secret_hex: String,
    /// `OCRA-1:HOTP-SHA256-8:QN06-PSHA1`.
    pub suite: String,
    /// `pin` or `biometric`.
    pub security: String,
}

impl std::fmt::Debug for Activated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activated")
            .field("phone_id", &self.phone_id)
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// What the phone is told of a login request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhonePush {
    pub push_id: String,
    pub phone_id: String,
    pub username: String,
    pub device_id: String,
    /// The question the approval's OCRA response answers.
    pub challenge: String,
    /// Number matching: the three numbers to pick from.
    pub number_choices: Option<Vec<u8>>,
    pub expires_at: String,
    pub expires_in_seconds: i64,
    /// Real (not simulated) time of sending, for measuring delivery latency.
    pub sent_unix_ms: i64,
}

/// One event of `GET /v1/phone/events` (server-sent events): the SSE event name is
/// `push` or `withdrawn`, and its data this JSON, `type` included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhoneEvent {
    /// A login request for this phone.
    Push(PhonePush),
    /// K3/K6: the request no longer needs an answer.
    Withdrawn { phone_id: String, push_id: String },
}

impl PhoneEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            PhoneEvent::Push(_) => "push",
            PhoneEvent::Withdrawn { .. } => "withdrawn",
        }
    }

    /// The phone it is for.
    pub fn phone_id(&self) -> &str {
        match self {
            PhoneEvent::Push(p) => &p.phone_id,
            PhoneEvent::Withdrawn { phone_id, .. } => phone_id,
        }
    }
}

/// `GET /v1/phone/pushes`: requests waiting on this phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhonePushes {
    pub pushes: Vec<PhonePush>,
}

/// `POST /v1/phone/pushes/{id}/approve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The OCRA value of the push's `challenge` (the device's key and PIN).
    pub response: String,
    /// Number matching: the number the user picked.
    #[serde(default)]
    pub picked: Option<u8>,
    /// `pin` or `biometric` (K7).
    pub method: String,
}

/// `POST /v1/phone/pushes/{id}/approve`: `{"status":"approved"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushApproved {
    Approved,
}

/// `POST /v1/phone/pushes/{id}/deny`: `{"status":"denied"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushDenied {
    Denied,
}

/// K7: one account on the phone and its trading access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneAccess {
    pub username: String,
    pub device_id: String,
    /// `pin` or `biometric`: how the phone last authenticated, if it did.
    pub method: Option<String>,
    pub authenticated_at: Option<String>,
    pub trading_access_until: Option<String>,
    pub trading_access: bool,
}

/// `GET /v1/phone/access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneAccessList {
    pub accounts: Vec<PhoneAccess>,
}
