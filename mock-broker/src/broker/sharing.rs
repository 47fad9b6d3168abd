//! Sharing one Secure Login device between usernames (S1–S6), as the sharing article
//! walks it: the requesting user (not the owner), on the Client Portal, enters the
//! owner's credentials (step 6), answers the owner's device's security element (step
//! 7), reviews (step 8) and confirms (step 9). Most requests are approved at once; a
//! scenario flag on the requesting user makes one wait for Compliance (S4, an operator
//! action). While approved, the owner's device answers the requesting user's logins
//! too (D6) and the requesting user's own devices are kept inactive (S6); cancelling
//! reactivates them. Compliance may reject a pending request instead; the requesting
//! user hears of either decision in their messages (`broker::messages`).
//!
//! Who may share with whom is `rules::sharing`; this module loads the participants,
//! asks it, and records each step (audited). Decisions where the article is silent:
//! wrong owner credentials and a wrong security element are failed attempts against
//! the *owner's* username (L4: it is the owner's secrets being tried); a user has one
//! sharing in force (or pending) at a time; the conditions are checked again at
//! confirmation and at Compliance's approval.

use super::access::{serve_again, settle};
use super::factor::{self, push};
use super::reactivation::{ask, check_answer};
use super::{locked_out, record_failure, token_hash, Broker, BrokerResult, DeviceOption, Events};
use crate::error::BrokerError;
use crate::rules::challenge::ResponseCheck;
use crate::rules::device::{self, Transition};
use crate::rules::sharing::{default_shared, refusals, Participant, SharingState};
use crate::rules::{Timestamp, CHALLENGE_LIFETIME};
use crate::store::sharing::{self as sharing_store, SharingRow};
use crate::store::{self, DeviceRow, StoreResult};
use portcullis_api::{DeviceStatus, Sharing, SharingAsk, SharingReview, SharingStatus};
use rusqlite::Transaction;

const NOT_ASKED: &str = "This sharing request is not waiting for the device's response.";
const NOT_REVIEWING: &str = "This sharing request is not waiting for your confirmation.";
const NOT_PENDING: &str = "This sharing request is not waiting for Compliance.";
const ENDED: &str = "This sharing request has already ended.";
const ONE_AT_A_TIME: &str = "You already share a device (or wait for Compliance to approve a \
     sharing): cancel that sharing first.";
const SHARED_OUT: &str = "Your own device is shared with another user: that user must cancel \
     the sharing before you can share someone else's device.";
const OWN_DEVICE: &str = "Enter the credentials of the device owner: another user, not your own.";
const ONLINE_CARD_ONLY: &str = "With a temporary passcode past its second day, the Client \
     Portal only gives the online security code card.";

