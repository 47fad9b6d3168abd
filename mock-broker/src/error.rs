//! The broker's errors: a stable code a client branches on, and the message a person
//! reads (the articles' own words where they have them). Internal causes stay in the
//! log; the HTTP status for each code is chosen in one place, `server::status_of`.

use crate::password::Busy;
use crate::rules::account::{Exceeded, Restricted, ACH_EFT_CAP_USD};
use crate::rules::ibkey::{PhoneNumberError, PinError, PushFailure};
use crate::rules::replacement::{AddressError, SoftPinError, DSC_PLUS_MIN_EQUITY_USD};
use crate::rules::session::SessionEnd;
use crate::rules::sharing::Refusal;
use crate::rules::{Timestamp, LOCKOUT_THRESHOLD};
use crate::store::StoreError;
use portcullis_api::WithdrawalUsage;
use portcullis_api::{DeviceKind, DeviceStatus};

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// L3.
    #[error("bad character in username")]
    BadCharacter,
    /// L2: unknown username and wrong password alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// L4/L5.
    #[error("locked until {until:?}")]
    Locked { until: Timestamp },
    /// L6.
    #[error("second factor wrong")]
    LoginFailed,
    /// C4.
    #[error("challenge expired")]
    ChallengeExpired,
    /// C4: a challenge answered already, cancelled, or never issued.
    #[error("no pending login for that ticket")]
    NoPendingLogin,
    /// The ticket outlived its 15 minutes.
    #[error("login expired")]
    LoginExpired,
    /// The step asked for does not fit where the login or activation stands.
    #[error("wrong stage: {0:?}")]
    WrongStage(WrongStage),
    /// K6: the phone said "I'm not logging in".
    #[error("push denied")]
    PushDenied,
    /// K6/L6: the phone answered the push wrongly; the waiting desktop hears how.
    #[error("push answered wrongly: {0:?}")]
    PushFailed(PushFailure),
    /// K6: 180 s passed without an answer.
    #[error("push expired")]
    PushExpired,
    /// K6: a push answers once.
    #[error("push already answered")]
    PushAnswered,
    /// Number matching: the phone picked another number.
    #[error("number mismatch")]
    NumberMismatch,
    /// K1/D3.
    #[error("invalid phone number: {0:?}")]
    InvalidPhoneNumber(PhoneNumberError),
    /// K1.
    #[error("invalid PIN: {0:?}")]
    InvalidPin(PinError),
    /// K1: the SMS activation code was wrong.
    #[error("invalid activation code")]
    InvalidCode { tries_left: u32 },
    /// K1: the activation code expired or was tried too often.
    #[error("activation over")]
    ActivationOver(&'static str),
    /// K5: the username is on this phone already.
    #[error("already on this phone")]
    AlreadyAdded,
    /// The phone's token is not known.
    #[error("unknown phone")]
    UnknownPhone,
    #[error("no live session for that token")]
    InvalidSession,
    /// Issue 6: the session passed its idle end or the daily end.
    #[error("session expired: {0:?}")]
    SessionExpired(SessionEnd),
    /// T2: a trading login with a temporary passcode past its 2 days.
    #[error("use the client portal")]
    UseClientPortal,
    /// T2, T3: the temporary passcode or online card expired or was voided (T4).
    #[error("temporary access expired")]
    TemporaryAccessExpired,
    /// D5: every device of the user is lost, on its way or inactive.
    #[error("no active device")]
    NoActiveDevice,
    /// The session may not do this (T2, T3).
    #[error("not permitted: {0}")]
    NotPermitted(&'static str),
    /// T1: no consecutive temporary passcodes.
    #[error("consecutive temporary passcode")]
    ConsecutivePasscode,
    #[error("not found: {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Password hashing is at capacity (in flight and queued): try again shortly.
    #[error("busy")]
    Busy,
    /// A POST without `Content-Type: application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An `Origin` other than the broker's own (a web page).
    #[error("forbidden origin")]
    ForbiddenOrigin,
    /// A `Host` that is not a loopback name (DNS rebinding).
    #[error("forbidden host")]
    ForbiddenHost,
    /// `/qa` without the broker's QA token.
    #[error("QA token required")]
    QaTokenRequired,
    /// O3: only the entity's primary user may change security settings.
    #[error("not the primary user")]
    NotPrimary { primary_username: Option<String> },
    /// O1: the account opted out, and may not do this.
    #[error("restricted: {0:?}")]
    Restricted(Restricted),
    /// D2: over a withdrawal limit; `usage` is what is left.
    #[error("withdrawal limit exceeded: {which:?}")]
    LimitExceeded {
        which: Exceeded,
        usage: WithdrawalUsage,
    },
    /// S1, S2, S5: the sharing request breaks this condition (the most decisive of
    /// those it breaks; the audit lists them all).
    #[error("sharing refused: {0:?}")]
    SharingRefused(Refusal),
    /// A sharing step asked of a request that is not at that step (`wrong_stage`).
    #[error("sharing not at that step: {0}")]
    SharingStage(&'static str),
    /// D4: a DSC+ needs equity of at least 1,000,000 USD.
    #[error("insufficient equity: {equity_usd}")]
    InsufficientEquity { equity_usd: i64 },
    /// R1: a shipping address a parcel cannot go to.
    #[error("invalid address: {0:?}")]
    InvalidAddress(AddressError),
    /// R1, C2: a DSC+ soft PIN is 4 digits.
    #[error("invalid soft PIN: {0:?}")]
    InvalidSoftPin(SoftPinError),
    /// R1: one DSC+ on order, on its way or in service at a time.
    #[error("already has a DSC+: {device_id} {status:?}")]
    AlreadyHasDscPlus {
        device_id: String,
        status: DeviceStatus,
    },
    /// R1: no summary waits for that confirmation.
    #[error("no pending order")]
    NoPendingOrder,
    /// R2: this kind is not sent back.
    #[error("not returnable: {0:?}")]
    NotReturnable(DeviceKind),
}

/// Where a login or an activation stood when a step that does not fit was asked of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongStage {
    /// A fallback or "Send again" while no push is out.
    NotPushing,
    /// K2: the push was approved; the login proceeds through the wait.
    PushApproved,
    /// A typed response while the login waits for a device choice or a push.
    NotTyped,
    /// K1 vs D5: an activation finished before its device answered.
    AwaitingDevice,
    /// A device's answer to an activation that did not ask for one.
    NotVerifying,
}

impl WrongStage {
    pub fn message(self) -> &'static str {
        match self {
            WrongStage::NotPushing => "This login is not waiting for a notification.",
            WrongStage::PushApproved => {
                "This login was approved on the phone; it continues by itself."
            }
            WrongStage::NotTyped => "This login is not waiting for a typed response.",
            WrongStage::AwaitingDevice => {
                "Confirm this activation with your active Secure Login device first."
            }
            WrongStage::NotVerifying => "This activation is not waiting for a device's response.",
        }
    }
}

