//! IB Key activation on the phone (K1) and Add user (K5), with the guard issue 6 added
//! between the password and the activation code (K1 vs D5): a user who already holds
//! an active second factor answers it first, unless the code goes to a number on
//! record and no IB Key moves to another phone (`rules::ibkey::enrolment_check`).
//!
//! An activation is `start` → (`verify`) → `finish`, linked by its id; its stage is
//! stored as [`ActivationStage`].

use super::factor::{self, challenge::expected_response};
use super::{
    locked_out, random_hex, record_failure, token_hash, usable, Broker, BrokerResult, Codes,
};
use crate::error::{BrokerError, WrongStage};
use crate::rules::card::{indexes_stored, pick_indexes};
use crate::rules::challenge::{responses_match, ResponseCheck};
use crate::rules::device::{self, Transition};
use crate::rules::ibkey::{
    enrolment_check, mask_phone_number, numeric_code, validate_phone_number, validate_pin,
    EnrolmentCheck, UnlockMethod, ACTIVATION_CODE_LIFETIME, ACTIVATION_CODE_TRIES,
    ACTIVATION_VERIFY_LIFETIME,
};
use crate::rules::{ChallengeCode, Timestamp};
use crate::store::ibkey::{self as phone_store, Activation, ActivationStage};
use crate::store::{self, DeviceRow, StoreError, StoreResult};
use portcullis_api::{
    Activated, ActivationStep, Channel, CodeSent, DeviceKind, DeviceStatus, SecondFactorMethod,
    VerifyDevice, VerifyMethod,
};
use rusqlite::Transaction;
use subtle::ConstantTimeEq;

/// What the active device was asked at `activation/start`.
enum Asked {
    Challenge(String),
    /// The SHA-256 of the code sent to the SMS device's number.
    Code(String),
    /// The card's two indexes, as stored by `rules::card`.
    IndexCard(String),
    Passcode,
}

const VERIFY_FIRST: WrongStage = WrongStage::AwaitingDevice;
const NOT_VERIFYING: WrongStage = WrongStage::NotVerifying;

impl Broker {
    /// K1 (and K5 with `phone_token`): username, password and mobile number. A bad
    /// number changes nothing; a wrong password is a failed attempt (L4: the lock is per
    /// username, across channels). Then either the activation code goes to the number
    /// by SMS, or — K1 vs D5 — the user's active device must answer first.
    pub fn activation_start(
        &self,
        phone_token: Option<&str>,
        username: &str,
        password: &str,
        phone_number: &str,
    ) -> BrokerResult<ActivationStep> {
        let number = validate_phone_number(phone_number)
            .map_err(BrokerError::InvalidPhoneNumber)?
            .to_owned();
        let (name, password_ok) = self.check_password(username, password)?;
        self.transact(|tx, now, _| {
            let phone_id = match phone_token {
                Some(token) => Some(self.known_phone(tx, token)?),
                None => None,
            };
            let user = Broker::password_gate(tx, now, &name, password_ok)?;
            // T2–T5: what the clock has decided (a replacement activated, temporary
            // access expired or voided) before anything is asked of a device.
            super::access::settle(tx, &user.username, now)?;
            // Last used first (D6), as the login offers them.
            let all = store::devices_of(tx, &user.username)?;
            let devices: Vec<DeviceRow> = all.iter().filter(|d| usable(d)).cloned().collect();
            // D5: devices that all stopped serving (lost, set aside, temporary access
            // over) are no way around the second factor here either; the user calls
            // Client Services, as for a login (R4: returned ones do not count).
            if devices.is_empty() {
                if let Some(refusal) = super::access::refusal_without_device(&all) {
                    return Err(refusal);
                }
            }
            let ib_keys = || devices.iter().filter(|d| d.kind == DeviceKind::IbKey);
            if let Some(phone_id) = &phone_id {
                if ib_keys().any(|d| d.phone_id.as_deref() == Some(phone_id)) {
                    return Err(BrokerError::AlreadyAdded);
                }
            }
            let on_record = numbers_on_record(tx, &devices)?.contains(&number);
            let moves_ib_key = ib_keys().any(|d| d.phone_id != phone_id);
            let id = format!("act-{}", random_hex(12));
            let mut activation = Activation {
                username: user.username.clone(),
                number,
                stage: ActivationStage::CodeSent {
                    code_hash: String::new(),
                },
                phone_id,
                issued_at: now,
                tries: 0,
            };
            match enrolment_check(!devices.is_empty(), on_record, moves_ib_key) {
                EnrolmentCheck::SendCode => {
                    let code = numeric_code(&mut self.codes.rng(), 6);
                    activation.stage = ActivationStage::CodeSent {
                        code_hash: token_hash(&code),
                    };
                    phone_store::insert_activation(tx, &id, &activation)?;
                    let sent = send_activation_code(tx, &id, &activation, &code, now)?;
                    Ok(ActivationStep::CodeSent(sent))
                }
                EnrolmentCheck::VerifyDevice => {
                    let Some(device) = confirming_device(&devices, now) else {
                        return Err(BrokerError::LoginFailed);
                    };
                    let (stage, method) = verification(tx, &self.codes, device, now)?;
                    activation.stage = stage;
                    phone_store::insert_activation(tx, &id, &activation)?;
                    let detail = format!(
                        "device {} before a code to {}",
                        device.id,
                        mask_phone_number(&activation.number)
                    );
                    store::audit(
                        tx,
                        now,
                        Some(&user.username),
                        "activation_needs_device",
                        &detail,
                    )?;
                    Ok(ActivationStep::VerifyDevice(VerifyDevice {
                        activation_id: id,
                        device_id: device.id.clone(),
                        device_kind: device.kind,
                        method,
                        expires_in_seconds: ACTIVATION_VERIFY_LIFETIME.0 / 1000,
                    }))
                }
            }
        })
    }

