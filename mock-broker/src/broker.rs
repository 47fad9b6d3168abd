//! The broker: loads state from the store, asks the rules, stores the outcome, audits.
//!
//! This is where a login's steps meet (`login_password` → `login_response`, linked by
//! a ticket) but not where they are decided: lockout, challenge and username policy
//! live in `crate::rules`. Every method is synchronous and runs one store transaction;
//! the HTTP layer calls it from a blocking task.

use crate::error::BrokerError;
use crate::password::{Argon2Settings, Passwords};
use crate::rules::challenge::{check_response, dsc_plus_response};
use crate::rules::{
    ChallengeCode, Duration, LockStatus, Lockout, ResponseCheck, Timestamp, Username,
    UsernameError, CHALLENGE_LIFETIME,
};
use crate::scenario::Scenario;
use crate::store::{self, Store, StoreError, StoreResult};
use rand::RngCore;
use rusqlite::Transaction;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

pub type BrokerResult<T> = Result<T, BrokerError>;

/// The broker's clock: real time plus an offset that QA can move (and that persists).
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    fn real_now() -> Timestamp {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    pub fn now(&self) -> Timestamp {
        Clock::real_now().plus(Duration(self.offset_ms.load(Ordering::SeqCst)))
    }

    pub fn offset(&self) -> Duration {
        Duration(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// After the password step: logged in, or a second factor to answer.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PasswordStep {
    Authenticated(NewSession),
    /// D5/C1: the user has an active DSC+; the login waits for its response.
    SecondFactor(ChallengeIssued),
}

#[derive(Debug, Serialize)]
pub struct ChallengeIssued {
    /// Links the second step to this login; single-use.
    pub ticket: String,
    pub device_id: String,
    pub device_kind: String,
    pub challenge: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize)]
pub struct NewSession {
    pub token: String,
    pub session: SessionInfo,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub username: String,
    pub full_name: String,
    pub account: String,
    pub device_id: Option<String>,
    pub device_kind: Option<String>,
    pub logged_in_at: String,
}

#[derive(Debug, Serialize)]
pub struct ClockInfo {
    pub now: String,
    pub now_ms: i64,
    pub offset_ms: i64,
}

#[derive(Debug, Serialize)]
pub struct LockoutInfo {
    pub username: String,
    pub locked: bool,
    pub locked_until: Option<String>,
    pub failures_in_window: usize,
}

#[derive(Debug, Serialize)]
pub struct DeviceInfo {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub status: String,
}

/// What a card simulator receives once, in demo/QA mode: its key. Never logged.
#[derive(Serialize)]
pub struct DeviceProvision {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub suite: &'static str,
    pub secret_hex: String,
}

pub struct Broker {
    store: Store,
    clock: Clock,
    passwords: Passwords,
    scenario: Scenario,
}

const CLOCK_OFFSET_KEY: &str = "clock_offset_ms";
const SCENARIO_LOADED_KEY: &str = "scenario_loaded";

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Tickets and session tokens are stored hashed: a copy of the database file does not
/// hand out live sessions.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Broker {
    /// Opens the store in `state_dir` (in memory when None). A new store is loaded
    /// with `scenario`; an existing one keeps its state.
    pub fn open(
        state_dir: Option<&Path>,
        scenario: Scenario,
        argon2: Argon2Settings,
    ) -> Result<Broker, Box<dyn std::error::Error + Send + Sync>> {
        let store = Store::open(state_dir)?;
        let passwords = Passwords::new(argon2)?;
        let broker = Broker {
            store,
            clock: Clock {
                offset_ms: AtomicI64::new(0),
            },
            passwords,
            scenario,
        };
        let (loaded, offset) = broker.store.write(|tx| -> StoreResult<_> {
            Ok((
                store::meta_get(tx, SCENARIO_LOADED_KEY)?.is_some(),
                store::meta_get(tx, CLOCK_OFFSET_KEY)?,
            ))
        })?;
        let offset = offset.and_then(|o| o.parse().ok()).unwrap_or(0);
        broker.clock.offset_ms.store(offset, Ordering::SeqCst);
        if !loaded {
            broker.reset()?;
        }
        Ok(broker)
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs one transaction whose domain outcome may be an error that must still be
    /// committed (a failed attempt is recorded, then reported).
    fn transact<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>, Timestamp) -> StoreResult<BrokerResult<T>>,
    ) -> BrokerResult<T> {
        self.store
            .write(|tx| -> StoreResult<BrokerResult<T>> { f(tx, self.clock.now()) })?
    }

    // ---- the login ------------------------------------------------------------------

    /// The password step (L1–L5, D5, C1).
    pub fn login_password(&self, username: &str, password: &str) -> BrokerResult<PasswordStep> {
        if username.is_empty() {
            return Err(BrokerError::MissingField("username"));
        }
        if password.is_empty() {
            return Err(BrokerError::MissingField("password"));
        }
        let name = match Username::parse(username) {
            Ok(name) => name,
            Err(UsernameError::BadCharacter) => {
                // L3: refused before any password check; not a failed attempt. The raw
                // input is not audited: people sometimes type a password there.
                self.store.write(|tx| {
                    store::audit(
                        tx,
                        self.now(),
                        None,
                        "bad_character",
                        "username refused before the password check",
                    )
                })?;
                return Err(BrokerError::BadCharacter);
            }
            Err(e @ (UsernameError::Empty | UsernameError::TooLong { .. })) => {
                return Err(BrokerError::BadRequest(format!("User name: {e}.")))
            }
        };

        // L2: the password is always put through Argon2 — against the user's hash, or a
        // dummy one for unknown names — so timing does not tell which names exist.
        let user = self.store.write(|tx| store::find_user(tx, name.as_str()))?;
        let password_ok = self
            .passwords
            .verify(user.as_ref().map(|u| u.password_hash.as_str()), password);

        self.transact(|tx, now| {
            let username = name.as_str();
            let mut lockout = store::lockout(tx, username)?;
            if let LockStatus::Locked { .. } = lockout.status(now) {
                return refuse_locked(tx, username, &mut lockout, now);
            }
            let user = match (password_ok, user) {
                (true, Some(user)) => user,
                (true, None) | (false, _) => {
                    let status = lockout.record_failure(now);
                    store::save_lockout(tx, username, &lockout)?;
                    store::audit(
                        tx,
                        now,
                        Some(username),
                        "invalid_credentials",
                        &describe(status),
                    )?;
                    audit_if_locked(tx, username, status, now)?;
                    return Ok(Err(BrokerError::InvalidCredentials));
                }
            };

            let active: Vec<_> = store::devices_of(tx, username)?
                .into_iter()
                .filter(|d| d.status == "active")
                .collect();
            let Some(device) = active.first() else {
                // No Secure Login device: D5 does not apply; the password is enough.
                lockout.record_success();
                store::save_lockout(tx, username, &lockout)?;
                return Ok(Ok(PasswordStep::Authenticated(open_session(
                    tx, &user, None, now,
                )?)));
            };

            // D5/C1/C4: a fresh challenge for this attempt; any older one is void.
            store::drop_pending_of(tx, username)?;
            let ticket = random_hex(24);
            let challenge = ChallengeCode::generate(&mut rand::thread_rng());
            store::insert_pending(
                tx,
                &token_hash(&ticket),
                &store::PendingLogin {
                    username: username.to_owned(),
                    device_id: device.id.clone(),
                    challenge: challenge.as_str().to_owned(),
                    issued_at: now,
                },
            )?;
            store::audit(
                tx,
                now,
                Some(username),
                "challenge_issued",
                &format!("device {}", device.id),
            )?;
            Ok(Ok(PasswordStep::SecondFactor(ChallengeIssued {
                ticket,
                device_id: device.id.clone(),
                device_kind: device.kind.clone(),
                challenge: challenge.as_str().to_owned(),
                expires_at: now.plus(CHALLENGE_LIFETIME).rfc3339(),
            })))
        })
    }

    /// The second step: the card's response to the challenge (C2–C4, L4, L6).
    pub fn login_response(&self, ticket: &str, response: &str) -> BrokerResult<NewSession> {
        if ticket.is_empty() {
            return Err(BrokerError::MissingField("ticket"));
        }
        self.transact(|tx, now| {
            // C4: taken out of the store whatever the outcome: a challenge answers once.
            let Some(pending) = store::take_pending(tx, &token_hash(ticket))? else {
                return Ok(Err(BrokerError::NoPendingLogin));
            };
            let username = pending.username.as_str();
            let mut lockout = store::lockout(tx, username)?;
            if let LockStatus::Locked { .. } = lockout.status(now) {
                return refuse_locked(tx, username, &mut lockout, now);
            }
            let device =
                store::find_device(tx, &pending.device_id)?.filter(|d| d.status == "active");
            let user = store::find_user(tx, username)?;
            let (Some(device), Some(user)) = (device, user) else {
                return Ok(Err(BrokerError::LoginFailed));
            };
            let key = hex::decode(&device.secret_hex)
                .map_err(|e| StoreError::Corrupt(format!("device key: {e}")))?;
            let pin = hex::decode(&device.pin_sha1_hex)
                .map_err(|e| StoreError::Corrupt(format!("device PIN: {e}")))?;
            let expected =
                dsc_plus_response(&key, &pin, &ChallengeCode::from_stored(pending.challenge))
                    .map_err(|e| StoreError::Corrupt(format!("device OCRA: {e}")))?;

            match check_response(&expected, response, pending.issued_at, now) {
                ResponseCheck::Correct => {
                    lockout.record_success();
                    store::save_lockout(tx, username, &lockout)?;
                    store::touch_device(tx, &device.id, now)?;
                    Ok(Ok(open_session(tx, &user, Some(&device), now)?))
                }
                ResponseCheck::Wrong => {
                    // L4 (decision): a wrong second factor is a failed attempt.
                    let status = lockout.record_failure(now);
                    store::save_lockout(tx, username, &lockout)?;
                    store::audit(tx, now, Some(username), "login_failed", &describe(status))?;
                    audit_if_locked(tx, username, status, now)?;
                    Ok(Err(BrokerError::LoginFailed))
                }
                ResponseCheck::Expired => {
                    store::audit(
                        tx,
                        now,
                        Some(username),
                        "challenge_expired",
                        "response after 5 minutes",
                    )?;
                    Ok(Err(BrokerError::ChallengeExpired))
                }
            }
        })
    }

    /// The user pressed Cancel: the challenge is withdrawn.
    pub fn cancel_login(&self, ticket: &str) -> BrokerResult<()> {
        self.transact(|tx, now| {
            let Some(pending) = store::take_pending(tx, &token_hash(ticket))? else {
                return Ok(Err(BrokerError::NoPendingLogin));
            };
            store::audit(tx, now, Some(&pending.username), "login_cancelled", "")?;
            Ok(Ok(()))
        })
    }

    pub fn session(&self, token: &str) -> BrokerResult<SessionInfo> {
        self.transact(|tx, _now| {
            let Some(session) = store::live_session(tx, &token_hash(token))? else {
                return Ok(Err(BrokerError::InvalidSession));
            };
            let Some(user) = store::find_user(tx, &session.username)? else {
                return Ok(Err(BrokerError::InvalidSession));
            };
            let device = match &session.device_id {
                Some(id) => store::find_device(tx, id)?,
                None => None,
            };
            Ok(Ok(session_info(&user, device.as_ref(), session.created_at)))
        })
    }

    pub fn logout(&self, token: &str) -> BrokerResult<()> {
        self.transact(|tx, now| {
            let hash = token_hash(token);
            let Some(session) = store::live_session(tx, &hash)? else {
                return Ok(Err(BrokerError::InvalidSession));
            };
            store::end_session(tx, &hash, now)?;
            store::audit(tx, now, Some(&session.username), "logout", "")?;
            Ok(Ok(()))
        })
    }

    // ---- QA and operator controls ------------------------------------------------------

    pub fn clock(&self) -> ClockInfo {
        let now = self.clock.now();
        ClockInfo {
            now: now.rfc3339(),
            now_ms: now.0,
            offset_ms: self.clock.offset().0,
        }
    }

    /// Moves the simulated clock so that it reads `target`; persisted and audited.
    pub fn set_clock(&self, target: Timestamp) -> BrokerResult<ClockInfo> {
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

    /// Back to the scenario as the broker started with it: users, devices, no locks,
    /// no sessions, an empty audit log (but for the reset itself), the clock at real time.
    pub fn reset(&self) -> BrokerResult<()> {
        // Hash outside the transaction: Argon2 is the slow part.
        let users: Vec<store::UserRow> = self
            .scenario
            .users
            .iter()
            .map(|u| store::UserRow {
                username: u.username.clone(),
                full_name: u.full_name.clone(),
                password_hash: self.passwords.hash(&u.password),
                entity: u.entity.clone(),
                is_primary: u.primary,
                account: String::new(),
            })
            .collect();
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
            }
            for u in &users {
                store::insert_user(tx, u)?;
            }
            for d in &self.scenario.devices {
                store::insert_device(
                    tx,
                    &store::DeviceRow {
                        id: d.id.clone(),
                        kind: d.kind.as_str().to_owned(),
                        owner: d.owner.clone(),
                        secret_hex: d.secret.to_ascii_lowercase(),
                        pin_sha1_hex: hex::encode(ocra::hash_pin(
                            ocra::HashAlgorithm::Sha1,
                            &d.pin,
                        )),
                        status: d.status.as_str().to_owned(),
                        last_used_at: None,
                    },
                )?;
            }
            store::meta_set(tx, CLOCK_OFFSET_KEY, "0")?;
            store::meta_set(tx, SCENARIO_LOADED_KEY, "1")?;
            store::audit(
                tx,
                Clock::real_now(),
                None,
                "reset",
                "state reloaded from the scenario",
            )
        })?;
        self.clock.offset_ms.store(0, Ordering::SeqCst);
        Ok(())
    }

    pub fn lockout(&self, username: &str) -> BrokerResult<LockoutInfo> {
        let name = Username::parse(username).map_err(|_| BrokerError::BadCharacter)?;
        self.transact(|tx, now| {
            let mut lockout = store::lockout(tx, name.as_str())?;
            let info = match lockout.status(now) {
                LockStatus::Locked { until } => LockoutInfo {
                    username: name.to_string(),
                    locked: true,
                    locked_until: Some(until.rfc3339()),
                    failures_in_window: lockout.failures.len(),
                },
                LockStatus::Open { failures_in_window } => LockoutInfo {
                    username: name.to_string(),
                    locked: false,
                    locked_until: None,
                    failures_in_window,
                },
            };
            Ok(Ok(info))
        })
    }

    /// L5: Client Services lifts a lock; audited.
    pub fn unlock(&self, username: &str, operator: &str) -> BrokerResult<LockoutInfo> {
        let name = Username::parse(username).map_err(|_| BrokerError::BadCharacter)?;
        self.transact(|tx, now| {
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
            Ok(Ok(()))
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

    pub fn devices(&self) -> BrokerResult<Vec<DeviceInfo>> {
        let rows = self.store.write(store::all_devices)?;
        Ok(rows
            .into_iter()
            .map(|d| DeviceInfo {
                id: d.id,
                kind: d.kind,
                owner: d.owner,
                status: d.status,
            })
            .collect())
    }

    /// Hands a device's key to a simulator (demo/QA only); audited without the key.
    pub fn provision(&self, device_id: &str) -> BrokerResult<DeviceProvision> {
        self.transact(|tx, now| {
            let Some(d) = store::find_device(tx, device_id)? else {
                return Ok(Err(BrokerError::NotFound(format!("device {device_id}"))));
            };
            store::audit(
                tx,
                now,
                Some(&d.owner),
                "device_provisioned",
                &format!("device {}", d.id),
            )?;
            Ok(Ok(DeviceProvision {
                id: d.id,
                kind: d.kind,
                owner: d.owner,
                suite: crate::rules::DSC_PLUS_SUITE,
                secret_hex: d.secret_hex,
            }))
        })
    }
}

/// L4/L5: an attempt during the lock is refused — and is itself a failure.
fn refuse_locked<T>(
    tx: &Transaction<'_>,
    username: &str,
    lockout: &mut Lockout,
    now: Timestamp,
) -> StoreResult<BrokerResult<T>> {
    let status = lockout.record_failure(now);
    store::save_lockout(tx, username, lockout)?;
    store::audit(tx, now, Some(username), "refused_locked", &describe(status))?;
    match status {
        LockStatus::Locked { until } => Ok(Err(BrokerError::Locked { until })),
        // Unreachable in practice (a failure never unlocks), but answer safely.
        LockStatus::Open { .. } => Ok(Err(BrokerError::InvalidCredentials)),
    }
}

fn audit_if_locked(
    tx: &Transaction<'_>,
    username: &str,
    status: LockStatus,
    now: Timestamp,
) -> StoreResult<()> {
    match status {
        LockStatus::Locked { until } if until == now.plus(crate::rules::LOCKOUT_WINDOW) => {
            store::audit(
                tx,
                now,
                Some(username),
                "locked",
                &format!("until {}", until.rfc3339()),
            )
        }
        LockStatus::Locked { .. } | LockStatus::Open { .. } => Ok(()),
    }
}

fn describe(status: LockStatus) -> String {
    match status {
        LockStatus::Open { failures_in_window } => {
            format!("{failures_in_window} consecutive failures")
        }
        LockStatus::Locked { until } => format!("locked until {}", until.rfc3339()),
    }
}

fn session_info(
    user: &store::UserRow,
    device: Option<&store::DeviceRow>,
    at: Timestamp,
) -> SessionInfo {
    SessionInfo {
        username: user.username.clone(),
        full_name: user.full_name.clone(),
        account: user.account.clone(),
        device_id: device.map(|d| d.id.clone()),
        device_kind: device.map(|d| d.kind.clone()),
        logged_in_at: at.rfc3339(),
    }
}

fn open_session(
    tx: &Transaction<'_>,
    user: &store::UserRow,
    device: Option<&store::DeviceRow>,
    now: Timestamp,
) -> StoreResult<NewSession> {
    let token = format!("pcs_{}", random_hex(32));
    store::insert_session(
        tx,
        &token_hash(&token),
        &store::SessionRow {
            username: user.username.clone(),
            device_id: device.map(|d| d.id.clone()),
            created_at: now,
        },
    )?;
    let via = device.map_or_else(
        || "password only".to_owned(),
        |d| format!("device {}", d.id),
    );
    store::audit(tx, now, Some(&user.username), "login_success", &via)?;
    Ok(NewSession {
        token,
        session: session_info(user, device, now),
    })
}