impl From<Busy> for BrokerError {
    fn from(Busy: Busy) -> Self {
        BrokerError::Busy
    }
}

/// Seconds a `busy` client is told to wait before trying again.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 1;

impl BrokerError {
    pub fn code(&self) -> &'static str {
        match self {
            BrokerError::MissingField(_) => "missing_field",
            BrokerError::BadRequest(_) => "bad_request",
            BrokerError::BadCharacter => "bad_character",
            BrokerError::InvalidCredentials => "invalid_credentials",
            BrokerError::Locked { .. } => "locked",
            BrokerError::LoginFailed => "login_failed",
            BrokerError::ChallengeExpired => "challenge_expired",
            BrokerError::NoPendingLogin => "no_pending_login",
            BrokerError::InvalidSession => "invalid_session",
            BrokerError::SessionExpired(_) => "session_expired",
            BrokerError::LoginExpired => "login_expired",
            BrokerError::WrongStage(_) => "wrong_stage",
            BrokerError::PushDenied => "push_denied",
            // The same code as a wrong response typed on the desktop (L6); `reason` says more.
            BrokerError::PushFailed(_) => "login_failed",
            BrokerError::PushExpired => "push_expired",
            BrokerError::PushAnswered => "push_already_answered",
            BrokerError::NumberMismatch => "number_mismatch",
            BrokerError::InvalidPhoneNumber(_) => "invalid_phone_number",
            BrokerError::InvalidPin(_) => "invalid_pin",
            BrokerError::InvalidCode { .. } => "invalid_code",
            BrokerError::ActivationOver(_) => "activation_over",
            BrokerError::AlreadyAdded => "already_added",
            BrokerError::UnknownPhone => "unknown_phone",
            BrokerError::UseClientPortal => "use_client_portal",
            BrokerError::TemporaryAccessExpired => "temporary_access_expired",
            BrokerError::NoActiveDevice => "no_active_device",
            BrokerError::NotPermitted(_) => "not_permitted",
            BrokerError::ConsecutivePasscode => "consecutive_passcode",
            BrokerError::NotFound(_) => "not_found",
            BrokerError::Store(_) => "internal",
            BrokerError::Busy => "busy",
            BrokerError::UnsupportedMediaType => "unsupported_media_type",
            BrokerError::ForbiddenOrigin => "forbidden_origin",
            BrokerError::ForbiddenHost => "forbidden_host",
            BrokerError::QaTokenRequired => "qa_token_required",
            BrokerError::NotPrimary { .. } => "not_primary",
            BrokerError::Restricted(_) => "restricted",
            BrokerError::LimitExceeded { .. } => "limit_exceeded",
            BrokerError::SharingRefused(why) => why.code(),
            BrokerError::SharingStage(_) => "wrong_stage",
            BrokerError::InsufficientEquity { .. } => "insufficient_equity",
            BrokerError::InvalidAddress(_) => "invalid_address",
            BrokerError::InvalidSoftPin(_) => "invalid_pin",
            BrokerError::AlreadyHasDscPlus { .. } => "already_has_dsc_plus",
            BrokerError::NoPendingOrder => "no_pending_order",
            BrokerError::NotReturnable(_) => "not_returnable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            BrokerError::MissingField(field) => format!("The field \"{field}\" is required."),
            BrokerError::BadRequest(why) => why.clone(),
            BrokerError::BadCharacter => "BAD CHARACTER".into(),
            BrokerError::InvalidCredentials => "Invalid user name password combination".into(),
            BrokerError::Locked { until } => format!(
                "This user name is locked after {LOCKOUT_THRESHOLD} consecutive failed login attempts. \
                 It unlocks at {}, 24 hours after the last unsuccessful attempt. \
                 Client Services can help: call your regional Client Services Center.",
                until.human()
            ),
            BrokerError::LoginFailed => "Login failed".into(),
            BrokerError::ChallengeExpired => {
                "The challenge has expired. Please log in again.".into()
            }
            BrokerError::NoPendingLogin => {
                "This login is no longer waiting for a response. Please log in again.".into()
            }
            BrokerError::InvalidSession => "Your session has ended. Please log in again.".into(),
            BrokerError::SessionExpired(SessionEnd::Idle) => {
                "Your session ended after a period without activity. Please log in again.".into()
            }
            BrokerError::SessionExpired(SessionEnd::DailyEnd) => {
                "Your session ended at the daily cut-off. Please log in again.".into()
            }
            BrokerError::SessionExpired(SessionEnd::DeviceEnded) => {
                "Your session ended: the temporary passcode or online security code card it \
                 used no longer works."
                    .into()
            }
            BrokerError::LoginExpired => "This login has expired. Please log in again.".into(),
            BrokerError::WrongStage(stage) => stage.message().into(),
            BrokerError::PushDenied => "Login failed: the request was denied on the phone.".into(),
            BrokerError::PushFailed(PushFailure::WrongResponse) => {
                "Login failed: the phone's response was wrong.".into()
            }
            BrokerError::PushFailed(PushFailure::NumberMismatch) => {
                "Login failed: the wrong number was picked on the phone.".into()
            }
            BrokerError::PushExpired => {
                "The notification expired before it was answered. Send it again, or use the challenge instead.".into()
            }
            BrokerError::PushAnswered => "This login request has already been answered.".into(),
            BrokerError::NumberMismatch => {
                "That is not the number shown on the login screen. The request was refused.".into()
            }
            BrokerError::InvalidPhoneNumber(why) => why.to_string(),
            BrokerError::InvalidPin(why) => why.to_string(),
            BrokerError::InvalidCode { tries_left } => {
                format!("That activation code is not right. {tries_left} tries left.")
            }
            BrokerError::ActivationOver(why) => (*why).into(),
            BrokerError::AlreadyAdded => "This user name is already on this phone.".into(),
            BrokerError::UnknownPhone => "This phone is not registered. Activate IB Key again.".into(),
            BrokerError::UseClientPortal => {
                "Your temporary passcode no longer gives access to the trading platform. \
                 Log in to the Client Portal with it to print or save your online security \
                 code card."
                    .into()
            }
            BrokerError::TemporaryAccessExpired => {
                "Your temporary access has expired. Please contact your regional Client \
                 Services Center for assistance."
                    .into()
            }
            BrokerError::NoActiveDevice => {
                "None of your Secure Login devices is active. Please contact your regional \
                 Client Services Center for assistance."
                    .into()
            }
            BrokerError::NotPermitted(why) => (*why).into(),
            BrokerError::ConsecutivePasscode => {
                "Consecutive temporary passcodes are not issued: this user has had one and \
                 has not reactivated a permanent device since."
                    .into()
            }
            BrokerError::NotFound(what) => format!("Not found: {what}"),
            BrokerError::Store(_) => "The broker could not complete the request.".into(),
            BrokerError::Busy => {
                "The login server is busy. Please try again in a moment.".into()
            }
            BrokerError::UnsupportedMediaType => {
                "Requests must be sent as JSON (Content-Type: application/json).".into()
            }
            BrokerError::ForbiddenOrigin => {
                "Requests from web pages are not accepted.".into()
            }
            BrokerError::ForbiddenHost => {
                "This broker answers only to its loopback address (127.0.0.1, localhost, [::1]).".into()
            }
            BrokerError::QaTokenRequired => {
                "The QA controls need this broker's token in the X-QA-Token header.".into()
            }
            BrokerError::NotPrimary {
                primary_username: Some(primary),
            } => format!(
                "Your user is not allowed to change the security settings of this account. \
                 The primary user, {primary}, can: they log in to the Client Portal to do so."
            ),
            BrokerError::NotPrimary {
                primary_username: None,
            } => "Your user is not allowed to change the security settings of this account: \
                  only its primary user can. Please contact Client Services."
                .into(),
            BrokerError::Restricted(why) => restricted_message(*why),
            BrokerError::LimitExceeded { which, usage } => limit_message(*which, usage),
            BrokerError::SharingRefused(why) => sharing_refusal_message(*why).into(),
            BrokerError::SharingStage(why) => (*why).into(),
            BrokerError::InsufficientEquity { equity_usd } => format!(
                "A Digital Security Card+ is available to accounts with equity of at least \
                 {DSC_PLUS_MIN_EQUITY_USD} USD; this account has {equity_usd} USD. IB Key, \
                 on IBKR Mobile, is available to every account."
            ),
            BrokerError::InvalidAddress(why) => why.to_string(),
            BrokerError::InvalidSoftPin(why) => why.to_string(),
            BrokerError::AlreadyHasDscPlus { device_id, status } => format!(
                "You already have a Digital Security Card+ ({device_id}, {}). Report it lost \
                 or send it back before ordering a replacement.",
                status.as_str()
            ),
            BrokerError::NoPendingOrder => {
                "This order summary is no longer waiting for confirmation. Please request \
                 the device again."
                    .into()
            }
            BrokerError::NotReturnable(DeviceKind::SecurityCodeCard) => {
                "Security Code Cards are not returned: shred the card and throw it away.".into()
            }
            BrokerError::NotReturnable(kind) => format!(
                "A {} is not sent back: there is nothing to return.",
                kind.display_name()
            ),
        }
    }
}

