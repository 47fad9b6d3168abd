//! The account side of the rules (O1, D2): what an account that opted out of the
//! Secure Login System may not do, and what a withdrawal may take of the limits.
//! Plain decisions over numbers the broker loads; the windows' arithmetic is in
//! `rules::time`.

use super::temporary::withdrawal_limits;
use portcullis_api::{
    AchEftFunding, DepositMethod, DeviceKind, Market, ProfileField, Restriction, WithdrawalLimits,
    WithdrawalUsage,
};

/// O1: ACH/EFT funding beyond the account's initial 20,000 USD needs the Secure Login
/// System.
pub const ACH_EFT_CAP_USD: u64 = 20_000;

/// The largest amount one request may name (a trillion USD): beyond it is a typo, and
/// sums stay far from overflowing.
pub const MAX_AMOUNT_USD: u64 = 1_000_000_000_000;

/// D2's window: the days a withdrawal counts against.
pub const WINDOW_BUSINESS_DAYS: u32 = 5;

/// Why O1 refuses something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restricted {
    PinkSheet,
    Otcbb,
    BankInstructions,
    Email,
    /// What the cap still allows.
    AchEftCap {
        left_usd: u64,
    },
}

/// O1: the restrictions in force.
pub fn restrictions(opted_out: bool) -> Vec<Restriction> {
    if opted_out {
        Restriction::ALL.to_vec()
    } else {
        Vec::new()
    }
}

/// D2 and O1: the user's limits from their active devices, or the `none` row while
/// their account is opted out.
pub fn limits(opted_out: bool, active: impl IntoIterator<Item = DeviceKind>) -> WithdrawalLimits {
    if opted_out {
        withdrawal_limits([])
    } else {
        withdrawal_limits(active)
    }
}

/// O1: no Pink Sheet or OTCBB orders while opted out.
pub fn check_order(opted_out: bool, market: Market) -> Result<(), Restricted> {
    match (opted_out, market) {
        (true, Market::PinkSheet) => Err(Restricted::PinkSheet),
        (true, Market::Otcbb) => Err(Restricted::Otcbb),
        (false, _) | (true, Market::Listed) => Ok(()),
    }
}

/// O1: no self-service change of bank instructions or email while opted out.
pub fn check_profile_change(opted_out: bool, field: ProfileField) -> Result<(), Restricted> {
    match (opted_out, field) {
        (false, _) => Ok(()),
        (true, ProfileField::BankInstructions) => Err(Restricted::BankInstructions),
        (true, ProfileField::Email) => Err(Restricted::Email),
    }
}

/// O1: ACH and EFT together (wires are not capped) up to 20,000 USD in all while
/// opted out; `so_far` is what the account's ACH/EFT deposits already add up to.
pub fn check_deposit(
    opted_out: bool,
    method: DepositMethod,
    so_far: u64,
    amount: u64,
) -> Result<(), Restricted> {
    let capped = matches!(method, DepositMethod::Ach | DepositMethod::Eft);
    let left_usd = ACH_EFT_CAP_USD.saturating_sub(so_far);
    if opted_out && capped && amount > left_usd {
        return Err(Restricted::AchEftCap { left_usd });
    }
    Ok(())
}

/// O1: the account's ACH/EFT funding and what the cap leaves (none while opted in).
pub fn ach_eft_funding(opted_out: bool, so_far: u64) -> AchEftFunding {
    AchEftFunding {
        total_usd: so_far,
        left_usd: opted_out.then(|| ACH_EFT_CAP_USD.saturating_sub(so_far)),
    }
}

/// D2: what the user withdrew today and in the 5-business-day window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Used {
    pub today: u64,
    pub window: u64,
}

/// D2: which limit a withdrawal would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    PerDay,
    Per5BusinessDays,
}

/// D2: what `used` leaves of `limits` (null: unlimited). What is left today is the
/// smaller of the day's and the window's rest: both must allow a withdrawal.
pub fn usage(limits: &WithdrawalLimits, used: Used) -> WithdrawalUsage {
    let day_left = limits.per_day_usd.map(|l| l.saturating_sub(used.today));
    let window_left = limits
        .per_5_business_days_usd
        .map(|l| l.saturating_sub(used.window));
    let left_today = match (day_left, window_left) {
        (Some(d), Some(w)) => Some(d.min(w)),
        (Some(x), None) | (None, Some(x)) => Some(x),
        (None, None) => None,
    };
    WithdrawalUsage {
        per_day_used_usd: used.today,
        per_5_business_days_used_usd: used.window,
        left_today_usd: left_today,
        left_5_business_days_usd: window_left,
    }
}

/// D2: `amount` may be withdrawn when neither the day's limit nor the window's is
/// passed; which one is passed first when not (the day's is checked first).
pub fn check_withdrawal(
    limits: &WithdrawalLimits,
    used: Used,
    amount: u64,
) -> Result<(), Exceeded> {
    let over =
        |limit: Option<u64>, so_far: u64| limit.is_some_and(|l| so_far.saturating_add(amount) > l);
    if over(limits.per_day_usd, used.today) {
        return Err(Exceeded::PerDay);
    }
    if over(limits.per_5_business_days_usd, used.window) {
        return Err(Exceeded::Per5BusinessDays);
    }
    Ok(())
}

/// An amount a request may name: at least 1 USD, at most [`MAX_AMOUNT_USD`].
pub fn valid_amount(amount: u64) -> bool {
    (1..=MAX_AMOUNT_USD).contains(&amount)
}

