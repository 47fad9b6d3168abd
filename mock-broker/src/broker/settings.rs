//! Security settings on the Client Portal (O1–O3): who may change them, and the
//! Secure Login opt-out and opt-in.
//!
//! [`require_primary`] is the one check every settings change makes (opting out or in,
//! sharing a device, ordering or returning one): the session is a Client Portal one,
//! and its user is the entity's primary user. Anyone else hears who is (O3).

use super::account::acting_session;
use super::{token_hash, Broker, BrokerResult};
use crate::error::BrokerError;
use crate::rules::account::restrictions;
use crate::rules::Timestamp;
use crate::store::{self, SessionRow};
use portcullis_api::{Channel, DeviceKind, DeviceStatus, SecureLoginUpdated};
use rusqlite::Transaction;

/// O3: security settings are changed on the Client Portal (else `not_permitted`), by
/// the primary user of the entity (else `not_primary`, naming that user). The caller
/// audits a refusal if it wants one: this check has no clock.
pub(super) fn require_primary(tx: &Transaction<'_>, session: &SessionRow) -> BrokerResult<()> {
    if session.channel != Channel::Portal {
        return Err(BrokerError::NotPermitted(
            "Security settings are changed on the Client Portal: log in to the Client Portal \
             to change them.",
        ));
    }
    let Some(user) = store::find_user(tx, &session.username)? else {
        return Err(BrokerError::InvalidSession);
    };
    if user.is_primary {
        return Ok(());
    }
    Err(BrokerError::NotPrimary {
        primary_username: store::account::primary_user_of(tx, &user.entity)?,
    })
}

/// O2's confirmation (step 8).
const UPDATED: &str = "Your settings have been updated.";

impl Broker {
    /// O1: the primary user, on the Client Portal, opts the account out of the Secure
    /// Login System for trading: trading logins take the password only from now on,
    /// and the restrictions apply. Only with an active device to opt out of.
    pub fn opt_out(&self, token: &str) -> BrokerResult<SecureLoginUpdated> {
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            settings_change(tx, &session, now, "opt_out")?;
            let user =
                store::find_user(tx, &session.username)?.ok_or(BrokerError::InvalidSession)?;
            let has_device = store::devices_of(tx, &user.username)?.iter().any(|d| {
                d.status == DeviceStatus::Active
                    && (!d.kind.is_temporary() || d.kind == DeviceKind::Sms)
            });
            if !has_device {
                store::audit(
                    tx,
                    now,
                    Some(&user.username),
                    "settings_refused",
                    "opt_out: no active Secure Login device",
                )?;
                return Err(BrokerError::NoActiveDevice);
            }
            set_opted_out(tx, &user.username, &user.entity, true, now)
        })
    }

    /// O2: "I want to always use my Secure Login Device when logging in" → Continue →
    /// the confirmation. Any other choice is not this endpoint's.
    pub fn opt_in(&self, token: &str, always_use_device: bool) -> BrokerResult<SecureLoginUpdated> {
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            settings_change(tx, &session, now, "opt_in")?;
            if !always_use_device {
                return Err(BrokerError::BadRequest(
                    "Select \"I want to always use my Secure Login Device when logging in\" \
                     (always_use_device: true) to opt back in."
                        .into(),
                ));
            }
            let user =
                store::find_user(tx, &session.username)?.ok_or(BrokerError::InvalidSession)?;
            set_opted_out(tx, &user.username, &user.entity, false, now)
        })
    }
}

/// O3 for one settings change, with the refusal audited (`what` names the change).
fn settings_change(
    tx: &Transaction<'_>,
    session: &SessionRow,
    now: Timestamp,
    what: &str,
) -> BrokerResult<()> {
    require_primary(tx, session).or_else(|refused| {
        store::audit(
            tx,
            now,
            Some(&session.username),
            "settings_refused",
            &format!("{what}: {}", refused.code()),
        )?;
        Err(refused)
    })
}

/// O1/O2: the entity's opt-out set (or set again: the answer is the same), audited.
fn set_opted_out(
    tx: &Transaction<'_>,
    username: &str,
    entity: &str,
    opted_out: bool,
    now: Timestamp,
) -> BrokerResult<SecureLoginUpdated> {
    let was = store::account::user_opted_out(tx, username)?;
    store::account::set_opted_out(tx, entity, opted_out)?;
    let (event, change) = match opted_out {
        true => (
            "sls_opted_out",
            "trading logins by password only; O1 restrictions apply",
        ),
        false => (
            "sls_opted_in",
            "the Secure Login device is needed for every login",
        ),
    };
    let detail = match was == opted_out {
        true => format!("entity {entity}: no change ({change})"),
        false => format!("entity {entity}: {change}"),
    };
    store::audit(tx, now, Some(username), event, &detail)?;
    Ok(SecureLoginUpdated::Updated {
        opted_out,
        restrictions: restrictions(opted_out),
        message: UPDATED.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Timestamp;
    use crate::store::{SessionState, Store};

    fn session(username: &str, channel: Channel) -> SessionRow {
        SessionRow {
            username: username.into(),
            device_id: None,
            channel,
            created_at: Timestamp(0),
            last_active_at: Timestamp(0),
            state: SessionState::Open,
        }
    }

    fn check(username: &str, channel: Channel) -> BrokerResult<()> {
        let store = Store::open(None).unwrap();
        store.write(|tx| {
            tx.execute_batch(
                "INSERT INTO entities (id, name, account, equity_usd, identification) VALUES ('e', 'E', 'U1', 0, '{}');
                 INSERT INTO entities (id, name, account, equity_usd, identification) VALUES ('alone', 'A', 'U2', 0, '{}');
                 INSERT INTO users (username, full_name, password_hash, entity, is_primary)
                     VALUES ('pat', 'Pat', 'x', 'e', 1), ('nico', 'Nico', 'x', 'e', 0),
                            ('solo', 'Solo', 'x', 'alone', 0);",
            )
            .map_err(store::StoreError::from)?;
            require_primary(tx, &session(username, channel))
        })
    }

    #[test]
    fn o3_only_the_primary_user_changes_settings_and_the_others_hear_who_can() {
        assert!(
            check("pat", Channel::Portal).is_ok(),
            "O3: the primary user may"
        );
        match check("nico", Channel::Portal) {
            Err(BrokerError::NotPrimary { primary_username }) => {
                assert_eq!(
                    primary_username.as_deref(),
                    Some("pat"),
                    "O3: names who may"
                );
            }
            other => panic!("O3: a non-primary user is refused: {other:?}"),
        }
        assert!(matches!(
            check("solo", Channel::Portal),
            Err(BrokerError::NotPrimary {
                primary_username: None
            })
        ));
    }

    #[test]
    fn o3_settings_are_changed_on_the_client_portal_only() {
        assert!(
            matches!(
                check("pat", Channel::Trading),
                Err(BrokerError::NotPermitted(_))
            ),
            "O2/O3: the settings are the Client Portal's, even for the primary user"
        );
    }
}
