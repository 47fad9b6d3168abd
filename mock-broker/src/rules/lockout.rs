//! L4 and L5: consecutive failures lock a username for a day.
//!
//! The record keeps only what the rule reads: while open, the times of the failures
//! still inside the window (fewer than ten: the tenth locks); once locked, when the
//! lock began, the last failure (the lock lasts a day from it) and how many failures
//! it has seen. A locked record does not grow, however many attempts are refused.
//! Whether the user is locked is always computed against `now`, so clock travel needs
//! no background job.

use super::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

/// L4: ten consecutive failures…
pub const LOCKOUT_THRESHOLD: usize = 10;
/// …within any 24 hours lock the username; the lock lasts 24 hours from the last failure.
pub const LOCKOUT_WINDOW: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", from = "Stored")]
pub enum Lockout {
    Open {
        /// Consecutive failures within the window, oldest first.
        failures: Vec<Timestamp>,
    },
    Locked {
        /// When the tenth failure locked the username.
        since: Timestamp,
        /// The last failure: a refused attempt is one, and extends the lock.
        last_failure: Timestamp,
        /// Failures since the count began: the ten, then every refused attempt.
        failures: u64,
    },
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout::Open {
            failures: Vec::new(),
        }
    }
}

/// What the store may hold: today's record, or the first version's (every failure's
/// time, and when the lock began), which a state folder from before may still have.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Current(Current),
    Listed {
        failures: Vec<Timestamp>,
        locked_at: Option<Timestamp>,
    },
}

/// [`Lockout`]'s own shape, for deserializing it through [`Stored`].
#[derive(Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Current {
    Open {
        failures: Vec<Timestamp>,
    },
    Locked {
        since: Timestamp,
        last_failure: Timestamp,
        failures: u64,
    },
}

