//! Temporary access and the device lifecycle around a lost or forgotten device (T1–T5,
//! D2): what the clock has settled since a user was last read, the operator's
//! temporary passcode and device activation, the portal's online card, the user's
//! devices and limits (their messages are `messages`).
//!
//! No timers: [`settle`] runs whenever a user is read (a login, a session, messages,
//! QA's device list) and applies what `now` says — a replacement due activates itself
//! (T5), temporary devices past their time expire (T2, T3) — each change audited once.

use super::{locked_out, record_failure, token_hash, Broker, BrokerResult, DeviceInfo};
use crate::error::BrokerError;
use crate::rules::card::{indexes_from_stored, indexes_stored, pick_indexes, Grid};
use crate::rules::device::{self, expires_at, Transition};
use crate::rules::temporary::{
    auto_activation_at, generate_passcode, may_issue_passcode, temporary_access, TemporaryAccess,
};
use crate::rules::Timestamp;
use crate::store::{self, DeviceRow, StoreResult};
use portcullis_api::{
    Channel, DeviceKind, DeviceStatus, OnlineCardActivated, OnlineCardOffer, SessionRestriction,
    TemporaryPasscodeIssued, WithdrawalLimits,
};
use rusqlite::Transaction;

/// A device status change the rules refused is a request the operator should not make.
pub(super) fn illegal(e: device::IllegalTransition) -> BrokerError {
    BrokerError::BadRequest(format!("{e}."))
}

/// What the clock has decided for `username` since it was last read: T5's automatic
/// activation (which voids temporary access, T4), then T2/T3's expiry.
pub(super) fn settle(tx: &Transaction<'_>, username: &str, now: Timestamp) -> StoreResult<()> {
    // R1, R3: orders ship and returns arrive first, so T5 below sees the shipment.
    super::replacement::settle(tx, username, now)?;
    for d in store::devices_of(tx, username)? {
        if let (DeviceStatus::Shipped, Some(shipped_at)) = (d.status, d.shipped_at) {
            let auto = Transition::AutoActivate { shipped_at, now };
            if device::transition(d.kind, d.status, auto).is_ok() {
                store::mark_auto_activated(tx, &d.id)?;
                let at = auto_activation_at(shipped_at);
                store::audit(
                    tx,
                    now,
                    Some(username),
                    "device_auto_activated",
                    &format!("device {} (due {})", d.id, at.rfc3339()),
                )?;
                permanent_serves_again(tx, username, &d.id, now)?;
            }
        }
    }
    for d in store::devices_of(tx, username)? {
        if let (DeviceStatus::Active, Some(activated_at)) = (d.status, d.activated_at) {
            let expire = Transition::Expire { activated_at, now };
            if let Ok(to) = device::transition(d.kind, d.status, expire) {
                store::set_status(tx, &d.id, to)?;
                store::audit(
                    tx,
                    now,
                    Some(username),
                    "temporary_expired",
                    &format!("device {}", d.id),
                )?;
                end_logins_through(tx, &d.id, now)?;
            }
        }
    }
    Ok(())
}

/// T4: a permanent device serves again (reactivated, or a replacement activated by
/// hand or by itself): the temporary passcode and the online card stop at once, with
/// every login and session through them, and T1 may issue a passcode again.
pub(super) fn permanent_serves_again(
    tx: &Transaction<'_>,
    username: &str,
    device_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let voided = set_aside(
        tx,
        username,
        now,
        |d| d.kind.is_temporary() && d.kind != DeviceKind::Sms,
        "temporary_voided",
        &format!("{device_id} serves again"),
    )?;
    for id in voided {
        end_logins_through(tx, &id, now)?;
    }
    store::delete_card_offer(tx, username)?;
    store::set_passcode_spent(tx, username, false)
}

/// The transition that makes `d` serve again: a shipped replacement activates, a kept
/// device is reactivated (case 10); the rules refuse any other change.
pub(super) fn reactivation(d: &DeviceRow) -> BrokerResult<(DeviceStatus, &'static str)> {
    let (transition, event) = match d.status {
        DeviceStatus::Shipped => (Transition::Activate, "device_activated"),
        DeviceStatus::Ordered
        | DeviceStatus::Active
        | DeviceStatus::Inactive
        | DeviceStatus::Lost
        | DeviceStatus::ReturnShipped
        | DeviceStatus::Returned
        | DeviceStatus::Removed => (Transition::Reactivate, "device_reactivated"),
    };
    let to = device::transition(d.kind, d.status, transition).map_err(illegal)?;
    Ok((to, event))
}