    /// K1 vs D5: the active device's answer. Right: the activation code goes out, as
    /// after `start`. Wrong: "Login failed", a failed attempt (L4), and the activation
    /// is over — one answer per activation, like a login's challenge (C4).
    pub fn activation_verify(
        &self,
        phone_token: Option<&str>,
        activation_id: &str,
        response: &str,
    ) -> BrokerResult<ActivationStep> {
        if response.is_empty() {
            return Err(BrokerError::MissingField("response"));
        }
        self.transact(|tx, now, _| {
            let Some(activation) = phone_store::activation(tx, activation_id)? else {
                return Err(BrokerError::ActivationOver(
                    "This activation is over. Start again.",
                ));
            };
            if !self.same_phone(tx, &activation, phone_token)? {
                return Err(BrokerError::UnknownPhone);
            }
            // What was asked: a challenge for the device, or a code to its number.
            let (device_id, asked) = match &activation.stage {
                ActivationStage::CodeSent { .. } => {
                    return Err(BrokerError::WrongStage(NOT_VERIFYING))
                }
                ActivationStage::VerifyChallenge {
                    device_id,
                    challenge,
                } => (device_id.clone(), Asked::Challenge(challenge.clone())),
                ActivationStage::VerifySms {
                    device_id,
                    code_hash,
                } => (device_id.clone(), Asked::Code(code_hash.clone())),
                ActivationStage::VerifyIndexCard { device_id, indexes } => {
                    (device_id.clone(), Asked::IndexCard(indexes.clone()))
                }
                ActivationStage::VerifyPasscode { device_id } => {
                    (device_id.clone(), Asked::Passcode)
                }
            };
            // Whatever the outcome below, this question answers once: on success the
            // activation comes back in its next stage.
            phone_store::delete_activation(tx, activation_id)?;
            let username = activation.username.clone();
            let username = username.as_str();
            if now >= activation.issued_at.plus(ACTIVATION_VERIFY_LIFETIME) {
                return Err(BrokerError::ActivationOver(
                    "The code to confirm with your device has expired. Start again.",
                ));
            }
            locked_out(tx, username, now)?;
            // T2–T5: a temporary device voided or past its time since it was asked.
            super::access::settle(tx, username, now)?;
            let Some(device) = store::find_device(tx, &device_id)?.filter(usable) else {
                return Err(BrokerError::LoginFailed);
            };
            factor::passcode::admit(tx, &device, Channel::Trading, now)?;
            let typed = |check: ResponseCheck| match check {
                ResponseCheck::Correct => Ok(true),
                ResponseCheck::Wrong => Ok(false),
                // Slowness is not a failed attempt (C4).
                ResponseCheck::Expired => Err(BrokerError::ActivationOver(
                    "The code to confirm with your device has expired. Start again.",
                )),
            };
            let correct = match &asked {
                Asked::Challenge(challenge) => {
                    responses_match(&expected_response(&device, challenge)?, response)
                }
                // Only the code's hash is kept; compared as hashes.
                Asked::Code(code_hash) => responses_match(code_hash, &token_hash(response)),
                Asked::IndexCard(indexes) => {
                    let at = activation.issued_at;
                    typed(factor::card::check(&device, indexes, response, at, now)?)?
                }
                Asked::Passcode => typed(factor::passcode::check(
                    &device,
                    response,
                    activation.issued_at,
                    now,
                ))?,
            };
            if !correct {
                // L4 (decision): a wrong second factor is a failed attempt.
                record_failure(tx, username, now, "activation_verify_failed")?;
                return Err(BrokerError::LoginFailed);
            }
            let code = numeric_code(&mut self.codes.rng(), 6);
            let next = Activation {
                stage: ActivationStage::CodeSent {
                    code_hash: token_hash(&code),
                },
                issued_at: now,
                tries: 0,
                ..activation
            };
            phone_store::insert_activation(tx, activation_id, &next)?;
            let detail = format!("device {device_id}");
            store::audit(
                tx,
                now,
                Some(username),
                "activation_device_verified",
                &detail,
            )?;
            let sent = send_activation_code(tx, activation_id, &next, &code, now)?;
            Ok(ActivationStep::CodeSent(sent))
        })
    }

