//! Ordering, replacing and returning a physical device (D4, R1–R4, T5) as rules: who
//! may order a DSC+, what an order must say (a shipping address, a 4-digit soft PIN),
//! when it ships, when a device sent back counts as received, and what becomes of the
//! 20 USD hold. Time is an input; the broker settles what the clock says when it reads.

use super::time::{add_business_days, Duration, Timestamp};
use portcullis_api::{HoldStatus, LossReason, ShippingAddress};

/// D4: a DSC+ is only for accounts with at least this much equity (the scenario's
/// check at load uses the same figure).
pub const DSC_PLUS_MIN_EQUITY_USD: i64 = crate::scenario::DSC_PLUS_MIN_EQUITY_USD;

/// R1: the deposit held on an account while the device is out.
pub const DEPOSIT_HOLD_USD: u64 = 20;

/// T5 (decision): an order ships about 2 days after it is placed to a US address…
pub const SHIPS_AFTER_US: Duration = Duration::days(2);
/// …and about 2 weeks after elsewhere.
pub const SHIPS_AFTER_ELSEWHERE: Duration = Duration::days(14);

/// R1 (decision): an order's summary waits this long for its confirmation.
pub const ORDER_DRAFT_LIFETIME: Duration = Duration::minutes(30);

/// R3: a device sent back is received 3 to 5 business days later; the scenario picks
/// where in that range (`[returns] business_days`).
pub const RETURN_BUSINESS_DAYS: std::ops::RangeInclusive<u32> = 3..=5;
/// R3 (decision): the default, the end of the range the article promises.
pub const DEFAULT_RETURN_BUSINESS_DAYS: u32 = 5;

/// An address field longer than this is refused.
const MAX_ADDRESS_FIELD: usize = 100;

/// D4: whether equity allows a DSC+.
pub fn may_order_dsc_plus(equity_usd: i64) -> bool {
    equity_usd >= DSC_PLUS_MIN_EQUITY_USD
}

/// T5: when an order placed at `at` to `address` leaves the warehouse.
pub fn estimated_shipment(address: &ShippingAddress, at: Timestamp) -> Timestamp {
    if address.country == "US" {
        at.plus(SHIPS_AFTER_US)
    } else {
        at.plus(SHIPS_AFTER_ELSEWHERE)
    }
}

/// R3: when a device sent back at `shipped_back_at` shows as received.
pub fn return_received_at(shipped_back_at: Timestamp, business_days: u32) -> Timestamp {
    add_business_days(shipped_back_at, business_days)
}

/// Why a shipping address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("The shipping address needs a street line, a city, a postal code and a country.")]
    Incomplete,
    #[error("The country is a two-letter ISO 3166 code in capitals, such as US, GB or CH.")]
    Country,
    #[error("Each line of the shipping address has at most 100 characters.")]
    Length,
    #[error("The shipping address may not contain control characters.")]
    Characters,
}

/// R1: an address a parcel can go to.
pub fn validate_address(a: &ShippingAddress) -> Result<(), AddressError> {
    let required = [&a.line1, &a.city, &a.postal_code, &a.country];
    if required.iter().any(|f| f.trim().is_empty()) {
        return Err(AddressError::Incomplete);
    }
    let all = required
        .into_iter()
        .chain(a.line2.as_ref())
        .chain(a.region.as_ref());
    for field in all {
        if field.chars().count() > MAX_ADDRESS_FIELD {
            return Err(AddressError::Length);
        }
        if field.chars().any(char::is_control) {
            return Err(AddressError::Characters);
        }
    }
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AddressError::Country);
    }
    Ok(())
}

/// Why a soft PIN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SoftPinError {
    #[error("The soft PIN of a Digital Security Card+ has exactly 4 digits.")]
    Length,
    #[error("The soft PIN of a Digital Security Card+ is digits only.")]
    Characters,
}

/// R1, C2: the card takes a 4-digit PIN.
pub fn validate_soft_pin(pin: &str) -> Result<(), SoftPinError> {
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(SoftPinError::Characters);
    }
    if pin.len() != 4 {
        return Err(SoftPinError::Length);
    }
    Ok(())
}

