//! Security settings on the Client Portal (O1–O3): who may change them, and the
//! Secure Login opt-out and opt-in.
//!
//! [`require_primary`] is the one check every settings change makes (opting out or in,
//! sharing a device, ordering or returning one): the session is a Client Portal one,
//! and its user is the entity's primary user. Anyone else hears who is (O3).

use super::BrokerResult;
use crate::error::BrokerError;
use crate::store::{self, SessionRow};
use portcullis_api::Channel;
use rusqlite::Transaction;

/// O3: security settings are changed on the Client Portal (else `not_permitted`), by
/// the primary user of the entity (else `not_primary`, naming that user). The caller
/// audits a refusal if it wants one: this check has no clock.
#[allow(dead_code)] // Its callers (opt-out, sharing, ordering) land next.
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
                "INSERT INTO entities VALUES ('e', 'E', 'U1', 0, '{}');
                 INSERT INTO entities VALUES ('alone', 'A', 'U2', 0, '{}');
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
