//! Parsing an OCRA suite string (RFC 6287 §6): `OCRA-1:HOTP-SHAx-t:DataInput`.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl HashAlgorithm {
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha512 => 64,
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "SHA1" => Some(HashAlgorithm::Sha1),
            "SHA256" => Some(HashAlgorithm::Sha256),
            "SHA512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionFormat {
    /// `QN`: decimal digits.
    Numeric,
    /// `QA`: text.
    Alphanumeric,
    /// `QH`: hex digits.
    Hex,
}

/// A parsed suite. `text` is kept because it is the first part of the signed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    pub text: String,
    pub hash: HashAlgorithm,
    /// 0 (no truncation) or 4–10.
    pub digits: u32,
    pub counter: bool,
    /// The question's format and its maximum length (4–64).
    pub question: (QuestionFormat, usize),
    pub pin: Option<HashAlgorithm>,
    /// Session information length in bytes.
    pub session_len: Option<usize>,
    /// The time step in seconds.
    pub time_step: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OCRA suite {suite:?}: {reason}")]
pub struct SuiteError {
    pub suite: String,
    pub reason: &'static str,
}

impl FromStr for Suite {
    type Err = SuiteError;

    fn from_str(text: &str) -> Result<Self, SuiteError> {
        let fail = |reason| SuiteError {
            suite: text.to_owned(),
            reason,
        };
        let mut parts = text.split(':');
        let (Some(version), Some(crypto), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(fail("expected three parts separated by ':'"));
        };
        if version != "OCRA-1" {
            return Err(fail("the version must be OCRA-1"));
        }

        let mut crypto_parts = crypto.split('-');
        let (Some("HOTP"), Some(hash), Some(digits), None) = (
            crypto_parts.next(),
            crypto_parts.next(),
            crypto_parts.next(),
            crypto_parts.next(),
        ) else {
            return Err(fail("the crypto function must be HOTP-SHAx-t"));
        };
        let hash = HashAlgorithm::parse(hash).ok_or_else(|| fail("unknown hash"))?;
        let digits: u32 = digits
            .parse()
            .ok()
            .filter(|d| *d == 0 || (4..=10).contains(d))
            .ok_or_else(|| fail("truncation must be 0 or 4-10"))?;

        let mut fields = data.split('-').peekable();
        let counter = fields.next_if_eq(&"C").is_some();
        let question = fields
            .next()
            .and_then(parse_question)
            .ok_or_else(|| fail("a question QA/QN/QH with length 04-64 is required"))?;
        let mut pin = None;
        let mut session_len = None;
        let mut time_step = None;
        for field in fields {
            if let Some(alg) = field.strip_prefix('P') {
                if pin.is_some() || session_len.is_some() || time_step.is_some() {
                    return Err(fail("P must come once, before S and T"));
                }
                pin = Some(HashAlgorithm::parse(alg).ok_or_else(|| fail("unknown P hash"))?);
            } else if let Some(len) = field.strip_prefix('S') {
                if session_len.is_some() || time_step.is_some() {
                    return Err(fail("S must come once, before T"));
                }
                session_len = Some(parse_session(len).ok_or_else(|| fail("S takes 3 digits"))?);
            } else if let Some(step) = field.strip_prefix('T') {
                if time_step.is_some() {
                    return Err(fail("T must come once"));
                }
                time_step = Some(parse_time_step(step).ok_or_else(|| fail("bad time step"))?);
            } else {
                return Err(fail("unknown data input"));
            }
        }
        Ok(Suite {
            text: text.to_owned(),
            hash,
            digits,
            counter,
            question,
            pin,
            session_len,
            time_step,
        })
    }
}

fn parse_question(field: &str) -> Option<(QuestionFormat, usize)> {
    let rest = field.strip_prefix('Q')?;
    let format = match rest.get(..1)? {
        "A" => QuestionFormat::Alphanumeric,
        "N" => QuestionFormat::Numeric,
        "H" => QuestionFormat::Hex,
        _ => return None,
    };
    let len = rest.get(1..)?;
    if len.len() != 2 {
        return None;
    }
    let len: usize = len.parse().ok()?;
    (4..=64).contains(&len).then_some((format, len))
}

