//! The broker's HTTP contract, shared by the broker (which answers with these types),
//! the desktop app and the tests (which decode into them). Only serde here: no HTTP,
//! no rules. What a value *means* under the Secure Login rules is cited by rule id
//! (`../shared/SLS-RULES.md`); what the broker does with it lives in `mock-broker`.
//!
//! With the `openapi` feature every type derives a utoipa schema, from which the
//! broker builds the OpenAPI document it serves at `GET /openapi.json`.

pub mod access;
pub mod account;
pub mod device;
pub mod error;
pub mod faults;
pub mod journal;
pub mod login;
pub mod phone;
pub mod qa;
pub mod replacement;
pub mod sharing;

pub use access::{
    LimitRow, MessageKind, MessageList, OnlineCardActivateRequest, OnlineCardActivated,
    OnlineCardOffer, ReactivateConfirmRequest, ReactivateRequest, ReactivationAsk,
    SessionRestriction, TemporaryPasscodeIssued, UserMessage, WithdrawalLimits,
};
pub use account::{
    AccountInfo, AccountRef, AchEftFunding, BankInstructionsRequest, DepositMade, DepositMethod,
    DepositRequest, EmailRequest, EntityRef, Market, OptInRequest, OrderPlaced, OrderRequest,
    OrderSide, ProfileField, ProfileUpdated, Restriction, SecureLoginUpdated, WithdrawalMade,
    WithdrawalRequest, WithdrawalUsage,
};
pub use device::{Channel, DeviceKind, DeviceStatus, Protection, SecondFactorMethod};
pub use error::{ErrorBody, ErrorCode, ErrorReason, HintCode};
pub use faults::{
    ForcedError, ForcedErrorRequest, FreezeState, RouteFault, RouteFaultList, RouteFaultRequest,
    ROUTE_FAULT_MAX_DELAY_MS,
};
pub use journal::{
    JournalEntry, JournalPage, JournalQuery, JOURNAL_CAPACITY, JOURNAL_DEFAULT_LIMIT,
};
pub use login::{
    DeviceChoice, DeviceOption, DeviceRequest, Empty, Health, LoggedOut, LoginCancelled,
    LoginRequest, LoginStep, Method, NewSession, PushWait, ResponseRequest, SecondFactor,
    SessionInfo, SessionOpened, TicketRequest, WaitRequest,
};
pub use phone::{
    Activated, ActivationFinishRequest, ActivationStartRequest, ActivationStep,
    ActivationVerifyRequest, ApproveRequest, CodeSent, PhoneAccess, PhoneAccessList, PhoneEvent,
    PhonePush, PhonePushes, PushApproved, PushDenied, VerifyDevice, VerifyMethod,
};
pub use qa::{
    AdvanceRequest, AuditEvent, AuditLog, AuditQuery, ClockInfo, DeviceInfo, DeviceList,
    DeviceProvision, FaultInfo, FaultList, FaultRequest, LockoutInfo, PhoneAccount, PhoneProvision,
    PushInfo, PushList, PushQuery, ResetDone, SetClockRequest, SettingsInfo, SettingsRequest,
    SmsMessage, SmsOutbox, SmsQuery,
};
pub use replacement::{
    AccountClosed, DepositHold, DeviceOrderConfirmRequest, DeviceOrderInfo, DeviceOrderList,
    DeviceOrderPlaced, DeviceOrderRequest, DeviceOrderStep, DeviceReturnInfo, HoldList, HoldStatus,
    LossReason, ReportLostRequest, ShippingAddress,
};
pub use sharing::{
    Sharing, SharingAnswerRequest, SharingAsk, SharingList, SharingRejectRequest, SharingReview,
    SharingStartRequest, SharingStatus, REJECTION_REASON_MAX_CHARS,
};

#[cfg(test)]
mod tests;
