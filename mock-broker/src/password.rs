//! Password hashing with Argon2id, and the dummy hash that keeps L2's timing even.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id cost. The default (m = 7 MiB, t = 5, p = 1) is one of OWASP's recommended
/// settings, also Keycloak's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings {
            memory_kib: 7 * 1024,
            iterations: 5,
            parallelism: 1,
        }
    }
}

pub struct Passwords {
    argon2: Argon2<'static>,
    /// L2: an unknown username is checked against this, so it costs as much as a
    /// wrong password for a known one.
    dummy_hash: String,
}

#[derive(Debug, thiserror::Error)]
#[error("Argon2 settings rejected: {0}")]
pub struct SettingsError(String);

impl Passwords {
    pub fn new(settings: Argon2Settings) -> Result<Passwords, SettingsError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| SettingsError(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut passwords = Passwords {
            argon2,
            dummy_hash: String::new(),
        };
        passwords.dummy_hash = passwords.hash("portcullis-no-such-user");
        Ok(passwords)
    }

    /// A PHC string (`$argon2id$v=19$m=…`), with a fresh random salt.
    pub fn hash(&self, password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            // Hashing only fails for parameters `new` already checked.
            .unwrap_or_default()
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// stored hash; in that case the answer is always false.
    pub fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let phc = stored.unwrap_or(&self.dummy_hash);
        let ok = PasswordHash::new(phc)
            .map(|h| self.argon2.verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        ok && stored.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let p = cheap();
        let h = p.hash("Trade2026");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(p.verify(Some(&h), "Trade2026"));
        assert!(!p.verify(Some(&h), "trade2026"));
    }

    #[test]
    fn l2_unknown_user_never_verifies() {
        let p = cheap();
        assert!(
            !p.verify(None, "portcullis-no-such-user"),
            "the dummy password must not log anyone in"
        );
    }

    #[test]
    fn default_cost_is_owasp_m7_t5_p1() {
        let s = Argon2Settings::default();
        assert_eq!((s.memory_kib, s.iterations, s.parallelism), (7168, 5, 1));
    }
}
