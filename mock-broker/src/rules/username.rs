//! L1 and L3: what a username may contain, and that case matters.

use std::fmt;

/// A username that passed L3: 1–64 ASCII letters and digits. Its case is kept as
/// typed, because L1 makes `Alice` and `alice` different names (stored users are
/// lower case, so `Alice` simply matches nobody).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// L3: anything but ASCII letters and digits, refused before any password check.
    #[error("BAD CHARACTER")]
    BadCharacter,
    #[error("the username is empty")]
    Empty,
    #[error("the username is longer than {max} characters")]
    TooLong { max: usize },
}

impl Username {
    pub const MAX_LEN: usize = 64;

    /// L3: refuses spaces, punctuation and non-ASCII letters alike.
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        if text.is_empty() {
            return Err(UsernameError::Empty);
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::BadCharacter);
        }
        if text.len() > Self::MAX_LEN {
            return Err(UsernameError::TooLong { max: Self::MAX_LEN });
        }
        Ok(Username(text.to_owned()))
    }

    /// L1: whether this name could be a stored user at all (stored names are lower case).
    pub fn is_lower_case(&self) -> bool {
        !self.0.chars().any(|c| c.is_ascii_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_refuses_spaces_and_symbols_with_bad_character() {
        for bad in [
            "avery smith",
            "avery!",
            "a@b",
            "a#",
            "$",
            "%x",
            "^",
            "&",
            "*",
            "(",
            ".",
            ",",
            "\"",
            ":",
            "é",
            "a-b",
            "a_b",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::BadCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn l3_accepts_letters_and_digits() {
        assert!(Username::parse("avery2").is_ok());
        assert!(
            Username::parse("AVERY").is_ok(),
            "case is L1's business, not L3's"
        );
    }

    #[test]
    fn l1_keeps_case_and_flags_upper_case() {
        let name = Username::parse("Avery").unwrap();
        assert_eq!(
            name.as_str(),
            "Avery",
            "the name is not folded to lower case"
        );
        assert!(!name.is_lower_case());
        assert!(Username::parse("avery").unwrap().is_lower_case());
    }
}