    /// K1: the SMS code, then the security element (a PIN, or biometrics with a PIN
    /// behind them). The new IB Key is active at once; D3: SMS stops being a factor.
    pub fn activation_finish(
        &self,
        phone_token: Option<&str>,
        activation_id: &str,
        code: &str,
        security: &str,
        pin: &str,
    ) -> BrokerResult<Activated> {
        let method = UnlockMethod::parse(security).ok_or_else(|| {
            BrokerError::BadRequest("security is \"pin\" or \"biometric\".".into())
        })?;
        validate_pin(pin).map_err(BrokerError::InvalidPin)?;
        self.transact(|tx, now, _| {
            let Some(activation) = phone_store::activation(tx, activation_id)? else {
                return Err(BrokerError::ActivationOver(
                    "This activation is over. Start again.",
                ));
            };
            let phone_matches = self.same_phone(tx, &activation, phone_token)?;
            if !phone_matches {
                return Err(BrokerError::UnknownPhone);
            }
            let ActivationStage::CodeSent { code_hash } = &activation.stage else {
                return Err(BrokerError::WrongStage(VERIFY_FIRST));
            };
            if now >= activation.issued_at.plus(ACTIVATION_CODE_LIFETIME) {
                phone_store::delete_activation(tx, activation_id)?;
                return Err(BrokerError::ActivationOver(
                    "The activation code has expired. Start again.",
                ));
            }
            // L4: a lock taken since the password step stops the enrolment too.
            if let Err(refused) = locked_out(tx, &activation.username, now) {
                phone_store::delete_activation(tx, activation_id)?;
                return Err(refused);
            }
            if !bool::from(token_hash(code).as_bytes().ct_eq(code_hash.as_bytes())) {
                let tries = activation.tries + 1;
                if tries >= ACTIVATION_CODE_TRIES {
                    phone_store::delete_activation(tx, activation_id)?;
                    store::audit(
                        tx,
                        now,
                        Some(&activation.username),
                        "activation_failed",
                        "too many wrong codes",
                    )?;
                    return Err(BrokerError::ActivationOver(
                        "Too many wrong codes. Start the activation again.",
                    ));
                }
                phone_store::count_activation_try(tx, activation_id)?;
                return Err(BrokerError::InvalidCode {
                    tries_left: ACTIVATION_CODE_TRIES - tries,
                });
            }
            phone_store::delete_activation(tx, activation_id)?;

            let (phone_id, phone_token) = match &activation.phone_id {
                Some(id) => (id.clone(), None),
                None => {
                    let id = format!("PH-{}", self.codes.hex(6));
                    let token = format!("pct_{}", random_hex(32));
                    phone_store::insert_phone(
                        tx,
                        &id,
                        &activation.number,
                        &token_hash(&token),
                        now,
                    )?;
                    (id, Some(token))
                }
            };
            // One IB Key per user: an earlier one (another phone) is kept inactive; D3:
            // SMS is removed.
            let username = activation.username.as_str();
            change_all(tx, username, DeviceKind::IbKey, Transition::Deactivate)?;
            let sms_removed = change_all(tx, username, DeviceKind::Sms, Transition::Remove)?;
            let device = DeviceRow {
                id: format!("IBK-{}", self.codes.hex(4).to_uppercase()),
                kind: DeviceKind::IbKey,
                owner: activation.username.clone(),
                secret_hex: random_hex(32),
                pin_sha1_hex: hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin)),
                status: lifecycle(device::issue(DeviceKind::IbKey))?,
                last_used_at: None,
                phone_id: Some(phone_id.clone()),
                security: Some(method),
                ..DeviceRow::bare("", DeviceKind::IbKey, "", DeviceStatus::Active)
            };
            store::insert_device(tx, &device)?;
            // T4: a new permanent device ends temporary access.
            super::access::permanent_serves_again(tx, &activation.username, &device.id, now)?;
            let detail = format!(
                "device {} on {phone_id}; SMS devices removed: {sms_removed}",
                device.id
            );
            store::audit(
                tx,
                now,
                Some(&activation.username),
                "ib_key_activated",
                &detail,
            )?;
            Ok(Activated {
                phone_id,
                phone_token,
                username: activation.username,
                device_id: device.id,
                secret_hex: device.secret_hex,
                suite: crate::rules::DSC_PLUS_SUITE.into(),
                security: method.as_str().into(),
            })
        })
    }

    /// An activation goes on from the phone it started on: Add user (K5) with that
    /// phone's token, a new phone without one.
    fn same_phone(
        &self,
        tx: &Transaction<'_>,
        activation: &Activation,
        phone_token: Option<&str>,
    ) -> StoreResult<bool> {
        Ok(match (&activation.phone_id, phone_token) {
            (None, None) => true,
            (Some(id), Some(token)) => self.phone_of(tx, token)?.as_ref() == Some(id),
            (None, Some(_)) | (Some(_), None) => false,
        })
    }
}

