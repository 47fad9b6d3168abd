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

// ---- business days (issue 9: D2's 5-business-day window, R3's 3-5 business days) ----

/// One UTC day.
pub const DAY: Duration = Duration::days(1);

impl Timestamp {
    /// The UTC day this instant falls in, counted from 1970-01-01.
    pub fn utc_day(self) -> i64 {
        self.0.div_euclid(DAY.0)
    }

    /// Midnight UTC at the start of this instant's day.
    pub fn start_of_utc_day(self) -> Timestamp {
        Timestamp(self.utc_day().saturating_mul(DAY.0))
    }

    /// Monday is 0, Sunday 6 (1970-01-01 was a Thursday), in UTC.
    pub fn weekday(self) -> i64 {
        (self.utc_day() + 3).rem_euclid(7)
    }

    /// Monday to Friday, UTC; the mock broker keeps no holidays.
    pub fn is_business_day(self) -> bool {
        self.weekday() < 5
    }
}

/// `t` moved on by `n` business days, at the same time of day: each step is a day, and
/// only Monday to Friday count (from a Friday, 1 business day is the Monday).
pub fn add_business_days(t: Timestamp, n: u32) -> Timestamp {
    let mut at = t;
    let mut left = n;
    while left > 0 {
        at = at.plus(DAY);
        if at.is_business_day() {
            left -= 1;
        }
    }
    at
}

/// Midnight UTC starting the window of the `n` business days that ends today: today
/// is the window's last day if it is a business day; on a weekend the window is the
/// `n` business days before it, reaching on to now (D2: "per 5 business days").
pub fn business_days_window_start(now: Timestamp, n: u32) -> Timestamp {
    let mut day = now.start_of_utc_day();
    while !day.is_business_day() {
        day = day.minus(DAY);
    }
    for _ in 1..n {
        day = day.minus(DAY);
        while !day.is_business_day() {
            day = day.minus(DAY);
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 2026-03-02 09:00 UTC.
    const MONDAY_9: Timestamp = Timestamp(1_772_442_000_000);

    fn day(n: i64) -> Timestamp {
        MONDAY_9.plus(Duration::days(n))
    }

    #[test]
    fn business_days_are_monday_to_friday_utc() {
        assert_eq!(MONDAY_9.rfc3339(), "2026-03-02T09:00:00Z");
        assert_eq!(MONDAY_9.weekday(), 0);
        let business: Vec<bool> = (0..7).map(|n| day(n).is_business_day()).collect();
        assert_eq!(business, [true, true, true, true, true, false, false]);
        assert_eq!(
            MONDAY_9.start_of_utc_day().rfc3339(),
            "2026-03-02T00:00:00Z"
        );
        assert_eq!(Timestamp(0).weekday(), 3, "1970-01-01 was a Thursday");
    }

    #[test]
    fn adding_business_days_skips_the_weekend() {
        assert_eq!(
            add_business_days(MONDAY_9, 3),
            day(3),
            "Monday + 3 = Thursday"
        );
        assert_eq!(add_business_days(day(4), 1), day(7), "Friday + 1 = Monday");
        assert_eq!(
            add_business_days(day(3), 5),
            day(10),
            "Thursday + 5 = Thursday"
        );
        assert_eq!(
            add_business_days(day(5), 1),
            day(7),
            "Saturday + 1 = Monday"
        );
        assert_eq!(add_business_days(MONDAY_9, 0), MONDAY_9);
    }

    #[test]
    fn d2_the_5_business_day_window_ends_today_and_skips_weekends() {
        let midnight = |n: i64| day(n).start_of_utc_day();
        assert_eq!(
            business_days_window_start(day(4), 5),
            midnight(0),
            "Friday: Monday to Friday"
        );
        assert_eq!(
            business_days_window_start(day(7), 5),
            midnight(1),
            "the next Monday: from Tuesday, the weekend inside"
        );
        assert_eq!(
            business_days_window_start(day(6), 5),
            midnight(0),
            "Sunday: the week's five business days, on to now"
        );
        assert_eq!(business_days_window_start(day(2), 1), midnight(2));
    }

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
        assert!(day(0).is_business_day(), "Wednesday");
        assert!(day(2).is_business_day(), "Friday");
        assert!(!day(3).is_business_day(), "Saturday");
        assert!(!day(4).is_business_day(), "Sunday");
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
