//! QA and operator controls: the simulated clock, reset, locks (L5), the audit log,
//! device and phone provisioning for the simulators, the SMS outbox, K4's faults, and
//! number matching. The server exposes them only with `--qa`.

use super::factor::push::held_by;
use super::{
    Broker, BrokerEvent, BrokerResult, Clock, CLOCK_OFFSET_KEY, NUMBER_MATCHING_KEY,
    SCENARIO_LOADED_KEY,
};
use crate::error::BrokerError;
use crate::rules::card::Grid;
use crate::rules::ibkey::{FaultMode, UnlockMethod};
use crate::rules::{Duration, LockStatus, Timestamp, Username, DSC_PLUS_SUITE};
use crate::store::ibkey::{self as phone_store, Fault, Sms, ALL_DEVICES};
use crate::store::{self, StoreError, StoreResult};
use portcullis_api::{
    ClockInfo, DeviceInfo, DeviceKind, DeviceProvision, LockoutInfo, PhoneAccount, PhoneProvision,
    PushInfo, SettingsInfo,
};
use std::sync::atomic::Ordering;

impl Broker {
    pub fn clock(&self) -> ClockInfo {
        let now = self.clock.now();
        ClockInfo {
            now: now.rfc3339(),
            now_ms: now.0,
            offset_ms: self.clock.offset().0,
        }
    }

    /// Moves the simulated clock so that it reads `target`; persisted and audited.
    /// Never before 1970: no broker ran then, and the rules' arithmetic assumes it.
    pub fn set_clock(&self, target: Timestamp) -> BrokerResult<ClockInfo> {
        if target.0 < 0 {
            return Err(BrokerError::BadRequest(
                "The clock cannot be set before 1970 (unix_seconds is 0 or more).".into(),
            ));
        }
        let offset = target.0.saturating_sub(Clock::real_now().0);
        self.store.write(|tx| -> StoreResult<()> {
            store::meta_set(tx, CLOCK_OFFSET_KEY, &offset.to_string())?;
            store::audit(
                tx,
                target,
                None,
                "clock_set",
                &format!("offset {offset} ms"),
            )
        })?;
        self.clock.offset_ms.store(offset, Ordering::SeqCst);
        // Waiting desktops look again: a push may have expired (K6).
        self.waiters.wake_all();
        Ok(self.clock())
    }

    pub fn advance_clock(&self, by: Duration) -> BrokerResult<ClockInfo> {
        if by.0 < 0 {
            return Err(BrokerError::BadRequest(
                "The clock only moves forward with advance; use set.".into(),
            ));
        }
        self.set_clock(self.clock.now().plus(by))
    }

    /// Back to the scenario as the broker started with it: users, devices, phones, no
    /// locks, sessions, pushes, SMS or faults, an empty audit log (but for the reset
    /// itself), the clock at real time, and a seeded broker's codes from the seed's
    /// start.
    pub fn reset(&self) -> BrokerResult<()> {
        // Hash outside the transaction: Argon2 is the slow part.
        let users = self
            .scenario
            .users
            .iter()
            .map(|u| {
                Ok(store::UserRow {
                    username: u.username.clone(),
                    full_name: u.full_name.clone(),
                    password_hash: self.passwords.hash(&u.password)?,
                    entity: u.entity.clone(),
                    is_primary: u.primary,
                    account: String::new(),
                })
            })
            .collect::<Result<Vec<_>, crate::password::Busy>>()?;
        let now = Clock::real_now();
        self.store.write(|tx| -> StoreResult<()> {
            store::clear_all(tx)?;
            for e in &self.scenario.entities {
                let identification_json = serde_json::to_string(&e.identification)
                    .map_err(|err| StoreError::Corrupt(err.to_string()))?;
                store::insert_entity(
                    tx,
                    &store::EntityRow {
                        id: &e.id,
                        name: &e.name,
                        account: &e.account,
                        equity_usd: e.equity_usd,
                        identification_json,
                    },
                )?;
                if e.opted_out {
                    store::account::set_opted_out(tx, &e.id, true)?;
                }
            }
            for u in &users {
                store::insert_user(tx, u)?;
            }
            for p in &self.scenario.phones {
                // A token nobody holds: the phone simulator gets a fresh one when it
                // is provisioned (`/qa/phones/{id}/provision`).
                phone_store::insert_phone(
                    tx,
                    &p.id,
                    &p.number,
                    &super::token_hash(&super::random_hex(32)),
                    now,
                )?;
            }
            // Scenario dates count back from the clock at load (T2, T3, T5).
            let days_ago = |days: Option<i64>| days.map(|n| now.minus(Duration::days(n)));
            for d in &self.scenario.devices {
                store::insert_device(
                    tx,
                    &store::DeviceRow {
                        id: d.id.clone(),
                        kind: d.kind,
                        owner: d.owner.clone(),
                        secret_hex: d.secret.to_ascii_lowercase(),
                        pin_sha1_hex: hex::encode(ocra::hash_pin(
                            ocra::HashAlgorithm::Sha1,
                            &d.pin,
                        )),
                        status: d.status,
                        last_used_at: None,
                        phone_id: d.phone.clone(),
                        // Checked when the scenario was read.
                        security: d.security.as_deref().and_then(UnlockMethod::parse),
                        phone_number: d.phone_number.clone(),
                        grid: d.card_grid().map(|g| g.stored().to_owned()),
                        passcode_hash: d.passcode.as_deref().map(super::token_hash),
                        activated_at: days_ago(d.issued_days_ago.or(d.activated_days_ago)),
                        shipped_at: days_ago(d.shipped_days_ago),
                        auto_activated: false,
                    },
                )?;
                if d.kind == DeviceKind::TemporaryPasscode {
                    // T1: the passcode counts until a permanent device serves again.
                    store::set_passcode_spent(tx, &d.owner, true)?;
                }
            }
            super::replacement::load_scenario(tx, &self.scenario, now)?;
            let matching = if self.scenario.settings.number_matching {
                "1"
            } else {
                "0"
            };
            store::meta_set(tx, NUMBER_MATCHING_KEY, matching)?;
            store::meta_set(tx, CLOCK_OFFSET_KEY, "0")?;
            store::meta_set(tx, SCENARIO_LOADED_KEY, "1")?;
            store::audit(tx, now, None, "reset", "state reloaded from the scenario")
        })?;
        self.clock.offset_ms.store(0, Ordering::SeqCst);
        // A seeded broker's codes start their stream again: a reset run repeats.
        self.codes.reseed();
        // Every login is gone: waiting desktops hear so.
        self.waiters.wake_all();
        // Every phone has a new token: the old ones' event streams end.
        let _ = self.events.send(BrokerEvent::PhoneTokensChanged);
        Ok(())
    }

