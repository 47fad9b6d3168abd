//! Every error the broker answers: `{"code", "message"}` plus, for some codes, what a
//! client needs to act on it. Clients branch on `code` (and `reason`), never on the
//! message, which is for people.

use serde::{Deserialize, Serialize};

/// The stable codes of the broker's errors. The HTTP status for each is chosen in one
/// place, in the broker's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400, L3: the username has anything but ASCII letters and digits.
    BadCharacter,
    /// 400: an empty username or password, or another required value empty.
    MissingField,
    /// 400: a value the rules cannot take (a too-long username, a clock moved back…).
    BadRequest,
    /// 400: the body is not JSON (or not UTF-8).
    InvalidJson,
    /// 400: a QA query string that does not parse.
    InvalidQuery,
    /// 403: an `Origin` other than the broker's own.
    ForbiddenOrigin,
    /// 403: a `Host` that is not a loopback name (on a loopback broker).
    ForbiddenHost,
    /// 401: `/qa` without the broker's `X-QA-Token`.
    QaTokenRequired,
    /// 503: more password checks waiting than the broker queues; see `Retry-After`.
    Busy,
    /// 422: a field missing, unknown or of the wrong type.
    InvalidField,
    /// 415: a `POST` without `Content-Type: application/json`.
    UnsupportedMediaType,
    /// 413: over 16 KiB.
    BodyTooLarge,
    /// 401, L2: wrong password or unknown username.
    InvalidCredentials,
    /// 401, L6: a wrong second-factor response (with `hints`); from a phone's wrong
    /// answer, with `reason`.
    LoginFailed,
    /// 401: no session for the token.
    InvalidSession,
    /// 401: the session passed its idle end or its daily end (`reason`).
    SessionExpired,
    /// 423, L4/L5: locked (`locked_until`).
    Locked,
    /// 410, C4: answered 5 minutes or more after it was issued.
    ChallengeExpired,
    /// 409, C4/K3: nothing waits for that answer any more.
    NoPendingLogin,
    /// 409: the login or activation is not at that step (`reason`).
    WrongStage,
    /// 410: the ticket's 15 minutes are over.
    LoginExpired,
    /// 401, K6: *I'm not logging in* on the phone.
    PushDenied,
    /// 410, K6: 180 s without an answer.
    PushExpired,
    /// 409, K6: a push answers once.
    PushAlreadyAnswered,
    /// 401: number matching, the phone picked another number.
    NumberMismatch,
    /// 400, D3/K1: which check failed is in `reason`.
    InvalidPhoneNumber,
    /// 400, K1: which check failed is in `reason`.
    InvalidPin,
    /// 401, K1: a wrong activation code (`tries_left`).
    InvalidCode,
    /// 410, K1: the activation is over (expired, or wrong three times).
    ActivationOver,
    /// 409, K5: that username is on this phone already.
    AlreadyAdded,
    /// 401: the phone token is not known.
    UnknownPhone,
    /// 403, T2: a trading login with a temporary passcode past its 2 days.
    UseClientPortal,
    /// 403, T2/T3: the temporary passcode or online card has expired or was voided (T4).
    TemporaryAccessExpired,
    /// 403, D5: the user's devices are all lost, on their way or inactive.
    NoActiveDevice,
    /// 403: the session may not do this (T2: a portal session past day 2 obtains the
    /// online card only; T3: the card is obtained on the portal with a passcode).
    NotPermitted,
    /// 409, T1: no consecutive temporary passcodes.
    ConsecutivePasscode,
    /// 404: no such endpoint, or no such thing.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 503: the broker could not complete the request; the cause is in its log only.
    Internal,
    // ---- issue 9, helper A: account, opt-out/in, restrictions, withdrawals ----
    /// 403, O3: only the primary user may change security settings
    /// (`primary_username` names who may).
    NotPrimary,
    /// 403, O1: the account opted out of the Secure Login System, and this is one of
    /// the things it may not do (`reason`; `ach_eft` for the funding cap).
    Restricted,
    /// 403, D2: over the withdrawal limit (`reason` says which; `withdrawals` what is
    /// left).
    LimitExceeded,
    /// 403, S1c/S5: "Less secure device": the device to share is not the most
    /// protective of the users'.
    LessSecureDevice,
    /// 403, S1a/S5: "Different identification information": the users' entities
    /// differ and so does their identification data.
    DifferentIdentification,
    /// 403, S1b: a temporary passcode or online security code card is assigned to one
    /// of the users.
    TemporaryDeviceAssigned,
    /// 403, S2/K5: the owner's device is IB Key: use *Add user* in the app.
    UseAddUser,
    /// 403, D4: a DSC+ needs equity of at least 1,000,000 USD.
    InsufficientEquity,
    /// 400, R1: the shipping address is incomplete or malformed (`reason`).
    InvalidAddress,
    /// 409, R1: the user already has a DSC+ on order, on its way or active.
    AlreadyHasDscPlus,
    /// 409, R1: no order summary waits for that confirmation (never given, replaced by
    /// a newer one, or past its 30 minutes).
    NoPendingOrder,
    /// 400, R2: this kind is not sent back (a Security Code Card is shredded).
    NotReturnable,
    /// 503: the broker is not available. Only ever answered by a QA route fault
    /// (`/qa/faults/routes`), to stand for an outage.
    Unavailable,
}