impl Broker {
    /// Step 6: the owner's credentials; S1, S2 checked; the owner's device asked its
    /// security element (step 7).
    pub fn sharing_start(
        &self,
        token: &str,
        owner_username: &str,
        owner_password: &str,
        device_id: Option<&str>,
    ) -> BrokerResult<SharingAsk> {
        // The requesting user first: no Argon2 for a session that may not do this.
        let requester = self.transact(|tx, now, _| self.sharing_session(tx, token, now))?;
        if owner_username == requester {
            return Err(BrokerError::BadRequest(OWN_DEVICE.into()));
        }
        let (name, password_ok) = self.check_password(owner_username, owner_password)?;
        self.transact(|tx, now, _| {
            let requester = self.sharing_session(tx, token, now)?;
            if name.as_str() == requester {
                return Err(BrokerError::BadRequest(OWN_DEVICE.into()));
            }
            // L2, L4: the owner's credentials, counted against the owner's username.
            let owner = match Broker::password_gate(tx, now, &name, password_ok) {
                Ok(owner) => owner,
                Err(e) => {
                    store::audit(tx, now, Some(&requester), "sharing_refused", e.code())?;
                    return Err(e);
                }
            };
            one_at_a_time(tx, &requester)?;
            settle(tx, &requester, now)?;
            settle(tx, &owner.username, now)?;
            let candidates: Vec<DeviceRow> = store::devices_of(tx, &owner.username)?
                .into_iter()
                .filter(|d| d.status == DeviceStatus::Active && !d.kind.is_temporary())
                .collect();
            let device = match device_id {
                Some(id) => candidates.iter().find(|d| d.id == id).ok_or_else(|| {
                    BrokerError::BadRequest(format!(
                        "{id} is not an active device of {}.",
                        owner.username
                    ))
                })?,
                None => default_shared(&candidates, |d| d.kind).ok_or_else(|| {
                    BrokerError::BadRequest(format!(
                        "{} has no active Secure Login device to share.",
                        owner.username
                    ))
                })?,
            };
            conditions(tx, now, &requester, device)?;
            let (asked, method) = ask(&self.codes, device)?;
            void_unfinished(tx, &requester)?;
            let row = SharingRow {
                id: format!("SHR-{}", self.codes.hex(4).to_uppercase()),
                requester: requester.clone(),
                owner: owner.username.clone(),
                device_id: device.id.clone(),
                state: SharingState::Asked { asked },
                requested_at: now,
                confirmed_at: None,
                approved_at: None,
                cancelled_at: None,
                decided_by: None,
                rejected_at: None,
                set_aside: Vec::new(),
            };
            sharing_store::insert(tx, &row)?;
            store::audit(
                tx,
                now,
                Some(&requester),
                "sharing_started",
                &format!("{}: owner {}, device {}", row.id, row.owner, row.device_id),
            )?;
            let expires = now.plus(CHALLENGE_LIFETIME);
            Ok(SharingAsk {
                sharing_id: row.id,
                owner: row.owner,
                device_id: device.id.clone(),
                device_kind: device.kind,
                method,
                expires_at: expires.rfc3339(),
                expires_in_seconds: factor::seconds_left(expires, now),
            })
        })
    }

    /// Step 7: the owner's device's response, once, within 5 minutes; right, the
    /// review (step 8). Wrong: "Login failed", a failed attempt of the owner (L4).
    pub fn sharing_answer(
        &self,
        token: &str,
        id: &str,
        response: &str,
    ) -> BrokerResult<SharingReview> {
        if response.is_empty() {
            return Err(BrokerError::MissingField("response"));
        }
        self.transact(|tx, now, _| {
            let requester = self.sharing_session(tx, token, now)?;
            let mut row = own_sharing(tx, &requester, id)?;
            let SharingState::Asked { asked } = row.state.clone() else {
                return Err(BrokerError::SharingStage(NOT_ASKED));
            };
            // Whatever the outcome, the security element answers once.
            row.state = SharingState::Failed;
            sharing_store::update(tx, &row)?;
            locked_out(tx, &row.owner, now)?;
            let device = store::find_device(tx, &row.device_id)?
                .filter(|d| d.owner == row.owner && d.status == DeviceStatus::Active)
                .ok_or(BrokerError::SharingStage(
                    "The owner's device no longer serves: start again.",
                ))?;
            match check_answer(&device, &asked, row.requested_at, response, now)? {
                ResponseCheck::Correct => {}
                ResponseCheck::Wrong => {
                    record_failure(tx, &row.owner, now, "sharing_failed")?;
                    store::audit(tx, now, Some(&requester), "sharing_refused", "login_failed")?;
                    return Err(BrokerError::LoginFailed);
                }
                ResponseCheck::Expired => {
                    row.state = SharingState::Expired;
                    sharing_store::update(tx, &row)?;
                    store::audit(tx, now, Some(&requester), "sharing_expired", &row.id)?;
                    return Err(BrokerError::ChallengeExpired);
                }
            }
            row.state = SharingState::Reviewing;
            sharing_store::update(tx, &row)?;
            store::audit(tx, now, Some(&requester), "sharing_answered", &row.id)?;
            Ok(SharingReview {
                sharing_id: row.id,
                owner: row.owner,
                device: DeviceOption {
                    id: device.id,
                    kind: device.kind,
                },
                devices_set_aside: redundant(tx, &requester)?
                    .into_iter()
                    .map(|d| DeviceOption {
                        id: d.id,
                        kind: d.kind,
                    })
                    .collect(),
            })
        })
    }

