//! The account home (issue 9): who the user is in their entity (O3), the Secure Login
//! opt-out and what it restricts (O1, O2), withdrawals against D2's limits, deposits,
//! orders, and the bank-instruction and email changes O1 refuses while opted out.

use crate::access::WithdrawalLimits;
use crate::replacement::ShippingAddress;
use serde::{Deserialize, Serialize};

/// O1: what an opted-out account may not do, as the account home lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    /// No orders in Pink Sheet or OTCBB symbols.
    PinkSheetOtcbb,
    /// D2: withdrawal limits of the `none` row.
    WithdrawalLimitsNone,
    /// No self-service change of bank instructions.
    BankInstructions,
    /// No self-service change of the email address.
    Email,
    /// ACH and EFT funding capped at 20,000 USD in all.
    AchEftCap,
}

impl Restriction {
    /// Every O1 restriction, in the order the account home lists them.
    pub const ALL: [Restriction; 5] = [
        Restriction::PinkSheetOtcbb,
        Restriction::WithdrawalLimitsNone,
        Restriction::BankInstructions,
        Restriction::Email,
        Restriction::AchEftCap,
    ];
}

/// Where a symbol trades (the scenario's `[[symbols]]`): O1 refuses the last two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Market {
    Listed,
    PinkSheet,
    Otcbb,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntityRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountRef {
    /// The account number (`U…`).
    pub account: String,
    /// D4: as the scenario says; withdrawals and deposits are recorded, not booked.
    pub equity_usd: u64,
}

/// D2: what the user's withdrawals used of their limits, and what is left. A null
/// `left` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalUsage {
    /// Withdrawn today (UTC, the broker's clock).
    pub per_day_used_usd: u64,
    /// Withdrawn in the 5 business days ending today.
    pub per_5_business_days_used_usd: u64,
    /// What may still be withdrawn today: the day's limit and the 5-day window's, the
    /// smaller.
    pub left_today_usd: Option<u64>,
    /// What is left of the 5-business-day limit.
    pub left_5_business_days_usd: Option<u64>,
}

/// O1: ACH and EFT deposits so far, and what the 20,000 USD cap leaves (null: no cap,
/// the account has not opted out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AchEftFunding {
    pub total_usd: u64,
    pub left_usd: Option<u64>,
}

/// `GET /v1/account`: the account home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInfo {
    pub username: String,
    pub full_name: String,
    /// O3: this user may change the security settings.
    pub primary: bool,
    /// O3: who may (null: the entity has no primary user on record).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub primary_username: Option<String>,
    pub entity: EntityRef,
    pub account: AccountRef,
    /// O1: the account opted out of the Secure Login System for trading.
    pub opted_out: bool,
    /// O1: the restrictions in force (empty unless opted out).
    pub restrictions: Vec<Restriction>,
    /// D2: as the session's (the `none` row while opted out).
    pub limits: WithdrawalLimits,
    pub withdrawals: WithdrawalUsage,
    pub ach_eft: AchEftFunding,
    /// R1 step 2: the address a DSC+ ships to unless the order changes it (null: none
    /// on file).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub shipping_address: Option<ShippingAddress>,
}

/// `POST /v1/settings/secure-login/opt-in` (O2): the configure page's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptInRequest {
    /// "I want to always use my Secure Login Device when logging in": must be true.
    pub always_use_device: bool,
}

/// O1/O2: the Secure Login settings after the change (O2's confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SecureLoginUpdated {
    Updated {
        opted_out: bool,
        restrictions: Vec<Restriction>,
        /// "Your settings have been updated."
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderSide {
    Buy,
    Sell,
}

/// `POST /v1/orders`: checked for O1 only; no market data, no matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// One of the scenario's `[[symbols]]` (any case).
    pub symbol: String,
    pub side: OrderSide,
    /// Shares, at least 1.
    pub quantity: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OrderPlaced {
    Accepted {
        order_id: String,
        symbol: String,
        market: Market,
        side: OrderSide,
        quantity: u64,
        placed_at: String,
    },
}

/// `POST /v1/withdrawals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// Whole USD, at least 1.
    pub amount_usd: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WithdrawalMade {
    Accepted {
        withdrawal_id: String,
        amount_usd: u64,
        at: String,
        /// D2: what is left after it.
        withdrawals: WithdrawalUsage,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DepositMethod {
    Ach,
    Eft,
    Wire,
}

/// `POST /v1/deposits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub method: DepositMethod,
    /// Whole USD, at least 1.
    pub amount_usd: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DepositMade {
    Accepted {
        deposit_id: String,
        method: DepositMethod,
        amount_usd: u64,
        at: String,
        /// O1: ACH/EFT so far and what the cap leaves.
        ach_eft: AchEftFunding,
    },
}

/// `POST /v1/settings/bank-instructions`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BankInstructionsRequest {
    pub bank_name: String,
    /// 4–34 letters and digits (an IBAN or a US account number).
    pub account_number: String,
}

impl std::fmt::Debug for BankInstructionsRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankInstructionsRequest")
            .field("bank_name", &self.bank_name)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/settings/email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub email: String,
}

/// Which of the account's details changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    BankInstructions,
    Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProfileUpdated {
    Updated { field: ProfileField, at: String },
}