/// Case 10, T4: `d` serves again, by `by` (an operator, or the user on the portal);
/// temporary access ends at once. Answers the device as it is now.
pub(super) fn serve_again(
    tx: &Transaction<'_>,
    d: DeviceRow,
    now: Timestamp,
    by: &str,
) -> BrokerResult<DeviceRow> {
    let (to, event) = reactivation(&d)?;
    store::set_status(tx, &d.id, to)?;
    store::audit(
        tx,
        now,
        Some(&d.owner),
        event,
        &format!("device {} by {by}", d.id),
    )?;
    permanent_serves_again(tx, &d.owner, &d.id, now)?;
    Ok(store::find_device(tx, &d.id)?.unwrap_or(d))
}

/// Deactivates each of `username`'s devices that `which` picks and the lifecycle lets
/// go inactive, auditing `event` with `why`; answers the ids it set aside.
fn set_aside(
    tx: &Transaction<'_>,
    username: &str,
    now: Timestamp,
    which: impl Fn(&DeviceRow) -> bool,
    event: &str,
    why: &str,
) -> StoreResult<Vec<String>> {
    let mut ids = Vec::new();
    for d in store::devices_of(tx, username)? {
        if !which(&d) {
            continue;
        }
        if let Ok(to) = device::transition(d.kind, d.status, Transition::Deactivate) {
            store::set_status(tx, &d.id, to)?;
            store::audit(
                tx,
                now,
                Some(username),
                event,
                &format!("device {}: {why}", d.id),
            )?;
            ids.push(d.id);
        }
    }
    Ok(ids)
}

/// T4: logins under way and sessions open through `device_id` end now. (A temporary
/// device sends no push, so no desktop waits on these logins: K2's waiters need no
/// wake.)
fn end_logins_through(tx: &Transaction<'_>, device_id: &str, now: Timestamp) -> StoreResult<()> {
    store::drop_pending_on_device(tx, device_id)?;
    store::end_sessions_on_device(tx, device_id, now)?;
    Ok(())
}

/// D2: `username`'s withdrawal limits from their active devices; O1: the `none` row
/// while their account is opted out.
pub(super) fn limits_of(tx: &Transaction<'_>, username: &str) -> StoreResult<WithdrawalLimits> {
    // S3: a device shared with the user counts as theirs.
    let active = super::sharing::devices_in_hand(tx, username)?
        .into_iter()
        .filter(|d| d.status == DeviceStatus::Active)
        .map(|d| d.kind);
    let opted_out = store::account::user_opted_out(tx, username)?;
    Ok(crate::rules::account::limits(opted_out, active))
}

/// T2: what a session through `device` on `channel` is limited to now.
pub(super) fn restriction(
    device: Option<&DeviceRow>,
    channel: Channel,
    now: Timestamp,
) -> Option<SessionRestriction> {
    let d = device?;
    let activated_at = d.activated_at.filter(|_| d.kind.is_temporary())?;
    match temporary_access(d.kind, activated_at, channel, now) {
        TemporaryAccess::OnlineCardOnly => Some(SessionRestriction::OnlineCardOnly),
        TemporaryAccess::Full | TemporaryAccess::UseClientPortal | TemporaryAccess::Expired => None,
    }
}

/// T2, T3: whether `d` still opens `channel` now: a permanent device always does; a
/// temporary one within its time (a passcode past day 2: the portal only).
pub(super) fn opens(d: &DeviceRow, channel: Channel, now: Timestamp) -> bool {
    match d.activated_at.filter(|_| d.kind.is_temporary()) {
        None => true,
        Some(at) => matches!(
            temporary_access(d.kind, at, channel, now),
            TemporaryAccess::Full | TemporaryAccess::OnlineCardOnly
        ),
    }
}

/// T2, T3, T4: whether a session through `device` (after [`settle`]) still stands.
pub(super) fn session_stands(device: Option<&DeviceRow>, channel: Channel, now: Timestamp) -> bool {
    let Some(d) = device else { return true };
    if !d.kind.is_temporary() || d.kind == DeviceKind::Sms {
        return true;
    }
    if d.status != DeviceStatus::Active {
        return false;
    }
    let Some(activated_at) = d.activated_at else {
        return true;
    };
    match temporary_access(d.kind, activated_at, channel, now) {
        TemporaryAccess::Full | TemporaryAccess::OnlineCardOnly => true,
        TemporaryAccess::UseClientPortal | TemporaryAccess::Expired => false,
    }
}

/// D5: why a user with devices, none of which serves, is refused; `None` when they
/// have none that counts (R4: returned; D3: SMS removed) and log in with a password.
pub(super) fn refusal_without_device(devices: &[DeviceRow]) -> Option<BrokerError> {
    let counts =
        |d: &&DeviceRow| !matches!(d.status, DeviceStatus::Returned | DeviceStatus::Removed);
    let newest_temporary = devices
        .iter()
        .filter(counts)
        .filter(|d| d.kind.is_temporary() && d.activated_at.is_some())
        .max_by_key(|d| d.activated_at);
    match newest_temporary {
        Some(_) => Some(BrokerError::TemporaryAccessExpired),
        None if devices.iter().any(|d| counts(&d)) => Some(BrokerError::NoActiveDevice),
        None => None,
    }
}