/// K1: the numbers the broker already knows as the user's: those of their SMS devices
/// and of the phones holding their IB Keys (all active).
fn numbers_on_record(tx: &Transaction<'_>, devices: &[DeviceRow]) -> StoreResult<Vec<String>> {
    let mut numbers = Vec::new();
    for d in devices {
        if let Some(number) = &d.phone_number {
            numbers.push(number.clone());
        }
        if let Some(phone_id) = &d.phone_id {
            numbers.extend(phone_store::phone_number(tx, phone_id)?);
        }
    }
    Ok(numbers)
}

/// The question `device` answers before an activation code goes out.
fn verification(
    tx: &Transaction<'_>,
    codes: &Codes,
    device: &DeviceRow,
    now: Timestamp,
) -> BrokerResult<(ActivationStage, VerifyMethod)> {
    match device.kind.method() {
        SecondFactorMethod::Sms => {
            let Some(number) = &device.phone_number else {
                return Err(
                    StoreError::Corrupt(format!("SMS device {} has no number", device.id)).into(),
                );
            };
            let code = numeric_code(&mut codes.rng(), 6);
            phone_store::send_sms(
                tx,
                now,
                number,
                &format!(
                    "Portcullis: {code} confirms adding IB Key to your user name. \
                     If you did not ask for it, call Client Services."
                ),
            )?;
            Ok((
                ActivationStage::VerifySms {
                    device_id: device.id.clone(),
                    code_hash: token_hash(&code),
                },
                VerifyMethod::Sms {
                    masked_number: mask_phone_number(number),
                },
            ))
        }
        // The DSC+ answers on the card (C2), IB Key on its Authenticate screen (K3).
        SecondFactorMethod::Challenge | SecondFactorMethod::Push => {
            let challenge = ChallengeCode::generate(&mut codes.rng());
            Ok((
                ActivationStage::VerifyChallenge {
                    device_id: device.id.clone(),
                    challenge: challenge.as_str().to_owned(),
                },
                VerifyMethod::Challenge {
                    challenge: challenge.as_str().to_owned(),
                },
            ))
        }
        // D7, T3: two index numbers of the card.
        SecondFactorMethod::IndexCard => {
            let indexes = pick_indexes(&mut codes.rng());
            Ok((
                ActivationStage::VerifyIndexCard {
                    device_id: device.id.clone(),
                    indexes: indexes_stored(indexes),
                },
                VerifyMethod::IndexCard {
                    indexes: indexes.to_vec(),
                },
            ))
        }
        // T1, T2: the passcode, while it still opens trading (past day 2 it serves the
        // Client Portal's online card only).
        SecondFactorMethod::TemporaryPasscode => {
            factor::passcode::admit(tx, device, Channel::Trading, now)?;
            Ok((
                ActivationStage::VerifyPasscode {
                    device_id: device.id.clone(),
                },
                VerifyMethod::TemporaryPasscode {},
            ))
        }
    }
}

