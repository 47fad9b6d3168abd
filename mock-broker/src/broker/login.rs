//! The desktop's login: password (L1–L5), the device choice (D6), and the second
//! factor — DSC+ challenge (C1–C4), IB Key push and its fallback (K2, K3, K6), SMS code
//! (D3) — each step linked to the last by the login's ticket. How each factor is
//! issued and checked is in `factor/`; this module only moves the login along.

use super::access;
use super::factor::{self, card, challenge, passcode, push, seconds_left, sms};
use super::{
    locked_out, open_session, random_hex, record_failure, token_hash, usable, Broker, BrokerEvent,
    BrokerResult, NewSession,
};
use crate::error::{BrokerError, WrongStage};
use crate::rules::ibkey::{PushState, LOGIN_TICKET_LIFETIME};
use crate::rules::{ResponseCheck, Timestamp};
use crate::store::ibkey as phone_store;
use crate::store::{self, DeviceRow, PendingLogin, Stage};
use portcullis_api::{Channel, DeviceChoice, DeviceOption, LoginStep, PushWait};
use rusqlite::Transaction;

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
        self.transact(|tx, now, events| {
            let number_matching = self.number_matching(tx)?;
            // Issue 11: each password step clears a batch of forgotten logins.
            super::sweep::sweep(tx, now)?;
            let user = Broker::password_gate(tx, now, &name, password_ok)?;
            access::settle(tx, &user.username, now)?;
            if channel == Channel::Trading && store::account::user_opted_out(tx, &user.username)? {
                // O1: opted out, a trading login is the password alone (the portal
                // still asks for the device, D5).
                let opened = open_session(tx, &self.sessions, &user, None, channel, now)?;
                return Ok(LoginStep::Authenticated(opened));
            }
            // Last used first (D6's default); S3: with the devices shared with the user.
            let all = super::sharing::devices_in_hand(tx, &user.username)?;
            let serving: Vec<DeviceRow> = all.iter().filter(|d| usable(d)).cloned().collect();
            // T2: a passcode past its day 2 is no choice on trading while another
            // device serves; alone, it stays, and its refusal says to use the portal.
            let open: Vec<DeviceRow> = serving
                .iter()
                .filter(|d| access::opens(d, channel, now))
                .cloned()
                .collect();
            let devices = if open.is_empty() { serving } else { open };
            let chosen = match device_id {
                Some(id) => Some(find_usable(&devices, id)?),
                None if devices.len() == 1 => devices.first(),
                None => None,
            };
            if devices.is_empty() {
                // D5: devices that all stopped serving are no way around the second
                // factor (T2, T3: temporary access over); R4: returned ones are.
                if let Some(refusal) = access::refusal_without_device(&all) {
                    store::audit(
                        tx,
                        now,
                        Some(&user.username),
                        "no_active_device",
                        refusal.code(),
                    )?;
                    return Err(refusal);
                }
                let opened = open_session(tx, &self.sessions, &user, None, channel, now)?;
                return Ok(LoginStep::Authenticated(opened));
            }

            // C4: a new attempt voids whatever the user still had open.
            push::withdraw_all_of(tx, &user.username, now, events)?;
            store::drop_pending_of(tx, &user.username)?;
            let ticket = random_hex(24);
            let pending = PendingLogin {
                username: user.username.clone(),
                created_at: now,
                stage: Stage::SelectDevice,
                issued_at: now,
                channel,
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
                return Ok(LoginStep::SelectDevice(device_choice(ticket, &devices)));
            };
            let step = factor::begin(
                tx,
                &self.codes,
                &ticket,
                &user.username,
                device,
                now,
                number_matching,
                channel,
                events,
            )?;
            Ok(LoginStep::SecondFactor(step))
        })
    }

    /// D6: the user picked a device (or switched to another one mid-login).
    pub fn choose_device(&self, ticket: &str, device_id: &str) -> BrokerResult<LoginStep> {
        self.transact(|tx, now, events| {
            let number_matching = self.number_matching(tx)?;
            let pending = live_pending(tx, ticket, now)?;
            not_approved(tx, &pending.stage, now)?;
            locked_out(tx, &pending.username, now)?;
            access::settle(tx, &pending.username, now)?;
            let devices = super::sharing::devices_in_hand(tx, &pending.username)?;
            let device = find_usable(&devices, device_id)?;
            push::withdraw(tx, &pending.stage, now, events)?;
            let step = factor::begin(
                tx,
                &self.codes,
                ticket,
                &pending.username,
                device,
                now,
                number_matching,
                pending.channel,
                events,
            )?;
            Ok(LoginStep::SecondFactor(step))
        })
    }

    /// K3: "Click here if you do not receive the notification": the push is withdrawn
    /// and a challenge code is issued for the phone's Authenticate screen.
    pub fn push_fallback(&self, ticket: &str) -> BrokerResult<LoginStep> {
        self.transact(|tx, now, events| {
            let (pending, device) = pushing(tx, ticket, now)?;
            not_approved(tx, &pending.stage, now)?;
            push::withdraw(tx, &pending.stage, now, events)?;
            let detail = format!("device {}", device.id);
            store::audit(tx, now, Some(&pending.username), "push_fallback", &detail)?;
            let step = challenge::issue(tx, &self.codes, ticket, &device, now)?;
            Ok(LoginStep::SecondFactor(step))
        })
    }

    /// "Send again": a new push for the same login, after the last expired or was denied.
    pub fn push_resend(&self, ticket: &str) -> BrokerResult<LoginStep> {
        self.transact(|tx, now, events| {
            let number_matching = self.number_matching(tx)?;
            let (pending, device) = pushing(tx, ticket, now)?;
            not_approved(tx, &pending.stage, now)?;
            locked_out(tx, &pending.username, now)?;
            push::withdraw(tx, &pending.stage, now, events)?;
            let step = factor::begin(
                tx,
                &self.codes,
                ticket,
                &pending.username,
                &device,
                now,
                number_matching,
                pending.channel,
                events,
            )?;
            Ok(LoginStep::SecondFactor(step))
        })
    }

    /// K2: where the push of this login stands. An approval is redeemed here, once, for
    /// the session (L4: unless the user was locked meanwhile); a denial, a wrong answer
    /// on the phone or an expiry is reported, each as itself (the login may "Send
    /// again").
    pub fn push_status(&self, ticket: &str) -> BrokerResult<PushStanding> {
        self.transact(|tx, now, events| {
            let pending = live_pending(tx, ticket, now)?;
            let Stage::Push { push_id, .. } = &pending.stage else {
                return Err(BrokerError::WrongStage(NOT_PUSHING));
            };
            let Some(push) = phone_store::push(tx, push_id, now)? else {
                return Err(BrokerError::NoPendingLogin);
            };
            match push.state.at(push.expires_at, now) {
                PushState::Pending => {
                    // The push's expiry is within its login's; the earlier one all the same.
                    let expires_at = push
                        .expires_at
                        .min(pending.created_at.plus(LOGIN_TICKET_LIFETIME));
                    Ok(PushStanding {
                        answer: PushWait::Pending {
                            expires_in_seconds: seconds_left(push.expires_at, now),
                        },
                        expires_at: Some(expires_at),
                    })
                }
                PushState::Approved => {
                    let user = store::find_user(tx, &pending.username)?;
                    let device = store::find_device(tx, &push.device_id)?.filter(usable);
                    let (Some(user), Some(device)) = (user, device) else {
                        return Err(BrokerError::LoginFailed);
                    };
                    // Redeemed once, whatever comes of it: a session, or L4's refusal.
                    phone_store::set_push_state(tx, &push.id, PushState::Completed, now)?;
                    store::delete_pending(tx, &token_hash(ticket))?;
                    // Another desktop waiting on the same login hears it is over.
                    events.login_moved(token_hash(ticket));
                    let opened = open_session(
                        tx,
                        &self.sessions,
                        &user,
                        Some(&device),
                        pending.channel,
                        now,
                    )?;
                    Ok(PushStanding {
                        answer: PushWait::Authenticated(opened),
                        expires_at: None,
                    })
                }
                PushState::Denied => Err(BrokerError::PushDenied),
                PushState::Failed(why) => Err(BrokerError::PushFailed(why)),
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
                    Err(BrokerError::PushExpired)
                }
                PushState::Withdrawn | PushState::Completed => Err(BrokerError::NoPendingLogin),
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
            let pending = live_pending(tx, ticket, now)?;
            // T4/T5: a void or expired temporary device ends this login here.
            access::settle(tx, &pending.username, now)?;
            let Some(pending) = store::pending(tx, &token_hash(ticket), now)? else {
                return Err(BrokerError::NoPendingLogin);
            };
            let (device_id, check) = match &pending.stage {
                Stage::Challenge {
                    device_id,
                    challenge,
                } => {
                    let Some(device) = store::find_device(tx, device_id)? else {
                        return Err(BrokerError::LoginFailed);
                    };
                    let check =
                        challenge::check(&device, challenge, response, pending.issued_at, now)?;
                    (device_id.clone(), check)
                }
                Stage::Sms {
                    device_id,
                    code_hash,
                } => (
                    device_id.clone(),
                    sms::check(code_hash, response, pending.issued_at, now),
                ),
                Stage::IndexCard { device_id, indexes } => {
                    let Some(device) = store::find_device(tx, device_id)? else {
                        return Err(BrokerError::LoginFailed);
                    };
                    let check = card::check(&device, indexes, response, pending.issued_at, now)?;
                    (device_id.clone(), check)
                }
                Stage::TemporaryPasscode { device_id } => {
                    let Some(device) = store::find_device(tx, device_id)? else {
                        return Err(BrokerError::LoginFailed);
                    };
                    // T2: the day-2 boundary may pass while the passcode is typed.
                    if let Err(refused) = passcode::admit(tx, &device, pending.channel, now) {
                        store::delete_pending(tx, &token_hash(ticket))?;
                        return Err(refused);
                    }
                    let check = passcode::check(&device, response, pending.issued_at, now);
                    (device_id.clone(), check)
                }
                Stage::SelectDevice | Stage::Push { .. } => {
                    return Err(BrokerError::WrongStage(WrongStage::NotTyped));
                }
            };
            // C4: whatever the outcome, this challenge or code answers once.
            store::delete_pending(tx, &token_hash(ticket))?;
            locked_out(tx, &pending.username, now)?;
            let device = store::find_device(tx, &device_id)?.filter(usable);
            let user = store::find_user(tx, &pending.username)?;
            let (Some(device), Some(user)) = (device, user) else {
                return Err(BrokerError::LoginFailed);
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
                    Err(BrokerError::LoginFailed)
                }
                ResponseCheck::Expired => {
                    store::audit(
                        tx,
                        now,
                        Some(&user.username),
                        "challenge_expired",
                        "answered after the code expired",
                    )?;
                    Err(BrokerError::ChallengeExpired)
                }
            }
        })
    }

    /// The user pressed Cancel: the ticket ends, a push is withdrawn.
    pub fn cancel_login(&self, ticket: &str) -> BrokerResult<()> {
        self.transact(|tx, now, events| {
            let hash = token_hash(ticket);
            let Some(pending) = store::pending(tx, &hash, now)? else {
                return Err(BrokerError::NoPendingLogin);
            };
            push::withdraw(tx, &pending.stage, now, events)?;
            store::delete_pending(tx, &hash)?;
            store::audit(tx, now, Some(&pending.username), "login_cancelled", "")?;
            Ok(())
        })
    }
}

