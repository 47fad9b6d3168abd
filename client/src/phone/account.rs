//! What the phone keeps (its identity, one account per user on it) and the arithmetic
//! of answering with it: K2's approval and K3's Authenticate screen compute the same
//! OCRA value as the DSC+ card, from the account's key and the PIN.

use crate::card;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// A username on this phone (K5: there may be several).
#[derive(Clone, Serialize, Deserialize)]
pub struct PhoneAccount {
    pub username: String,
    pub device_id: String,
    pub secret_hex: String,
    /// `pin` or `biometric`.
    pub security: String,
    /// With biometrics, the PIN (hashed) the phone keeps behind them (K1).
    pub pin_sha1_hex: Option<String>,
}

/// The phone: its id and token from the broker, its number, and its users. Kept as
/// JSON in the desktop keyring (this shape is what is stored).
#[derive(Clone, Serialize, Deserialize)]
pub struct PhoneIdentity {
    pub phone_id: String,
    pub token: String,
    pub number: Option<String>,
    pub accounts: Vec<PhoneAccount>,
}

impl std::fmt::Debug for PhoneAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneAccount")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PhoneIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneIdentity")
            .field("phone_id", &self.phone_id)
            .field("number", &self.number)
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

impl PhoneIdentity {
    pub fn account(&self, username: &str) -> Result<&PhoneAccount, Error> {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .ok_or_else(|| Error::new("phone", "That user is not on this phone."))
    }
}

impl PhoneAccount {
    /// The PIN's hash and how the user authenticated (`pin`, or `biometric` with the
    /// PIN kept behind the biometrics when `pin` is None).
    pub fn pin_hash(&self, pin: Option<&str>) -> Result<(Vec<u8>, &'static str), Error> {
        match pin {
            Some(pin) => Ok((ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin), "pin")),
            None => {
                let stored = self
                    .pin_sha1_hex
                    .as_deref()
                    .filter(|_| self.security == "biometric")
                    .ok_or_else(|| Error::new("pin_required", "This user approves with a PIN."))?;
                let hash = hex::decode(stored)
                    .map_err(|_| Error::new("phone", "The stored passcode is damaged."))?;
                Ok((hash, "biometric"))
            }
        }
    }

    /// The response to `challenge` (K2, K3), and how the user authenticated.
    pub fn response(
        &self,
        pin: Option<&str>,
        challenge: &str,
    ) -> Result<(String, &'static str), Error> {
        let (pin_hash, method) = self.pin_hash(pin)?;
        let response = card::response_with_pin_hash(&self.secret_hex, pin_hash, challenge)?;
        Ok((response, method))
    }
}

/// The last four digits of a masked number (`•••• 0123`), to find its text messages.
pub(crate) fn masked_tail(masked: &str) -> String {
    let digits: Vec<char> = masked.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(security: &str, pin_behind: Option<&str>) -> PhoneAccount {
        PhoneAccount {
            username: "dana".into(),
            device_id: "IBK-1".into(),
            secret_hex: "31".repeat(32),
            security: security.into(),
            pin_sha1_hex: pin_behind
                .map(|p| hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, p))),
        }
    }

    #[test]
    fn masked_tail_keeps_the_visible_digits() {
        assert_eq!(masked_tail("•••• 0456"), "0456");
        assert_eq!(masked_tail(""), "");
    }

    #[test]
    fn k2_biometrics_answer_as_the_pin_behind_them() {
        let typed = account("pin", None)
            .response(Some("1234"), "123456")
            .unwrap();
        let face = account("biometric", Some("1234"))
            .response(None, "123456")
            .unwrap();
        assert_eq!(typed, (face.0.clone(), "pin"));
        assert_eq!(face.1, "biometric");
        let no_pin = account("pin", None).response(None, "123456").unwrap_err();
        assert_eq!(no_pin.code, "pin_required");
    }
}
