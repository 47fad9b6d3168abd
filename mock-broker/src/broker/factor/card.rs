//! D7, T3: the Security Code Card and the online card — two index numbers shown, the
//! codes at those positions typed back together. Fresh indexes for every login; the
//! answer is checked once (the ticket is spent) and in constant time.

use super::step;
use crate::broker::{token_hash, BrokerResult, Codes, Method, SecondFactor};
use crate::rules::card::{indexes_from_stored, indexes_stored, pick_indexes, Grid};
use crate::rules::{ResponseCheck, Timestamp, CHALLENGE_LIFETIME};
use crate::store::{self, DeviceRow, Stage, StoreError, StoreResult};
use rusqlite::Transaction;

/// D7: two fresh indexes for `device`, the login's stage from now. They live as long
/// as a challenge code (C4's 5 minutes, decision).
pub(in crate::broker) fn issue(
    tx: &Transaction<'_>,
    codes: &Codes,
    ticket: &str,
    device: &DeviceRow,
    now: Timestamp,
) -> BrokerResult<SecondFactor> {
    let indexes = pick_indexes(&mut codes.rng());
    let stage = Stage::IndexCard {
        device_id: device.id.clone(),
        indexes: indexes_stored(indexes),
    };
    store::set_stage(tx, &token_hash(ticket), &stage, now)?;
    store::audit(
        tx,
        now,
        Some(device.owner.as_str()),
        "index_card_issued",
        &format!(
            "device {}: indexes {:02} and {:02}",
            device.id, indexes[0], indexes[1]
        ),
    )?;
    Ok(step(
        ticket,
        device,
        Method::IndexCard {
            indexes: indexes.to_vec(),
        },
        super::expiry(tx, ticket, now, CHALLENGE_LIFETIME)?,
        now,
    ))
}

/// D7, L6: the typed codes for the stored `indexes`, within their 5 minutes.
pub(in crate::broker) fn check(
    device: &DeviceRow,
    indexes: &str,
    typed: &str,
    issued_at: Timestamp,
    now: Timestamp,
) -> StoreResult<ResponseCheck> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("card {}: {what}", device.id));
    let grid = device
        .grid
        .as_deref()
        .and_then(Grid::from_stored)
        .ok_or_else(|| corrupt("grid"))?;
    let indexes = indexes_from_stored(indexes).ok_or_else(|| corrupt("indexes"))?;
    if now >= issued_at.plus(CHALLENGE_LIFETIME) {
        return Ok(ResponseCheck::Expired);
    }
    Ok(if grid.check(indexes, typed) {
        ResponseCheck::Correct
    } else {
        ResponseCheck::Wrong
    })
}
