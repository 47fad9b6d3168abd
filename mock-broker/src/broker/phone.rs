//! The phone's side of IB Key: activation (K1), Add user (K5), the requests it
//! receives, approving or denying them (K2, K6), and trading access on the phone (K7).
//!
//! A phone proves who it is with the token it got at activation; an approval also
//! carries the OCRA response to the push's challenge, computed from the device's key
//! and PIN, so the broker checks possession rather than trusting a flag.

use super::login::phone_expected_response;
use super::{random_hex, record_failure, token_hash, Broker, BrokerEvent, BrokerResult, Clock};
use crate::error::BrokerError;
use crate::rules::challenge::responses_match;
use crate::rules::ibkey::{
    mask_phone_number, numeric_code, validate_phone_number, validate_pin, PushState, UnlockMethod,
    ACTIVATION_CODE_LIFETIME, ACTIVATION_CODE_TRIES,
};
use crate::rules::Timestamp;
use crate::store::ibkey::{self as phone_store, Activation, PushRow};
use crate::store::{self, DeviceRow};
use rusqlite::Transaction;
use serde::Serialize;
use subtle::ConstantTimeEq;

/// What the phone is told of a login request.
#[derive(Debug, Clone, Serialize)]
pub struct PhonePush {
    pub push_id: String,
    pub phone_id: String,
    pub username: String,
    pub device_id: String,
    /// The question the approval's OCRA response answers.
    pub challenge: String,
    /// Number matching: the three numbers to pick from.
    pub number_choices: Option<Vec<u8>>,
    pub expires_at: String,
    pub expires_in_seconds: i64,
    /// Real (not simulated) time of sending, for measuring delivery latency.
    pub sent_unix_ms: i64,
}

pub(super) fn notice(push: &PushRow, now: Timestamp) -> PhonePush {
    PhonePush {
        push_id: push.id.clone(),
        phone_id: push.phone_id.clone(),
        username: push.username.clone(),
        device_id: push.device_id.clone(),
        challenge: push.challenge.clone(),
        number_choices: push.number_choices.clone(),
        expires_at: push.expires_at.rfc3339(),
        expires_in_seconds: ((push.expires_at.0 - now.0).max(0) + 999) / 1000,
        sent_unix_ms: Clock::real_now().0,
    }
}

#[derive(Debug, Serialize)]
pub struct ActivationStarted {
    pub activation_id: String,
    pub masked_number: String,
    pub expires_in_seconds: i64,
}

/// What a phone keeps after activation (in its keyring): never logged.
#[derive(Serialize)]
pub struct Activated {
    pub phone_id: String,
    /// Only for a newly registered phone; Add user keeps the phone's token.
    pub phone_token: Option<String>,
    pub username: String,
    pub device_id: String,
    pub secret_hex: String,
    pub suite: &'static str,
    pub security: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PhoneAccess {
    pub username: String,
    pub device_id: String,
    pub method: Option<&'static str>,
    pub authenticated_at: Option<String>,
    pub trading_access_until: Option<String>,
    pub trading_access: bool,
}

impl Broker {
    /// The phone behind a token.
    fn phone_of(
        &self,
        tx: &Transaction<'_>,
        phone_token: &str,
    ) -> crate::store::StoreResult<Option<String>> {
        Ok(phone_store::phone_by_token(tx, &token_hash(phone_token))?.map(|(id, _)| id))
    }

