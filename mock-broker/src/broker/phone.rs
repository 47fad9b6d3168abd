//! The phone's side of IB Key once activated (activation and Add user are in
//! `activation.rs`): the requests it receives, approving or denying them (K2, K6), and
//! trading access on the phone (K7).
//!
//! A phone proves who it is with the token it got at activation; an approval also
//! carries the OCRA response to the push's challenge, computed from the device's key
//! and PIN, so the broker checks possession rather than trusting a flag.

use super::factor::challenge::expected_response;
use super::factor::push::{held_by, notice};
use super::{record_failure, token_hash, Broker, BrokerResult};
use crate::error::BrokerError;
use crate::rules::challenge::responses_match;
use crate::rules::ibkey::{
    FaultMode, PushDelivery, PushFailure, PushState, UnlockMethod, LOGIN_TICKET_LIFETIME,
};
use crate::rules::Timestamp;
use crate::store::ibkey::{self as phone_store, PushRow};
use crate::store::{self, DeviceRow};
use portcullis_api::{PhoneAccess, PhonePush};
use rusqlite::Transaction;

impl Broker {
    /// The phone behind a token.
    pub(super) fn phone_of(
        &self,
        tx: &Transaction<'_>,
        phone_token: &str,
    ) -> crate::store::StoreResult<Option<String>> {
        Ok(phone_store::phone_by_token(tx, &token_hash(phone_token))?.map(|(id, _)| id))
    }

    /// The phone behind a token, which must name one.
    pub(super) fn known_phone(
        &self,
        tx: &Transaction<'_>,
        phone_token: &str,
    ) -> BrokerResult<String> {
        self.phone_of(tx, phone_token)?
            .ok_or(BrokerError::UnknownPhone)
    }

    /// The requests waiting on this phone (K4: not the dropped or held ones).
    pub fn phone_pushes(&self, phone_token: &str) -> BrokerResult<Vec<PhonePush>> {
        self.transact(|tx, now, _| {
            let phone_id = self.known_phone(tx, phone_token)?;
            let pushes = phone_store::pending_pushes_of_phone(tx, &phone_id)?
                .into_iter()
                .filter(|p| {
                    p.state.at(p.expires_at, now) == PushState::Pending
                        && p.delivery == PushDelivery::Sent
                })
                .map(|p| notice(&p, now))
                .collect();
            Ok(pushes)
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
            for push in phone_store::pushes_of(tx, None, now)? {
                let live = push.state.at(push.expires_at, now) == PushState::Pending;
                if !live || push.delivery != PushDelivery::Held {
                    continue;
                }
                let offline = phone_store::fault_for(tx, &push.device_id)?
                    .is_some_and(|f| f.mode == FaultMode::Offline);
                if !offline {
                    phone_store::set_push_delivery(tx, &push.id, PushDelivery::Sent)?;
                    released.push(notice(&push, now));
                }
            }
            Ok(released)
        })
    }