/// S5: the sharing article's error messages (and ours where it has none).
fn sharing_refusal_message(why: Refusal) -> &'static str {
    match why {
        Refusal::LessSecureDevice => {
            "Less secure device: the device set up to be shared is not the most secure one \
             of the users involved. Please identify the most secure device and share that one."
        }
        Refusal::DifferentIdentification => {
            "Different identification information: the identification data of the \
             entities or individuals involved in the sharing do not match. Users of \
             different entities or individuals cannot share a device. If they are in fact \
             the same, an outdated identification document on record may be the cause: \
             Client Services can have the data rectified."
        }
        Refusal::TemporaryDeviceAssigned => {
            "A temporary security device (temporary passcode or online security code card) \
             is assigned to one of the users involved. Devices can be shared once it no \
             longer is: reactivate or activate the permanent device first."
        }
        Refusal::UseAddUser => {
            "This device is IB Key: several users share IB Key from the IBKR Mobile app \
             itself (Authenticate, then Add user), not through device sharing."
        }
    }
}

/// O1: why, and the way back (opting in, O2).
fn restricted_message(why: Restricted) -> String {
    const OPTED_OUT: &str = "this account opted out of the Secure Login System";
    match why {
        Restricted::PinkSheet => format!(
            "Orders in Pink Sheet stocks are not accepted: {OPTED_OUT}. Opt back in to trade them."
        ),
        Restricted::Otcbb => format!(
            "Orders in OTCBB stocks are not accepted: {OPTED_OUT}. Opt back in to trade them."
        ),
        Restricted::BankInstructions => format!(
            "Bank instructions cannot be changed here: {OPTED_OUT}. Opt back in, or contact \
             Client Services."
        ),
        Restricted::Email => format!(
            "The email address cannot be changed here: {OPTED_OUT}. Opt back in, or contact \
             Client Services."
        ),
        Restricted::AchEftCap { left_usd } => format!(
            "ACH and EFT funding is capped at {ACH_EFT_CAP_USD} USD in all: {OPTED_OUT}. \
             {left_usd} USD left; opt back in, or fund by wire."
        ),
    }
}

/// D2: which limit, and what is left of it.
fn limit_message(which: Exceeded, usage: &WithdrawalUsage) -> String {
    let left = |usd: Option<u64>| usd.map_or_else(|| "no limit".to_owned(), |u| format!("{u} USD"));
    match which {
        Exceeded::PerDay => format!(
            "This withdrawal is over your daily withdrawal limit: {} left today.",
            left(usage.left_today_usd)
        ),
        Exceeded::Per5BusinessDays => format!(
            "This withdrawal is over your withdrawal limit for 5 business days: {} left in \
             this window.",
            left(usage.left_5_business_days_usd)
        ),
    }
}
