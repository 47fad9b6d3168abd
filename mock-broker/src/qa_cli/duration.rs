//! Durations as people type them: `90s`, `15m`, `2h`, `3d`, `1w`, `500ms`, and
//! combinations such as `1d2h` or `1h30m`. Never negative: the clock only moves
//! forward with `advance` (`clock set` goes back).

/// What a duration may not be, in words for the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is negative: the clock only moves forward (use `clock set` to go back)")]
    Negative(String),
    #[error("no duration given: say how long, e.g. 90s, 15m, 2h, 3d, 1w or 1d2h")]
    Empty,
    #[error("{0:?}: a number needs its unit (ms, s, m, h, d, w), e.g. {0}s")]
    NoUnit(String),
    #[error("{text:?}: {unit:?} is not a unit; use ms, s, m, h, d or w")]
    Unit { text: String, unit: String },
    #[error("{0:?}: not a duration; numbers each followed by a unit, e.g. 1d2h")]
    Malformed(String),
    #[error("{0:?} is too long a duration")]
    TooLong(String),
}

/// Milliseconds in `text`.
pub fn parse_millis(text: &str) -> Result<u64, DurationError> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(DurationError::Negative(text.to_owned()));
    }
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let too_long = || DurationError::TooLong(text.to_owned());
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(DurationError::Malformed(text.to_owned()));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| too_long())?;
        rest = &rest[digits..];
        let letters = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let per: u64 = match unit {
            "" if rest.is_empty() => return Err(DurationError::NoUnit(text.to_owned())),
            "" => return Err(DurationError::Malformed(text.to_owned())),
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            other => {
                return Err(DurationError::Unit {
                    text: text.to_owned(),
                    unit: other.to_owned(),
                })
            }
        };
        let part = number.checked_mul(per).ok_or_else(too_long)?;
        total = total.checked_add(part).ok_or_else(too_long)?;
    }
    Ok(total)
}

/// Milliseconds as the shortest of these durations (`1d2h`, `90s` → `1m30s`, `0s`).
pub fn format_millis(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let mut left = ms.unsigned_abs();
    let mut out = String::new();
    for (unit, per) in [
        ("w", 604_800_000u64),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if left >= per {
            out.push_str(&format!("{}{unit}", left / per));
            left %= per;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_combinations() {
        for (text, ms) in [
            ("90s", 90_000),
            ("15m", 900_000),
            ("2h", 7_200_000),
            ("3d", 259_200_000),
            ("1w", 604_800_000),
            ("24h", 86_400_000),
            ("1d2h", 93_600_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
            ("2s500ms", 2_500),
            ("0s", 0),
        ] {
            assert_eq!(parse_millis(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn negatives_and_nonsense_are_refused_with_words() {
        assert!(matches!(
            parse_millis("-5m"),
            Err(DurationError::Negative(_))
        ));
        assert!(parse_millis("-5m")
            .unwrap_err()
            .to_string()
            .contains("only moves forward"));
        assert_eq!(parse_millis(""), Err(DurationError::Empty));
        assert!(matches!(parse_millis("90"), Err(DurationError::NoUnit(_))));
        assert!(matches!(
            parse_millis("3y"),
            Err(DurationError::Unit { .. })
        ));
        assert!(matches!(
            parse_millis("h2"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            parse_millis("1.5h"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            parse_millis("99999999999999999999w"),
            Err(DurationError::TooLong(_))
        ));
    }

    #[test]
    fn formatted_back() {
        assert_eq!(format_millis(93_600_000), "1d2h");
        assert_eq!(format_millis(90_000), "1m30s");
        assert_eq!(format_millis(0), "0s");
        assert_eq!(format_millis(-1_500), "-1s500ms");
    }
}