fn parse_session(len: &str) -> Option<usize> {
    (len.len() == 3 && len.bytes().all(|b| b.is_ascii_digit()))
        .then(|| len.parse().ok())
        .flatten()
}

fn parse_time_step(step: &str) -> Option<u64> {
    // The unit is one ASCII letter; a step ending in any other character is refused,
    // not split inside it.
    let (n, unit) = step.split_at_checked(step.len().checked_sub(1)?)?;
    let n: u64 = n.parse().ok()?;
    match unit {
        "S" if (1..=59).contains(&n) => Some(n),
        "M" if (1..=59).contains(&n) => Some(n * 60),
        // RFC 6287 §6 writes 0-48H, but a step of nothing has no time steps to count
        // (the value divides by it): 1-48 hours.
        "H" if (1..=48).contains(&n) => Some(n * 3600),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_dsc_plus_suite() {
        let s: Suite = "OCRA-1:HOTP-SHA256-8:QN06-PSHA1".parse().unwrap();
        assert_eq!(s.hash, HashAlgorithm::Sha256);
        assert_eq!(s.digits, 8);
        assert!(!s.counter);
        assert_eq!(s.question, (QuestionFormat::Numeric, 6));
        assert_eq!(s.pin, Some(HashAlgorithm::Sha1));
    }

    #[test]
    fn parses_every_field() {
        let s: Suite = "OCRA-1:HOTP-SHA512-0:C-QH16-PSHA256-S064-T14H"
            .parse()
            .unwrap();
        assert!(s.counter);
        assert_eq!(s.digits, 0);
        assert_eq!(s.session_len, Some(64));
        assert_eq!(s.time_step, Some(14 * 3600));
    }

    #[test]
    fn refuses_malformed_suites() {
        for bad in [
            "this_is_not_a_suite",
            "OCRA-1::QA08",
            "OCRA-1:HOTP-SHA1-0:QN08-T01X",
            "OCRA-1:HOTP-SHA1-0:QN08-T91S",
            "OCRA-1:HOTP-SHA1-0:QN08-T91H",
            "OCRA-1:HOTP-SHA1-0:QN08-T",
            "OCRA-1:HOTP-SHA1-0:QX08",
            "OCRA-1:HOTP-SHA1-0:C",
            "OCRA-1:HOTP-SHA1-0:",
            "OCRA-1:HOTP-SHA1-1:QA08",
            "OCRA-1:HOTP-SHA-0:QN08",
            "OCRA-1:HOTP-SHA1-6:QN03",
            "OCRA-1:HOTP-SHA1-6:QN65",
            "OCRA-2:HOTP-SHA1-6:QN08",
        ] {
            assert!(bad.parse::<Suite>().is_err(), "{bad} must be refused");
        }
    }

    /// RFC 6287 §6: a time step of zero hours would divide by zero when computed. Found
    /// by the `ocra_suite` fuzz target.
    #[test]
    fn time_step_of_zero_hours_is_refused() {
        for bad in [
            "OCRA-1:HOTP-SHA1-6:QN08-T0H",
            "OCRA-1:HOTP-SHA512-0:C-QH26-PSHA256-S874-T00H",
        ] {
            assert!(bad.parse::<Suite>().is_err(), "{bad} must be refused");
        }
        let one: Suite = "OCRA-1:HOTP-SHA1-6:QN08-T1H".parse().unwrap();
        assert_eq!(one.time_step, Some(3600));
    }

    /// RFC 6287 §6: the time step is `T` then a number and S, M or H. Found by the
    /// `ocra_suite` fuzz target: a step ending in a multi-byte character panicked.
    #[test]
    fn time_step_ending_in_a_multibyte_character_is_refused() {
        for bad in [
            "OCRA-1:HOTP-SHA512-0:C-QH26-PSHA256-S028-T1\u{331}",
            "OCRA-1:HOTP-SHA1-6:QN08-T\u{e9}",
            "OCRA-1:HOTP-SHA1-6:QN08-T1\u{1F600}",
        ] {
            assert!(bad.parse::<Suite>().is_err(), "{bad} must be refused");
        }
    }
}