    /// Step 9: confirmed — approved at once, or pending until Compliance approves (S4).
    pub fn sharing_confirm(&self, token: &str, id: &str) -> BrokerResult<Sharing> {
        self.transact(|tx, now, events| {
            let requester = self.sharing_session(tx, token, now)?;
            let mut row = own_sharing(tx, &requester, id)?;
            if row.state != SharingState::Reviewing {
                return Err(BrokerError::SharingStage(NOT_REVIEWING));
            }
            one_at_a_time(tx, &requester)?;
            settle(tx, &requester, now)?;
            settle(tx, &row.owner, now)?;
            let device = shared_device(tx, &row)?;
            conditions(tx, now, &requester, &device)?;
            row.confirmed_at = Some(now);
            if self.needs_compliance(&requester) {
                row.state = SharingState::PendingCompliance;
                sharing_store::update(tx, &row)?;
                store::audit(
                    tx,
                    now,
                    Some(&requester),
                    "sharing_pending_compliance",
                    &row.id,
                )?;
            } else {
                approve(tx, &mut row, now, "at once", events)?;
            }
            describe(tx, row)
        })
    }

    /// S4: Compliance (an operator) approves a pending sharing; the conditions must
    /// still hold.
    pub fn sharing_approve(&self, id: &str, operator: &str) -> BrokerResult<Sharing> {
        self.transact(|tx, now, events| {
            let Some(mut row) = sharing_store::find(tx, id)? else {
                return Err(BrokerError::NotFound(format!("sharing {id}")));
            };
            if row.state != SharingState::PendingCompliance {
                return Err(BrokerError::SharingStage(NOT_PENDING));
            }
            settle(tx, &row.requester, now)?;
            settle(tx, &row.owner, now)?;
            let device = shared_device(tx, &row)?;
            let requester = row.requester.clone();
            conditions(tx, now, &requester, &device)?;
            row.decided_by = Some(operator.to_owned());
            approve(tx, &mut row, now, &format!("by {operator}"), events)?;
            describe(tx, row)
        })
    }

    /// S4 (decision): Compliance rejects a pending sharing, with the reason it gives
    /// the requesting user (if any). Nothing was set aside yet, so no device changes;
    /// the requesting user may ask again.
    pub fn sharing_reject(
        &self,
        id: &str,
        operator: &str,
        reason: Option<String>,
    ) -> BrokerResult<Sharing> {
        self.transact(|tx, now, _| {
            let Some(mut row) = sharing_store::find(tx, id)? else {
                return Err(BrokerError::NotFound(format!("sharing {id}")));
            };
            if row.state != SharingState::PendingCompliance {
                return Err(BrokerError::SharingStage(NOT_PENDING));
            }
            store::audit(
                tx,
                now,
                Some(&row.requester),
                "sharing_rejected",
                &format!(
                    "{} by {operator}: device {} of {}; reason: {}",
                    row.id,
                    row.device_id,
                    row.owner,
                    reason.as_deref().unwrap_or("none given")
                ),
            )?;
            row.state = SharingState::Rejected { reason };
            row.rejected_at = Some(now);
            row.decided_by = Some(operator.to_owned());
            sharing_store::update(tx, &row)?;
            describe(tx, row)
        })
    }

    /// S6: the requesting user cancels; the devices set aside serve again. A request
    /// not yet in force just ends.
    pub fn sharing_cancel(&self, token: &str, id: &str) -> BrokerResult<Sharing> {
        self.transact(|tx, now, events| {
            let requester = self.sharing_session(tx, token, now)?;
            let mut row = own_sharing(tx, &requester, id)?;
            match row.state {
                SharingState::Approved => {
                    let by = format!("{} cancelled (S6)", row.id);
                    for id in &row.set_aside {
                        let Some(d) = store::find_device(tx, id)? else {
                            continue;
                        };
                        // A device lost or returned meanwhile stays as it is.
                        if d.owner == requester && d.status == DeviceStatus::Inactive {
                            serve_again(tx, d, now, &by)?;
                        }
                    }
                    // Logins under way through the shared device end here; its
                    // phone drops their pushes, desktops waiting on them hear so.
                    push::withdraw_all_of(tx, &requester, now, events)?;
                    store::drop_pending_of(tx, &requester)?;
                }
                SharingState::Asked { .. }
                | SharingState::Reviewing
                | SharingState::PendingCompliance => {}
                SharingState::Rejected { .. }
                | SharingState::Cancelled
                | SharingState::Failed
                | SharingState::Expired => {
                    return Err(BrokerError::SharingStage(ENDED));
                }
            }
            row.state = SharingState::Cancelled;
            row.cancelled_at = Some(now);
            sharing_store::update(tx, &row)?;
            store::audit(
                tx,
                now,
                Some(&requester),
                "sharing_cancelled",
                &format!("{}: reactivated {}", row.id, list(&row.set_aside)),
            )?;
            describe(tx, row)
        })
    }