impl ErrorCode {
    /// The wire name (`bad_character`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadCharacter => "bad_character",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::ForbiddenHost => "forbidden_host",
            ErrorCode::QaTokenRequired => "qa_token_required",
            ErrorCode::Busy => "busy",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::LoginFailed => "login_failed",
            ErrorCode::InvalidSession => "invalid_session",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::Locked => "locked",
            ErrorCode::ChallengeExpired => "challenge_expired",
            ErrorCode::NoPendingLogin => "no_pending_login",
            ErrorCode::WrongStage => "wrong_stage",
            ErrorCode::LoginExpired => "login_expired",
            ErrorCode::PushDenied => "push_denied",
            ErrorCode::PushExpired => "push_expired",
            ErrorCode::PushAlreadyAnswered => "push_already_answered",
            ErrorCode::NumberMismatch => "number_mismatch",
            ErrorCode::InvalidPhoneNumber => "invalid_phone_number",
            ErrorCode::InvalidPin => "invalid_pin",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::ActivationOver => "activation_over",
            ErrorCode::AlreadyAdded => "already_added",
            ErrorCode::UnknownPhone => "unknown_phone",
            ErrorCode::UseClientPortal => "use_client_portal",
            ErrorCode::TemporaryAccessExpired => "temporary_access_expired",
            ErrorCode::NoActiveDevice => "no_active_device",
            ErrorCode::NotPermitted => "not_permitted",
            ErrorCode::ConsecutivePasscode => "consecutive_passcode",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Internal => "internal",
            ErrorCode::NotPrimary => "not_primary",
            ErrorCode::Restricted => "restricted",
            ErrorCode::LimitExceeded => "limit_exceeded",
            ErrorCode::LessSecureDevice => "less_secure_device",
            ErrorCode::DifferentIdentification => "different_identification",
            ErrorCode::TemporaryDeviceAssigned => "temporary_device_assigned",
            ErrorCode::UseAddUser => "use_add_user",
            ErrorCode::InsufficientEquity => "insufficient_equity",
            ErrorCode::InvalidAddress => "invalid_address",
            ErrorCode::AlreadyHasDscPlus => "already_has_dsc_plus",
            ErrorCode::NoPendingOrder => "no_pending_order",
            ErrorCode::NotReturnable => "not_returnable",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What more an error's code says, where one code has several causes a client may
/// tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    /// `session_expired`: no activity for the idle limit.
    Idle,
    /// `session_expired`: the daily end passed.
    DailyEnd,
    /// `session_expired` (T4): the temporary device the session came through was voided
    /// or expired.
    DeviceEnded,
    /// `login_failed` from a push: the phone's OCRA response was wrong.
    WrongResponse,
    /// `login_failed` from a push: the phone picked another number.
    NumberMismatch,
    /// `invalid_phone_number`: not digits only.
    NotDigits,
    /// `invalid_phone_number`: a leading 0 (the trunk prefix).
    TrunkPrefix,
    /// `invalid_phone_number` (not 6–14 digits) or `invalid_pin` (not 4–6 characters).
    Length,
    /// `invalid_pin`: a space or a character that is not a letter, digit or symbol.
    Characters,
    /// `wrong_stage`: the login is not waiting for a notification (fallback, resend).
    NotPushing,
    /// `wrong_stage` (K2): the push was approved; the login proceeds by itself.
    PushApproved,
    /// `wrong_stage`: the login is not waiting for a typed response.
    NotTyped,
    /// `wrong_stage`: the activation waits for the active device's answer first.
    AwaitingDevice,
    /// `wrong_stage`: the activation is not waiting for a device's answer.
    NotVerifying,
    // ---- issue 9, helper A ----
    /// `restricted` (O1): an order in a Pink Sheet symbol.
    PinkSheet,
    /// `restricted` (O1): an order in an OTCBB symbol.
    Otcbb,
    /// `restricted` (O1): a change of bank instructions.
    BankInstructions,
    /// `restricted` (O1): a change of the email address.
    Email,
    /// `restricted` (O1): ACH/EFT funding past 20,000 USD in all.
    AchEftCap,
    /// `limit_exceeded` (D2): the per-day limit.
    PerDay,
    /// `limit_exceeded` (D2): the per-5-business-days limit.
    #[serde(rename = "per_5_business_days")]
    Per5BusinessDays,
    /// `invalid_address`: a street line, city, postal code or country is missing.
    Incomplete,
    /// `invalid_address`: the country is not a two-letter code in capitals.
    Country,
}

/// L6: which hint a `hints` entry is, in the same order (a client shows its own
/// wording for the code; `hints` keeps the English).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HintCode {
    /// "Temporary passcodes are upper case and case-sensitive."
    TemporaryCase,
    /// "Security card and device responses have no spaces between characters."
    NoSpaces,
}

/// The body of every error answer. Fields beyond `code` and `message` appear only
/// with the codes that carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// For people; clients branch on `code`.
    pub message: String,
    /// `locked`: when the lock ends (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    /// `login_failed` for a wrong response (L6): what to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<Vec<String>>,
    /// With `hints`: each hint's code, in the same order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_codes: Option<Vec<HintCode>>,
    /// `invalid_code`: tries left before the activation is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorReason>,
    /// `not_primary` (O3): the user who may change the security settings (null: the
    /// entity has no primary user on record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_username: Option<String>,
    /// `limit_exceeded` (D2): what the withdrawals used and what is left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<crate::account::WithdrawalUsage>,
    /// `restricted` with `ach_eft_cap` (O1): ACH/EFT so far and what the cap leaves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ach_eft: Option<crate::account::AchEftFunding>,
}

impl ErrorBody {
    /// Just a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code,
            message: message.into(),
            locked_until: None,
            hints: None,
            hint_codes: None,
            tries_left: None,
            reason: None,
            primary_username: None,
            withdrawals: None,
            ach_eft: None,
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ErrorBody {}
