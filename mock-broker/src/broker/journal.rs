//! Who a request concerned, for the server's request journal (`/qa/journal`): the user
//! behind a token, a ticket or an id the request carried. Read-only; the journal is no
//! reason to fail a request, so a store failure answers "nobody" (and is logged).

use super::{token_hash, Broker};
use crate::rules::Timestamp;
use crate::store::ibkey as phone_store;
use crate::store::{self, sharing as sharing_store, StoreResult};
use rusqlite::Transaction;

/// Something a request carried that may name a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A desktop's session token (`Authorization: Bearer`).
    Session(String),
    /// A login's ticket.
    Ticket(String),
    /// An IB Key activation's id.
    Activation(String),
    /// A push's id: its user.
    Push(String),
    /// A device's id: its owner.
    Device(String),
    /// A sharing's id: its requesting user.
    Sharing(String),
}

impl Broker {
    /// The user the first of `subjects` that names one belongs to.
    pub fn whose(&self, subjects: &[Subject]) -> Option<String> {
        let now = self.now();
        let found = self.store.write(|tx| -> StoreResult<Option<String>> {
            for subject in subjects {
                if let Some(user) = user_of(tx, subject, now)? {
                    return Ok(Some(user));
                }
            }
            Ok(None)
        });
        found.unwrap_or_else(|e| {
            tracing::warn!(cause = %e, "journal: whose request it was is unknown");
            None
        })
    }
}

/// Forgotten tickets and pushes name nobody, swept or not (issue 11).
fn user_of(tx: &Transaction<'_>, subject: &Subject, now: Timestamp) -> StoreResult<Option<String>> {
    Ok(match subject {
        Subject::Session(token) => store::session(tx, &token_hash(token))?.map(|s| s.username),
        Subject::Ticket(ticket) => {
            store::pending(tx, &token_hash(ticket), now)?.map(|p| p.username)
        }
        Subject::Activation(id) => phone_store::activation(tx, id)?.map(|a| a.username),
        Subject::Push(id) => phone_store::push(tx, id, now)?.map(|p| p.username),
        Subject::Device(id) => store::find_device(tx, id)?.map(|d| d.owner),
        Subject::Sharing(id) => sharing_store::find(tx, id)?.map(|s| s.requester),
    })
}
