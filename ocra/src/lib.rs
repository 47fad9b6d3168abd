//! OCRA, the OATH Challenge-Response Algorithm of RFC 6287.
//!
//! Portcullis uses it for the DSC+ card (C3: `OCRA-1:HOTP-SHA256-8:QN06-PSHA1`), but the
//! code handles every suite the RFC defines — SHA1/256/512, a counter (`C`), a question
//! in numeric, alphanumeric or hex form (`QN`/`QA`/`QH`, 4–64 characters), a hashed
//! PIN (`PSHA1`/`PSHA256`/`PSHA512`), session information (`Snnn`) and a time step
//! (`T`) — and it is proven by the vectors of the RFC's Appendix C (see `tests/`).
//!
//! The edges: this crate computes values. Choosing challenges, comparing responses in
//! constant time and deciding what a wrong value means belong to the caller.

mod suite;

use hmac::{Hmac, Mac};
pub use suite::{HashAlgorithm, QuestionFormat, Suite, SuiteError};

/// The inputs of one OCRA computation besides the key. Fields the suite does not use
/// must be `None`; fields it needs must be given.
#[derive(Clone, Default)]
pub struct DataInput<'a> {
    pub counter: Option<u64>,
    /// The question as a person types it: decimal digits for `QN`, text for `QA`,
    /// hex digits for `QH`.
    pub question: &'a str,
    /// The PIN already hashed with the suite's `P` algorithm.
    pub pin_hash: Option<Vec<u8>>,
    /// Session information as raw bytes, at most the suite's `Snnn` length.
    pub session: Option<Vec<u8>>,
    /// Unix time in seconds; divided by the suite's time step here.
    pub unix_seconds: Option<u64>,
}

impl std::fmt::Debug for DataInput<'_> {
    // The PIN hash is a secret; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataInput")
            .field("counter", &self.counter)
            .field("question", &self.question)
            .field("pin_hash", &self.pin_hash.as_ref().map(|_| "<redacted>"))
            .field("session", &self.session.as_ref().map(Vec::len))
            .field("unix_seconds", &self.unix_seconds)
            .finish()
    }
}

