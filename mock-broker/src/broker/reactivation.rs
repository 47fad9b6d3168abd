//! Case 10 of the troubleshooting article: "log into Client Portal and select the
//! reactivate security device menu option". The user names a permanent device that is
//! set aside (inactive) or on its way (a shipped replacement); the device proves it is
//! in their hands by answering what it is asked — a challenge (DSC+, the legacy tokens)
//! or two index numbers (a Security Code Card) — once, within 5 minutes; then it serves
//! again and temporary access ends at once (T4).
//!
//! Only a portal session with full access may do this: past day 2 a temporary passcode
//! opens the portal solely for the online card (T2). A wrong answer is a failed attempt
//! (L4), as any wrong second factor is.

use super::access::{reactivation, restriction, serve_again};
use super::{factor, locked_out, record_failure, token_hash, Broker, BrokerResult, Codes, Method};
use crate::error::BrokerError;
use crate::rules::card::{indexes_stored, pick_indexes};
use crate::rules::challenge::ResponseCheck;
use crate::rules::sharing::SharingState;
use crate::rules::{ChallengeCode, Timestamp, CHALLENGE_LIFETIME};
use crate::store::sharing as sharing_store;
use crate::store::{self, DeviceRow, Reactivation};
use portcullis_api::{Channel, DeviceInfo, DeviceStatus, ReactivationAsk, SecondFactorMethod};
use rusqlite::Transaction;

const PORTAL_ONLY: &str = "Devices are reactivated in the Client Portal.";
const SET_ASIDE: &str = "This device is kept inactive while you share another user's \
     device. Cancel the sharing in the Secure Login settings to use it again.";
const ONLINE_CARD_ONLY: &str = "With a temporary passcode past its second day, the Client \
     Portal only gives the online security code card. Log in with the online card to \
     reactivate your device, or call Client Services.";

impl Broker {
    /// Case 10: asks `device_id` to prove it is in the user's hands.
    pub fn reactivation_ask(&self, token: &str, device_id: &str) -> BrokerResult<ReactivationAsk> {
        self.transact(|tx, now, _| {
            let username = self.full_portal_session(tx, token, now)?;
            let device = own_device(tx, &username, device_id)?;
            // The lifecycle says now whether this device may serve again.
            reactivation(&device)?;
            not_set_aside(tx, &device)?;
            let (asked, method) = ask(&self.codes, &device)?;
            store::put_reactivation(
                tx,
                &username,
                &Reactivation {
                    device_id: device.id.clone(),
                    asked,
                    issued_at: now,
                },
            )?;
            store::audit(
                tx,
                now,
                Some(&username),
                "reactivation_asked",
                &format!("device {}", device.id),
            )?;
            let expires = now.plus(CHALLENGE_LIFETIME);
            Ok(ReactivationAsk {
                device_id: device.id,
                device_kind: device.kind,
                method,
                expires_at: expires.rfc3339(),
                expires_in_seconds: factor::seconds_left(expires, now),
            })
        })
    }

    /// Case 10, T4: the device's answer; right, it serves again and temporary access
    /// (this session too, if it came through it) ends.
    pub fn reactivation_confirm(&self, token: &str, response: &str) -> BrokerResult<DeviceInfo> {
        if response.is_empty() {
            return Err(BrokerError::MissingField("response"));
        }
        self.transact(|tx, now, _| {
            let username = self.full_portal_session(tx, token, now)?;
            // Whatever the outcome, the question answers once.
            let Some(pending) = store::take_reactivation(tx, &username)? else {
                return Err(BrokerError::NoPendingLogin);
            };
            locked_out(tx, &username, now)?;
            let device = own_device(tx, &username, &pending.device_id)?;
            // A replacement may have activated itself since it was asked (T5): then
            // there is nothing left to do, and the answer is not wasted on a refusal.
            if device.status == DeviceStatus::Active {
                return Ok(super::access::device_info(device));
            }
            reactivation(&device)?;
            not_set_aside(tx, &device)?;
            match check(&device, &pending, response, now)? {
                ResponseCheck::Correct => {}
                ResponseCheck::Expired => return Err(BrokerError::ChallengeExpired),
                ResponseCheck::Wrong => {
                    record_failure(tx, &username, now, "reactivation_failed")?;
                    return Err(BrokerError::LoginFailed);
                }
            }
            let device = serve_again(tx, device, now, "the user on the Client Portal")?;
            Ok(super::access::device_info(device))
        })
    }

