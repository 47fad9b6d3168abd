//! Sharing one Secure Login device between usernames (S1–S6), on the Client Portal,
//! by the requesting user: the owner's credentials, the owner's device's security
//! element, a review, a confirmation; then the sharing in force (or waiting for
//! Compliance, S4) until the requesting user cancels it (S6).

use crate::device::{DeviceKind, DeviceStatus};
use crate::login::{DeviceOption, Method};
use serde::{Deserialize, Serialize};

/// `POST /v1/sharing/start`: step 6, the device owner's credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharingStartRequest {
    pub owner_username: String,
    pub owner_password: String,
    /// Which of the owner's active devices to share; absent: the owner's most
    /// protective one (S1c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

impl std::fmt::Debug for SharingStartRequest {
    // The owner's password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharingStartRequest")
            .field("owner_username", &self.owner_username)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Step 7: what the owner's device must answer (a challenge or two index numbers),
/// once, within 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharingAsk {
    pub sharing_id: String,
    pub owner: String,
    pub device_id: String,
    pub device_kind: DeviceKind,
    #[serde(flatten)]
    pub method: Method,
    pub expires_at: String,
    pub expires_in_seconds: i64,
}

/// `POST /v1/sharing/{id}/answer`: the owner's device's response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharingAnswerRequest {
    /// The challenge's response, or the two codes typed together (no spaces).
    pub response: String,
}

/// Step 8: what the requesting user reviews before confirming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharingReview {
    pub sharing_id: String,
    pub owner: String,
    /// The owner's device, to be shared.
    pub device: DeviceOption,
    /// S6: the requesting user's devices that become redundant and are kept inactive.
    pub devices_set_aside: Vec<DeviceOption>,
}

/// Where a sharing request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SharingStatus {
    /// The owner's device was asked its security element.
    Asked,
    /// Answered; waiting for the requesting user's confirmation.
    Reviewing,
    /// S4: confirmed; Compliance must approve it first.
    PendingCompliance,
    /// S4: Compliance rejected it; nothing was set aside, and the requesting user may
    /// ask again.
    Rejected,
    /// In force: the owner's device answers the requesting user's logins (D6).
    Approved,
    /// S6: cancelled; the devices set aside serve again.
    Cancelled,
    /// The security element was answered wrongly.
    Failed,
    /// The security element was answered after 5 minutes.
    Expired,
}

/// A sharing, as `GET /v1/sharing` lists it and each step after the review answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sharing {
    pub id: String,
    /// The user who asked (and whose logins the device now answers).
    pub requester: String,
    /// The device's owner.
    pub owner: String,
    pub device_id: String,
    pub device_kind: DeviceKind,
    /// The shared device's own status (its owner may lose or return it).
    pub device_status: DeviceStatus,
    pub status: SharingStatus,
    pub requested_at: String,
    /// When it was confirmed (approved at once or sent to Compliance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    /// S4: when it came into force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    /// S6: when it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// S4: when Compliance rejected it (the reason is the requesting user's, in their
    /// messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<String>,
    /// S6: the requesting user's devices kept inactive while it stands (reactivated
    /// when it is cancelled).
    pub devices_set_aside: Vec<String>,
}

/// `GET /v1/sharing`: the sharings the session's user requested or owns, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharingList {
    pub sharings: Vec<Sharing>,
}

/// The longest reason Compliance may give for a rejection, in characters.
pub const REJECTION_REASON_MAX_CHARS: usize = 200;

/// `POST /qa/sharing/{id}/reject` (S4): why Compliance rejects the request, shown to
/// the requesting user. The body is optional: no body, `null`, `{}` and a blank
/// `reason` all mean no reason given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharingRejectRequest {
    /// One line of at most 200 characters (trimmed; no control characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "rejection_reason"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub reason: Option<String>,
}

/// A rejection's reason as the wire takes it: trimmed, blank as none; too long, or
/// with a control character (a line break in the audit or the message), refused.
fn rejection_reason<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(reason) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let reason = reason.trim();
    if reason.chars().count() > REJECTION_REASON_MAX_CHARS {
        return Err(serde::de::Error::custom(format_args!(
            "at most {REJECTION_REASON_MAX_CHARS} characters"
        )));
    }
    if reason.chars().any(char::is_control) {
        return Err(serde::de::Error::custom("one line, no control characters"));
    }
    Ok((!reason.is_empty()).then(|| reason.to_owned()))
}
