//! K2, K4, K6: IB Key's push. A notification goes to the phone that holds the device;
//! the login waits for the phone's answer. What the phone is told of a push
//! ([`notice`]) and which devices a phone answers for ([`held_by`]) live here, shared
//! by the login and the phone.

use super::step;
use crate::broker::{
    random_hex, token_hash, BrokerEvent, BrokerResult, Clock, Codes, Delivery, Events, Method,
    PhonePush, SecondFactor,
};
use crate::rules::ibkey::{NumberMatch, PushState, PUSH_LIFETIME};
use crate::rules::{ChallengeCode, Timestamp};
use crate::store::ibkey::{self as phone_store, PushRow};
use crate::store::{self, DeviceRow, Stage, StoreError, StoreResult};
use portcullis_api::{DeviceKind, DeviceStatus};
use rusqlite::Transaction;

/// K2: a push to the phone holding `device`, the login's stage from now; K4: sent as
/// the device's fault says.
#[allow(clippy::too_many_arguments)]
pub(in crate::broker) fn send(
    tx: &Transaction<'_>,
    codes: &Codes,
    ticket: &str,
    username: &str,
    device: &DeviceRow,
    now: Timestamp,
    number_matching: bool,
    events: &mut Events,
) -> BrokerResult<SecondFactor> {
    let Some(phone_id) = device.phone_id.clone() else {
        return Err(StoreError::Corrupt(format!("IB Key {} has no phone", device.id)).into());
    };
    // Issue 11: each push sent clears a batch of forgotten ones ("Send again" makes
    // pushes without a password step).
    crate::broker::sweep::sweep(tx, now)?;
    let hash = token_hash(ticket);
    let matching = number_matching.then(|| NumberMatch::generate(&mut codes.rng()));
    let delivery = Delivery::under(phone_store::fault_for(tx, &device.id)?.as_ref());
    let push = PushRow {
        id: format!("push-{}", random_hex(12)),
        ticket_hash: hash.clone(),
        username: username.to_owned(),
        device_id: device.id.clone(),
        phone_id,
        challenge: ChallengeCode::generate(&mut codes.rng())
            .as_str()
            .to_owned(),
        number_shown: matching.map(|m| m.shown),
        number_choices: matching.map(|m| m.choices.to_vec()),
        issued_at: now,
        // K6's 180 s, within the login's ticket.
        expires_at: super::expiry(tx, ticket, now, PUSH_LIFETIME)?,
        state: PushState::Pending,
        delivery: delivery.recorded(),
    };
    phone_store::insert_push(tx, &push)?;
    let stage = Stage::Push {
        device_id: device.id.clone(),
        push_id: push.id.clone(),
    };
    store::set_stage(tx, &hash, &stage, now)?;
    store::audit(
        tx,
        now,
        Some(username),
        "push_sent",
        &format!(
            "push {} to device {} ({})",
            push.id,
            device.id,
            delivery.recorded().as_str()
        ),
    )?;
    events.push(BrokerEvent::PushCreated {
        push: notice(&push, now),
        delivery,
    });
    Ok(step(
        ticket,
        device,
        Method::Push {
            number_match: push.number_shown,
        },
        push.expires_at,
        now,
    ))
}

/// What the phone is told of `push`.
pub(in crate::broker) fn notice(push: &PushRow, now: Timestamp) -> PhonePush {
    PhonePush {
        push_id: push.id.clone(),
        phone_id: push.phone_id.clone(),
        username: push.username.clone(),
        device_id: push.device_id.clone(),
        challenge: push.challenge.clone(),
        number_choices: push.number_choices.clone(),
        expires_at: push.expires_at.rfc3339(),
        expires_in_seconds: super::seconds_left(push.expires_at, now),
        sent_unix_ms: Clock::real_now().0,
    }
}

/// K5: `device` is an IB Key in service on the phone `phone_id`, so that phone answers
/// its pushes and grants its trading access.
pub(in crate::broker) fn held_by(device: &DeviceRow, phone_id: &str) -> bool {
    device.kind == DeviceKind::IbKey
        && device.status == DeviceStatus::Active
        && device.phone_id.as_deref() == Some(phone_id)
}

/// C4: a new login voids the user's pushes still waiting; their phones drop them, and
/// desktops waiting on them look again. (The store marks them withdrawn with the user's
/// other pending logins.)
pub(in crate::broker) fn withdraw_all_of(
    tx: &Transaction<'_>,
    username: &str,
    now: Timestamp,
    events: &mut Events,
) -> StoreResult<()> {
    for push in phone_store::pending_pushes_of_user(tx, username)? {
        events.login_moved(push.ticket_hash.clone());
        if push.state.at(push.expires_at, now) == PushState::Pending {
            events.push(BrokerEvent::PushWithdrawn {
                phone_id: push.phone_id,
                push_id: push.id,
            });
        }
    }
    Ok(())
}

/// K3/K6: the push of a login at `stage`, if it was still pending, is withdrawn (the
/// phone drops it); waiters look again either way.
pub(in crate::broker) fn withdraw(
    tx: &Transaction<'_>,
    stage: &Stage,
    now: Timestamp,
    events: &mut Events,
) -> StoreResult<()> {
    let Stage::Push { push_id, .. } = stage else {
        return Ok(());
    };
    if let Some(push) = phone_store::push(tx, push_id, now)? {
        events.login_moved(push.ticket_hash.clone());
        if push.state.at(push.expires_at, now) == PushState::Pending {
            phone_store::set_push_state(tx, &push.id, PushState::Withdrawn, now)?;
            events.push(BrokerEvent::PushWithdrawn {
                phone_id: push.phone_id,
                push_id: push.id,
            });
        }
    }
    Ok(())
}

/// K2: once the phone approved, the login proceeds: no fallback, resend or other
/// device takes the approval's place. Read in the caller's transaction, so a racing
/// approval is either seen here or finds its push withdrawn.
pub(in crate::broker) fn approved(
    tx: &Transaction<'_>,
    stage: &Stage,
    now: Timestamp,
) -> StoreResult<bool> {
    let Stage::Push { push_id, .. } = stage else {
        return Ok(false);
    };
    Ok(phone_store::push(tx, push_id, now)?
        .is_some_and(|p| p.state.at(p.expires_at, now) == PushState::Approved))
}