/// R2: what becomes of a hold still `held` when something happens to its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldEvent {
    /// R3: the device came back.
    Received,
    /// R2: lost, stolen or (intentionally) damaged.
    Reported(LossReason),
    /// R2: the account closed while the device was still with the user.
    AccountClosedWithoutReturn,
}

/// R2: the hold's next status; a hold already settled stays as it is.
pub fn settle_hold(from: HoldStatus, event: HoldEvent) -> HoldStatus {
    match from {
        HoldStatus::Held => match event {
            HoldEvent::Received => HoldStatus::Released,
            HoldEvent::Reported(LossReason::Lost | LossReason::Stolen | LossReason::Damaged)
            | HoldEvent::AccountClosedWithoutReturn => HoldStatus::Kept,
        },
        HoldStatus::Released | HoldStatus::Kept => from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(country: &str) -> ShippingAddress {
        ShippingAddress {
            line1: "1 Main Street".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: country.into(),
        }
    }

    const T0: Timestamp = Timestamp(1_772_625_600_000); // a Wednesday, noon UTC

    #[test]
    fn d4_a_dsc_plus_needs_a_million_of_equity() {
        assert!(may_order_dsc_plus(1_000_000), "D4: at least, not more than");
        assert!(!may_order_dsc_plus(999_999));
    }

    #[test]
    fn t5_an_order_ships_in_about_2_days_in_the_us_and_2_weeks_elsewhere() {
        assert_eq!(
            estimated_shipment(&address("US"), T0),
            T0.plus(Duration::days(2))
        );
        assert_eq!(
            estimated_shipment(&address("CH"), T0),
            T0.plus(Duration::days(14))
        );
    }

    #[test]
    fn r1_an_address_needs_its_parts_and_a_country_code() {
        assert_eq!(validate_address(&address("US")), Ok(()));
        let mut a = address("US");
        a.city = "  ".into();
        assert_eq!(validate_address(&a), Err(AddressError::Incomplete));
        assert_eq!(
            validate_address(&address("usa")),
            Err(AddressError::Country)
        );
        assert_eq!(validate_address(&address("us")), Err(AddressError::Country));
        let mut a = address("US");
        a.line2 = Some("x".repeat(101));
        assert_eq!(validate_address(&a), Err(AddressError::Length));
        let mut a = address("US");
        a.line1 = "1 Main\nStreet".into();
        assert_eq!(validate_address(&a), Err(AddressError::Characters));
    }

    #[test]
    fn r1_the_soft_pin_is_four_digits() {
        assert_eq!(validate_soft_pin("0420"), Ok(()));
        assert_eq!(validate_soft_pin("123"), Err(SoftPinError::Length));
        assert_eq!(validate_soft_pin("12345"), Err(SoftPinError::Length));
        assert_eq!(validate_soft_pin("12a4"), Err(SoftPinError::Characters));
        assert_eq!(validate_soft_pin("１２３４"), Err(SoftPinError::Characters));
    }

    #[test]
    fn r3_a_return_is_received_3_to_5_business_days_after_it_is_sent() {
        // Wednesday + 3 business days is Monday; + 5 is next Wednesday.
        assert_eq!(return_received_at(T0, 3), T0.plus(Duration::days(5)));
        assert_eq!(return_received_at(T0, 5), T0.plus(Duration::days(7)));
        assert!(RETURN_BUSINESS_DAYS.contains(&DEFAULT_RETURN_BUSINESS_DAYS));
    }

    #[test]
    fn r2_the_hold_is_released_on_return_and_kept_otherwise() {
        use HoldStatus as H;
        assert_eq!(settle_hold(H::Held, HoldEvent::Received), H::Released);
        for loss in [LossReason::Lost, LossReason::Stolen, LossReason::Damaged] {
            assert_eq!(settle_hold(H::Held, HoldEvent::Reported(loss)), H::Kept);
        }
        assert_eq!(
            settle_hold(H::Held, HoldEvent::AccountClosedWithoutReturn),
            H::Kept
        );
        assert_eq!(
            settle_hold(H::Kept, HoldEvent::Received),
            H::Kept,
            "R2: a hold kept at closure is not given back by a late return"
        );
        assert_eq!(
            settle_hold(H::Released, HoldEvent::Reported(LossReason::Lost)),
            H::Released
        );
    }
}
