//! K1–K7 and D3: IB Key pushes, activation input, the SMS factor, phone access.
//!
//! A push is a login request sent to a phone: bound to one login, answerable once,
//! expiring after 180 s (K6). Its state is stored as it was last written and read
//! through [`PushState::at`], which turns a pending push past its expiry into an
//! expired one — so clock travel needs no timer.

use super::time::{Duration, Timestamp};
use rand::seq::SliceRandom;
use rand::Rng;

/// K6: a push expires after three minutes.
pub const PUSH_LIFETIME: Duration = Duration::seconds(180);
/// How long a login may stay in its second-factor stage in all (several pushes, a
/// fallback). A decision: long enough for a few "Send again", short enough to end.
pub const LOGIN_TICKET_LIFETIME: Duration = Duration::minutes(15);
/// Issue 11: a login's rows (its ticket, its pushes) are kept this long past the
/// ticket's lifetime, then forgotten and swept. A decision: long enough that a late
/// look still hears "expired" or "already answered", short enough to bound the store.
pub const LOGIN_RETENTION: Duration = Duration::minutes(10);
/// D3: an SMS login code expires after five minutes, like a card challenge (C4).
pub const SMS_CODE_LIFETIME: Duration = Duration::minutes(5);
/// K1: an activation code sent by SMS is good for ten minutes.
pub const ACTIVATION_CODE_LIFETIME: Duration = Duration::minutes(10);
/// K1 vs D5: how long the active device has to answer before an activation code goes
/// out — as long as a login's challenge (C4) or SMS code.
pub const ACTIVATION_VERIFY_LIFETIME: Duration = Duration::minutes(5);
/// K1: wrong activation codes allowed before the activation must start again.
pub const ACTIVATION_CODE_TRIES: u32 = 3;
/// K7: after a PIN the phone grants trading access for at most 12 hours…
pub const PIN_ACCESS: Duration = Duration::hours(12);
/// …after biometrics for 30 hours, renewed by each authentication.
pub const BIOMETRIC_ACCESS: Duration = Duration::hours(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    Pending,
    /// The phone approved with a correct response; the desktop may now redeem it, and
    /// the login no longer moves to another factor (K2).
    Approved,
    /// K6: "I'm not logging in": Login failed.
    Denied,
    /// K6: the phone answered, wrongly: Login failed, saying how.
    Failed(PushFailure),
    Expired,
    /// K3: the user asked for challenge/response instead, or cancelled.
    Withdrawn,
    /// The desktop redeemed the approval: a session opened, or the lock refused it (L4).
    Completed,
}

/// How a phone's answer to a push was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFailure {
    /// The OCRA response did not match (a wrong PIN, or another key).
    WrongResponse,
    /// Number matching: another number was picked.
    NumberMismatch,
}

impl PushFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            PushFailure::WrongResponse => "wrong_response",
            PushFailure::NumberMismatch => "number_mismatch",
        }
    }
}

impl PushState {
    pub fn as_str(self) -> &'static str {
        match self {
            PushState::Pending => "pending",
            PushState::Approved => "approved",
            PushState::Denied => "denied",
            PushState::Failed(PushFailure::WrongResponse) => "failed_wrong_response",
            PushState::Failed(PushFailure::NumberMismatch) => "failed_number_mismatch",
            PushState::Expired => "expired",
            PushState::Withdrawn => "withdrawn",
            PushState::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<PushState> {
        Some(match text {
            "pending" => PushState::Pending,
            "approved" => PushState::Approved,
            "denied" => PushState::Denied,
            "failed_wrong_response" => PushState::Failed(PushFailure::WrongResponse),
            "failed_number_mismatch" => PushState::Failed(PushFailure::NumberMismatch),
            "expired" => PushState::Expired,
            "withdrawn" => PushState::Withdrawn,
            "completed" => PushState::Completed,
            _ => return None,
        })
    }

    /// K6: the state at `now` of a push stored as `self` that expires at `expires_at`.
    pub fn at(self, expires_at: Timestamp, now: Timestamp) -> PushState {
        match self {
            PushState::Pending if now >= expires_at => PushState::Expired,
            PushState::Pending
            | PushState::Approved
            | PushState::Denied
            | PushState::Failed(_)
            | PushState::Expired
            | PushState::Withdrawn
            | PushState::Completed => self,
        }
    }
}

/// K4: what became of a push on its way to the phone, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushDelivery {
    /// Sent (perhaps late: a delay is the network's, not a state).
    Sent,
    /// Lost on the way: the phone never hears of it.
    Dropped,
    /// The phone is offline: held until it is back, while the push lives.
    Held,
}

