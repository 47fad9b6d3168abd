//! C3: the OCRA code is checked against every vector of RFC 6287 Appendix C.

use ocra::{compute, hash_pin, DataInput, HashAlgorithm, Suite};

const KEY20: &str = "3132333435363738393031323334353637383930";
const KEY32: &str = "3132333435363738393031323334353637383930313233343536373839303132";
const KEY64: &str = "31323334353637383930313233343536373839303132333435363738393031323334353637383930313233343536373839303132333435363738393031323334";
/// "1234" hashed with SHA1, as printed in the RFC.
const PIN_1234_SHA1: &str = "7110eda4d09e062aa5e4a390b0a572ac0d2c0220";
/// Mar 25 2008, 12:06:30 GMT — the RFC's timestamp 0x132d0b6 minutes.
const RFC_TIME: u64 = 0x132d0b6 * 60 + 30;

fn run(suite: &str, key: &str, input: DataInput<'_>) -> String {
    let suite: Suite = suite.parse().unwrap();
    compute(&suite, &hex::decode(key).unwrap(), &input).unwrap()
}

fn pin() -> Option<Vec<u8>> {
    Some(hex::decode(PIN_1234_SHA1).unwrap())
}

#[test]
fn c3_pin_hash_matches_the_rfc() {
    assert_eq!(
        hex::encode(hash_pin(HashAlgorithm::Sha1, "1234")),
        PIN_1234_SHA1
    );
}

#[test]
fn c3_one_way_sha1_6_qn08() {
    let expected = [
        "237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598", "750600",
        "294470",
    ];
    for (i, want) in expected.iter().enumerate() {
        let q = i.to_string().repeat(8);
        let input = DataInput {
            question: &q,
            ..DataInput::default()
        };
        assert_eq!(run("OCRA-1:HOTP-SHA1-6:QN08", KEY20, input), *want, "Q={q}");
    }
}

#[test]
fn c3_one_way_sha256_8_c_qn08_psha1() {
    let expected = [
        "65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104",
        "91771096", "75011558", "08522129",
    ];
    for (c, want) in expected.iter().enumerate() {
        let input = DataInput {
            counter: Some(c as u64),
            question: "12345678",
            pin_hash: pin(),
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", KEY32, input),
            *want,
            "C={c}"
        );
    }
}

#[test]
fn c3_one_way_sha256_8_qn08_psha1() {
    let expected = ["83238735", "01501458", "17957585", "86776967", "86807031"];
    for (i, want) in expected.iter().enumerate() {
        let q = i.to_string().repeat(8);
        let input = DataInput {
            question: &q,
            pin_hash: pin(),
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", KEY32, input),
            *want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_one_way_sha512_8_c_qn08() {
    let expected = [
        "07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969",
        "51946085", "20403879", "31409299",
    ];
    for (i, want) in expected.iter().enumerate() {
        let q = i.to_string().repeat(8);
        let input = DataInput {
            counter: Some(i as u64),
            question: &q,
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA512-8:C-QN08", KEY64, input),
            *want,
            "C={i}"
        );
    }
}

#[test]
fn c3_one_way_sha512_8_qn08_t1m() {
    let expected = ["95209754", "55907591", "22048402", "24218844", "36209546"];
    for (i, want) in expected.iter().enumerate() {
        let q = i.to_string().repeat(8);
        let input = DataInput {
            question: &q,
            unix_seconds: Some(RFC_TIME),
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA512-8:QN08-T1M", KEY64, input),
            *want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_mutual_sha256_8_qa08() {
    let cases = [
        ("CLI22220SRV11110", "28247970"),
        ("CLI22221SRV11111", "01984843"),
        ("CLI22222SRV11112", "65387857"),
        ("CLI22223SRV11113", "03351211"),
        ("CLI22224SRV11114", "83412541"),
        ("SRV11110CLI22220", "15510767"),
        ("SRV11111CLI22221", "90175646"),
        ("SRV11112CLI22222", "33777207"),
        ("SRV11113CLI22223", "95285278"),
        ("SRV11114CLI22224", "28934924"),
    ];
    for (q, want) in cases {
        let input = DataInput {
            question: q,
            ..DataInput::default()
        };
        // The RFC puts 16-character questions through QA08: the length is nominal.
        assert_eq!(
            run("OCRA-1:HOTP-SHA256-8:QA08", KEY32, input),
            want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_mutual_sha512_8_qa08() {
    let cases = [
        ("CLI22220SRV11110", "79496648"),
        ("CLI22221SRV11111", "76831980"),
        ("CLI22222SRV11112", "12250499"),
        ("CLI22223SRV11113", "90856481"),
        ("CLI22224SRV11114", "12761449"),
    ];
    for (q, want) in cases {
        let input = DataInput {
            question: q,
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA512-8:QA08", KEY64, input),
            want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_mutual_sha512_8_qa08_psha1() {
    let cases = [
        ("SRV11110CLI22220", "18806276"),
        ("SRV11111CLI22221", "70020315"),
        ("SRV11112CLI22222", "01600026"),
        ("SRV11113CLI22223", "18951020"),
        ("SRV11114CLI22224", "32528969"),
    ];
    for (q, want) in cases {
        let input = DataInput {
            question: q,
            pin_hash: pin(),
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA512-8:QA08-PSHA1", KEY64, input),
            want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_signature_sha256_8_qa08() {
    let cases = [
        ("SIG10000", "53095496"),
        ("SIG11000", "04110475"),
        ("SIG12000", "31331128"),
        ("SIG13000", "76028668"),
        ("SIG14000", "46554205"),
    ];
    for (q, want) in cases {
        let input = DataInput {
            question: q,
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA256-8:QA08", KEY32, input),
            want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_signature_sha512_8_qa10_t1m() {
    let cases = [
        ("SIG1000000", "77537423"),
        ("SIG1100000", "31970405"),
        ("SIG1200000", "10235557"),
        ("SIG1300000", "95213541"),
        ("SIG1400000", "65360607"),
    ];
    for (q, want) in cases {
        let input = DataInput {
            question: q,
            unix_seconds: Some(RFC_TIME),
            ..DataInput::default()
        };
        assert_eq!(
            run("OCRA-1:HOTP-SHA512-8:QA10-T1M", KEY64, input),
            want,
            "Q={q}"
        );
    }
}

#[test]
fn c3_wrong_pin_changes_the_value() {
    let suite: Suite = "OCRA-1:HOTP-SHA256-8:QN06-PSHA1".parse().unwrap();
    let key = hex::decode(KEY32).unwrap();
    let with = |p: &str| {
        let input = DataInput {
            question: "123456",
            pin_hash: Some(hash_pin(HashAlgorithm::Sha1, p)),
            ..DataInput::default()
        };
        compute(&suite, &key, &input).unwrap()
    };
    assert_eq!(with("1234").len(), 8);
    assert_ne!(with("1234"), with("1235"));
}

#[test]
fn inputs_the_suite_does_not_take_are_refused() {
    let suite: Suite = "OCRA-1:HOTP-SHA1-6:QN08".parse().unwrap();
    let key = hex::decode(KEY20).unwrap();
    let extra_counter = DataInput {
        counter: Some(1),
        question: "12345678",
        ..DataInput::default()
    };
    assert!(compute(&suite, &key, &extra_counter).is_err());
    let letters = DataInput {
        question: "1234abcd",
        ..DataInput::default()
    };
    assert!(compute(&suite, &key, &letters).is_err());
    let too_long = "1".repeat(65);
    let too_long = DataInput {
        question: &too_long,
        ..DataInput::default()
    };
    assert!(compute(&suite, &key, &too_long).is_err());
}
