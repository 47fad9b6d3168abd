//! How long a session lives (issue 6): it ends after a spell without activity, and at
//! a fixed time of day (UTC), whichever comes first. Both figures come from the
//! scenario; time is passed in, so the simulated clock carries sessions through days.
//!
//! The articles are silent on session lifetimes; these are product decisions, which
//! the README states: 30 idle minutes and 23:45 UTC by default.

use super::time::{Duration, Timestamp};

/// Default idle limit, in minutes.
pub const DEFAULT_IDLE_MINUTES: u32 = 30;
/// Default daily end, UTC.
pub const DEFAULT_DAILY_END_UTC: &str = "23:45";

const DAY: Duration = Duration::hours(24);

/// A time of day in UTC at which every session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyEnd {
    minutes_after_midnight: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a daily end is a UTC time of day written HH:MM (00:00 to 23:59)")]
pub struct DailyEndError;

impl DailyEnd {
    /// `HH:MM`, 24-hour, two digits each.
    pub fn parse(text: &str) -> Result<DailyEnd, DailyEndError> {
        let (h, m) = text.split_once(':').ok_or(DailyEndError)?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(DailyEndError);
        }
        let (h, m): (i64, i64) = (
            h.parse().map_err(|_| DailyEndError)?,
            m.parse().map_err(|_| DailyEndError)?,
        );
        if h > 23 || m > 59 {
            return Err(DailyEndError);
        }
        Ok(DailyEnd {
            minutes_after_midnight: h * 60 + m,
        })
    }

    /// The first daily end strictly after `t`: a session opened at or after today's
    /// end lives until tomorrow's.
    pub fn next_after(self, t: Timestamp) -> Timestamp {
        let midnight = Timestamp(t.0.div_euclid(DAY.0) * DAY.0);
        let today = midnight.plus(Duration::minutes(self.minutes_after_midnight));
        if today > t {
            today
        } else {
            today.plus(DAY)
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// No activity for the idle limit.
    Idle,
    /// The daily end passed.
    DailyEnd,
    /// T4/T2/T3: the temporary device it came through was voided or expired.
    DeviceEnded,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Idle => "idle",
            SessionEnd::DailyEnd => "daily_end",
            SessionEnd::DeviceEnded => "device_ended",
        }
    }

    pub fn parse(text: &str) -> Option<SessionEnd> {
        match text {
            "idle" => Some(SessionEnd::Idle),
            "daily_end" => Some(SessionEnd::DailyEnd),
            "device_ended" => Some(SessionEnd::DeviceEnded),
            _ => None,
        }
    }
}

/// Where a session stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Alive until `expires_at` unless there is activity (which moves the idle end).
    Live { expires_at: Timestamp },
    /// Ended at `at`, for `why`.
    Ended { why: SessionEnd, at: Timestamp },
}

/// The scenario's two limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub daily_end: DailyEnd,
}

