//! L4 and L5: consecutive failures lock a username for a day.
//!
//! The record keeps the times of the consecutive failures that still count and, once
//! locked, when the lock began. Whether the user is locked is always computed against
//! `now`, so clock travel needs no background job.

use super::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

/// L4: ten consecutive failures…
pub const LOCKOUT_THRESHOLD: usize = 10;
/// …within any 24 hours lock the username; the lock lasts 24 hours from the last failure.
pub const LOCKOUT_WINDOW: Duration = Duration::hours(24);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    /// Consecutive failures, oldest first. Failures older than the window are dropped
    /// while unlocked; while locked, every refused attempt is added (it extends the lock).
    pub failures: Vec<Timestamp>,
    /// When the tenth failure locked the username.
    pub locked_at: Option<Timestamp>,
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
        match (self.locked_at, self.failures.last()) {
            (Some(_), Some(&last)) if now < last.plus(LOCKOUT_WINDOW) => {}
            (Some(_), _) => {
                // L4: 24 hours since the last unsuccessful attempt: the lock is over,
                // and every failure it held is older than the window.
                self.locked_at = None;
                self.failures.clear();
            }
            (None, _) => {
                let horizon = now.minus(LOCKOUT_WINDOW);
                self.failures.retain(|&t| t > horizon);
            }
        }
    }

    pub fn status(&mut self, now: Timestamp) -> LockStatus {
        self.settle(now);
        match (self.locked_at, self.failures.last()) {
            (Some(_), Some(&last)) => LockStatus::Locked {
                until: last.plus(LOCKOUT_WINDOW),
            },
            (Some(_), None) | (None, _) => LockStatus::Open {
                failures_in_window: self.failures.len(),
            },
        }
    }

    /// L4: records an unsuccessful attempt — a wrong password, a wrong second factor,
    /// or an attempt refused because of the lock — and says what state it leaves.
    pub fn record_failure(&mut self, now: Timestamp) -> LockStatus {
        self.settle(now);
        self.failures.push(now);
        if self.locked_at.is_none() && self.failures.len() >= LOCKOUT_THRESHOLD {
            self.locked_at = Some(now);
        }
        self.status(now)
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
}
