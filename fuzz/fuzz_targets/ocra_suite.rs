//! The OCRA suite parser (RFC 6287 §6) and the computation over any suite it accepts.
//!
//! Input: a suite string, then optionally `\n` and a question. Asserts that a parsed
//! suite keeps its text, that its fields are within the RFC's ranges, that the suite
//! written back from its fields parses to the same fields, and that a value computed
//! for it has the suite's digit count (or the whole HMAC in hex for `-0`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocra::{compute, hash_pin, DataInput, HashAlgorithm, QuestionFormat, Suite};

fn hash_name(h: HashAlgorithm) -> &'static str {
    match h {
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha512 => "SHA512",
    }
}

/// The suite written back from its fields, in the RFC's canonical form.
fn canonical(s: &Suite) -> String {
    let mut data = Vec::new();
    if s.counter {
        data.push("C".to_owned());
    }
    let q = match s.question.0 {
        QuestionFormat::Numeric => 'N',
        QuestionFormat::Alphanumeric => 'A',
        QuestionFormat::Hex => 'H',
    };
    data.push(format!("Q{q}{:02}", s.question.1));
    if let Some(p) = s.pin {
        data.push(format!("P{}", hash_name(p)));
    }
    if let Some(len) = s.session_len {
        data.push(format!("S{len:03}"));
    }
    if let Some(step) = s.time_step {
        data.push(if step % 3600 == 0 && step > 0 {
            format!("T{}H", step / 3600)
        } else if step % 60 == 0 && step >= 60 {
            format!("T{}M", step / 60)
        } else {
            format!("T{step}S")
        });
    }
    format!(
        "OCRA-1:HOTP-{}-{}:{}",
        hash_name(s.hash),
        s.digits,
        data.join("-")
    )
}

fn same_fields(a: &Suite, b: &Suite) -> bool {
    (
        a.hash,
        a.digits,
        a.counter,
        a.question,
        a.pin,
        a.session_len,
        a.time_step,
    ) == (
        b.hash,
        b.digits,
        b.counter,
        b.question,
        b.pin,
        b.session_len,
        b.time_step,
    )
}

/// A question the suite's format takes, `len` characters long.
fn valid_question(format: QuestionFormat, len: usize) -> String {
    let alphabet: &[u8] = match format {
        QuestionFormat::Numeric => b"0123456789",
        QuestionFormat::Hex => b"0123456789abcdefABCDEF",
        QuestionFormat::Alphanumeric => b"Portcullis OCRA 6287!",
    };
    (0..len)
        .map(|i| char::from(alphabet[(i * 7) % alphabet.len()]))
        .collect()
}

fn inputs<'a>(suite: &Suite, question: &'a str) -> DataInput<'a> {
    DataInput {
        counter: suite.counter.then_some(7),
        question,
        pin_hash: suite.pin.map(|alg| hash_pin(alg, "1234")),
        session: suite.session_len.map(|len| vec![0xa5; len.min(3)]),
        unix_seconds: suite.time_step.map(|_| 1_800_000_000),
    }
}

fn check_value(suite: &Suite, value: &str) {
    if suite.digits == 0 {
        assert_eq!(value.len(), 2 * suite.hash.output_len(), "{suite:?}");
        assert!(value.bytes().all(|b| b.is_ascii_hexdigit()), "{value}");
    } else {
        assert_eq!(value.len(), suite.digits as usize, "{suite:?}: {value}");
        assert!(value.bytes().all(|b| b.is_ascii_digit()), "{value}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (suite_text, question) = match text.split_once('\n') {
        Some((s, q)) => (s, Some(q)),
        None => (text, None),
    };
    let Ok(suite) = suite_text.parse::<Suite>() else {
        return;
    };
    assert_eq!(suite.text, suite_text);
    assert!(suite.digits == 0 || (4..=10).contains(&suite.digits));
    assert!((4..=64).contains(&suite.question.1));

    let again: Suite = suite.text.parse().expect("a parsed suite parses again");
    assert_eq!(again, suite);
    let written = canonical(&suite);
    let reparsed: Suite = written
        .parse()
        .unwrap_or_else(|e| panic!("{written:?}, written from {suite_text:?}: {e}"));
    assert!(
        same_fields(&suite, &reparsed),
        "{suite_text:?} vs {written:?}"
    );

    let key = b"12345678901234567890123456789012";
    let q = valid_question(suite.question.0, suite.question.1);
    let value = compute(&suite, key, &inputs(&suite, &q))
        .unwrap_or_else(|e| panic!("{suite_text:?} with question {q:?}: {e}"));
    check_value(&suite, &value);
    // The canonical form is another suite text, so another message; same length.
    let other = compute(&reparsed, key, &inputs(&reparsed, &q)).expect("canonical suite computes");
    check_value(&reparsed, &other);

    // Any question: an error or a value of the right shape, never a panic.
    if let Some(question) = question {
        if let Ok(value) = compute(&suite, key, &inputs(&suite, question)) {
            check_value(&suite, &value);
        }
    }
});