impl SessionPolicy {
    /// The session opened at `opened_at`, last active at `last_active_at`, seen at `now`.
    /// It ends at the sooner of its idle end and the first daily end after it opened;
    /// at that very instant it has ended (as a push has at its expiry, K6).
    pub fn status(
        &self,
        opened_at: Timestamp,
        last_active_at: Timestamp,
        now: Timestamp,
    ) -> SessionStatus {
        let idle_end = last_active_at.plus(self.idle);
        let daily_end = self.daily_end.next_after(opened_at);
        let (why, at) = if idle_end <= daily_end {
            (SessionEnd::Idle, idle_end)
        } else {
            (SessionEnd::DailyEnd, daily_end)
        };
        if now >= at {
            SessionStatus::Ended { why, at }
        } else {
            SessionStatus::Live { expires_at: at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2030-01-15T10:00:00Z.
    const MORNING: Timestamp = Timestamp(1_894_701_600_000);
    const MINUTE: Duration = Duration::minutes(1);

    fn policy() -> SessionPolicy {
        SessionPolicy {
            idle: Duration::minutes(i64::from(DEFAULT_IDLE_MINUTES)),
            daily_end: DailyEnd::parse(DEFAULT_DAILY_END_UTC).unwrap(),
        }
    }

    #[test]
    fn hardening_session_idle_limit_at_the_minute_either_side() {
        let p = policy();
        let idle_end = MORNING.plus(Duration::minutes(30));
        assert_eq!(
            p.status(MORNING, MORNING, idle_end.minus(MINUTE)),
            SessionStatus::Live {
                expires_at: idle_end
            },
            "29 idle minutes: alive"
        );
        assert_eq!(
            p.status(MORNING, MORNING, idle_end),
            SessionStatus::Ended {
                why: SessionEnd::Idle,
                at: idle_end
            },
            "30: ended"
        );
        assert_eq!(
            p.status(MORNING, MORNING, idle_end.plus(MINUTE)),
            SessionStatus::Ended {
                why: SessionEnd::Idle,
                at: idle_end
            },
            "31: ended"
        );
    }

    #[test]
    fn hardening_session_activity_moves_the_idle_end() {
        let p = policy();
        let active = MORNING.plus(Duration::minutes(29));
        assert_eq!(
            p.status(MORNING, active, MORNING.plus(Duration::minutes(31))),
            SessionStatus::Live {
                expires_at: active.plus(Duration::minutes(30))
            }
        );
    }

    #[test]
    fn hardening_session_daily_end_at_the_minute_either_side_despite_activity() {
        let p = policy();
        let opened = Timestamp(1_894_748_400_000); // 23:00 UTC
        let end = opened.plus(Duration::minutes(45)); // 23:45 UTC
        let active = end.minus(MINUTE);
        assert_eq!(
            p.status(opened, active, end.minus(MINUTE)),
            SessionStatus::Live { expires_at: end }
        );
        assert_eq!(
            p.status(opened, active, end),
            SessionStatus::Ended {
                why: SessionEnd::DailyEnd,
                at: end
            }
        );
        assert_eq!(
            p.status(opened, active, end.plus(MINUTE)),
            SessionStatus::Ended {
                why: SessionEnd::DailyEnd,
                at: end
            }
        );
    }

    #[test]
    fn hardening_session_opened_after_the_daily_end_lives_to_the_next() {
        let end = DailyEnd::parse("23:45").unwrap();
        let today_end = Timestamp(1_894_751_100_000); // 2030-01-15T23:45:00Z
        assert_eq!(end.next_after(today_end.minus(MINUTE)), today_end);
        assert_eq!(end.next_after(today_end), today_end.plus(DAY));
        assert_eq!(end.next_after(today_end.plus(MINUTE)), today_end.plus(DAY));
    }

    #[test]
    fn hardening_session_reports_the_end_reached_first() {
        let p = policy();
        // 90 idle days: both limits passed; the idle end (10:30) came first.
        let now = MORNING.plus(Duration::hours(24 * 90));
        assert_eq!(
            p.status(MORNING, MORNING, now),
            SessionStatus::Ended {
                why: SessionEnd::Idle,
                at: MORNING.plus(Duration::minutes(30))
            }
        );
    }

    #[test]
    fn daily_end_is_hh_mm() {
        assert_eq!(
            DailyEnd::parse("00:00").map(|d| d.minutes_after_midnight),
            Ok(0)
        );
        assert_eq!(
            DailyEnd::parse("23:59").map(|d| d.minutes_after_midnight),
            Ok(23 * 60 + 59)
        );
        for bad in [
            "24:00", "23:60", "9:30", "09:3", "0930", "", "ab:cd", "-1:00",
        ] {
            assert_eq!(DailyEnd::parse(bad), Err(DailyEndError), "{bad:?}");
        }
    }

    #[test]
    fn session_end_round_trips() {
        for end in [SessionEnd::Idle, SessionEnd::DailyEnd] {
            assert_eq!(SessionEnd::parse(end.as_str()), Some(end));
        }
    }
}