/// K1 vs D5: which of the user's usable devices (last used first) confirms an
/// enrolment: a permanent device that answers a challenge or a card, then a temporary
/// one still in its full access (T2, T3: past it, it opens the portal only, or
/// nothing), then SMS. None left that may: the first, whose refusal says why.
fn confirming_device(devices: &[DeviceRow], now: Timestamp) -> Option<&DeviceRow> {
    let may = |d: &&DeviceRow| super::access::opens(d, Channel::Trading, now);
    let not_sms = |d: &&DeviceRow| d.kind.method() != SecondFactorMethod::Sms;
    devices
        .iter()
        .filter(may)
        .find(|d| !d.kind.is_temporary() && not_sms(d))
        .or_else(|| devices.iter().filter(may).find(not_sms))
        .or_else(|| devices.iter().find(may))
        .or_else(|| devices.first())
}

/// Every device of `username` of `kind` that is active takes `transition` (the rules
/// say to which status); how many did.
fn change_all(
    tx: &Transaction<'_>,
    username: &str,
    kind: DeviceKind,
    transition: Transition,
) -> StoreResult<usize> {
    let from = DeviceStatus::Active;
    let to = lifecycle(device::transition(kind, from, transition))?;
    store::set_status_of_kind(tx, username, kind, from, to)
}

/// A status change the broker makes only where the rules allow it: refused, it is a
/// bug, and the transaction rolls back.
fn lifecycle(change: Result<DeviceStatus, device::IllegalTransition>) -> StoreResult<DeviceStatus> {
    change.map_err(|e| StoreError::Corrupt(format!("device lifecycle: {e}")))
}

/// K1: the activation code by SMS to the activation's number.
fn send_activation_code(
    tx: &Transaction<'_>,
    id: &str,
    activation: &Activation,
    code: &str,
    now: Timestamp,
) -> StoreResult<CodeSent> {
    let number = &activation.number;
    phone_store::send_sms(
        tx,
        now,
        number,
        &format!("Your IB Key activation code is {code}."),
    )?;
    let masked = mask_phone_number(number);
    store::audit(
        tx,
        now,
        Some(&activation.username),
        "activation_code_sent",
        &masked,
    )?;
    Ok(CodeSent {
        activation_id: id.to_owned(),
        masked_number: masked,
        expires_in_seconds: ACTIVATION_CODE_LIFETIME.0 / 1000,
    })
}
