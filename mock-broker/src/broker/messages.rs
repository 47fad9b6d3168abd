//! The user's messages (`GET /v1/messages`), derived from what is stored rather than
//! stored themselves, so a message's id and date are the same at every read: T5's
//! notices as a shipped replacement's automatic activation approaches, is imminent and
//! happens.

use super::{token_hash, Broker, BrokerResult};
use crate::rules::temporary::{auto_activation_at, auto_activation_notices};
use crate::rules::Timestamp;
use crate::store::{self, DeviceRow};
use portcullis_api::{DeviceStatus, MessageKind, UserMessage};

impl Broker {
    /// T5: the user's messages — a replacement's notices as its automatic activation
    /// approaches, is imminent, and happened — the newest first.
    pub fn messages(&self, token: &str) -> BrokerResult<Vec<UserMessage>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            let mut messages = Vec::new();
            for d in store::devices_of(tx, &session.username)? {
                let Some(shipped_at) = d.shipped_at else {
                    continue;
                };
                let waiting = d.status == DeviceStatus::Shipped;
                if !waiting && !d.auto_activated {
                    continue;
                }
                let at = auto_activation_at(shipped_at);
                for (kind, posted) in auto_activation_notices(shipped_at, d.auto_activated, now) {
                    messages.push(UserMessage {
                        id: format!("{}-{}", d.id, message_slug(kind)),
                        kind,
                        at: posted.rfc3339(),
                        device_id: d.id.clone(),
                        activates_at: at.rfc3339(),
                        text: message_text(kind, &d, at),
                    });
                }
            }
            messages.sort_by(|a, b| b.at.cmp(&a.at));
            Ok(messages)
        })
    }
}

fn message_slug(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::AutoActivationApproaching => "approaching",
        MessageKind::AutoActivationImminent => "imminent",
        MessageKind::DeviceAutoActivated => "activated",
    }
}

fn message_text(kind: MessageKind, d: &DeviceRow, at: Timestamp) -> String {
    let name = d.kind.display_name();
    match kind {
        MessageKind::AutoActivationApproaching => format!(
            "Your replacement {name} ({}) will activate automatically on {} unless you \
             activate it first. Once it is active, any temporary passcode or online \
             security code card you hold stops working.",
            d.id,
            at.human()
        ),
        MessageKind::AutoActivationImminent => format!(
            "Your replacement {name} ({}) activates automatically within a day, on {}. \
             Keep it at hand: you will need it to log in.",
            d.id,
            at.human()
        ),
        MessageKind::DeviceAutoActivated => format!(
            "Your replacement {name} ({}) activated automatically on {}. Any temporary \
             passcode or online security code card you held no longer works.",
            d.id,
            at.human()
        ),
    }
}
