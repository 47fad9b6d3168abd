//! The Secure Login System rules as plain Rust: no HTTP, no SQL, no system clock.
//!
//! Every function here takes the time it needs as a [`Timestamp`] and returns a
//! decision; the broker (`crate::broker`) loads state, asks these rules, and stores
//! the result. The rule ids (L1, C4, …) are those of `SLS-RULES.md`.

pub mod account;
pub mod card;
pub mod challenge;
pub mod device;
pub mod ibkey;
pub mod lockout;
pub mod replacement;
pub mod session;
pub mod sharing;
pub mod temporary;
pub mod time;
pub mod username;

pub use challenge::{ChallengeCode, ResponseCheck, CHALLENGE_LIFETIME, DSC_PLUS_SUITE};
pub use lockout::{LockStatus, Lockout, LOCKOUT_THRESHOLD, LOCKOUT_WINDOW};
pub use time::{Duration, Timestamp};
pub use username::{Username, UsernameError};
