//! A login's second factor, one module per method: [`challenge`] (the DSC+ and the
//! legacy cards, C1–C4, D1, and IB Key's fallback, K3), [`push`] (IB Key, K2, K4, K6),
//! [`sms`] (D3), [`card`] (the Security Code Card and the online card, D7, T3) and
//! [`passcode`] (the temporary passcode, T1, T2).
//!
//! Which one a device uses is its kind's method (D1, `DeviceKind::method`), matched
//! here without a wildcard: the next method added will not compile until it is placed. The login
//! (`login.rs`), the phone (`phone.rs`) and activation share what they need of each
//! other through these modules, never by importing one another.

pub(super) mod card;
pub(super) mod challenge;
pub(super) mod passcode;
pub(super) mod push;
pub(super) mod sms;

use super::{token_hash, BrokerResult, Codes, Events, Method, SecondFactor};
use crate::error::BrokerError;
use crate::rules::device::serves_logins;
use crate::rules::ibkey::LOGIN_TICKET_LIFETIME;
use crate::rules::{Duration, Timestamp};
use crate::store::{self, DeviceRow};
use portcullis_api::{Channel, DeviceKind, DeviceStatus, SecondFactorMethod};
use rusqlite::Transaction;

/// Whether this broker can run `method` as a login's second factor.
pub(super) fn served(method: SecondFactorMethod) -> bool {
    match method {
        SecondFactorMethod::Challenge
        | SecondFactorMethod::Push
        | SecondFactorMethod::Sms
        | SecondFactorMethod::IndexCard
        | SecondFactorMethod::TemporaryPasscode => true,
    }
}

/// A device of `kind` in `status` can answer a login now: it is active (D5) and its
/// method is served.
pub(super) fn serves(kind: DeviceKind, status: DeviceStatus) -> bool {
    serves_logins(status) && served(kind.method())
}

/// The refusal for a kind that cannot confirm this step (an IB Key activation asks a
/// challenge or an SMS code of the device on record).
pub(super) fn not_served(kind: DeviceKind) -> BrokerError {
    BrokerError::BadRequest(format!(
        "A {} cannot confirm this on this broker yet.",
        kind.display_name()
    ))
}

/// Starts the second factor `device` calls for, for `username`'s login `ticket`.
#[allow(clippy::too_many_arguments)]
pub(super) fn begin(
    tx: &Transaction<'_>,
    codes: &Codes,
    ticket: &str,
    username: &str,
    device: &DeviceRow,
    now: Timestamp,
    number_matching: bool,
    channel: Channel,
    events: &mut Events,
) -> BrokerResult<SecondFactor> {
    // T2, T3: a temporary device past its time (or on the wrong channel) goes no further.
    passcode::admit(tx, device, channel, now)?;
    match device.kind.method() {
        SecondFactorMethod::Challenge => challenge::issue(tx, codes, ticket, device, now),
        SecondFactorMethod::Push => push::send(
            tx,
            codes,
            ticket,
            username,
            device,
            now,
            number_matching,
            events,
        ),
        SecondFactorMethod::Sms => sms::send(tx, codes, ticket, username, device, now),
        SecondFactorMethod::IndexCard => card::issue(tx, codes, ticket, device, now),
        SecondFactorMethod::TemporaryPasscode => passcode::ask(tx, ticket, device, now),
    }
}

/// The step a login shows while `device`'s second factor is under way.
fn step(
    ticket: &str,
    device: &DeviceRow,
    method: Method,
    expires: Timestamp,
    now: Timestamp,
) -> SecondFactor {
    SecondFactor {
        ticket: ticket.to_owned(),
        device_id: device.id.clone(),
        device_kind: device.kind,
        method,
        expires_at: expires.rfc3339(),
        expires_in_seconds: seconds_left(expires, now),
    }
}

/// When a factor issued `now` for `ticket`'s login, living `lifetime`, expires: never
/// after the ticket's own end (15 minutes from the password step), so no challenge,
/// code or push issued late in a login outlives it.
fn expiry(
    tx: &Transaction<'_>,
    ticket: &str,
    now: Timestamp,
    lifetime: Duration,
) -> BrokerResult<Timestamp> {
    let Some(pending) = store::pending(tx, &token_hash(ticket), now)? else {
        return Err(BrokerError::NoPendingLogin);
    };
    Ok(now
        .plus(lifetime)
        .min(pending.created_at.plus(LOGIN_TICKET_LIFETIME)))
}

/// Whole seconds from `now` to `until`, rounded up (0 once past).
pub(super) fn seconds_left(until: Timestamp, now: Timestamp) -> i64 {
    ((until.0 - now.0).max(0) + 999) / 1000
}