    /// K1 (and K5 with `phone_token`): username, password and mobile number; an
    /// activation code goes to the number by SMS. A bad number changes nothing; a wrong
    /// password is a failed attempt (L4: the lock is per username, across channels).
    pub fn activation_start(
        &self,
        phone_token: Option<&str>,
        username: &str,
        password: &str,
        phone_number: &str,
    ) -> BrokerResult<ActivationStarted> {
        let number = validate_phone_number(phone_number)
            .map_err(|e| BrokerError::InvalidPhoneNumber(e.to_string()))?
            .to_owned();
        let (name, password_ok) = self.check_password(username, password)?;
        self.transact(|tx, now, _| {
            let phone_id = match phone_token {
                Some(token) => match self.phone_of(tx, token)? {
                    Some(id) => Some(id),
                    None => return Ok(Err(BrokerError::UnknownPhone)),
                },
                None => None,
            };
            let user = match Broker::password_gate(tx, now, &name, password_ok)? {
                Ok(user) => user,
                Err(e) => return Ok(Err(e)),
            };
            if let Some(phone_id) = &phone_id {
                let on_phone = store::devices_of(tx, &user.username)?.iter().any(|d| {
                    d.kind == "ib_key"
                        && d.status == "active"
                        && d.phone_id.as_deref() == Some(phone_id)
                });
                if on_phone {
                    return Ok(Err(BrokerError::AlreadyAdded));
                }
            }
            let code = numeric_code(&mut rand::thread_rng(), 6);
            let id = format!("act-{}", random_hex(12));
            phone_store::insert_activation(
                tx,
                &id,
                &Activation {
                    username: user.username.clone(),
                    number: number.clone(),
                    code_hash: token_hash(&code),
                    phone_id,
                    issued_at: now,
                    tries: 0,
                },
            )?;
            phone_store::send_sms(
                tx,
                now,
                &number,
                &format!("Your IB Key activation code is {code}."),
            )?;
            store::audit(
                tx,
                now,
                Some(&user.username),
                "activation_code_sent",
                &mask_phone_number(&number),
            )?;
            Ok(Ok(ActivationStarted {
                activation_id: id,
                masked_number: mask_phone_number(&number),
                expires_in_seconds: ACTIVATION_CODE_LIFETIME.0 / 1000,
            }))
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
        validate_pin(pin).map_err(|e| BrokerError::InvalidPin(e.to_string()))?;
        self.transact(|tx, now, _| {
            let Some(activation) = phone_store::activation(tx, activation_id)? else {
                return Ok(Err(BrokerError::ActivationOver(
                    "This activation is over. Start again.",
                )));
            };
            let phone_matches = match (&activation.phone_id, phone_token) {
                (None, None) => true,
                (Some(id), Some(token)) => self.phone_of(tx, token)?.as_ref() == Some(id),
                (None, Some(_)) | (Some(_), None) => false,
            };
            if !phone_matches {
                return Ok(Err(BrokerError::UnknownPhone));
            }
            if now >= activation.issued_at.plus(ACTIVATION_CODE_LIFETIME) {
                phone_store::delete_activation(tx, activation_id)?;
                return Ok(Err(BrokerError::ActivationOver(
                    "The activation code has expired. Start again.",
                )));
            }
            if !bool::from(
                token_hash(code)
                    .as_bytes()
                    .ct_eq(activation.code_hash.as_bytes()),
            ) {
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
                    return Ok(Err(BrokerError::ActivationOver(
                        "Too many wrong codes. Start the activation again.",
                    )));
                }
                phone_store::count_activation_try(tx, activation_id)?;
                return Ok(Err(BrokerError::InvalidCode {
                    tries_left: ACTIVATION_CODE_TRIES - tries,
                }));
            }
            phone_store::delete_activation(tx, activation_id)?;

            let (phone_id, phone_token) = match &activation.phone_id {
                Some(id) => (id.clone(), None),
                None => {
                    let id = format!("PH-{}", random_hex(6));
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
            // One IB Key per user: an earlier one (another phone) stops; D3: so does SMS.
            phone_store::set_status_of_kind(tx, &activation.username, "ib_key", "inactive")?;
            let sms_removed =
                phone_store::set_status_of_kind(tx, &activation.username, "sms", "removed")?;
            let device = DeviceRow {
                id: format!("IBK-{}", random_hex(4).to_uppercase()),
                kind: "ib_key".into(),
                owner: activation.username.clone(),
                secret_hex: random_hex(32),
                pin_sha1_hex: hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin)),
                status: "active".into(),
                last_used_at: None,
                phone_id: Some(phone_id.clone()),
                security: Some(method.as_str().into()),
                phone_number: None,
            };
            store::insert_device(tx, &device)?;
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
            Ok(Ok(Activated {
                phone_id,
                phone_token,
                username: activation.username,
                device_id: device.id,
                secret_hex: device.secret_hex,
                suite: crate::rules::DSC_PLUS_SUITE,
                security: method.as_str(),
            }))
        })
    }

    /// The requests waiting on this phone (K4: not the dropped or held ones).
    pub fn phone_pushes(&self, phone_token: &str) -> BrokerResult<Vec<PhonePush>> {
        self.transact(|tx, now, _| {
            let Some(phone_id) = self.phone_of(tx, phone_token)? else {
                return Ok(Err(BrokerError::UnknownPhone));
            };
            let pushes = phone_store::pending_pushes_of_phone(tx, &phone_id)?
                .into_iter()
                .filter(|p| {
                    p.state.at(p.expires_at, now) == PushState::Pending && p.delivery == "sent"
                })
                .map(|p| notice(&p, now))
                .collect();
            Ok(Ok(pushes))
        })
    }

    /// The phone a token names (for the event stream).
    pub fn phone_id(&self, phone_token: &str) -> BrokerResult<String> {
        self.store
            .write(|tx| self.phone_of(tx, phone_token))?
            .ok_or(BrokerError::UnknownPhone)
    }

    /// K4: pushes held for an offline phone whose device is reachable again.
    pub fn release_held_pushes(&self) -> BrokerResult<Vec<PhonePush>> {
        self.transact(|tx, now, _| {
            let mut released = Vec::new();
            for push in phone_store::pushes_of(tx, None)? {
                let live = push.state.at(push.expires_at, now) == PushState::Pending;
                if !live || push.delivery != "held" {
                    continue;
                }
                let offline = phone_store::fault_for(tx, &push.device_id)?
                    .is_some_and(|f| f.mode == "offline");
                if !offline {
                    phone_store::set_push_delivery(tx, &push.id, "sent")?;
                    released.push(notice(&push, now));
                }
            }
            Ok(Ok(released))
        })
    }

    /// K2/K6: the phone approves. The push must be this phone's, pending, and not
    /// expired; number matching must pick the shown number; the response must be the
    /// device's OCRA value for the push's challenge. Anything wrong denies the push and
    /// counts as a failed attempt (L4). Answered once only.
    pub fn approve_push(
        &self,
        phone_token: &str,
        push_id: &str,
        response: &str,
        picked: Option<u8>,
        method: &str,
    ) -> BrokerResult<()> {
        let method = UnlockMethod::parse(method)
            .ok_or_else(|| BrokerError::BadRequest("method is \"pin\" or \"biometric\".".into()))?;
        self.transact(|tx, now, events| {
            let (push, device) = match self.answerable(tx, phone_token, push_id, now)? {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            let expected = phone_expected_response(&device, &push.challenge)?;
            // The push's own lifetime (K6) was checked above; here only the value.
            let correct = responses_match(&expected, response);
            let number_ok = push.number_shown.is_none() || push.number_shown == picked;
            events.push(BrokerEvent::LoginChanged);
            if !number_ok || !correct {
                phone_store::set_push_state(tx, &push.id, PushState::Denied, now)?;
                let event = if number_ok {
                    "push_bad_response"
                } else {
                    "push_number_mismatch"
                };
                record_failure(tx, &push.username, now, event)?;
                return Ok(Err(if number_ok {
                    BrokerError::LoginFailed
                } else {
                    BrokerError::NumberMismatch
                }));
            }
            phone_store::set_push_state(tx, &push.id, PushState::Approved, now)?;
            phone_store::record_access(tx, &device.id, method, now)?;
            store::audit(
                tx,
                now,
                Some(&push.username),
                "push_approved",
                &format!("push {} by {}", push.id, method.as_str()),
            )?;
            Ok(Ok(()))
        })
    }

    /// K6: "I'm not logging in": Login failed, a failed attempt.
    pub fn deny_push(&self, phone_token: &str, push_id: &str) -> BrokerResult<()> {
        self.transact(|tx, now, events| {
            let (push, _device) = match self.answerable(tx, phone_token, push_id, now)? {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            phone_store::set_push_state(tx, &push.id, PushState::Denied, now)?;
            record_failure(tx, &push.username, now, "push_denied")?;
            events.push(BrokerEvent::LoginChanged);
            Ok(Ok(()))
        })
    }

    /// A push this phone may answer now, with its device.
    fn answerable(
        &self,
        tx: &Transaction<'_>,
        phone_token: &str,
        push_id: &str,
        now: Timestamp,
    ) -> crate::store::StoreResult<BrokerResult<(PushRow, DeviceRow)>> {
        let Some(phone_id) = self.phone_of(tx, phone_token)? else {
            return Ok(Err(BrokerError::UnknownPhone));
        };
        // K6: bound to its login's phone: another phone's push is "not found" here.
        let Some(push) = phone_store::push(tx, push_id)?.filter(|p| p.phone_id == phone_id) else {
            return Ok(Err(BrokerError::NotFound(format!("push {push_id}"))));
        };
        match push.state.at(push.expires_at, now) {
            PushState::Pending => {}
            PushState::Expired => return Ok(Err(BrokerError::PushExpired)),
            PushState::Withdrawn => return Ok(Err(BrokerError::NoPendingLogin)),
            PushState::Approved | PushState::Denied | PushState::Completed => {
                return Ok(Err(BrokerError::PushAnswered))
            }
        }
        let device = store::find_device(tx, &push.device_id)?
            .filter(|d| d.status == "active" && d.phone_id.as_deref() == Some(phone_id.as_str()));
        let Some(device) = device else {
            return Ok(Err(BrokerError::NotFound(format!("push {push_id}"))));
        };
        Ok(Ok((push, device)))
    }

    /// K7: for each user on this phone, whether the phone still grants trading access.
    pub fn phone_access(&self, phone_token: &str) -> BrokerResult<Vec<PhoneAccess>> {
        self.transact(|tx, now, _| {
            let Some(phone_id) = self.phone_of(tx, phone_token)? else {
                return Ok(Err(BrokerError::UnknownPhone));
            };
            let mut out = Vec::new();
            for device in store::all_devices(tx)? {
                if device.kind != "ib_key"
                    || device.status != "active"
                    || device.phone_id.as_deref() != Some(&phone_id)
                {
                    continue;
                }
                let access = phone_store::access(tx, &device.id)?;
                let until = access.map(|(m, at)| m.trading_access_until(at));
                out.push(PhoneAccess {
                    username: device.owner.clone(),
                    device_id: device.id.clone(),
                    method: access.map(|(m, _)| m.as_str()),
                    authenticated_at: access.map(|(_, at)| at.rfc3339()),
                    trading_access_until: until.map(Timestamp::rfc3339),
                    trading_access: until.is_some_and(|u| now < u),
                });
            }
            Ok(Ok(out))
        })
    }
}