impl Broker {
    /// T1: Client Services issues a temporary passcode (the operator verified the
    /// caller). The user's active permanent devices are set aside until reactivated
    /// (T4); a second passcode before that is refused.
    pub fn issue_temporary_passcode(
        &self,
        username: &str,
        operator: &str,
    ) -> BrokerResult<TemporaryPasscodeIssued> {
        self.transact(|tx, now, _| {
            let Some(user) = store::find_user(tx, username)? else {
                return Err(BrokerError::NotFound(format!("user {username}")));
            };
            settle(tx, &user.username, now)?;
            if !may_issue_passcode(store::passcode_spent(tx, &user.username)?) {
                store::audit(
                    tx,
                    now,
                    Some(&user.username),
                    "temporary_passcode_refused",
                    &format!("by {operator}: consecutive (T1)"),
                )?;
                return Err(BrokerError::ConsecutivePasscode);
            }
            set_aside(
                tx,
                &user.username,
                now,
                |d| !d.kind.is_temporary(),
                "device_deactivated",
                "a temporary passcode stands in",
            )?;
            let code = generate_passcode(&mut self.codes.rng());
            let kind = DeviceKind::TemporaryPasscode;
            let row = DeviceRow {
                passcode_hash: Some(token_hash(&code)),
                activated_at: Some(now),
                ..DeviceRow::bare(
                    &format!("TMP-{}", self.codes.hex(4).to_uppercase()),
                    kind,
                    &user.username,
                    device::issue(kind).map_err(illegal)?,
                )
            };
            store::insert_device(tx, &row)?;
            store::set_passcode_spent(tx, &user.username, true)?;
            let full = now.plus(device::TEMPORARY_PASSCODE_FULL_ACCESS);
            let portal = now.plus(device::TEMPORARY_PASSCODE_LIFETIME);
            store::audit(
                tx,
                now,
                Some(&user.username),
                "temporary_passcode_issued",
                &format!(
                    "device {} by {operator}; full access until {}, portal until {}",
                    row.id,
                    full.rfc3339(),
                    portal.rfc3339()
                ),
            )?;
            Ok(TemporaryPasscodeIssued {
                username: user.username,
                device_id: row.id,
                passcode: code,
                issued_at: now.rfc3339(),
                full_access_until: full.rfc3339(),
                portal_until: portal.rfc3339(),
            })
        })
    }

    /// Case 10: "reactivate security device" — a shipped replacement activated by
    /// hand, or a kept permanent device reactivated. T4: temporary access ends.
    pub fn activate_device(&self, device_id: &str, operator: &str) -> BrokerResult<DeviceInfo> {
        self.transact(|tx, now, _| {
            let Some(d) = store::find_device(tx, device_id)? else {
                return Err(BrokerError::NotFound(format!("device {device_id}")));
            };
            settle(tx, &d.owner, now)?;
            let d = store::find_device(tx, device_id)?.unwrap_or(d);
            super::reactivation::not_set_aside(tx, &d)?;
            Ok(device_info(serve_again(tx, d, now, operator)?))
        })
    }

    /// T3: in the Client Portal, with a temporary passcode, a new online card to print
    /// (or the one waiting for activation, with fresh indexes).
    pub fn online_card_offer(&self, token: &str) -> BrokerResult<OnlineCardOffer> {
        self.transact(|tx, now, _| {
            let username = self.portal_passcode_session(tx, token, now)?;
            let offer = match store::card_offer(tx, &username)? {
                Some(mut offer) => {
                    offer.indexes = indexes_stored(pick_indexes(&mut self.codes.rng()));
                    offer
                }
                None => store::CardOffer {
                    device_id: format!("OSC-{}", self.codes.hex(4).to_uppercase()),
                    grid: Grid::generate(&mut self.codes.rng()).stored().to_owned(),
                    indexes: indexes_stored(pick_indexes(&mut self.codes.rng())),
                    issued_at: now,
                },
            };
            store::put_card_offer(tx, &username, &offer)?;
            store::audit(
                tx,
                now,
                Some(&username),
                "online_card_offered",
                &format!("device {}", offer.device_id),
            )?;
            let grid = Grid::from_stored(&offer.grid)
                .ok_or_else(|| store::StoreError::Corrupt("card offer grid".into()))?;
            Ok(OnlineCardOffer {
                device_id: offer.device_id,
                grid: grid.codes(),
                indexes: indexes_from_stored(&offer.indexes)
                    .map(|i| i.to_vec())
                    .unwrap_or_default(),
            })
        })
    }

