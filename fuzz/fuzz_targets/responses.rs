//! The broker's parsers of what people type and what it stores: usernames (L1, L3), the
//! DSC+ response (C3), security code card answers and stored indexes (D7), temporary
//! passcodes (T1), IB Key and soft PINs (K1, R1), phone numbers (D3), daily session ends,
//! symbols and the stored state names.
//!
//! Each accepted value is checked against the rule's own definition, so a parser that
//! lets through what the rule refuses (or the reverse) fails here as well as a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_broker::rules::account::valid_symbol;
use mock_broker::rules::card::{indexes_from_stored, indexes_stored, Grid};
use mock_broker::rules::challenge::{check_response, ocra_response, responses_match};
use mock_broker::rules::ibkey::{
    mask_phone_number, validate_phone_number, validate_pin, FaultMode, PushDelivery, PushState,
    UnlockMethod,
};
use mock_broker::rules::replacement::validate_soft_pin;
use mock_broker::rules::session::{DailyEnd, SessionEnd};
use mock_broker::rules::temporary::valid_passcode;
use mock_broker::rules::{ChallengeCode, ResponseCheck, Timestamp, Username};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    // L1, L3.
    match Username::parse(s) {
        Ok(name) => {
            assert!((1..=Username::MAX_LEN).contains(&s.len()));
            assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(name.as_str(), s);
        }
        Err(_) => assert!(
            s.is_empty()
                || s.len() > Username::MAX_LEN
                || !s.bytes().all(|b| b.is_ascii_alphanumeric())
        ),
    }

    // C3: a typed response matches only the expected one, byte for byte.
    let challenge = ChallengeCode::from_stored("123456".to_owned());
    let pin_sha1 = ocra::hash_pin(ocra::HashAlgorithm::Sha1, "1234");
    let expected = ocra_response(b"12345678901234567890", &pin_sha1, &challenge)
        .expect("the DSC+ suite computes");
    assert_eq!(expected.len(), 8);
    assert_eq!(responses_match(&expected, s), expected == s);
    let t0 = Timestamp(1_800_000_000_000);
    let check = check_response(&expected, s, t0, t0);
    assert_eq!(check == ResponseCheck::Correct, expected == s);
    // A challenge code as stored computes too when it is six digits.
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        let v = ocra_response(
            b"12345678901234567890",
            &pin_sha1,
            &ChallengeCode::from_stored(s.to_owned()),
        )
        .expect("a 6-digit challenge computes");
        assert!(v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()));
    }

    // D7: a card answer; the stored indexes read back.
    let grid = Grid::from_seed(u64::from(data.first().copied().unwrap_or(0)));
    let picked = [data.len() as u8 % 100, (data.len() as u8 % 100 + 1) % 100];
    assert_eq!(grid.check(picked, s), grid.answer(picked) == s);
    if let Some(indexes) = indexes_from_stored(s) {
        assert!(indexes[0] != indexes[1] && indexes[0] < 100 && indexes[1] < 100);
        assert_eq!(indexes_from_stored(&indexes_stored(indexes)), Some(indexes));
        assert_eq!(grid.answer(indexes).len(), 6);
    }
    if let Some(g) = Grid::from_stored(s) {
        assert_eq!(g.stored(), s);
        assert_eq!(Grid::from_codes(&g.codes()).ok(), Some(g));
    }

    // T1.
    assert_eq!(
        valid_passcode(s),
        (6..=16).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );

    // K1: an IB Key PIN; R1: a soft PIN.
    assert_eq!(
        validate_pin(s).is_ok(),
        (4..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
    );
    assert_eq!(
        validate_soft_pin(s).is_ok(),
        s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
    );

    // D3/K1: a phone number, and its mask never shows more than four characters of it.
    if let Ok(number) = validate_phone_number(s) {
        assert_eq!(number, s);
        assert!((6..=14).contains(&s.len()) && !s.starts_with('0'));
        assert!(s.bytes().all(|b| b.is_ascii_digit()));
    }
    let masked = mask_phone_number(s);
    assert!(masked.starts_with("•••• "));
    assert!(masked.chars().count() <= 5 + 4);

    // Sessions: a daily end is HH:MM; stored names read back to themselves.
    if DailyEnd::parse(s).is_ok() {
        let b = s.as_bytes();
        assert!(s.len() == 5 && b[2] == b':');
        let end = DailyEnd::parse(s).unwrap();
        let next = end.next_after(t0);
        assert!(next > t0 && next.0 - t0.0 <= 24 * 3600 * 1000);
    }
    if let Some(e) = SessionEnd::parse(s) {
        assert_eq!(e.as_str(), s);
    }
    if let Some(p) = PushState::parse(s) {
        assert_eq!(p.as_str(), s);
    }
    if let Some(p) = PushDelivery::parse(s) {
        assert_eq!(p.as_str(), s);
    }
    if let Some(f) = FaultMode::parse(s) {
        assert_eq!(f.as_str(), s);
    }
    if let Some(u) = UnlockMethod::parse(s) {
        assert_eq!(u.as_str(), s);
    }

    // O1: a ticker.
    if valid_symbol(s) {
        assert!((1..=12).contains(&s.len()));
        assert!(s.as_bytes()[0].is_ascii_uppercase());
    }
});