/// A ticker as the scenario and orders write it: 1–12 upper-case letters, digits and
/// dots, starting with a letter.
pub fn valid_symbol(symbol: &str) -> bool {
    let mut chars = symbol.chars();
    symbol.len() <= 12
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_api::LimitRow;
    use DeviceKind as K;

    #[test]
    fn o1_an_opted_out_account_has_every_restriction_and_the_none_row() {
        assert!(restrictions(false).is_empty());
        assert_eq!(restrictions(true), Restriction::ALL.to_vec());
        let l = limits(true, [K::DscPlus]);
        assert_eq!(
            (l.row, l.per_day_usd, l.per_5_business_days_usd),
            (LimitRow::None, Some(50_000), Some(100_000)),
            "O1: a DSC+ holder who opted out has the none row"
        );
        assert_eq!(limits(false, [K::DscPlus]).row, LimitRow::DscPlus);
    }

    #[test]
    fn o1_pink_sheet_and_otcbb_orders_are_refused_while_opted_out() {
        assert_eq!(
            check_order(true, Market::PinkSheet),
            Err(Restricted::PinkSheet)
        );
        assert_eq!(check_order(true, Market::Otcbb), Err(Restricted::Otcbb));
        assert_eq!(check_order(true, Market::Listed), Ok(()));
        for market in [Market::Listed, Market::PinkSheet, Market::Otcbb] {
            assert_eq!(check_order(false, market), Ok(()), "{market:?} opted in");
        }
    }

    #[test]
    fn o1_bank_instructions_and_email_are_not_changed_while_opted_out() {
        use ProfileField as F;
        assert_eq!(
            check_profile_change(true, F::BankInstructions),
            Err(Restricted::BankInstructions)
        );
        assert_eq!(check_profile_change(true, F::Email), Err(Restricted::Email));
        assert_eq!(check_profile_change(false, F::BankInstructions), Ok(()));
        assert_eq!(check_profile_change(false, F::Email), Ok(()));
    }

    #[test]
    fn o1_ach_and_eft_are_capped_at_20000_in_all_while_opted_out() {
        use DepositMethod as M;
        assert_eq!(
            check_deposit(true, M::Ach, 0, 20_000),
            Ok(()),
            "up to the cap"
        );
        assert_eq!(
            check_deposit(true, M::Eft, 0, 20_001),
            Err(Restricted::AchEftCap { left_usd: 20_000 })
        );
        assert_eq!(
            check_deposit(true, M::Ach, 15_000, 5_001),
            Err(Restricted::AchEftCap { left_usd: 5_000 }),
            "ACH and EFT count together"
        );
        assert_eq!(check_deposit(true, M::Eft, 15_000, 5_000), Ok(()));
        assert_eq!(
            check_deposit(true, M::Wire, 20_000, 1_000_000),
            Ok(()),
            "wires are not capped"
        );
        assert_eq!(
            check_deposit(false, M::Ach, 20_000, 1_000_000),
            Ok(()),
            "opted in: no cap"
        );
        assert_eq!(ach_eft_funding(true, 25_000).left_usd, Some(0));
        assert_eq!(ach_eft_funding(false, 25_000).left_usd, None);
    }

    #[test]
    fn d2_a_withdrawal_fits_the_day_and_the_window() {
        let none = limits(false, []);
        let used = |today, window| Used { today, window };
        assert_eq!(check_withdrawal(&none, used(0, 0), 50_000), Ok(()));
        assert_eq!(
            check_withdrawal(&none, used(0, 0), 50_001),
            Err(Exceeded::PerDay)
        );
        assert_eq!(check_withdrawal(&none, used(49_999, 49_999), 1), Ok(()));
        assert_eq!(
            check_withdrawal(&none, used(0, 60_000), 40_001),
            Err(Exceeded::Per5BusinessDays)
        );
        assert_eq!(
            check_withdrawal(&none, used(50_000, 100_000), 1),
            Err(Exceeded::PerDay),
            "both passed: the day's is said"
        );
        let unlimited = limits(false, [K::DscPlus]);
        assert_eq!(
            check_withdrawal(&unlimited, used(u64::MAX, 0), MAX_AMOUNT_USD),
            Ok(())
        );
        let ibkey = limits(false, [K::IbKey]);
        assert_eq!(
            check_withdrawal(&ibkey, used(0, 999_999), 2),
            Err(Exceeded::Per5BusinessDays),
            "IB Key: 1M per day, 1M per 5 business days"
        );
    }

    #[test]
    fn d2_what_is_left_today_is_the_smaller_rest() {
        let none = limits(false, []);
        let u = usage(
            &none,
            Used {
                today: 10_000,
                window: 80_000,
            },
        );
        assert_eq!(
            u.left_today_usd,
            Some(20_000),
            "the window leaves less than the day"
        );
        assert_eq!(u.left_5_business_days_usd, Some(20_000));
        let u = usage(
            &none,
            Used {
                today: 10_000,
                window: 10_000,
            },
        );
        assert_eq!(u.left_today_usd, Some(40_000));
        assert_eq!(u.left_5_business_days_usd, Some(90_000));
        let u = usage(
            &limits(false, [K::DscPlus]),
            Used {
                today: 5,
                window: 5,
            },
        );
        assert_eq!((u.left_today_usd, u.left_5_business_days_usd), (None, None));
    }

    #[test]
    fn amounts_and_symbols_are_checked() {
        assert!(!valid_amount(0) && valid_amount(1) && !valid_amount(MAX_AMOUNT_USD + 1));
        for ok in ["AAPL", "BRK.B", "X", "A1"] {
            assert!(valid_symbol(ok), "{ok}");
        }
        for bad in ["", "aapl", "1ABC", "AB CD", "TOOLONGSYMBOL", "AB-C"] {
            assert!(!valid_symbol(bad), "{bad}");
        }
    }
}
