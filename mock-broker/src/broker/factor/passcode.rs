//! T1, T2: the temporary passcode typed as the second factor. Only its SHA-256 is
//! kept; the comparison is constant-time and case-sensitive (L6's hint says so).

use super::step;
use crate::broker::{token_hash, BrokerResult, Method, SecondFactor};
use crate::error::BrokerError;
use crate::rules::challenge::responses_match;
use crate::rules::temporary::{temporary_access, TemporaryAccess};
use crate::rules::{ResponseCheck, Timestamp, CHALLENGE_LIFETIME};
use crate::store::{self, DeviceRow, Stage};
use portcullis_api::Channel;
use rusqlite::Transaction;

/// T2, T3: whether a login through temporary `device` may go on on `channel` now
/// (audited when not). Permanent kinds always may.
pub(in crate::broker) fn admit(
    tx: &Transaction<'_>,
    device: &DeviceRow,
    channel: Channel,
    now: Timestamp,
) -> BrokerResult<()> {
    let Some(activated_at) = device.activated_at.filter(|_| device.kind.is_temporary()) else {
        return Ok(());
    };
    let refused = match temporary_access(device.kind, activated_at, channel, now) {
        TemporaryAccess::Full | TemporaryAccess::OnlineCardOnly => return Ok(()),
        TemporaryAccess::UseClientPortal => BrokerError::UseClientPortal,
        TemporaryAccess::Expired => BrokerError::TemporaryAccessExpired,
    };
    store::audit(
        tx,
        now,
        Some(&device.owner),
        "temporary_refused",
        &format!(
            "device {} on {}: {}",
            device.id,
            channel.as_str(),
            refused.code()
        ),
    )?;
    Err(refused)
}

/// T1: the passcode is awaited (the caller admitted it, T2).
pub(in crate::broker) fn ask(
    tx: &Transaction<'_>,
    ticket: &str,
    device: &DeviceRow,
    now: Timestamp,
) -> BrokerResult<SecondFactor> {
    let stage = Stage::TemporaryPasscode {
        device_id: device.id.clone(),
    };
    store::set_stage(tx, &token_hash(ticket), &stage, now)?;
    Ok(step(
        ticket,
        device,
        Method::TemporaryPasscode {},
        super::expiry(tx, ticket, now, CHALLENGE_LIFETIME)?,
        now,
    ))
}

/// T1: the typed passcode against the kept hash.
pub(in crate::broker) fn check(
    device: &DeviceRow,
    typed: &str,
    issued_at: Timestamp,
    now: Timestamp,
) -> ResponseCheck {
    if now >= issued_at.plus(CHALLENGE_LIFETIME) {
        return ResponseCheck::Expired;
    }
    let expected = device.passcode_hash.as_deref().unwrap_or_default();
    if !expected.is_empty() && responses_match(expected, &token_hash(typed)) {
        ResponseCheck::Correct
    } else {
        ResponseCheck::Wrong
    }
}