    pub fn lockout(&self, username: &str) -> BrokerResult<LockoutInfo> {
        let name = Username::parse(username).map_err(|_| BrokerError::BadCharacter)?;
        self.transact(|tx, now, _| {
            let mut lockout = store::lockout(tx, name.as_str())?;
            let info = match lockout.status(now) {
                LockStatus::Locked { until } => LockoutInfo {
                    username: name.to_string(),
                    locked: true,
                    locked_until: Some(until.rfc3339()),
                    failures_in_window: usize::try_from(lockout.failures_counted())
                        .unwrap_or(usize::MAX),
                },
                LockStatus::Open { failures_in_window } => LockoutInfo {
                    username: name.to_string(),
                    locked: false,
                    locked_until: None,
                    failures_in_window,
                },
            };
            Ok(info)
        })
    }

    /// L5: Client Services lifts a lock; audited.
    pub fn unlock(&self, username: &str, operator: &str) -> BrokerResult<LockoutInfo> {
        let name = Username::parse(username).map_err(|_| BrokerError::BadCharacter)?;
        self.transact(|tx, now, _| {
            let mut lockout = store::lockout(tx, name.as_str())?;
            lockout.lift();
            store::save_lockout(tx, name.as_str(), &lockout)?;
            store::audit(
                tx,
                now,
                Some(name.as_str()),
                "lock_lifted",
                &format!("by {operator}"),
            )?;
            Ok(())
        })?;
        self.lockout(username)
    }

    pub fn audit(
        &self,
        username: Option<&str>,
        limit: u32,
    ) -> BrokerResult<Vec<store::AuditEvent>> {
        Ok(self
            .store
            .write(|tx| store::audit_tail(tx, username, limit))?)
    }

    /// Every device, after what the clock has settled (T2, T3, T5).
    pub fn devices(&self) -> BrokerResult<Vec<DeviceInfo>> {
        self.transact(|tx, now, _| {
            for username in store::all_usernames(tx)? {
                super::access::settle(tx, &username, now)?;
            }
            Ok(store::all_devices(tx)?
                .into_iter()
                .map(super::access::device_info)
                .collect())
        })
    }

    /// Hands a device's key to a simulator (demo/QA only); audited without the key.
    pub fn provision(&self, device_id: &str) -> BrokerResult<DeviceProvision> {
        self.transact(|tx, now, _| {
            let Some(d) = store::find_device(tx, device_id)? else {
                return Err(BrokerError::NotFound(format!("device {device_id}")));
            };
            if d.kind == DeviceKind::Sms {
                // D3: the codes go to the number on record; there is no key to hand out.
                return Err(BrokerError::BadRequest(
                    "SMS devices have no key; their codes go to the outbox.".into(),
                ));
            }
            if d.kind == DeviceKind::TemporaryPasscode {
                // T1: the passcode is read to the user once, and only its hash is kept.
                return Err(BrokerError::BadRequest(
                    "A temporary passcode has no key; Client Services reads it to the user once."
                        .into(),
                ));
            }
            store::audit(
                tx,
                now,
                Some(&d.owner),
                "device_provisioned",
                &format!("device {}", d.id),
            )?;
            // D7: a card simulator gets the grid; the others the OCRA key.
            let grid = d
                .grid
                .as_deref()
                .and_then(Grid::from_stored)
                .map(|g| g.codes());
            let suite = match grid {
                Some(_) => String::new(),
                None => DSC_PLUS_SUITE.into(),
            };
            Ok(DeviceProvision {
                id: d.id,
                kind: d.kind,
                owner: d.owner,
                suite,
                secret_hex: d.secret_hex,
                grid,
            })
        })
    }

