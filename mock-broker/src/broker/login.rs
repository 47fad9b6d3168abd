//! The desktop's login: password (L1–L5), the device choice (D6), and the second
//! factor — DSC+ challenge (C1–C4), IB Key push and its fallback (K2, K3, K6), SMS code
//! (D3) — each step linked to the last by the login's ticket.

use super::{
    locked_out, open_session, random_hex, record_failure, token_hash, wire_kind, Broker,
    BrokerEvent, BrokerResult, Delivery, Events, NewSession,
};
use crate::error::{BrokerError, WrongStage};
use crate::rules::challenge::{check_response, check_within, ocra_response};
use crate::rules::ibkey::{
    mask_phone_number, numeric_code, NumberMatch, PushState, LOGIN_TICKET_LIFETIME, PUSH_LIFETIME,
    SMS_CODE_LIFETIME,
};
use crate::rules::{ChallengeCode, ResponseCheck, Timestamp, CHALLENGE_LIFETIME};
use crate::store::ibkey::{self as phone_store, PushRow};
use crate::store::{self, DeviceRow, PendingLogin, Stage, StoreError, StoreResult};
use portcullis_api::{
    Channel, DeviceChoice, DeviceOption, LoginStep, Method, PushWait, SecondFactor,
};
use rusqlite::Transaction;

/// Builds the api's [`SecondFactor`] from a device row (a trait, since the type is the
/// api crate's).
trait NewSecondFactor {
    fn new(
        ticket: &str,
        device: &DeviceRow,
        method: Method,
        expires: Timestamp,
        now: Timestamp,
    ) -> Self;
}

impl NewSecondFactor for SecondFactor {
    fn new(
        ticket: &str,
        device: &DeviceRow,
        method: Method,
        expires: Timestamp,
        now: Timestamp,
    ) -> Self {
        SecondFactor {
            ticket: ticket.to_owned(),
            device_id: device.id.clone(),
            device_kind: wire_kind(&device.kind),
            method,
            expires_at: expires.rfc3339(),
            expires_in_seconds: seconds_left(expires, now),
        }
    }
}

fn seconds_left(until: Timestamp, now: Timestamp) -> i64 {
    ((until.0 - now.0).max(0) + 999) / 1000
}

/// Device kinds this broker serves as a second factor.
pub(super) fn usable(d: &DeviceRow) -> bool {
    d.status == "active" && matches!(d.kind.as_str(), "dsc_plus" | "ib_key" | "sms")
}

impl Broker {
    /// The password step (L1–L5, D5, D6). `device_id` skips the choice for a user who
    /// already knows which device to use.
    pub fn login_password(
        &self,
        username: &str,
        password: &str,
        device_id: Option<&str>,
        channel: Channel,
    ) -> BrokerResult<LoginStep> {
        let (name, password_ok) = self.check_password(username, password)?;
        let number_matching = self.store.write(|tx| self.number_matching(tx))?;
        self.transact(|tx, now, events| {
            let user = match Broker::password_gate(tx, now, &name, password_ok)? {
                Ok(user) => user,
                Err(e) => return Ok(Err(e)),
            };
            // Last used first (D6's default).
            let devices: Vec<DeviceRow> = store::devices_of(tx, &user.username)?
                .into_iter()
                .filter(usable)
                .collect();
            let chosen = match device_id {
                Some(id) => match devices.iter().find(|d| d.id == id) {
                    Some(d) => Some(d),
                    None => {
                        return Ok(Err(BrokerError::BadRequest(format!(
                            "{id} is not an active device of this user."
                        ))))
                    }
                },
                None if devices.len() == 1 => devices.first(),
                None => None,
            };
            if devices.is_empty() {
                let opened = open_session(tx, &self.sessions, &user, None, channel, now)?;
                return Ok(opened.map(LoginStep::Authenticated));
            }

            // C4: a new attempt voids whatever the user still had open.
            for push in phone_store::pushes_of(tx, Some(&user.username))? {
                if push.state.at(push.expires_at, now) == PushState::Pending {
                    events.push(BrokerEvent::PushWithdrawn {
                        phone_id: push.phone_id,
                        push_id: push.id,
                    });
                }
            }
            store::drop_pending_of(tx, &user.username)?;
            let ticket = random_hex(24);
            let pending = PendingLogin {
                username: user.username.clone(),
                channel,
                created_at: now,
                stage: Stage::SelectDevice,
                issued_at: now,
            };
            store::insert_pending(tx, &token_hash(&ticket), &pending)?;
            let Some(device) = chosen else {
                store::audit(
                    tx,
                    now,
                    Some(&user.username),
                    "device_choice",
                    &format!("{} devices", devices.len()),
                )?;
                let default_device_id = devices[0].id.clone();
                return Ok(Ok(LoginStep::SelectDevice(DeviceChoice {
                    ticket,
                    devices: devices
                        .iter()
                        .map(|d| DeviceOption {
                            id: d.id.clone(),
                            kind: wire_kind(&d.kind),
                        })
                        .collect(),
                    default_device_id,
                })));
            };
            let step =
                begin_second_factor(tx, &ticket, &pending, device, now, number_matching, events)?;
            Ok(Ok(LoginStep::SecondFactor(step)))
        })
    }