impl PushDelivery {
    pub fn as_str(self) -> &'static str {
        match self {
            PushDelivery::Sent => "sent",
            PushDelivery::Dropped => "dropped",
            PushDelivery::Held => "held",
        }
    }

    pub fn parse(text: &str) -> Option<PushDelivery> {
        [
            PushDelivery::Sent,
            PushDelivery::Dropped,
            PushDelivery::Held,
        ]
        .into_iter()
        .find(|d| d.as_str() == text)
    }
}

/// K4: how notifications fail, as QA simulates it for a device or for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Notifications are lost.
    Drop,
    /// Notifications arrive late (by the fault's delay).
    Delay,
    /// The phone is offline: notifications wait until it is back.
    Offline,
}

impl FaultMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultMode::Drop => "drop",
            FaultMode::Delay => "delay",
            FaultMode::Offline => "offline",
        }
    }

    pub fn parse(text: &str) -> Option<FaultMode> {
        [FaultMode::Drop, FaultMode::Delay, FaultMode::Offline]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// K1 vs D5: what IB Key activation needs before its code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentCheck {
    /// Send the activation code to the number now.
    SendCode,
    /// The user's active second factor answers first.
    VerifyDevice,
}

/// K1 vs D5 (a decision the README states): a user with no active device enrols with
/// the password alone, as the articles describe; otherwise the code goes straight out
/// only to a number on record, and only when no IB Key moves to another phone.
/// Anything else could hand a second factor to whoever knows the password.
pub fn enrolment_check(
    has_active_device: bool,
    number_on_record: bool,
    moves_ib_key: bool,
) -> EnrolmentCheck {
    if !has_active_device || (number_on_record && !moves_ib_key) {
        EnrolmentCheck::SendCode
    } else {
        EnrolmentCheck::VerifyDevice
    }
}

/// How the user unlocked the phone to answer (K1's security element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockMethod {
    Pin,
    Biometric,
}

impl UnlockMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            UnlockMethod::Pin => "pin",
            UnlockMethod::Biometric => "biometric",
        }
    }

    pub fn parse(text: &str) -> Option<UnlockMethod> {
        match text {
            "pin" => Some(UnlockMethod::Pin),
            "biometric" => Some(UnlockMethod::Biometric),
            _ => None,
        }
    }

    /// K7: until when the phone grants trading access after authenticating at `at`.
    pub fn trading_access_until(self, at: Timestamp) -> Timestamp {
        match self {
            UnlockMethod::Pin => at.plus(PIN_ACCESS),
            UnlockMethod::Biometric => at.plus(BIOMETRIC_ACCESS),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("Enter the mobile number with digits only: no spaces, dashes, brackets or +.")]
    NotDigits,
    #[error("Leave out the leading 0 (the country's trunk prefix).")]
    TrunkPrefix,
    #[error("A mobile number has 6 to 14 digits.")]
    Length,
}

/// D3/K1: a mobile number as the broker takes it: digits only, without the trunk
/// prefix, 6–14 digits (the country code is chosen separately, as in the app).
pub fn validate_phone_number(text: &str) -> Result<&str, PhoneNumberError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneNumberError::NotDigits);
    }
    if text.starts_with('0') {
        return Err(PhoneNumberError::TrunkPrefix);
    }
    if !(6..=14).contains(&text.len()) {
        return Err(PhoneNumberError::Length);
    }
    Ok(text)
}

/// `•••• 4567`: what screens and messages show of a number.
pub fn mask_phone_number(number: &str) -> String {
    let tail: String = number
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("•••• {tail}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("The PIN has 4 to 6 characters.")]
    Length,
    #[error("The PIN takes letters, digits and symbols, without spaces.")]
    Characters,
}

/// K1: a PIN of 4–6 characters: letters, digits, symbols (printable ASCII, no space).
pub fn validate_pin(pin: &str) -> Result<(), PinError> {
    if !pin.chars().all(|c| c.is_ascii_graphic()) {
        return Err(PinError::Characters);
    }
    if !(4..=6).contains(&pin.len()) {
        return Err(PinError::Length);
    }
    Ok(())
}

/// Number matching (beyond the articles, against push fatigue): the desktop shows
/// `shown`; the phone offers `choices`, one of which is `shown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberMatch {
    pub shown: u8,
    pub choices: [u8; 3],
}

impl NumberMatch {
    pub fn generate(rng: &mut impl Rng) -> NumberMatch {
        let mut picks: Vec<u8> = (10..100).collect();
        picks.shuffle(rng);
        let choices = [picks[0], picks[1], picks[2]];
        let shown = choices[rng.gen_range(0..3)];
        NumberMatch { shown, choices }
    }
}

