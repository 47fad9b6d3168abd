//! D3: a 6-digit code by text message, typed back on the login screen. Only the
//! code's SHA-256 is kept.

use super::step;
use crate::broker::{token_hash, BrokerResult, Codes, Method, SecondFactor};
use crate::rules::challenge::check_within;
use crate::rules::ibkey::{mask_phone_number, numeric_code, SMS_CODE_LIFETIME};
use crate::rules::{ResponseCheck, Timestamp};
use crate::store::ibkey as phone_store;
use crate::store::{self, DeviceRow, Stage, StoreError};
use rusqlite::Transaction;

/// D3: a code to the SMS device's number, the login's stage from now.
pub(in crate::broker) fn send(
    tx: &Transaction<'_>,
    codes: &Codes,
    ticket: &str,
    username: &str,
    device: &DeviceRow,
    now: Timestamp,
) -> BrokerResult<SecondFactor> {
    let Some(number) = device.phone_number.as_deref() else {
        return Err(StoreError::Corrupt(format!("SMS device {} has no number", device.id)).into());
    };
    let expires = super::expiry(tx, ticket, now, SMS_CODE_LIFETIME)?;
    let code = numeric_code(&mut codes.rng(), 6);
    phone_store::send_sms(
        tx,
        now,
        number,
        &format!("Portcullis login code: {code}. It expires in 5 minutes."),
    )?;
    let stage = Stage::Sms {
        device_id: device.id.clone(),
        code_hash: token_hash(&code),
    };
    store::set_stage(tx, &token_hash(ticket), &stage, now)?;
    store::audit(
        tx,
        now,
        Some(username),
        "sms_code_sent",
        &format!("device {}", device.id),
    )?;
    Ok(step(
        ticket,
        device,
        Method::Sms {
            masked_number: mask_phone_number(number),
        },
        expires,
        now,
    ))
}

/// D3: the typed code against the kept hash, within the code's five minutes.
pub(in crate::broker) fn check(
    code_hash: &str,
    typed: &str,
    issued_at: Timestamp,
    now: Timestamp,
) -> ResponseCheck {
    check_within(
        code_hash,
        &token_hash(typed),
        issued_at,
        now,
        SMS_CODE_LIFETIME,
    )
}