    /// Makes a phone simulator the scenario's phone `phone_id` (demo/QA only): a new
    /// token (the old one stops working) and its users' keys.
    pub fn provision_phone(&self, phone_id: &str) -> BrokerResult<PhoneProvision> {
        self.transact(|tx, now, events| {
            if !phone_store::phone_exists(tx, phone_id)? {
                return Err(BrokerError::NotFound(format!("phone {phone_id}")));
            }
            let token = format!("pct_{}", super::random_hex(32));
            phone_store::set_phone_token(tx, phone_id, &super::token_hash(&token))?;
            let accounts = store::all_devices(tx)?
                .into_iter()
                .filter(|d| held_by(d, phone_id))
                .map(|d| {
                    let security = d.security.unwrap_or(UnlockMethod::Pin);
                    PhoneAccount {
                        username: d.owner,
                        device_id: d.id,
                        suite: DSC_PLUS_SUITE.into(),
                        secret_hex: d.secret_hex,
                        pin_sha1_hex: match security {
                            UnlockMethod::Biometric => Some(d.pin_sha1_hex),
                            UnlockMethod::Pin => None,
                        },
                        security: security.as_str().to_owned(),
                    }
                })
                .collect();
            store::audit(
                tx,
                now,
                None,
                "phone_provisioned",
                &format!("phone {phone_id}"),
            )?;
            // The old token's event streams end (once this commits).
            events.push(BrokerEvent::PhoneTokensChanged);
            Ok(PhoneProvision {
                phone_id: phone_id.to_owned(),
                phone_token: token,
                accounts,
            })
        })
    }

    /// The simulated SMS outbox (D3, K1).
    pub fn sms(&self, number: Option<&str>) -> BrokerResult<Vec<Sms>> {
        Ok(self.store.write(|tx| phone_store::sms_to(tx, number))?)
    }

    /// K4: `mode` is `none`, `drop`, `delay` (by `delay_ms`) or `offline`, for one
    /// device or, with None, for all.
    pub fn set_fault(
        &self,
        device_id: Option<&str>,
        mode: &str,
        delay_ms: u64,
    ) -> BrokerResult<Vec<Fault>> {
        let mode = match mode {
            "none" => None,
            other => Some(FaultMode::parse(other).ok_or_else(|| {
                BrokerError::BadRequest("mode is none, drop, delay or offline.".into())
            })?),
        };
        let faults = self.transact(|tx, now, events| {
            let target = device_id.unwrap_or(ALL_DEVICES);
            if target != ALL_DEVICES && store::find_device(tx, target)?.is_none() {
                return Err(BrokerError::NotFound(format!("device {target}")));
            }
            if device_id.is_none() && mode.is_none() {
                // `none` for all lifts every fault, each device's own too.
                for fault in phone_store::faults(tx)? {
                    phone_store::set_fault(tx, &fault.target, None, 0)?;
                }
            }
            phone_store::set_fault(tx, target, mode, delay_ms)?;
            store::audit(
                tx,
                now,
                None,
                "fault_set",
                &format!(
                    "{target}: {} {delay_ms} ms",
                    mode.map_or("none", FaultMode::as_str)
                ),
            )?;
            events.push(BrokerEvent::FaultsChanged);
            Ok(phone_store::faults(tx)?)
        })?;
        Ok(faults)
    }

    /// Audits a QA action the server keeps itself (the broker's own faults, a freeze).
    pub fn audit_qa(&self, event: &str, detail: &str) -> BrokerResult<()> {
        Ok(self
            .store
            .write(|tx| store::audit(tx, self.now(), None, event, detail))?)
    }

    pub fn faults(&self) -> BrokerResult<Vec<Fault>> {
        Ok(self.store.write(phone_store::faults)?)
    }

    pub fn settings(&self) -> BrokerResult<SettingsInfo> {
        Ok(SettingsInfo {
            number_matching: self.store.read(|tx| self.number_matching(tx))?,
        })
    }

    pub fn set_number_matching(&self, on: bool) -> BrokerResult<SettingsInfo> {
        self.store.write(|tx| -> StoreResult<()> {
            store::meta_set(tx, NUMBER_MATCHING_KEY, if on { "1" } else { "0" })?;
            store::audit(
                tx,
                self.now(),
                None,
                "settings",
                &format!("number matching {on}"),
            )
        })?;
        self.settings()
    }

    pub fn pushes(&self, username: Option<&str>) -> BrokerResult<Vec<PushInfo>> {
        self.transact(|tx, now, _| {
            let pushes = phone_store::pushes_of(tx, username, now)?
                .into_iter()
                .map(|p| PushInfo {
                    state: p.state.at(p.expires_at, now).as_str().into(),
                    push_id: p.id,
                    username: p.username,
                    device_id: p.device_id,
                    delivery: p.delivery.as_str().to_owned(),
                    number_shown: p.number_shown,
                    expires_at: p.expires_at.rfc3339(),
                })
                .collect();
            Ok(pushes)
        })
    }
}
