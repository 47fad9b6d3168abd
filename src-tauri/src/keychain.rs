//! What Portcullis keeps in the desktop keyring (Secret Service on Linux): the
//! remembered username, each card simulator's key, each Security Code Card's grid, and
//! the phone simulator's identity.
//! Nothing else is stored.

use crate::error::{self, AppError};
use keyring::Entry;

const SERVICE: &str = "portcullis";
const REMEMBERED_USERNAME: &str = "remembered-username";
const CARD_SERVICE: &str = "portcullis.card";

fn entry(service: &str, user: &str) -> Result<Entry, AppError> {
    Entry::new(service, user).map_err(error::keyring)
}

fn read(service: &str, user: &str) -> Result<Option<String>, AppError> {
    match entry(service, user)?.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(error::keyring(e)),
    }
}

pub fn remembered_username() -> Result<Option<String>, AppError> {
    read(SERVICE, REMEMBERED_USERNAME)
}

/// Stores `username`, or forgets the stored one when None.
pub fn remember_username(username: Option<&str>) -> Result<(), AppError> {
    let e = entry(SERVICE, REMEMBERED_USERNAME)?;
    match username {
        Some(name) => e.set_password(name).map_err(error::keyring),
        None => match e.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(error::keyring(err)),
        },
    }
}

pub fn card_key(device_id: &str) -> Result<Option<String>, AppError> {
    read(CARD_SERVICE, device_id)
}

pub fn store_card_key(device_id: &str, key_hex: &str) -> Result<(), AppError> {
    entry(CARD_SERVICE, device_id)?
        .set_password(key_hex)
        .map_err(error::keyring)
}

const CODE_CARD_SERVICE: &str = "portcullis.codecard";

/// D7: a Security Code Card's grid, its 100 codes as one string of digits.
pub fn code_card(device_id: &str) -> Result<Option<String>, AppError> {
    read(CODE_CARD_SERVICE, device_id)
}

pub fn store_code_card(device_id: &str, codes: &str) -> Result<(), AppError> {
    entry(CODE_CARD_SERVICE, device_id)?
        .set_password(codes)
        .map_err(error::keyring)
}

const PHONE_SERVICE: &str = "portcullis.phone";
const PHONE_USER: &str = "identity";

/// The phone simulator's identity (token, keys), as JSON.
pub fn phone_identity() -> Result<Option<String>, AppError> {
    read(PHONE_SERVICE, PHONE_USER)
}

pub fn store_phone_identity(json: &str) -> Result<(), AppError> {
    entry(PHONE_SERVICE, PHONE_USER)?
        .set_password(json)
        .map_err(error::keyring)
}

pub fn forget_phone_identity() -> Result<(), AppError> {
    match entry(PHONE_SERVICE, PHONE_USER)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(error::keyring(e)),
    }
}