/// K2: where a login's push stands, for a desktop waiting on it.
#[derive(Debug)]
pub struct PushStanding {
    pub answer: PushWait,
    /// While the push is pending: when it expires if no one answers (on the broker's
    /// clock). Until then only a wake from [`super::Waiters`] can change the answer.
    pub expires_at: Option<Timestamp>,
}

/// D6: the choice offered, the last used device first and the default.
fn device_choice(ticket: String, devices: &[DeviceRow]) -> DeviceChoice {
    DeviceChoice {
        ticket,
        devices: devices
            .iter()
            .map(|d| DeviceOption {
                id: d.id.clone(),
                kind: d.kind,
            })
            .collect(),
        default_device_id: devices.first().map(|d| d.id.clone()).unwrap_or_default(),
    }
}

/// The usable device `id` among the user's `devices`.
fn find_usable<'a>(devices: &'a [DeviceRow], id: &str) -> BrokerResult<&'a DeviceRow> {
    devices
        .iter()
        .filter(|d| usable(d))
        .find(|d| d.id == id)
        .ok_or_else(|| {
            BrokerError::BadRequest(format!("{id} is not an active device of this user."))
        })
}

/// The pending login for `ticket`, if it is still within its lifetime.
fn live_pending(tx: &Transaction<'_>, ticket: &str, now: Timestamp) -> BrokerResult<PendingLogin> {
    let hash = token_hash(ticket);
    let Some(pending) = store::pending(tx, &hash, now)? else {
        return Err(BrokerError::NoPendingLogin);
    };
    if now >= pending.created_at.plus(LOGIN_TICKET_LIFETIME) {
        store::delete_pending(tx, &hash)?;
        return Err(BrokerError::LoginExpired);
    }
    Ok(pending)
}

const NOT_PUSHING: WrongStage = WrongStage::NotPushing;
const APPROVED: WrongStage = WrongStage::PushApproved;

/// K2: an approved login goes on by itself; nothing else may take the approval's place.
fn not_approved(tx: &Transaction<'_>, stage: &Stage, now: Timestamp) -> BrokerResult<()> {
    if push::approved(tx, stage, now)? {
        return Err(BrokerError::WrongStage(APPROVED));
    }
    Ok(())
}

/// The pending login for `ticket` while a push is out, with its IB Key.
fn pushing(
    tx: &Transaction<'_>,
    ticket: &str,
    now: Timestamp,
) -> BrokerResult<(PendingLogin, DeviceRow)> {
    let pending = live_pending(tx, ticket, now)?;
    let Stage::Push { device_id, .. } = &pending.stage else {
        return Err(BrokerError::WrongStage(NOT_PUSHING));
    };
    let Some(device) = store::find_device(tx, device_id)?.filter(usable) else {
        return Err(BrokerError::LoginFailed);
    };
    Ok((pending, device))
}