impl From<Stored> for Lockout {
    fn from(stored: Stored) -> Self {
        match stored {
            Stored::Current(Current::Open { failures }) => Lockout::Open { failures },
            Stored::Current(Current::Locked {
                since,
                last_failure,
                failures,
            }) => Lockout::Locked {
                since,
                last_failure,
                failures,
            },
            Stored::Listed {
                failures,
                locked_at: Some(since),
            } => Lockout::Locked {
                since,
                last_failure: failures.iter().copied().max().unwrap_or(since),
                failures: u64::try_from(failures.len()).unwrap_or(u64::MAX),
            },
            Stored::Listed {
                failures,
                locked_at: None,
            } => Lockout::Open { failures },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStatus {
    Open {
        failures_in_window: usize,
    },
    /// L5: the user is told when the lock lifts.
    Locked {
        until: Timestamp,
    },
}

impl Lockout {
    /// The state as of `now`: expired failures forgotten, an elapsed lock lifted.
    fn settle(&mut self, now: Timestamp) {
        match self {
            Lockout::Locked { last_failure, .. } if now < last_failure.plus(LOCKOUT_WINDOW) => {}
            Lockout::Locked { .. } => {
                // L4: 24 hours since the last unsuccessful attempt: the lock is over,
                // and every failure it held is older than the window.
                *self = Lockout::default();
            }
            Lockout::Open { failures } => {
                let horizon = now.minus(LOCKOUT_WINDOW);
                failures.retain(|&t| t > horizon);
            }
        }
    }

    pub fn status(&mut self, now: Timestamp) -> LockStatus {
        self.settle(now);
        match self {
            Lockout::Locked { last_failure, .. } => LockStatus::Locked {
                until: last_failure.plus(LOCKOUT_WINDOW),
            },
            Lockout::Open { failures } => LockStatus::Open {
                failures_in_window: failures.len(),
            },
        }
    }

    /// L4: records an unsuccessful attempt — a wrong password, a wrong second factor,
    /// or an attempt refused because of the lock — and says what state it leaves.
    pub fn record_failure(&mut self, now: Timestamp) -> LockStatus {
        self.settle(now);
        match self {
            Lockout::Open { failures } => {
                failures.push(now);
                if failures.len() >= LOCKOUT_THRESHOLD {
                    *self = Lockout::Locked {
                        since: now,
                        last_failure: now,
                        failures: u64::try_from(failures.len()).unwrap_or(u64::MAX),
                    };
                }
            }
            Lockout::Locked {
                last_failure,
                failures,
                ..
            } => {
                *last_failure = now;
                *failures = failures.saturating_add(1);
            }
        }
        self.status(now)
    }

    /// How many failures count now: those in the window, or all the lock has seen.
    pub fn failures_counted(&self) -> u64 {
        match self {
            Lockout::Open { failures } => u64::try_from(failures.len()).unwrap_or(u64::MAX),
            Lockout::Locked { failures, .. } => *failures,
        }
    }

    /// When the lock began, if locked.
    pub fn locked_since(&self) -> Option<Timestamp> {
        match self {
            Lockout::Locked { since, .. } => Some(*since),
            Lockout::Open { .. } => None,
        }
    }

    /// L4: a successful login resets the count.
    pub fn record_success(&mut self) {
        *self = Lockout::default();
    }

    /// L5: Client Services lifts the lock (the caller audits it).
    pub fn lift(&mut self) {
        *self = Lockout::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    fn at(minutes: i64) -> Timestamp {
        T0.plus(Duration::minutes(minutes))
    }

    #[test]
    fn l4_locks_after_ten_failures() {
        let mut l = Lockout::default();
        for i in 0..9 {
            assert!(
                matches!(l.record_failure(at(i)), LockStatus::Open { .. }),
                "failure {i}"
            );
        }
        assert_eq!(
            l.record_failure(at(9)),
            LockStatus::Locked {
                until: at(9).plus(LOCKOUT_WINDOW)
            },
            "the tenth failure locks"
        );
    }

    #[test]
    fn l4_failures_older_than_24_hours_do_not_count() {
        let mut l = Lockout::default();
        for i in 0..9 {
            l.record_failure(at(i));
        }
        // The first failure falls out of the window one day later.
        let later = at(0).plus(LOCKOUT_WINDOW).plus(Duration::seconds(1));
        assert_eq!(
            l.record_failure(later),
            LockStatus::Open {
                failures_in_window: 9
            },
            "only failures within any 24 hours count"
        );
    }

    #[test]
    fn l4_success_resets_the_count() {
        let mut l = Lockout::default();
        for i in 0..9 {
            l.record_failure(at(i));
        }
        l.record_success();
        assert_eq!(
            l.record_failure(at(10)),
            LockStatus::Open {
                failures_in_window: 1
            }
        );
    }

    #[test]
    fn l4_lock_lasts_24_hours_from_the_last_failure() {
        let mut l = Lockout::default();
        for i in 0..10 {
            l.record_failure(at(i));
        }
        let lifts = at(9).plus(LOCKOUT_WINDOW);
        assert!(matches!(
            l.status(lifts.minus(Duration(1))),
            LockStatus::Locked { .. }
        ));
        assert_eq!(
            l.status(lifts),
            LockStatus::Open {
                failures_in_window: 0
            }
        );
    }

    #[test]
    fn l4_attempt_during_the_lock_extends_it() {
        let mut l = Lockout::default();
        for i in 0..10 {
            l.record_failure(at(i));
        }
        // 23 hours later a refused attempt (even with the right password) is a failure.
        let refused = at(9).plus(Duration::hours(23));
        assert_eq!(
            l.record_failure(refused),
            LockStatus::Locked {
                until: refused.plus(LOCKOUT_WINDOW)
            }
        );
        // When the first lock would have lifted, the user is still locked…
        assert!(matches!(
            l.status(at(9).plus(LOCKOUT_WINDOW)),
            LockStatus::Locked { .. }
        ));
        // …until a day after the refused attempt.
        assert!(matches!(
            l.status(refused.plus(LOCKOUT_WINDOW)),
            LockStatus::Open { .. }
        ));
    }

    #[test]
    fn l5_operator_lift_opens_at_once() {
        let mut l = Lockout::default();
        for i in 0..10 {
            l.record_failure(at(i));
        }
        l.lift();
        assert_eq!(
            l.status(at(11)),
            LockStatus::Open {
                failures_in_window: 0
            }
        );
    }

    #[test]
    fn l4_a_million_refused_attempts_leave_a_record_of_constant_size() {
        let mut l = Lockout::default();
        for i in 0..10 {
            l.record_failure(at(i));
        }
        let locked = serde_json::to_string(&l).unwrap().len();
        let mut now = at(10);
        for _ in 0..1_000_000 {
            now = now.plus(Duration(50));
            l.record_failure(now);
        }
        let json = serde_json::to_string(&l).unwrap();
        assert!(
            json.len() <= locked + 7,
            "only the counter's digits may grow: {locked} → {} bytes ({json})",
            json.len()
        );
        assert_eq!(
            l.status(now),
            LockStatus::Locked {
                until: now.plus(LOCKOUT_WINDOW)
            }
        );
        assert_eq!(
            l.failures_counted(),
            1_000_010,
            "every refused attempt counted"
        );
    }

    #[test]
    fn l4_a_record_in_the_first_format_still_reads() {
        let failures: Vec<i64> = (0..12).map(|i| at(i).0).collect();
        let listed = serde_json::json!({ "failures": failures, "locked_at": at(9).0 });
        let mut l: Lockout = serde_json::from_value(listed).unwrap();
        assert_eq!(
            l.status(at(12)),
            LockStatus::Locked {
                until: at(11).plus(LOCKOUT_WINDOW)
            }
        );
        assert_eq!(l.failures_counted(), 12);
        let open = serde_json::json!({ "failures": [at(0).0], "locked_at": null });
        let mut l: Lockout = serde_json::from_value(open).unwrap();
        assert_eq!(
            l.status(at(1)),
            LockStatus::Open {
                failures_in_window: 1
            }
        );
        let again: Lockout = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
        assert_eq!(again, l, "today's record reads back as itself");
    }
}
