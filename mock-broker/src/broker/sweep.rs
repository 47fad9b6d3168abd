//! Issue 11: logins and pushes past their retention ([`LOGIN_RETENTION`] beyond the
//! ticket's 15 minutes) are deleted by the requests that make more of them — the
//! password step and a push sent — a batch at a time, so no request pays for a long
//! pile. What they answer does not wait for the sweep: the store reads them as gone
//! from the moment they are forgotten (`rules::ibkey::forgotten_until`). The audit log
//! keeps what happened to them.

use crate::rules::ibkey::forgotten_until;
#[cfg(doc)]
use crate::rules::ibkey::LOGIN_RETENTION;
use crate::rules::Timestamp;
use crate::store::{self, StoreResult};
use rusqlite::Transaction;

/// The most rows of each table one request deletes: one request adds one or two, so
/// a pile shrinks by hundreds a request.
const SWEEP_BATCH: u32 = 500;

/// Deletes up to a batch of logins and one of pushes forgotten at `now`.
pub(in crate::broker) fn sweep(tx: &Transaction<'_>, now: Timestamp) -> StoreResult<()> {
    store::sweep_logins(tx, forgotten_until(now), SWEEP_BATCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::tests::broker;
    use crate::broker::{Broker, LoginStep};
    use crate::rules::Duration;
    use portcullis_api::Channel;

    const PASSWORD: &str = "Trade2026";

    fn count(b: &Broker, table: &str, username: &str) -> i64 {
        b.store
            .write(|tx| -> StoreResult<i64> {
                let sql = format!("SELECT count(*) FROM {table} WHERE username = ?1");
                Ok(tx.query_row(&sql, [username], |r| r.get(0))?)
            })
            .unwrap()
    }

    /// dana's pushes and logins under way.
    fn dana_rows(b: &Broker) -> (i64, i64) {
        (
            count(b, "pushes", "dana"),
            count(b, "pending_logins", "dana"),
        )
    }

    fn log_in(b: &Broker, username: &str) {
        b.login_password(username, PASSWORD, None, Channel::Trading)
            .unwrap();
    }

    #[test]
    fn retention_the_password_step_sweeps_logins_and_pushes_past_it_and_keeps_the_rest() {
        let b = broker();
        log_in(&b, "dana"); // a push out (K2)
        b.advance_clock(Duration::minutes(20)).unwrap();
        log_in(&b, "avery"); // a challenge (C1)
        assert_eq!(dana_rows(&b), (1, 1));

        b.advance_clock(Duration::minutes(4)).unwrap();
        log_in(&b, "blake");
        assert_eq!(
            dana_rows(&b),
            (1, 1),
            "a minute before 15 + 10 minutes, dana's login and push stay"
        );

        b.advance_clock(Duration::minutes(1)).unwrap();
        log_in(&b, "blake");
        assert_eq!(
            dana_rows(&b),
            (0, 0),
            "past retention, dana's login and push are gone"
        );
        assert_eq!(
            count(&b, "pending_logins", "avery"),
            1,
            "avery's, 5 minutes old, stays"
        );
        let audit = b.audit(Some("dana"), 100).unwrap();
        assert!(
            audit.iter().any(|e| e.event == "push_sent"),
            "the audit log keeps the push it sent: {audit:?}"
        );
    }

    #[test]
    fn retention_a_push_sent_sweeps_too() {
        let b = broker();
        log_in(&b, "dana");
        b.advance_clock(Duration::minutes(24)).unwrap();
        // D6: frank has a card and an IB Key, so his password step sends nothing yet.
        let step = b
            .login_password("frank", PASSWORD, None, Channel::Trading)
            .unwrap();
        let LoginStep::SelectDevice(choice) = step else {
            panic!("a device choice: {step:?}");
        };
        b.advance_clock(Duration::minutes(1)).unwrap();
        assert_eq!(count(&b, "pushes", "dana"), 1);
        b.choose_device(&choice.ticket, "IBK-10000002").unwrap();
        assert_eq!(
            count(&b, "pushes", "dana"),
            0,
            "frank's push swept dana's, 25 minutes old"
        );
    }

    #[test]
    fn retention_a_sweep_deletes_a_batch_at_a_time() {
        let b = broker();
        let now = b.now();
        let long_ago = forgotten_until(now).0;
        let pile = i64::from(SWEEP_BATCH) + 10;
        let left = b
            .store
            .write(|tx| -> StoreResult<Vec<i64>> {
                for i in 0..pile {
                    tx.execute(
                        "INSERT INTO pushes (id, ticket_hash, username, device_id, phone_id,
                             challenge, issued_at, expires_at, state, delivery)
                         VALUES (?1, ?1, 'dana', 'IBK-10000001', 'demo-phone', '1234',
                             ?2, ?2, 'withdrawn', 'sent')",
                        rusqlite::params![format!("push-old-{i}"), long_ago - i],
                    )?;
                }
                let mut left = Vec::new();
                for _ in 0..2 {
                    sweep(tx, now)?;
                    left.push(tx.query_row("SELECT count(*) FROM pushes", [], |r| r.get(0))?);
                }
                Ok(left)
            })
            .unwrap();
        assert_eq!(left, vec![10, 0]);
    }
}
