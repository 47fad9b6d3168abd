//! C1–C4, K3: a 6-digit challenge shown on the login screen, answered by the device's
//! OCRA response (the DSC+ and IB Key's Authenticate screen compute the same suite).

use super::step;
use crate::broker::{token_hash, BrokerResult, Codes, Method, SecondFactor};
use crate::rules::challenge::{check_response, ocra_response};
use crate::rules::{ChallengeCode, ResponseCheck, Timestamp, CHALLENGE_LIFETIME};
use crate::store::{self, DeviceRow, Stage, StoreError, StoreResult};
use rusqlite::Transaction;

/// C1, C4: a fresh challenge for `device`, the login's stage from now.
pub(in crate::broker) fn issue(
    tx: &Transaction<'_>,
    codes: &Codes,
    ticket: &str,
    device: &DeviceRow,
    now: Timestamp,
) -> BrokerResult<SecondFactor> {
    let expires = super::expiry(tx, ticket, now, CHALLENGE_LIFETIME)?;
    let challenge = ChallengeCode::generate(&mut codes.rng());
    let stage = Stage::Challenge {
        device_id: device.id.clone(),
        challenge: challenge.as_str().to_owned(),
    };
    store::set_stage(tx, &token_hash(ticket), &stage, now)?;
    store::audit(
        tx,
        now,
        Some(device.owner.as_str()),
        "challenge_issued",
        &format!("device {}", device.id),
    )?;
    Ok(step(
        ticket,
        device,
        Method::Challenge {
            challenge: challenge.as_str().to_owned(),
        },
        expires,
        now,
    ))
}

/// C2–C4: the typed `response` to `challenge`, issued at `issued_at`.
pub(in crate::broker) fn check(
    device: &DeviceRow,
    challenge: &str,
    response: &str,
    issued_at: Timestamp,
    now: Timestamp,
) -> StoreResult<ResponseCheck> {
    let expected = expected_response(device, challenge)?;
    Ok(check_response(&expected, response, issued_at, now))
}

/// C3: the value `device` shows for `challenge`.
pub(in crate::broker) fn expected_response(
    device: &DeviceRow,
    challenge: &str,
) -> StoreResult<String> {
    let key = hex::decode(&device.secret_hex)
        .map_err(|e| StoreError::Corrupt(format!("device key: {e}")))?;
    let pin = hex::decode(&device.pin_sha1_hex)
        .map_err(|e| StoreError::Corrupt(format!("device PIN: {e}")))?;
    ocra_response(
        &key,
        &pin,
        &ChallengeCode::from_stored(challenge.to_owned()),
    )
    .map_err(|e| StoreError::Corrupt(format!("device OCRA: {e}")))
}
