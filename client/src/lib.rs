//! Portcullis's client side without Tauri: the broker's HTTP API as a client uses it
//! ([`BrokerClient`], typed on the contract's wire types, `portcullis-api`), its event stream ([`sse`]),
//! the DSC+ arithmetic ([`card`]) and the IB Key phone simulator's core ([`phone`]:
//! listening, approving, activating). The desktop app (`src-tauri`) wraps these in
//! thin commands; the end-to-end tests reuse them. A password step the trader may
//! abandon is [`BrokerClient::login_unless`].
//!
//! Errors are one [`Error`], `{code, message}` as the broker sends them.

pub mod broker;
pub mod card;
pub mod error;
pub mod lan_phone;
mod password_step;
pub mod phone;
pub mod qa;
pub mod sse;
#[cfg(test)]
mod test_http;

pub use broker::{BrokerClient, REQUEST_DEADLINE, WAIT_POLL};
pub use error::{Error, ErrorDetails};

use std::time::Duration;

/// The pause before reconnection attempt `attempt` (1-based): 0.5 s, doubling, at
/// most 10 s. The desktop's line to the broker and the phone's event stream both use it.
pub fn backoff(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(5);
    Duration::from_millis(500u64 << doublings).min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardening_reconnection_backs_off_from_half_a_second_to_ten() {
        let schedule: Vec<u64> = (1..=8).map(|n| backoff(n).as_millis() as u64).collect();
        assert_eq!(
            schedule,
            vec![500, 1000, 2000, 4000, 8000, 10000, 10000, 10000],
            "quick first retries, then never more than 10 s apart"
        );
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(10));
    }
}