    /// The sharings the session's user requested or owns, the newest first; reading is
    /// not activity, and any live session may read them.
    pub fn sharings(&self, token: &str) -> BrokerResult<Vec<Sharing>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            sharing_store::of_user(tx, &session.username)?
                .into_iter()
                .map(|row| describe(tx, row))
                .collect()
        })
    }

    /// S4 (decision): the scenario's `sharing_needs_compliance` on the requesting user.
    fn needs_compliance(&self, username: &str) -> bool {
        self.scenario
            .users
            .iter()
            .any(|u| u.username == username && u.sharing_needs_compliance)
    }

    /// The requesting user of a live portal session that may change security settings
    /// (O3) and is not limited to the online card (T2).
    fn sharing_session(
        &self,
        tx: &Transaction<'_>,
        token: &str,
        now: Timestamp,
    ) -> BrokerResult<String> {
        let session = self.live_session(tx, &token_hash(token), now)?;
        super::settings::require_primary(tx, &session)?;
        let device = store::session_device(tx, &session)?;
        if super::access::restriction(device.as_ref(), session.channel, now).is_some() {
            return Err(BrokerError::NotPermitted(ONLINE_CARD_ONLY));
        }
        Ok(session.username)
    }
}

/// Devices the user can log in with: their own and those shared with them now (D6,
/// S3), the last used first.
pub(super) fn devices_in_hand(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<DeviceRow>> {
    let mut devices = store::devices_of(tx, username)?;
    for id in sharing_store::shared_with(tx, username)? {
        if let Some(d) = store::find_device(tx, &id)? {
            devices.push(d);
        }
    }
    devices.sort_by(|a, b| b.last_used_at.cmp(&a.last_used_at).then(a.id.cmp(&b.id)));
    Ok(devices)
}

/// `username`'s sharing `id` as requesting user; another's is as unknown as none.
fn own_sharing(tx: &Transaction<'_>, username: &str, id: &str) -> BrokerResult<SharingRow> {
    sharing_store::find(tx, id)?
        .filter(|s| s.requester == username)
        .ok_or_else(|| BrokerError::NotFound(format!("sharing {id}")))
}

/// S6 (decision): one sharing in force or pending per requesting user, and none while
/// the user's own device is shared with someone else.
fn one_at_a_time(tx: &Transaction<'_>, username: &str) -> BrokerResult<()> {
    for s in sharing_store::of_user(tx, username)? {
        if s.state.in_force_or_pending() {
            return Err(BrokerError::SharingStage(if s.requester == username {
                ONE_AT_A_TIME
            } else {
                SHARED_OUT
            }));
        }
    }
    Ok(())
}

/// C4: a new request voids the requesting user's unfinished ones.
fn void_unfinished(tx: &Transaction<'_>, username: &str) -> StoreResult<()> {
    for mut s in sharing_store::of_user(tx, username)? {
        let unfinished = matches!(
            s.state,
            SharingState::Asked { .. } | SharingState::Reviewing
        );
        if s.requester == username && unfinished {
            s.state = SharingState::Expired;
            sharing_store::update(tx, &s)?;
        }
    }
    Ok(())
}

/// The owner's device of `row`, while it is the owner's and active.
fn shared_device(tx: &Transaction<'_>, row: &SharingRow) -> BrokerResult<DeviceRow> {
    store::find_device(tx, &row.device_id)?
        .filter(|d| d.owner == row.owner && d.status == DeviceStatus::Active)
        .ok_or(BrokerError::SharingStage(
            "The owner's device no longer serves: start again.",
        ))
}

/// S1, S2: refused with the most decisive condition broken; every one audited.
fn conditions(
    tx: &Transaction<'_>,
    now: Timestamp,
    requester: &str,
    device: &DeviceRow,
) -> BrokerResult<()> {
    let (r_user, o_user) = (
        store::find_user(tx, requester)?,
        store::find_user(tx, &device.owner)?,
    );
    let (Some(r_user), Some(o_user)) = (r_user, o_user) else {
        return Err(BrokerError::InvalidSession);
    };
    let (r_ident, o_ident) = (
        sharing_store::identification_of(tx, &r_user.entity)?,
        sharing_store::identification_of(tx, &o_user.entity)?,
    );
    let active = |username: &str| -> StoreResult<Vec<_>> {
        Ok(store::devices_of(tx, username)?
            .into_iter()
            .filter(|d| d.status == DeviceStatus::Active)
            .map(|d| d.kind)
            .collect())
    };
    let requesting = Participant {
        entity: &r_user.entity,
        identification: &r_ident,
        active: active(requester)?,
    };
    let owning = Participant {
        entity: &o_user.entity,
        identification: &o_ident,
        active: active(&device.owner)?,
    };
    let broken = refusals(&requesting, &owning, device.kind);
    let Some(first) = broken.first() else {
        return Ok(());
    };
    let codes: Vec<&str> = broken.iter().map(|r| r.code()).collect();
    store::audit(
        tx,
        now,
        Some(requester),
        "sharing_refused",
        &format!(
            "owner {}, device {}: {}",
            device.owner,
            device.id,
            codes.join(", ")
        ),
    )?;
    Err(BrokerError::SharingRefused(*first))
}

/// S6: the requesting user's devices made redundant: every active one of their own.
fn redundant(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<DeviceRow>> {
    Ok(store::devices_of(tx, username)?
        .into_iter()
        .filter(|d| device::transition(d.kind, d.status, Transition::Deactivate).is_ok())
        .collect())
}

/// S4, S6: the sharing comes into force; the requesting user's devices are kept
/// inactive (and logins under way through them end).
fn approve(
    tx: &Transaction<'_>,
    row: &mut SharingRow,
    now: Timestamp,
    how: &str,
    events: &mut Events,
) -> BrokerResult<()> {
    let mut set_aside = Vec::new();
    for d in redundant(tx, &row.requester)? {
        store::set_status(tx, &d.id, DeviceStatus::Inactive)?;
        for ticket_hash in store::drop_pending_on_device(tx, &d.id)? {
            events.login_moved(ticket_hash);
        }
        store::audit(
            tx,
            now,
            Some(&row.requester),
            "device_deactivated",
            &format!("device {}: redundant while {} stands (S6)", d.id, row.id),
        )?;
        set_aside.push(d.id);
    }
    row.set_aside = set_aside;
    row.state = SharingState::Approved;
    row.approved_at = Some(now);
    sharing_store::update(tx, row)?;
    store::audit(
        tx,
        now,
        Some(&row.requester),
        "sharing_approved",
        &format!(
            "{} {how}: device {} of {}; set aside {}",
            row.id,
            row.device_id,
            row.owner,
            list(&row.set_aside)
        ),
    )?;
    Ok(())
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

fn describe(tx: &Transaction<'_>, row: SharingRow) -> BrokerResult<Sharing> {
    let Some(device) = store::find_device(tx, &row.device_id)? else {
        return Err(store::StoreError::Corrupt(format!("sharing {} device", row.id)).into());
    };
    let status = match row.state {
        SharingState::Asked { .. } => SharingStatus::Asked,
        SharingState::Reviewing => SharingStatus::Reviewing,
        SharingState::PendingCompliance => SharingStatus::PendingCompliance,
        SharingState::Rejected { .. } => SharingStatus::Rejected,
        SharingState::Approved => SharingStatus::Approved,
        SharingState::Cancelled => SharingStatus::Cancelled,
        SharingState::Failed => SharingStatus::Failed,
        SharingState::Expired => SharingStatus::Expired,
    };
    let at = |t: Option<Timestamp>| t.map(Timestamp::rfc3339);
    Ok(Sharing {
        id: row.id,
        requester: row.requester,
        owner: row.owner,
        device_id: device.id,
        device_kind: device.kind,
        device_status: device.status,
        status,
        requested_at: row.requested_at.rfc3339(),
        confirmed_at: at(row.confirmed_at),
        approved_at: at(row.approved_at),
        cancelled_at: at(row.cancelled_at),
        rejected_at: at(row.rejected_at),
        devices_set_aside: row.set_aside,
    })
}
