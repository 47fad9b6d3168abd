//! What a user may do with the access they have: withdrawal limits (D2), a session's
//! restriction (T2), the Client Portal's online security code card (T3), the user's
//! messages (T5's notices, S4's Compliance decisions), and the temporary passcode an
//! operator issues (T1).

use crate::device::DeviceKind;
use serde::{Deserialize, Serialize};

/// D2: the rows of the withdrawal-limit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LimitRow {
    /// No Secure Login device (also a temporary passcode or an online card, D2).
    None,
    IbKey,
    SecurityCodeCard,
    Dsc,
    DscPlus,
    /// Platinum and Gold.
    PlatinumGold,
    Sms,
}

/// D2: a user's withdrawal limits, from their most protective active device. A null
/// amount is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalLimits {
    pub row: LimitRow,
    /// The device the row comes from (null: none active).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub device_kind: Option<DeviceKind>,
    /// USD per day; null when unlimited.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub per_day_usd: Option<u64>,
    /// USD per 5 business days; null when unlimited.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub per_5_business_days_usd: Option<u64>,
}

/// T2: what a session may do beyond reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionRestriction {
    /// A temporary passcode past its 2 days, on the Client Portal: only to obtain the
    /// online security code card.
    OnlineCardOnly,
}

/// `POST /v1/portal/online-card`: a new grid (T3), to print, and the two indexes whose
/// codes activate it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnlineCardOffer {
    pub device_id: String,
    /// 100 three-digit codes; the code for index `i` is `grid[i]` (00–99).
    pub grid: Vec<String>,
    /// Two distinct indexes; activate by typing their codes together.
    pub indexes: Vec<u8>,
}

impl std::fmt::Debug for OnlineCardOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineCardOffer")
            .field("device_id", &self.device_id)
            .field("indexes", &self.indexes)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/portal/online-card/activate`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnlineCardActivateRequest {
    /// The codes at the offer's two indexes, typed together (6 digits, no spaces).
    pub response: String,
}

/// The codes are the card's: never in a log line.
impl std::fmt::Debug for OnlineCardActivateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineCardActivateRequest")
            .finish_non_exhaustive()
    }
}

/// The online card is active: full access until `expires_at` (T3, 21 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OnlineCardActivated {
    Activated {
        device_id: String,
        activated_at: String,
        expires_at: String,
    },
}

/// `POST /v1/portal/reactivate`: case 10, the permanent device to reactivate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReactivateRequest {
    pub device_id: String,
}

/// What the device must answer to prove it is in the user's hands: a challenge (the
/// DSC+ and the legacy tokens) or two index numbers (a Security Code Card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactivationAsk {
    pub device_id: String,
    pub device_kind: DeviceKind,
    #[serde(flatten)]
    pub method: crate::login::Method,
    pub expires_at: String,
    pub expires_in_seconds: i64,
}

/// `POST /v1/portal/reactivate/confirm`: the device's answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReactivateConfirmRequest {
    /// The challenge's response, or the two codes typed together (no spaces).
    pub response: String,
}

/// The answer proves possession: never in a log line.
impl std::fmt::Debug for ReactivateConfirmRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReactivateConfirmRequest")
            .finish_non_exhaustive()
    }
}

/// What a message in the user's list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// T5: a shipped replacement activates itself within a week.
    AutoActivationApproaching,
    /// T5: within a day.
    AutoActivationImminent,
    /// T5: it did; temporary access ended with it (T4).
    DeviceAutoActivated,
    /// S4: Compliance approved a sharing that waited for it (one approved at once
    /// has no message).
    SharingApproved,
    /// S4: Compliance rejected a sharing that waited for it (with its reason, if given).
    SharingRejected,
}

/// One message in the user's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserMessage {
    /// Stable across reads: the device (T5) or the sharing (S4), and the kind.
    pub id: String,
    pub kind: MessageKind,
    /// When it was posted (RFC 3339, the broker's clock).
    pub at: String,
    /// The replacement (T5), or the device shared (S4).
    pub device_id: String,
    /// T5: when the device activates (or did); null for a sharing's message.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub activates_at: Option<String>,
    /// S4: the sharing Compliance decided on; null for a device's message.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub sharing_id: Option<String>,
    /// The kind of `device_id`, so a client words the message itself (issue 10).
    pub device_kind: DeviceKind,
    /// S4: the shared device's owner; null for a device's message.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub owner: Option<String>,
    /// S4 approved: the user's own devices kept inactive while the sharing stands
    /// (S6); empty otherwise.
    pub devices_set_aside: Vec<String>,
    /// S4 rejected: Compliance's reason as they typed it; null if none was given, and
    /// for every other kind.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
    /// The message in English, for people; a client may word it from the fields above.
    pub text: String,
}

/// `GET /v1/messages`: the newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageList {
    pub messages: Vec<UserMessage>,
}

/// `POST /qa/users/{username}/temporary-passcode`: the passcode, shown this once (T1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryPasscodeIssued {
    pub username: String,
    pub device_id: String,
    /// Upper-case letters and digits, case-sensitive.
    pub passcode: String,
    pub issued_at: String,
    /// T2: trading and portal until then…
    pub full_access_until: String,
    /// …then the portal only (for the online card) until then.
    pub portal_until: String,
}

impl std::fmt::Debug for TemporaryPasscodeIssued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryPasscodeIssued")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("passcode", &"…")
            .finish_non_exhaustive()
    }
}
