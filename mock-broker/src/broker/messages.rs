//! The user's messages (`GET /v1/messages`), derived from what is stored rather than
//! stored themselves, so a message's id and date are the same at every read: T5's
//! notices as a shipped replacement's automatic activation approaches, is imminent and
//! happens; S4's word from Compliance on a sharing the user asked for, approved or
//! rejected (an approval at once needs none; the owner gets none).

use super::{token_hash, Broker, BrokerResult};
use crate::rules::sharing::{compliance_decision, ComplianceDecision};
use crate::rules::temporary::{auto_activation_at, auto_activation_notices, AutoActivationNotice};
use crate::rules::Timestamp;
use crate::store::sharing::{self as sharing_store, SharingRow};
use crate::store::{self, DeviceRow, StoreError};
use portcullis_api::{DeviceStatus, UserMessage};
use rusqlite::Transaction;

impl Broker {
    /// The user's messages — a replacement's notices as its automatic activation
    /// approaches, is imminent, and happened (T5); Compliance's decisions on their
    /// sharings (S4) — the newest first.
    pub fn messages(&self, token: &str) -> BrokerResult<Vec<UserMessage>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            let mut messages = compliance_messages(tx, &session.username)?;
            for d in store::devices_of(tx, &session.username)? {
                let Some(shipped_at) = d.shipped_at else {
                    continue;
                };
                let waiting = d.status == DeviceStatus::Shipped;
                if !waiting && !d.auto_activated {
                    continue;
                }
                let at = auto_activation_at(shipped_at);
                for (notice, posted) in auto_activation_notices(shipped_at, d.auto_activated, now) {
                    messages.push(UserMessage {
                        id: format!("{}-{}", d.id, notice_slug(notice)),
                        kind: notice.kind(),
                        at: posted.rfc3339(),
                        device_id: d.id.clone(),
                        activates_at: Some(at.rfc3339()),
                        sharing_id: None,
                        device_kind: d.kind,
                        owner: None,
                        devices_set_aside: Vec::new(),
                        reason: None,
                        text: notice_text(notice, &d, at),
                    });
                }
            }
            messages.sort_by(|a, b| b.at.cmp(&a.at));
            Ok(messages)
        })
    }
}

/// S4: Compliance's decisions on the sharings `username` asked for (not those of
/// their own device: the owner gets no message).
fn compliance_messages(tx: &Transaction<'_>, username: &str) -> BrokerResult<Vec<UserMessage>> {
    let mut messages = Vec::new();
    for row in sharing_store::of_user(tx, username)? {
        if row.requester != username {
            continue;
        }
        let decided = compliance_decision(
            &row.state,
            row.decided_by.is_some(),
            row.approved_at,
            row.rejected_at,
        );
        let Some((decision, at)) = decided else {
            continue;
        };
        let Some(device) = store::find_device(tx, &row.device_id)? else {
            return Err(StoreError::Corrupt(format!("sharing {} device", row.id)).into());
        };
        messages.push(UserMessage {
            id: format!("{}-{}", row.id, decision_slug(decision)),
            kind: decision.kind(),
            at: at.rfc3339(),
            device_id: row.device_id.clone(),
            activates_at: None,
            sharing_id: Some(row.id.clone()),
            device_kind: device.kind,
            owner: Some(row.owner.clone()),
            devices_set_aside: match decision {
                ComplianceDecision::Approved => row.set_aside.clone(),
                ComplianceDecision::Rejected { .. } => Vec::new(),
            },
            reason: match decision {
                ComplianceDecision::Rejected { reason } => reason.map(str::to_owned),
                ComplianceDecision::Approved => None,
            },
            text: decision_text(decision, &row, &device),
        });
    }
    Ok(messages)
}

fn notice_slug(notice: AutoActivationNotice) -> &'static str {
    match notice {
        AutoActivationNotice::Approaching => "approaching",
        AutoActivationNotice::Imminent => "imminent",
        AutoActivationNotice::Activated => "activated",
    }
}

fn notice_text(notice: AutoActivationNotice, d: &DeviceRow, at: Timestamp) -> String {
    let name = d.kind.display_name();
    match notice {
        AutoActivationNotice::Approaching => format!(
            "Your replacement {name} ({}) will activate automatically on {} unless you \
             activate it first. Once it is active, any temporary passcode or online \
             security code card you hold stops working.",
            d.id,
            at.human()
        ),
        AutoActivationNotice::Imminent => format!(
            "Your replacement {name} ({}) activates automatically within a day, on {}. \
             Keep it at hand: you will need it to log in.",
            d.id,
            at.human()
        ),
        AutoActivationNotice::Activated => format!(
            "Your replacement {name} ({}) activated automatically on {}. Any temporary \
             passcode or online security code card you held no longer works.",
            d.id,
            at.human()
        ),
    }
}

fn decision_slug(decision: ComplianceDecision<'_>) -> &'static str {
    match decision {
        ComplianceDecision::Approved => "approved",
        ComplianceDecision::Rejected { .. } => "rejected",
    }
}

/// S4, S6: what Compliance decided, naming the owner and the device; an approval says
/// which of the user's own devices are kept inactive, a rejection why (if told) and
/// that nothing of theirs changed.
fn decision_text(decision: ComplianceDecision<'_>, row: &SharingRow, d: &DeviceRow) -> String {
    let shared = format!(
        "{}'s {} ({})",
        row.owner,
        d.kind.display_name(),
        row.device_id
    );
    match decision {
        ComplianceDecision::Approved if row.set_aside.is_empty() => format!(
            "Compliance approved your request to share {shared}. You can now log in \
             with it."
        ),
        ComplianceDecision::Approved => format!(
            "Compliance approved your request to share {shared}. You can now log in \
             with it. Your own devices ({}) are kept inactive while the sharing stands; \
             cancelling the sharing reactivates them.",
            row.set_aside.join(", ")
        ),
        ComplianceDecision::Rejected { reason } => {
            let why = reason.map_or(String::new(), |r| format!(" Reason given: \"{r}\"."));
            format!(
                "Compliance rejected your request to share {shared}.{why} Your own \
                 devices are unchanged, and you may send a new request."
            )
        }
    }
}
