//! The DSC+ card simulator's arithmetic (C2/C3), also the IB Key phone's (K2/K3: the
//! same OCRA suite over the push's or the login screen's challenge). The card window drives the keypad;
//! this computes what the card displays, from its own key and the PIN typed into it.
//! It never checks the PIN: as on the real card, a wrong PIN gives a wrong response
//! and the broker is the one that notices.

use crate::error::Error;

pub const DSC_PLUS_SUITE: &str = "OCRA-1:HOTP-SHA256-8:QN06-PSHA1";

pub fn response(key_hex: &str, pin: &str, challenge: &str) -> Result<String, Error> {
    if pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new("card_bad_pin", "The PIN is 4 digits."));
    }
    response_with_pin_hash(
        key_hex,
        ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin),
        challenge,
    )
}

/// The same value from a PIN already hashed (IB Key keeps the hash behind biometrics).
pub fn response_with_pin_hash(
    key_hex: &str,
    pin_hash: Vec<u8>,
    challenge: &str,
) -> Result<String, Error> {
    if challenge.len() != 6 || !challenge.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(
            "card_bad_challenge",
            "The challenge is 6 digits.",
        ));
    }
    let key = hex::decode(key_hex)
        .map_err(|_| Error::new("card_bad_key", "The card's key is damaged."))?;
    let suite: ocra::Suite = DSC_PLUS_SUITE
        .parse()
        .map_err(|e: ocra::SuiteError| Error::new("card_bad_key", e.to_string()))?;
    let input = ocra::DataInput {
        question: challenge,
        pin_hash: Some(pin_hash),
        ..ocra::DataInput::default()
    };
    ocra::compute(&suite, &key, &input).map_err(|e| Error::new("card_bad_key", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2_card_shows_eight_digits() {
        let r = response(&"31".repeat(32), "1234", "123456").unwrap();
        assert_eq!(r.len(), 8);
    }

    #[test]
    fn c2_card_refuses_short_pin_and_challenge() {
        assert_eq!(
            response("00", "123", "123456").unwrap_err().code,
            "card_bad_pin"
        );
        assert_eq!(
            response("00", "1234", "12345").unwrap_err().code,
            "card_bad_challenge"
        );
    }
}
