//! C1–C4: the DSC+ challenge and its 8-digit response.

use super::time::{Duration, Timestamp};
use rand::Rng;
use std::fmt;
use subtle::ConstantTimeEq;

/// C3: the suite the DSC+ card computes.
pub const DSC_PLUS_SUITE: &str = "OCRA-1:HOTP-SHA256-8:QN06-PSHA1";
/// C4: a challenge expires five minutes after it is issued.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// C1: a 6-digit challenge code, shown large on the login screen.
#[derive(Clone, PartialEq, Eq)]
pub struct ChallengeCode(String);

impl ChallengeCode {
    /// C4: each attempt gets a fresh, random one.
    pub fn generate(rng: &mut impl Rng) -> Self {
        ChallengeCode(format!("{:06}", rng.gen_range(0..1_000_000u32)))
    }

    pub fn from_stored(code: String) -> Self {
        ChallengeCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ChallengeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChallengeCode({})", self.0)
    }
}

/// What a response to a challenge turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCheck {
    Correct,
    /// L6: "Login failed"; a failed attempt for L4.
    Wrong,
    /// C4: asked too late; the login must start again.
    Expired,
}

/// C3/C4: checks a typed response against the card's expected value, in constant time,
/// at `now` for a challenge issued at `issued_at`.
pub fn check_response(
    expected: &str,
    typed: &str,
    issued_at: Timestamp,
    now: Timestamp,
) -> ResponseCheck {
    check_within(expected, typed, issued_at, now, CHALLENGE_LIFETIME)
}

/// The same check for any one-time value that lives `lifetime` (D3: an SMS code).
pub fn check_within(
    expected: &str,
    typed: &str,
    issued_at: Timestamp,
    now: Timestamp,
    lifetime: Duration,
) -> ResponseCheck {
    if now >= issued_at.plus(lifetime) {
        return ResponseCheck::Expired;
    }
    if responses_match(expected, typed) {
        ResponseCheck::Correct
    } else {
        ResponseCheck::Wrong
    }
}

/// Compares a typed value with the expected one in constant time. L6: responses have
/// no spaces; one typed with them is simply wrong.
pub fn responses_match(expected: &str, typed: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(typed.as_bytes()))
}

/// C3/K3: the value a DSC+ (or IB Key's Authenticate screen) shows for `challenge`,
/// from the device's key and the SHA1 of its PIN.
pub fn ocra_response(
    key: &[u8],
    pin_sha1: &[u8],
    challenge: &ChallengeCode,
) -> Result<String, ocra::OcraError> {
    let suite: ocra::Suite = DSC_PLUS_SUITE.parse()?;
    ocra::compute(
        &suite,
        key,
        &ocra::DataInput {
            question: challenge.as_str(),
            pin_hash: Some(pin_sha1.to_vec()),
            ..ocra::DataInput::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn c1_challenge_is_six_digits() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let c = ChallengeCode::generate(&mut rng);
            assert_eq!(c.as_str().len(), 6);
            assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn c3_response_is_eight_digits_and_depends_on_the_pin() {
        let key = [7u8; 32];
        let challenge = ChallengeCode("123456".into());
        let right = ocra_response(
            &key,
            &ocra::hash_pin(ocra::HashAlgorithm::Sha1, "1234"),
            &challenge,
        )
        .unwrap();
        let wrong_pin = ocra_response(
            &key,
            &ocra::hash_pin(ocra::HashAlgorithm::Sha1, "4321"),
            &challenge,
        )
        .unwrap();
        assert_eq!(right.len(), 8);
        assert!(right.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(right, wrong_pin, "C3: a wrong PIN gives a wrong response");
    }

    #[test]
    fn c4_challenge_expires_after_five_minutes() {
        let just_in = T0.plus(CHALLENGE_LIFETIME).minus(Duration(1));
        assert_eq!(
            check_response("12345678", "12345678", T0, just_in),
            ResponseCheck::Correct
        );
        assert_eq!(
            check_response("12345678", "12345678", T0, T0.plus(CHALLENGE_LIFETIME)),
            ResponseCheck::Expired
        );
    }

    #[test]
    fn l6_response_with_spaces_is_wrong() {
        assert_eq!(
            check_response("12345678", "1234 5678", T0, T0),
            ResponseCheck::Wrong
        );
        assert_eq!(
            check_response("12345678", "12345679", T0, T0),
            ResponseCheck::Wrong
        );
    }
}