/// Logins begun, and pushes sent, at or before this are forgotten at `now`: they answer
/// as if they had never been (K6: an answered push stays refused, as one the phone
/// never had), whether or not the sweep has deleted their rows yet.
pub fn forgotten_until(now: Timestamp) -> Timestamp {
    now.minus(LOGIN_TICKET_LIFETIME).minus(LOGIN_RETENTION)
}

/// A random code of `digits` decimal digits (SMS codes, activation codes).
pub fn numeric_code(rng: &mut impl Rng, digits: u32) -> String {
    format!(
        "{:0width$}",
        rng.gen_range(0..10u64.pow(digits)),
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn retention_a_login_is_forgotten_25_minutes_after_its_password_step() {
        let forgotten_at = T0.plus(Duration::minutes(25));
        assert!(
            forgotten_until(forgotten_at.minus(Duration(1))) < T0,
            "kept a moment before"
        );
        assert_eq!(
            forgotten_until(forgotten_at),
            T0,
            "forgotten at 15 + 10 minutes"
        );
    }

    #[test]
    fn k6_pending_push_expires_after_180_seconds() {
        let expires = T0.plus(PUSH_LIFETIME);
        assert_eq!(
            PushState::Pending.at(expires, expires.minus(Duration(1))),
            PushState::Pending
        );
        assert_eq!(PushState::Pending.at(expires, expires), PushState::Expired);
        assert_eq!(
            PushState::Approved.at(expires, expires),
            PushState::Approved,
            "an answer stands"
        );
    }

    #[test]
    fn k1_enrolment_needs_the_active_device_unless_nothing_is_at_stake() {
        use EnrolmentCheck::{SendCode, VerifyDevice};
        // (has an active device, number on record, moves an IB Key) → check
        for (device, on_record, moves, expected) in [
            (false, false, false, SendCode),
            (false, true, false, SendCode),
            (true, true, false, SendCode),
            (true, false, false, VerifyDevice),
            (true, true, true, VerifyDevice),
            (true, false, true, VerifyDevice),
        ] {
            assert_eq!(
                enrolment_check(device, on_record, moves),
                expected,
                "device {device}, on record {on_record}, moves {moves}"
            );
        }
    }

    #[test]
    fn push_states_round_trip() {
        for state in [
            PushState::Pending,
            PushState::Approved,
            PushState::Denied,
            PushState::Failed(PushFailure::WrongResponse),
            PushState::Failed(PushFailure::NumberMismatch),
            PushState::Expired,
            PushState::Withdrawn,
            PushState::Completed,
        ] {
            assert_eq!(PushState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn k1_phone_number_is_digits_without_trunk_prefix() {
        assert_eq!(validate_phone_number("7700900123"), Ok("7700900123"));
        assert_eq!(
            validate_phone_number("07700900123"),
            Err(PhoneNumberError::TrunkPrefix)
        );
        for bad in [
            "+447700900123",
            "7700 900123",
            "7700-900123",
            "(770)0900123",
            "",
        ] {
            assert_eq!(
                validate_phone_number(bad),
                Err(PhoneNumberError::NotDigits),
                "{bad:?}"
            );
        }
        assert_eq!(
            validate_phone_number("12345"),
            Err(PhoneNumberError::Length)
        );
        assert_eq!(
            validate_phone_number("123456789012345"),
            Err(PhoneNumberError::Length)
        );
    }

    #[test]
    fn k1_pin_is_four_to_six_letters_digits_or_symbols() {
        for ok in ["1234", "a1b2c3", "#9x!", "ZZZZZ"] {
            assert_eq!(validate_pin(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_pin("123"), Err(PinError::Length));
        assert_eq!(validate_pin("1234567"), Err(PinError::Length));
        assert_eq!(validate_pin("12 34"), Err(PinError::Characters));
        assert_eq!(validate_pin("12é4"), Err(PinError::Characters));
    }

    #[test]
    fn k7_pin_gives_12_hours_biometrics_30() {
        assert_eq!(
            UnlockMethod::Pin.trading_access_until(T0),
            T0.plus(Duration::hours(12))
        );
        assert_eq!(
            UnlockMethod::Biometric.trading_access_until(T0),
            T0.plus(Duration::hours(30))
        );
    }

    #[test]
    fn number_match_offers_the_shown_number_among_three_distinct() {
        let mut rng = rand::thread_rng();
        for _ in 0..100 {
            let m = NumberMatch::generate(&mut rng);
            assert!(m.choices.contains(&m.shown));
            assert!(m.choices.iter().all(|c| (10..100).contains(c)));
            assert!(
                m.choices[0] != m.choices[1]
                    && m.choices[1] != m.choices[2]
                    && m.choices[0] != m.choices[2]
            );
        }
    }

    #[test]
    fn mask_keeps_the_last_four_digits() {
        assert_eq!(mask_phone_number("7700900123"), "•••• 0123");
    }
}