    /// The user of a live portal session that is not limited to the online card.
    fn full_portal_session(
        &self,
        tx: &Transaction<'_>,
        token: &str,
        now: Timestamp,
    ) -> BrokerResult<String> {
        let session = self.live_session(tx, &token_hash(token), now)?;
        if session.channel != Channel::Portal {
            return Err(BrokerError::NotPermitted(PORTAL_ONLY));
        }
        let device = store::session_device(tx, &session)?;
        if restriction(device.as_ref(), session.channel, now).is_some() {
            return Err(BrokerError::NotPermitted(ONLINE_CARD_ONLY));
        }
        Ok(session.username)
    }
}

/// S6: a device set aside by a sharing in force stays inactive until that sharing is
/// cancelled; reactivating it (case 10, by the user or an operator) is refused.
pub(super) fn not_set_aside(tx: &Transaction<'_>, device: &DeviceRow) -> BrokerResult<()> {
    let held = sharing_store::of_user(tx, &device.owner)?
        .into_iter()
        .any(|s| {
            s.state == SharingState::Approved
                && s.requester == device.owner
                && s.set_aside.contains(&device.id)
        });
    if held {
        return Err(BrokerError::NotPermitted(SET_ASIDE));
    }
    Ok(())
}

/// `username`'s device `device_id`; another user's is as unknown as a missing one.
pub(super) fn own_device(
    tx: &Transaction<'_>,
    username: &str,
    device_id: &str,
) -> BrokerResult<DeviceRow> {
    store::find_device(tx, device_id)?
        .filter(|d| d.owner == username && !d.kind.is_temporary())
        .ok_or_else(|| BrokerError::NotFound(format!("device {device_id}")))
}

/// What `device` is asked, stored and shown (case 10; S3's security element too).
pub(super) fn ask(codes: &Codes, device: &DeviceRow) -> BrokerResult<(String, Method)> {
    match device.kind.method() {
        SecondFactorMethod::Challenge => {
            let challenge = ChallengeCode::generate(&mut codes.rng());
            let shown = challenge.as_str().to_owned();
            Ok((shown.clone(), Method::Challenge { challenge: shown }))
        }
        SecondFactorMethod::IndexCard => {
            let indexes = pick_indexes(&mut codes.rng());
            Ok((
                indexes_stored(indexes),
                Method::IndexCard {
                    indexes: indexes.to_vec(),
                },
            ))
        }
        // IB Key comes back by activating it on the phone (K1); SMS is not a device to
        // hold, and temporary kinds are never reactivated.
        SecondFactorMethod::Push => Err(BrokerError::BadRequest(
            "IB Key comes back by activating it again in the IB Key app on the phone.".into(),
        )),
        SecondFactorMethod::Sms | SecondFactorMethod::TemporaryPasscode => {
            Err(factor::not_served(device.kind))
        }
    }
}

/// The typed `response` to what `pending` asked, in constant time, within 5 minutes.
fn check(
    device: &DeviceRow,
    pending: &Reactivation,
    response: &str,
    now: Timestamp,
) -> BrokerResult<ResponseCheck> {
    check_answer(device, &pending.asked, pending.issued_at, response, now)
}

/// The typed `response` to what `device` was `asked` at `at`, in constant time, within
/// 5 minutes (case 10; S3's security element too).
pub(super) fn check_answer(
    device: &DeviceRow,
    asked: &str,
    at: Timestamp,
    response: &str,
    now: Timestamp,
) -> BrokerResult<ResponseCheck> {
    match device.kind.method() {
        SecondFactorMethod::Challenge => {
            Ok(factor::challenge::check(device, asked, response, at, now)?)
        }
        SecondFactorMethod::IndexCard => Ok(factor::card::check(device, asked, response, at, now)?),
        SecondFactorMethod::Push
        | SecondFactorMethod::Sms
        | SecondFactorMethod::TemporaryPasscode => Err(factor::not_served(device.kind)),
    }
}
