//! Broker time as Unix milliseconds. The rules take it as an input (never reading the
//! system clock), which is what lets the simulated clock travel through days.

use serde::{Deserialize, Serialize};

/// A point in broker time, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// A span of broker time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub i64);

impl Duration {
    pub const fn seconds(s: i64) -> Self {
        Duration(s * 1000)
    }
    pub const fn minutes(m: i64) -> Self {
        Duration::seconds(m * 60)
    }
    pub const fn hours(h: i64) -> Self {
        Duration::minutes(h * 60)
    }
    pub const fn days(d: i64) -> Self {
        Duration::hours(d * 24)
    }
}

impl Timestamp {
    pub fn from_unix_seconds(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }
    pub fn plus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(d.0))
    }
    pub fn minus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(d.0))
    }

    /// RFC 3339 in UTC, second precision: what the wire and the messages show.
    pub fn rfc3339(self) -> String {
        let format =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        time::OffsetDateTime::from_unix_timestamp(self.unix_seconds())
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| format!("@{}", self.unix_seconds()))
    }

    /// A form for people: `2026-11-29 19:04 UTC`.
    pub fn human(self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        time::OffsetDateTime::from_unix_timestamp(self.unix_seconds())
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| format!("@{}", self.unix_seconds()))
    }
}

// ---- business days (helper C's copy; the lead keeps one with helper A's) ----------
// Business days are Monday to Friday, on UTC days of the broker's clock; no holidays.

const DAY_MS: i64 = 86_400_000;

/// Whether the UTC day holding `t` is Monday to Friday.
pub fn is_business_day(t: Timestamp) -> bool {
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counted from Monday = 0.
    let weekday = (t.0.div_euclid(DAY_MS) + 3).rem_euclid(7);
    weekday < 5
}

/// `t` moved forward by `n` business days, at the same time of day: each following
/// day counts if it is Monday to Friday (so Friday + 1 is Monday, and Saturday + 1 is
/// Monday too).
pub fn add_business_days(t: Timestamp, n: u32) -> Timestamp {
    let mut at = t;
    let mut left = n;
    while left > 0 {
        at = at.plus(Duration(DAY_MS));
        if is_business_day(at) {
            left -= 1;
        }
    }
    at
}
// ---- end of business days ---------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        let t = Timestamp::from_unix_seconds(1_206_446_790);
        assert_eq!(t.rfc3339(), "2008-03-25T12:06:30Z");
        assert_eq!(t.human(), "2008-03-25 12:06 UTC");
    }

    /// 2026-03-04 is a Wednesday.
    const WEDNESDAY_NOON: Timestamp = Timestamp(1_772_625_600_000);

    #[test]
    fn r3_business_days_skip_the_weekend() {
        let day = |n: i64| WEDNESDAY_NOON.plus(Duration::days(n));
        assert!(is_business_day(day(0)), "Wednesday");
        assert!(is_business_day(day(2)), "Friday");
        assert!(!is_business_day(day(3)), "Saturday");
        assert!(!is_business_day(day(4)), "Sunday");
        assert_eq!(add_business_days(day(0), 0), day(0));
        assert_eq!(
            add_business_days(day(0), 2),
            day(2),
            "Wednesday + 2 is Friday"
        );
        assert_eq!(
            add_business_days(day(0), 3),
            day(5),
            "Wednesday + 3 is Monday"
        );
        assert_eq!(add_business_days(day(0), 5), day(7), "a week");
        assert_eq!(
            add_business_days(day(3), 1),
            day(5),
            "Saturday + 1 is Monday"
        );
        assert_eq!(add_business_days(day(2), 1), day(5), "Friday + 1 is Monday");
    }
}
