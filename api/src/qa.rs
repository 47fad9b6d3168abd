//! The QA controls under `/qa` (a broker started with `--qa` only): the simulated
//! clock, reset, locks (L5), the audit log, provisioning for the simulators, the SMS
//! outbox, K4's faults, number matching, the pushes' states.

use crate::device::{DeviceKind, DeviceStatus};
use serde::{Deserialize, Serialize};

/// `GET /qa/clock`, and the answer of moving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockInfo {
    pub now: String,
    pub now_ms: i64,
    pub offset_ms: i64,
}

/// `POST /qa/clock/advance` (N ≥ 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdvanceRequest {
    pub seconds: i64,
}

/// `POST /qa/clock/set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetClockRequest {
    pub unix_seconds: i64,
}

/// `POST /qa/reset`: `{"status":"reset"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ResetDone {
    Reset,
}

/// `GET /qa/users/{username}/lockout`, and `unlock`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockoutInfo {
    pub username: String,
    pub locked: bool,
    pub locked_until: Option<String>,
    pub failures_in_window: usize,
}

/// `GET /qa/audit?username=U&limit=N`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub username: Option<String>,
    /// 200 when absent, at most 10 000.
    pub limit: Option<u32>,
}

/// One audited event. Passwords, responses, keys and tokens are never recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub at_ms: i64,
    pub username: Option<String>,
    pub event: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditLog {
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceInfo {
    pub id: String,
    pub kind: DeviceKind,
    pub owner: String,
    pub status: DeviceStatus,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub phone_id: Option<String>,
    /// T5: when a shipped device left the warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<String>,
    /// T5: when a shipped device activates itself, unless activated by hand first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_activates_at: Option<String>,
    /// T1, T3: when a temporary device was issued or activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<String>,
    /// T2, T3: when a temporary device stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `GET /qa/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

/// `POST /qa/devices/{id}/provision`: what a card simulator receives once, its key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceProvision {
    pub id: String,
    pub kind: DeviceKind,
    pub owner: String,
    /// The OCRA suite; empty for a Security Code Card.
    pub suite: String,
    /// The OCRA key; empty for a Security Code Card.
    pub secret_hex: String,
    /// D7: a Security Code Card's 100 codes (index `i` at `grid[i]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<Vec<String>>,
}

/// `POST /qa/phones/{id}/provision`: a fresh token and the keys of the users on the
/// phone; for biometric users, the PIN hash the phone keeps behind the biometrics.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneProvision {
    pub phone_id: String,
    pub phone_token: String,
    pub accounts: Vec<PhoneAccount>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneAccount {
    pub username: String,
    pub device_id: String,
    pub suite: String,
    pub secret_hex: String,
    /// `pin` or `biometric`.
    pub security: String,
    pub pin_sha1_hex: Option<String>,
}

/// `GET /qa/sms?number=N`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SmsQuery {
    pub number: Option<String>,
}

/// One simulated text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsMessage {
    pub id: i64,
    pub at: String,
    pub number: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsOutbox {
    pub messages: Vec<SmsMessage>,
}

/// `POST /qa/faults` (K4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// One device, or every device when absent.
    #[serde(default)]
    pub device_id: Option<String>,
    /// `none`, `drop`, `delay` or `offline`.
    pub mode: String,
    #[serde(default)]
    pub delay_ms: u64,
}

/// One fault in force; `target` is a device id or `*` for all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaultInfo {
    pub target: String,
    pub mode: String,
    pub delay_ms: u64,
}

/// `GET /qa/faults`, and `POST`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaultList {
    pub faults: Vec<FaultInfo>,
}

/// `GET /qa/settings`, and `POST`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsInfo {
    pub number_matching: bool,
}

/// `POST /qa/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    pub number_matching: bool,
}

/// `GET /qa/pushes?username=U`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PushQuery {
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushInfo {
    pub push_id: String,
    pub username: String,
    pub device_id: String,
    /// `pending`, `approved`, `denied`, `failed_wrong_response`,
    /// `failed_number_mismatch`, `expired`, `withdrawn` or `completed`.
    pub state: String,
    /// `sent`, `dropped` or `held` (K4).
    pub delivery: String,
    pub number_shown: Option<u8>,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushList {
    pub pushes: Vec<PushInfo>,
}