    /// D6: the user picked a device (or switched to another one mid-login).
    pub fn choose_device(&self, ticket: &str, device_id: &str) -> BrokerResult<LoginStep> {
        let number_matching = self.store.write(|tx| self.number_matching(tx))?;
        self.transact(|tx, now, events| {
            let pending = match live_pending(tx, ticket, now)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            if approved(tx, &pending.stage, now)? {
                return Ok(Err(BrokerError::WrongStage(APPROVED)));
            }
            if let Some(refused) = locked_out(tx, &pending.username, now)? {
                return Ok(refused);
            }
            let devices = store::devices_of(tx, &pending.username)?;
            let Some(device) = devices
                .iter()
                .filter(|d| usable(d))
                .find(|d| d.id == device_id)
            else {
                return Ok(Err(BrokerError::BadRequest(format!(
                    "{device_id} is not an active device of this user."
                ))));
            };
            withdraw_push(tx, &pending.stage, now, events)?;
            Ok(Ok(LoginStep::SecondFactor(begin_second_factor(
                tx,
                ticket,
                &pending,
                device,
                now,
                number_matching,
                events,
            )?)))
        })
    }

    /// K3: "Click here if you do not receive the notification": the push is withdrawn
    /// and a challenge code is issued for the phone's Authenticate screen.
    pub fn push_fallback(&self, ticket: &str) -> BrokerResult<LoginStep> {
        self.transact(|tx, now, events| {
            let (pending, device) = match pushing(tx, ticket, now)? {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            if approved(tx, &pending.stage, now)? {
                return Ok(Err(BrokerError::WrongStage(APPROVED)));
            }
            withdraw_push(tx, &pending.stage, now, events)?;
            let detail = format!("device {}", device.id);
            store::audit(tx, now, Some(&pending.username), "push_fallback", &detail)?;
            let step = issue_challenge(tx, ticket, &device, now)?;
            Ok(Ok(LoginStep::SecondFactor(step)))
        })
    }

    /// "Send again": a new push for the same login, after the last expired or was denied.
    pub fn push_resend(&self, ticket: &str) -> BrokerResult<LoginStep> {
        let number_matching = self.store.write(|tx| self.number_matching(tx))?;
        self.transact(|tx, now, events| {
            let (pending, device) = match pushing(tx, ticket, now)? {
                Ok(found) => found,
                Err(e) => return Ok(Err(e)),
            };
            if approved(tx, &pending.stage, now)? {
                return Ok(Err(BrokerError::WrongStage(APPROVED)));
            }
            if let Some(refused) = locked_out(tx, &pending.username, now)? {
                return Ok(refused);
            }
            withdraw_push(tx, &pending.stage, now, events)?;
            let step =
                begin_second_factor(tx, ticket, &pending, &device, now, number_matching, events)?;
            Ok(Ok(LoginStep::SecondFactor(step)))
        })
    }

    /// K2: where the push of this login stands. An approval is redeemed here, once, for
    /// the session (L4: unless the user was locked meanwhile); a denial, a wrong answer
    /// on the phone or an expiry is reported, each as itself (the login may "Send
    /// again").
    pub fn push_status(&self, ticket: &str) -> BrokerResult<PushWait> {
        self.transact(|tx, now, events| {
            let pending = match live_pending(tx, ticket, now)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let Stage::Push { push_id, .. } = &pending.stage else {
                return Ok(Err(BrokerError::WrongStage(NOT_PUSHING)));
            };
            let Some(push) = phone_store::push(tx, push_id)? else {
                return Ok(Err(BrokerError::NoPendingLogin));
            };
            match push.state.at(push.expires_at, now) {
                PushState::Pending => Ok(Ok(PushWait::Pending {
                    expires_in_seconds: seconds_left(push.expires_at, now),
                })),
                PushState::Approved => {
                    let user = store::find_user(tx, &pending.username)?;
                    let device = store::find_device(tx, &push.device_id)?.filter(usable);
                    let (Some(user), Some(device)) = (user, device) else {
                        return Ok(Err(BrokerError::LoginFailed));
                    };
                    // Redeemed once, whatever comes of it: a session, or L4's refusal.
                    phone_store::set_push_state(tx, &push.id, PushState::Completed, now)?;
                    store::delete_pending(tx, &token_hash(ticket))?;
                    let opened = open_session(
                        tx,
                        &self.sessions,
                        &user,
                        Some(&device),
                        pending.channel,
                        now,
                    )?;
                    Ok(opened.map(PushWait::Authenticated))
                }
                PushState::Denied => Ok(Err(BrokerError::PushDenied)),
                PushState::Failed(why) => Ok(Err(BrokerError::PushFailed(why))),
                PushState::Expired => {
                    if push.state == PushState::Pending {
                        // K6: recorded the first time anyone looks after the 180 s.
                        phone_store::set_push_state(tx, &push.id, PushState::Expired, now)?;
                        store::audit(
                            tx,
                            now,
                            Some(&pending.username),
                            "push_expired",
                            &format!("push {}", push.id),
                        )?;
                        events.push(BrokerEvent::PushWithdrawn {
                            phone_id: push.phone_id,
                            push_id: push.id,
                        });
                    }
                    Ok(Err(BrokerError::PushExpired))
                }
                PushState::Withdrawn | PushState::Completed => Ok(Err(BrokerError::NoPendingLogin)),
            }
        })
    }

    /// The typed second factor: a device's response to a challenge (C2–C4, K3) or the
    /// SMS code (D3). Right: a session. Wrong: "Login failed", a failed attempt (L4,
    /// L6), and the ticket is spent (C4).
    pub fn login_response(&self, ticket: &str, response: &str) -> BrokerResult<NewSession> {
        if ticket.is_empty() {
            return Err(BrokerError::MissingField("ticket"));
        }
        self.transact(|tx, now, _| {
            let hash = token_hash(ticket);
            let pending = match live_pending(tx, ticket, now)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let (device_id, check) = match &pending.stage {
                Stage::Challenge {
                    device_id,
                    challenge,
                } => {
                    let Some(device) = store::find_device(tx, device_id)? else {
                        return Ok(Err(BrokerError::LoginFailed));
                    };
                    let expected = expected_response(&device, challenge)?;
                    (
                        device_id.clone(),
                        check_response(&expected, response, pending.issued_at, now),
                    )
                }
                Stage::Sms {
                    device_id,
                    code_hash,
                } => {
                    // D3: only the code's hash is stored; compared as hashes.
                    let typed = token_hash(response);
                    let check =
                        check_within(code_hash, &typed, pending.issued_at, now, SMS_CODE_LIFETIME);
                    (device_id.clone(), check)
                }
                Stage::SelectDevice | Stage::Push { .. } => {
                    return Ok(Err(BrokerError::WrongStage(WrongStage::NotTyped)));
                }
            };
            // C4: whatever the outcome, this challenge or code answers once.
            store::delete_pending(tx, &hash)?;
            if let Some(refused) = locked_out(tx, &pending.username, now)? {
                return Ok(refused);
            }
            let device = store::find_device(tx, &device_id)?.filter(usable);
            let user = store::find_user(tx, &pending.username)?;
            let (Some(device), Some(user)) = (device, user) else {
                return Ok(Err(BrokerError::LoginFailed));
            };
            match check {
                ResponseCheck::Correct => open_session(
                    tx,
                    &self.sessions,
                    &user,
                    Some(&device),
                    pending.channel,
                    now,
                ),
                ResponseCheck::Wrong => {
                    // L4 (decision): a wrong second factor is a failed attempt.
                    record_failure(tx, &user.username, now, "login_failed")?;
                    Ok(Err(BrokerError::LoginFailed))
                }
                ResponseCheck::Expired => {
                    store::audit(
                        tx,
                        now,
                        Some(&user.username),
                        "challenge_expired",
                        "answered after the code expired",
                    )?;
                    Ok(Err(BrokerError::ChallengeExpired))
                }
            }
        })
    }

    /// The user pressed Cancel: the ticket ends, a push is withdrawn.
    pub fn cancel_login(&self, ticket: &str) -> BrokerResult<()> {
        self.transact(|tx, now, events| {
            let hash = token_hash(ticket);
            let Some(pending) = store::pending(tx, &hash)? else {
                return Ok(Err(BrokerError::NoPendingLogin));
            };
            withdraw_push(tx, &pending.stage, now, events)?;
            store::delete_pending(tx, &hash)?;
            store::audit(tx, now, Some(&pending.username), "login_cancelled", "")?;
            Ok(Ok(()))
        })
    }
}

/// The pending login for `ticket`, if it is still within its lifetime.
fn live_pending(
    tx: &Transaction<'_>,
    ticket: &str,
    now: Timestamp,
) -> StoreResult<BrokerResult<PendingLogin>> {
    let hash = token_hash(ticket);
    let Some(pending) = store::pending(tx, &hash)? else {
        return Ok(Err(BrokerError::NoPendingLogin));
    };
    if now >= pending.created_at.plus(LOGIN_TICKET_LIFETIME) {
        store::delete_pending(tx, &hash)?;
        return Ok(Err(BrokerError::LoginExpired));
    }
    Ok(Ok(pending))
}

const NOT_PUSHING: WrongStage = WrongStage::NotPushing;
const APPROVED: WrongStage = WrongStage::PushApproved;

/// K2: once the phone approved, the login proceeds: no fallback, resend or other
/// device takes the approval's place. Read in the caller's transaction, so a racing
/// approval is either seen here or finds its push withdrawn.
fn approved(tx: &Transaction<'_>, stage: &Stage, now: Timestamp) -> StoreResult<bool> {
    let Stage::Push { push_id, .. } = stage else {
        return Ok(false);
    };
    Ok(phone_store::push(tx, push_id)?
        .is_some_and(|p| p.state.at(p.expires_at, now) == PushState::Approved))
}

/// The pending login for `ticket` while a push is out, with its IB Key.
fn pushing(
    tx: &Transaction<'_>,
    ticket: &str,
    now: Timestamp,
) -> StoreResult<BrokerResult<(PendingLogin, DeviceRow)>> {
    let pending = match live_pending(tx, ticket, now)? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let Stage::Push { device_id, .. } = &pending.stage else {
        return Ok(Err(BrokerError::WrongStage(NOT_PUSHING)));
    };
    let Some(device) = store::find_device(tx, device_id)?.filter(usable) else {
        return Ok(Err(BrokerError::LoginFailed));
    };
    Ok(Ok((pending, device)))
}

/// K3/K6: a push that was still pending is withdrawn (the phone drops it).
fn withdraw_push(
    tx: &Transaction<'_>,
    stage: &Stage,
    now: Timestamp,
    events: &mut Events,
) -> StoreResult<()> {
    let Stage::Push { push_id, .. } = stage else {
        return Ok(());
    };
    if let Some(push) = phone_store::push(tx, push_id)? {
        if push.state.at(push.expires_at, now) == PushState::Pending {
            phone_store::set_push_state(tx, &push.id, PushState::Withdrawn, now)?;
            events.push(BrokerEvent::PushWithdrawn {
                phone_id: push.phone_id,
                push_id: push.id,
            });
        }
    }
    events.push(BrokerEvent::LoginChanged);
    Ok(())
}

/// The value the device shows for `challenge` (DSC+ and IB Key compute the same suite).
fn expected_response(device: &DeviceRow, challenge: &str) -> StoreResult<String> {
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

pub(super) fn phone_expected_response(device: &DeviceRow, challenge: &str) -> StoreResult<String> {
    expected_response(device, challenge)
}

fn issue_challenge(
    tx: &Transaction<'_>,
    ticket: &str,
    device: &DeviceRow,
    now: Timestamp,
) -> StoreResult<SecondFactor> {
    let challenge = ChallengeCode::generate(&mut rand::thread_rng());
    let stage = Stage::Challenge {
        device_id: device.id.clone(),
        challenge: challenge.as_str().to_owned(),
    };
    store::set_stage(tx, &token_hash(ticket), &stage, now)?;
    let owner = device.owner.as_str();
    store::audit(
        tx,
        now,
        Some(owner),
        "challenge_issued",
        &format!("device {}", device.id),
    )?;
    let expires = now.plus(CHALLENGE_LIFETIME);
    Ok(SecondFactor::new(
        ticket,
        device,
        Method::Challenge {
            challenge: challenge.as_str().to_owned(),
        },
        expires,
        now,
    ))
}

/// Starts the second factor `device` calls for.
fn begin_second_factor(
    tx: &Transaction<'_>,
    ticket: &str,
    pending: &PendingLogin,
    device: &DeviceRow,
    now: Timestamp,
    number_matching: bool,
    events: &mut Events,
) -> StoreResult<SecondFactor> {
    let hash = token_hash(ticket);
    let username = pending.username.as_str();
    match device.kind.as_str() {
        "ib_key" => {
            let Some(phone_id) = device.phone_id.clone() else {
                return Err(StoreError::Corrupt(format!(
                    "IB Key {} has no phone",
                    device.id
                )));
            };
            let mut rng = rand::thread_rng();
            let matching = number_matching.then(|| NumberMatch::generate(&mut rng));
            let delivery = match phone_store::fault_for(tx, &device.id)? {
                None => Delivery::Now,
                Some(f) => match f.mode.as_str() {
                    "drop" => Delivery::Dropped,
                    "delay" => Delivery::Delayed { ms: f.delay_ms },
                    "offline" => Delivery::Held,
                    _ => Delivery::Now,
                },
            };
            let push = PushRow {
                id: format!("push-{}", random_hex(12)),
                ticket_hash: hash.clone(),
                username: username.to_owned(),
                device_id: device.id.clone(),
                phone_id,
                challenge: ChallengeCode::generate(&mut rng).as_str().to_owned(),
                number_shown: matching.map(|m| m.shown),
                number_choices: matching.map(|m| m.choices.to_vec()),
                issued_at: now,
                expires_at: now.plus(PUSH_LIFETIME),
                state: PushState::Pending,
                delivery: delivery.as_str().to_owned(),
            };
            phone_store::insert_push(tx, &push)?;
            store::set_stage(
                tx,
                &hash,
                &Stage::Push {
                    device_id: device.id.clone(),
                    push_id: push.id.clone(),
                },
                now,
            )?;
            store::audit(
                tx,
                now,
                Some(username),
                "push_sent",
                &format!(
                    "push {} to device {} ({})",
                    push.id,
                    device.id,
                    delivery.as_str()
                ),
            )?;
            events.push(BrokerEvent::PushCreated {
                push: super::phone::notice(&push, now),
                delivery,
            });
            Ok(SecondFactor::new(
                ticket,
                device,
                Method::Push {
                    number_match: push.number_shown,
                },
                push.expires_at,
                now,
            ))
        }
        "sms" => {
            let number = device.phone_number.clone().unwrap_or_default();
            let code = numeric_code(&mut rand::thread_rng(), 6);
            phone_store::send_sms(
                tx,
                now,
                &number,
                &format!("Portcullis login code: {code}. It expires in 5 minutes."),
            )?;
            store::set_stage(
                tx,
                &hash,
                &Stage::Sms {
                    device_id: device.id.clone(),
                    code_hash: token_hash(&code),
                },
                now,
            )?;
            store::audit(
                tx,
                now,
                Some(username),
                "sms_code_sent",
                &format!("device {}", device.id),
            )?;
            let expires = now.plus(SMS_CODE_LIFETIME);
            Ok(SecondFactor::new(
                ticket,
                device,
                Method::Sms {
                    masked_number: mask_phone_number(&number),
                },
                expires,
                now,
            ))
        }
        _ => issue_challenge(tx, ticket, device, now),
    }
}