    /// T3: the online card activated by the codes at its two indexes: full access for
    /// 21 days from now. A wrong answer is a failed attempt (L4) and draws new indexes.
    pub fn activate_online_card(
        &self,
        token: &str,
        response: &str,
    ) -> BrokerResult<OnlineCardActivated> {
        self.transact(|tx, now, _| {
            let username = self.portal_passcode_session(tx, token, now)?;
            let Some(offer) = store::card_offer(tx, &username)? else {
                return Err(BrokerError::NoPendingLogin);
            };
            locked_out(tx, &username, now)?;
            let corrupt = || store::StoreError::Corrupt("card offer".into());
            let grid = Grid::from_stored(&offer.grid).ok_or_else(corrupt)?;
            let indexes = indexes_from_stored(&offer.indexes).ok_or_else(corrupt)?;
            if !grid.check(indexes, response) {
                let fresh = store::CardOffer {
                    indexes: indexes_stored(pick_indexes(&mut self.codes.rng())),
                    ..offer
                };
                store::put_card_offer(tx, &username, &fresh)?;
                record_failure(tx, &username, now, "online_card_failed")?;
                return Err(BrokerError::LoginFailed);
            }
            let replaced = set_aside(
                tx,
                &username,
                now,
                |d| d.kind == DeviceKind::OnlineSecurityCodeCard,
                "temporary_voided",
                &format!("replaced by {}", offer.device_id),
            )?;
            for id in replaced {
                end_logins_through(tx, &id, now)?;
            }
            let kind = DeviceKind::OnlineSecurityCodeCard;
            let row = DeviceRow {
                grid: Some(offer.grid.clone()),
                activated_at: Some(now),
                ..DeviceRow::bare(
                    &offer.device_id,
                    kind,
                    &username,
                    device::issue(kind).map_err(illegal)?,
                )
            };
            store::insert_device(tx, &row)?;
            store::delete_card_offer(tx, &username)?;
            let until = expires_at(kind, now).unwrap_or(now);
            store::audit(
                tx,
                now,
                Some(&username),
                "online_card_activated",
                &format!("device {} until {}", row.id, until.rfc3339()),
            )?;
            Ok(OnlineCardActivated::Activated {
                device_id: row.id,
                activated_at: now.rfc3339(),
                expires_at: until.rfc3339(),
            })
        })
    }

    /// The session user's own devices and those shared with them (S3), with their dates
    /// (the main window's list), after what the clock has settled. Any live session
    /// reads it, an `online_card_only` one too (T2: reading is not acting); reading is
    /// not activity.
    pub fn my_devices(&self, token: &str) -> BrokerResult<Vec<DeviceInfo>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            // S3: with the devices shared with the user (their `owner` says whose).
            Ok(super::sharing::devices_in_hand(tx, &session.username)?
                .into_iter()
                .map(device_info)
                .collect())
        })
    }

    /// T3: the user of a live portal session opened with a temporary passcode.
    fn portal_passcode_session(
        &self,
        tx: &Transaction<'_>,
        token: &str,
        now: Timestamp,
    ) -> BrokerResult<String> {
        let session = self.live_session(tx, &token_hash(token), now)?;
        let device = store::session_device(tx, &session)?;
        let through_passcode = device
            .as_ref()
            .is_some_and(|d| d.kind == DeviceKind::TemporaryPasscode);
        if session.channel != Channel::Portal || !through_passcode {
            return Err(BrokerError::NotPermitted(
                "The online security code card is obtained in the Client Portal, \
                 logged in with a temporary passcode.",
            ));
        }
        Ok(session.username)
    }
}

/// A device as QA lists it, with its dates.
pub(super) fn device_info(d: DeviceRow) -> DeviceInfo {
    let auto_at = match d.status {
        DeviceStatus::Shipped => d.shipped_at.map(auto_activation_at),
        DeviceStatus::Ordered
        | DeviceStatus::Active
        | DeviceStatus::Inactive
        | DeviceStatus::Lost
        | DeviceStatus::ReturnShipped
        | DeviceStatus::Returned
        | DeviceStatus::Removed => None,
    };
    DeviceInfo {
        shipped_at: d.shipped_at.map(Timestamp::rfc3339),
        auto_activates_at: auto_at.map(Timestamp::rfc3339),
        activated_at: d.activated_at.map(Timestamp::rfc3339),
        expires_at: d
            .activated_at
            .and_then(|at| expires_at(d.kind, at))
            .map(Timestamp::rfc3339),
        id: d.id,
        kind: d.kind,
        owner: d.owner,
        status: d.status,
        phone_id: d.phone_id,
    }
}