/// Why a computation could not be done. Each names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcraError {
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error("the suite needs a {0}")]
    Missing(&'static str),
    #[error("the suite has no {0}, but one was given")]
    Unexpected(&'static str),
    #[error("the question does not fit the suite: {0}")]
    Question(String),
    #[error("the PIN hash is {given} bytes; the suite's algorithm makes {expected}")]
    PinHashLength { given: usize, expected: usize },
    #[error("the session information is {given} bytes; the suite allows {max}")]
    SessionLength { given: usize, max: usize },
}

/// Hashes a PIN with the suite's `P` algorithm, as the card does before computing.
pub fn hash_pin(algorithm: HashAlgorithm, pin: &str) -> Vec<u8> {
    use sha2::Digest;
    match algorithm {
        HashAlgorithm::Sha1 => sha1::Sha1::digest(pin.as_bytes()).to_vec(),
        HashAlgorithm::Sha256 => sha2::Sha256::digest(pin.as_bytes()).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(pin.as_bytes()).to_vec(),
    }
}

/// Computes the OCRA value: `digits` decimal digits, or the whole HMAC in hex when the
/// suite asks for no truncation (`-0`).
pub fn compute(suite: &Suite, key: &[u8], input: &DataInput<'_>) -> Result<String, OcraError> {
    let message = message(suite, input)?;
    let mac = hmac(suite.hash, key, &message);
    Ok(truncate(&mac, suite.digits))
}

/// The byte string RFC 6287 §5.1 signs: suite, a zero byte, then C, Q, P, S, T.
fn message(suite: &Suite, input: &DataInput<'_>) -> Result<Vec<u8>, OcraError> {
    let mut msg = suite.text.as_bytes().to_vec();
    msg.push(0);

    match (suite.counter, input.counter) {
        (true, Some(c)) => msg.extend_from_slice(&c.to_be_bytes()),
        (true, None) => return Err(OcraError::Missing("counter")),
        (false, Some(_)) => return Err(OcraError::Unexpected("counter")),
        (false, None) => {}
    }

    msg.extend_from_slice(&question_bytes(suite, input.question)?);

    match (suite.pin, &input.pin_hash) {
        (Some(alg), Some(hash)) => {
            if hash.len() != alg.output_len() {
                return Err(OcraError::PinHashLength {
                    given: hash.len(),
                    expected: alg.output_len(),
                });
            }
            msg.extend_from_slice(hash);
        }
        (Some(_), None) => return Err(OcraError::Missing("PIN")),
        (None, Some(_)) => return Err(OcraError::Unexpected("PIN")),
        (None, None) => {}
    }

    match (suite.session_len, &input.session) {
        (Some(len), Some(session)) => {
            if session.len() > len {
                return Err(OcraError::SessionLength {
                    given: session.len(),
                    max: len,
                });
            }
            // Shorter session information is left-padded with zeros, as in the
            // RFC's reference implementation.
            msg.extend(std::iter::repeat_n(0u8, len - session.len()));
            msg.extend_from_slice(session);
        }
        (Some(_), None) => return Err(OcraError::Missing("session information")),
        (None, Some(_)) => return Err(OcraError::Unexpected("session information")),
        (None, None) => {}
    }

    match (suite.time_step, input.unix_seconds) {
        (Some(step), Some(secs)) => msg.extend_from_slice(&(secs / step).to_be_bytes()),
        (Some(_), None) => return Err(OcraError::Missing("timestamp")),
        (None, Some(_)) => return Err(OcraError::Unexpected("timestamp")),
        (None, None) => {}
    }
    Ok(msg)
}

/// The question as the 128 bytes of §5.1: its hex form, right-padded with zeros.
fn question_bytes(suite: &Suite, question: &str) -> Result<[u8; 128], OcraError> {
    // The suite's length (`QN08`) is nominal: the RFC's own mutual vectors put a
    // 16-character question through `QA08`, and its reference code does not check it.
    // What must hold is the RFC's range of 4 to 64 characters.
    let (format, _nominal) = suite.question;
    let len = question.chars().count();
    if !(4..=64).contains(&len) {
        return Err(OcraError::Question(format!(
            "it has {len} characters; OCRA takes 4 to 64"
        )));
    }
    let mut hex_digits = match format {
        QuestionFormat::Numeric => {
            if !question.bytes().all(|b| b.is_ascii_digit()) {
                return Err(OcraError::Question("QN takes decimal digits only".into()));
            }
            decimal_to_hex(question)
        }
        QuestionFormat::Alphanumeric => {
            if !question.is_ascii() {
                return Err(OcraError::Question("QA takes ASCII characters only".into()));
            }
            hex::encode(question)
        }
        QuestionFormat::Hex => {
            if !question.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(OcraError::Question("QH takes hex digits only".into()));
            }
            question.to_ascii_lowercase()
        }
    };
    while hex_digits.len() < 256 {
        hex_digits.push('0');
    }
    let mut out = [0u8; 128];
    hex::decode_to_slice(&hex_digits, &mut out)
        .map_err(|e| OcraError::Question(format!("cannot encode: {e}")))?;
    Ok(out)
}

/// Converts a decimal string of any length (QN allows 64 digits) to lower-case hex,
/// by repeated division of the digit vector; no big-integer type is needed for that.
fn decimal_to_hex(decimal: &str) -> String {
    let mut digits: Vec<u32> = decimal.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut hex_rev = Vec::new();
    while digits.iter().any(|&d| d != 0) {
        let mut remainder = 0;
        let mut quotient = Vec::with_capacity(digits.len());
        for d in digits {
            let acc = remainder * 10 + d;
            quotient.push(acc / 16);
            remainder = acc % 16;
        }
        hex_rev.push(char::from_digit(remainder, 16).unwrap_or('0'));
        digits = quotient;
    }
    if hex_rev.is_empty() {
        hex_rev.push('0');
    }
    hex_rev.iter().rev().collect()
}

fn hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    macro_rules! run {
        ($h:ty) => {{
            let mut mac = <Hmac<$h>>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }};
    }
    match algorithm {
        HashAlgorithm::Sha1 => run!(sha1::Sha1),
        HashAlgorithm::Sha256 => run!(sha2::Sha256),
        HashAlgorithm::Sha512 => run!(sha2::Sha512),
    }
}

/// Dynamic truncation of RFC 4226 §5.3, or the full HMAC when `digits` is 0.
fn truncate(mac: &[u8], digits: u32) -> String {
    if digits == 0 {
        return hex::encode(mac);
    }
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let value = u64::from(binary) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_to_hex_handles_long_numbers() {
        assert_eq!(decimal_to_hex("11111111"), "a98ac7");
        assert_eq!(decimal_to_hex("0"), "0");
        // 2^64, beyond u64.
        assert_eq!(decimal_to_hex("18446744073709551616"), "10000000000000000");
    }

    #[test]
    fn debug_does_not_print_the_pin_hash() {
        let input = DataInput {
            pin_hash: Some(vec![0xab; 20]),
            question: "123456",
            ..DataInput::default()
        };
        assert!(
            !format!("{input:?}").contains("171"),
            "0xab printed as a Vec<u8> is 171"
        );
    }
}