    /// K2/K6: the phone approves. The push must be this phone's, pending, and not
    /// expired; number matching must pick the shown number; the response must be the
    /// device's OCRA value for the push's challenge. Anything wrong fails the push (the
    /// desktop hears which) and counts as a failed attempt (L4). Answered once only.
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
            let (push, device) = self.answerable(tx, phone_token, push_id, now)?;
            // K7: biometrics grant the longer access, so only an IB Key set up with
            // them may claim them; one with biometrics may still be opened by its PIN.
            let security = device.security.unwrap_or(UnlockMethod::Pin);
            match (method, security) {
                (UnlockMethod::Biometric, UnlockMethod::Pin) => {
                    return Err(BrokerError::BadRequest(
                        "This IB Key unlocks with its PIN.".into(),
                    ));
                }
                (UnlockMethod::Pin, UnlockMethod::Pin | UnlockMethod::Biometric)
                | (UnlockMethod::Biometric, UnlockMethod::Biometric) => {}
            }
            let expected = expected_response(&device, &push.challenge)?;
            // The push's own lifetime (K6) was checked above; here only the value.
            let correct = responses_match(&expected, response);
            let number_ok = push.number_shown.is_none() || push.number_shown == picked;
            events.login_moved(push.ticket_hash.clone());
            let failure = match (number_ok, correct) {
                (true, true) => None,
                (false, _) => Some(PushFailure::NumberMismatch),
                (true, false) => Some(PushFailure::WrongResponse),
            };
            if let Some(why) = failure {
                // K6: the waiting desktop hears which (not "denied": the phone did not
                // say "I'm not logging in").
                phone_store::set_push_state(tx, &push.id, PushState::Failed(why), now)?;
                let (event, answer) = match why {
                    PushFailure::WrongResponse => ("push_bad_response", BrokerError::LoginFailed),
                    PushFailure::NumberMismatch => {
                        ("push_number_mismatch", BrokerError::NumberMismatch)
                    }
                };
                record_failure(tx, &push.username, now, event)?;
                return Err(answer);
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
            Ok(())
        })
    }

    /// K6: "I'm not logging in": Login failed, a failed attempt.
    pub fn deny_push(&self, phone_token: &str, push_id: &str) -> BrokerResult<()> {
        self.transact(|tx, now, events| {
            let (push, _device) = self.answerable(tx, phone_token, push_id, now)?;
            phone_store::set_push_state(tx, &push.id, PushState::Denied, now)?;
            record_failure(tx, &push.username, now, "push_denied")?;
            events.login_moved(push.ticket_hash);
            Ok(())
        })
    }

    /// A push this phone may answer now, with its device.
    fn answerable(
        &self,
        tx: &Transaction<'_>,
        phone_token: &str,
        push_id: &str,
        now: Timestamp,
    ) -> BrokerResult<(PushRow, DeviceRow)> {
        let phone_id = self.known_phone(tx, phone_token)?;
        // K6: bound to its login's phone: another phone's push is "not found" here.
        let Some(push) = phone_store::push(tx, push_id, now)?.filter(|p| p.phone_id == phone_id)
        else {
            return Err(BrokerError::NotFound(format!("push {push_id}")));
        };
        match push.state.at(push.expires_at, now) {
            PushState::Pending => {}
            PushState::Expired => return Err(BrokerError::PushExpired),
            PushState::Withdrawn => return Err(BrokerError::NoPendingLogin),
            PushState::Approved
            | PushState::Denied
            | PushState::Failed(_)
            | PushState::Completed => return Err(BrokerError::PushAnswered),
        }
        // A push lives no longer than its login (its expiry is capped at the ticket's
        // end); a login that is over cannot be approved into a session either.
        let login = store::pending(tx, &push.ticket_hash, now)?;
        if login.is_none_or(|l| now >= l.created_at.plus(LOGIN_TICKET_LIFETIME)) {
            return Err(BrokerError::PushExpired);
        }
        let device = store::find_device(tx, &push.device_id)?.filter(|d| held_by(d, &phone_id));
        let Some(device) = device else {
            return Err(BrokerError::NotFound(format!("push {push_id}")));
        };
        Ok((push, device))
    }

    /// K7: for each user on this phone, whether the phone still grants trading access.
    pub fn phone_access(&self, phone_token: &str) -> BrokerResult<Vec<PhoneAccess>> {
        self.transact(|tx, now, _| {
            let phone_id = self.known_phone(tx, phone_token)?;
            let mut out = Vec::new();
            for device in store::all_devices(tx)? {
                if !held_by(&device, &phone_id) {
                    continue;
                }
                let access = phone_store::access(tx, &device.id)?;
                let until = access.map(|(m, at)| m.trading_access_until(at));
                out.push(PhoneAccess {
                    username: device.owner.clone(),
                    device_id: device.id.clone(),
                    method: access.map(|(m, _)| m.as_str().to_owned()),
                    authenticated_at: access.map(|(_, at)| at.rfc3339()),
                    trading_access_until: until.map(Timestamp::rfc3339),
                    trading_access: until.is_some_and(|u| now < u),
                });
            }
            Ok(out)
        })
    }
}
