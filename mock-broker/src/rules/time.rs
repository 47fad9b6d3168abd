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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        let t = Timestamp::from_unix_seconds(1_206_446_790);
        assert_eq!(t.rfc3339(), "2008-03-25T12:06:30Z");
        assert_eq!(t.human(), "2008-03-25 12:06 UTC");
    }
}
