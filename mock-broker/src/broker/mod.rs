//! The broker: loads state from the store, asks the rules, stores the outcome, audits.
//!
//! This is where a login's steps meet — password, device choice, challenge, push, SMS —
//! linked by a ticket, but not where they are decided: lockout, challenge, push and
//! username policy live in `crate::rules`. Each second factor is a module of `factor`
//! (challenge, push, SMS), chosen by the device kind's method. Every method is
//! synchronous and runs one store transaction that answers one `BrokerResult`: a domain
//! error commits what it recorded (a failed attempt), a store error rolls back. The
//! HTTP layer calls it from a blocking task. What other parties must hear of (a push
//! for a phone, an answered push for a waiting desktop) leaves as a [`BrokerEvent`]
//! after the transaction commits.

mod access;
mod account;
mod activation;
mod codes;
mod factor;
mod journal;
mod login;
mod messages;
mod phone;
mod qa;
mod reactivation;
mod replacement;
mod settings;
mod sharing;
mod sweep;
mod waiters;

// The wire types the broker answers with are the api crate's.
pub use portcullis_api::{
    Activated, ActivationStep, ClockInfo, CodeSent, DeviceChoice, DeviceInfo, DeviceOption,
    DeviceProvision, LockoutInfo, LoginStep, Method, NewSession, PhoneAccess, PhoneAccount,
    PhoneProvision, PhonePush, PushInfo, PushWait, SecondFactor, SessionInfo, SettingsInfo,
    VerifyDevice, VerifyMethod,
};

pub use codes::{CodeRng, Codes};
pub use journal::Subject;
pub use login::PushStanding;
pub use waiters::{LoginWatch, Waiters};

use portcullis_api::{Channel, SessionRestriction, WithdrawalLimits};

use crate::error::BrokerError;
use crate::password::{Argon2Settings, HashLimits, Passwords};
use crate::rules::ibkey::{FaultMode, PushDelivery};
use crate::rules::session::{SessionEnd, SessionPolicy, SessionStatus};
use crate::rules::{Duration, LockStatus, Lockout, Timestamp, Username, UsernameError};
use crate::scenario::Scenario;
use crate::store::{self, Store, StoreResult};
use rand::RngCore;
use rusqlite::Transaction;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::broadcast;

pub type BrokerResult<T> = Result<T, BrokerError>;

/// The broker's clock: real time plus an offset that QA can move (and that persists).
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn real_now() -> Timestamp {
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

/// K4: how a push reaches its phone, decided when it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Delivery {
    Now,
    /// Lost on the way: the phone never hears of it.
    Dropped,
    /// Late by this many milliseconds (of real time: it is the network, not the clock).
    Delayed {
        ms: u64,
    },
    /// The phone is offline: held until it is back, while the push lives.
    Held,
}

impl Delivery {
    /// K4: how a push goes out under `fault` (none: at once).
    pub fn under(fault: Option<&store::ibkey::Fault>) -> Delivery {
        match fault.map(|f| (f.mode, f.delay_ms)) {
            None => Delivery::Now,
            Some((FaultMode::Drop, _)) => Delivery::Dropped,
            Some((FaultMode::Delay, ms)) => Delivery::Delayed { ms },
            Some((FaultMode::Offline, _)) => Delivery::Held,
        }
    }

    /// What the store records of it: a delay is the network's, the push is sent.
    pub fn recorded(self) -> PushDelivery {
        match self {
            Delivery::Now | Delivery::Delayed { .. } => PushDelivery::Sent,
            Delivery::Dropped => PushDelivery::Dropped,
            Delivery::Held => PushDelivery::Held,
        }
    }
}

/// What happened that someone outside the transaction must hear of.
#[derive(Debug, Clone)]
pub enum BrokerEvent {
    /// A push for a phone; the server delivers it as `delivery` says.
    PushCreated { push: PhonePush, delivery: Delivery },
    /// K3/K6: the push no longer needs an answer; the phone drops it from its list.
    PushWithdrawn { phone_id: String, push_id: String },
    /// K4: faults changed; held pushes may now go out.
    FaultsChanged,
    /// Phone tokens were replaced (a phone provisioned again, a reset): event streams
    /// opened with a token that no longer names its phone end.
    PhoneTokensChanged,
}

pub struct Broker {
    store: Store,
    clock: Clock,
    passwords: Passwords,
    scenario: Scenario,
    /// Issue 6: when sessions end (the scenario's `[sessions]`).
    sessions: SessionPolicy,
    events: broadcast::Sender<BrokerEvent>,
    /// K2: desktops waiting on a push, woken by their own login's moves.
    waiters: Waiters,
    /// The codes people read: the OS's, or one seeded stream (`--seed`, tests only).
    codes: Codes,
    /// How many password hashes run at once and wait (the server takes turns by them).
    hash_limits: HashLimits,
}

const CLOCK_OFFSET_KEY: &str = "clock_offset_ms";
const SCENARIO_LOADED_KEY: &str = "scenario_loaded";
const NUMBER_MATCHING_KEY: &str = "number_matching";

/// Random hex from the OS's generator: for secrets (tokens, tickets, keys) and ids that
/// act as one (push and activation ids). Codes people read come from [`Codes`].
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Tickets, tokens and one-time codes are stored hashed: a copy of the database file
/// does not hand out live sessions.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a transaction tells others once it has committed: events for the broadcast,
/// and the logins whose waiting desktops must look again.
#[derive(Default)]
struct Events {
    sent: Vec<BrokerEvent>,
    /// Ticket hashes.
    logins: Vec<String>,
}

impl Events {
    fn push(&mut self, event: BrokerEvent) {
        self.sent.push(event);
    }

    /// K2: the push of the login `ticket_hash` moved, or the login ended: a desktop
    /// waiting on it looks again.
    fn login_moved(&mut self, ticket_hash: String) {
        self.logins.push(ticket_hash);
    }
}

impl Broker {
    /// Opens the store in `state_dir` (in memory when None). A new store is loaded
    /// with `scenario`; an existing one keeps its state.
    pub fn open(
        state_dir: Option<&Path>,
        scenario: Scenario,
        argon2: Argon2Settings,
    ) -> Result<Broker, Box<dyn std::error::Error + Send + Sync>> {
        Broker::open_with_limits(state_dir, scenario, argon2, HashLimits::default())
    }

    /// [`Broker::open`], with the bounds on password hashing in flight and queued.
    pub fn open_with_limits(
        state_dir: Option<&Path>,
        scenario: Scenario,
        argon2: Argon2Settings,
        limits: HashLimits,
    ) -> Result<Broker, Box<dyn std::error::Error + Send + Sync>> {
        let store = Store::open(state_dir)?;
        let passwords = Passwords::new(argon2, limits)?;
        let (events, _) = broadcast::channel(1024);
        let sessions = scenario.session_policy()?;
        let broker = Broker {
            store,
            clock: Clock {
                offset_ms: AtomicI64::new(0),
            },
            passwords,
            scenario,
            sessions,
            events,
            waiters: Waiters::default(),
            codes: Codes::default(),
            hash_limits: limits,
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

    /// The bounds on password hashing this broker was opened with.
    pub fn hash_limits(&self) -> HashLimits {
        self.hash_limits
    }

    /// Test-only: the codes people read (challenges, index numbers, SMS, activation
    /// and temporary codes, the ids they see) come from `seed`'s stream, restarted by
    /// each reset; secrets stay the OS's. See [`Codes`].
    pub fn seed_codes(&self, seed: u64) {
        self.codes.seed(seed);
    }

    /// The seed of `seed_codes`, if any.
    pub fn code_seed(&self) -> Option<u64> {
        self.codes.seed_value()
    }

    /// Every event from now on (pushes to deliver, withdrawn, faults, phone tokens).
    pub fn subscribe(&self) -> broadcast::Receiver<BrokerEvent> {
        self.events.subscribe()
    }

    /// K2: the desktops waiting on pushes; [`Waiters::watch`] a login before looking at
    /// its push.
    pub fn waiters(&self) -> &Waiters {
        &self.waiters
    }

    /// Runs one transaction. A domain error is committed with whatever the closure
    /// wrote before it (a failed attempt is recorded, then reported); a store error
    /// rolls everything back. Events the closure collects are sent once the
    /// transaction has committed.
    fn transact<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>, Timestamp, &mut Events) -> BrokerResult<T>,
    ) -> BrokerResult<T> {
        let mut events = Events::default();
        let outcome = self.store.write(|tx| -> StoreResult<BrokerResult<T>> {
            match f(tx, self.clock.now(), &mut events) {
                Err(BrokerError::Store(e)) => Err(e),
                outcome => Ok(outcome),
            }
        })?;
        for event in events.sent {
            // No subscriber is fine: nobody is waiting.
            let _ = self.events.send(event);
        }
        for ticket_hash in &events.logins {
            self.waiters.wake(ticket_hash);
        }
        outcome
    }

    fn number_matching(&self, tx: &Transaction<'_>) -> StoreResult<bool> {
        Ok(store::meta_get(tx, NUMBER_MATCHING_KEY)?.as_deref() == Some("1"))
    }

    /// L1–L5 for any step that takes a password (login, IB Key activation): checks the
    /// password against the user's hash — or a dummy one, so timing does not tell
    /// which names exist — and keeps the lockout count, all in the caller's
    /// transaction. `password_ok` comes from [`Broker::check_password`], run before the
    /// transaction because Argon2 is slow.
    fn password_gate(
        tx: &Transaction<'_>,
        now: Timestamp,
        name: &Username,
        password_ok: bool,
    ) -> BrokerResult<store::UserRow> {
        let username = name.as_str();
        locked_out(tx, username, now)?;
        match (password_ok, store::find_user(tx, username)?) {
            (true, Some(user)) => Ok(user),
            (true, None) | (false, _) => {
                record_failure(tx, username, now, "invalid_credentials")?;
                Err(BrokerError::InvalidCredentials)
            }
        }
    }

    /// L3, then the slow part of L2: parse the name and run Argon2.
    fn check_password(&self, username: &str, password: &str) -> BrokerResult<(Username, bool)> {
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
        let user = self.store.read(|tx| store::find_user(tx, name.as_str()))?;
        // Known or not, the check waits at the same gate; `busy` when it is full.
        let ok = self
            .passwords
            .verify(user.as_ref().map(|u| u.password_hash.as_str()), password)?;
        Ok((name, ok))
    }

    /// The session for `token`, without counting as activity (the desktop polls it).
    pub fn session(&self, token: &str) -> BrokerResult<SessionInfo> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            self.describe_session(tx, &session, now)
        })
    }

    /// Issue 6: activity; the idle limit counts again from now (the daily end stays).
    pub fn keepalive(&self, token: &str) -> BrokerResult<SessionInfo> {
        self.transact(|tx, now, _| {
            let hash = token_hash(token);
            let mut session = self.live_session(tx, &hash, now)?;
            store::touch_session(tx, &hash, now)?;
            session.last_active_at = now;
            self.describe_session(tx, &session, now)
        })
    }

    pub fn logout(&self, token: &str) -> BrokerResult<()> {
        self.transact(|tx, now, _| {
            let hash = token_hash(token);
            let session = self.live_session(tx, &hash, now)?;
            store::end_session(tx, &hash, now, None)?;
            store::audit(tx, now, Some(&session.username), "logout", "")?;
            Ok(())
        })
    }

    /// The open session behind a token hash at `now`. Issue 6: one past its idle end or
    /// the daily end is ended here (once, audited) and answers `session_expired` from
    /// then on.
    fn live_session(
        &self,
        tx: &Transaction<'_>,
        hash: &str,
        now: Timestamp,
    ) -> BrokerResult<store::SessionRow> {
        let Some(session) = store::session(tx, hash)? else {
            return Err(BrokerError::InvalidSession);
        };
        match session.state {
            store::SessionState::Open => {}
            store::SessionState::LoggedOut => return Err(BrokerError::InvalidSession),
            store::SessionState::Expired(why) => return Err(BrokerError::SessionExpired(why)),
        }
        match self
            .sessions
            .status(session.created_at, session.last_active_at, now)
        {
            SessionStatus::Live { .. } => {
                // T2–T5: what the clock settled may end a session through a temporary
                // device (settling ends it in the store; this says so, once).
                access::settle(tx, &session.username, now)?;
                let device = store::session_device(tx, &session)?;
                if access::session_stands(device.as_ref(), session.channel, now) {
                    return Ok(session);
                }
                let why = SessionEnd::DeviceEnded;
                store::end_session(tx, hash, now, Some(why))?;
                store::audit(
                    tx,
                    now,
                    Some(&session.username),
                    "session_expired",
                    &format!("{} at {}", why.as_str(), now.rfc3339()),
                )?;
                Err(BrokerError::SessionExpired(why))
            }
            SessionStatus::Ended { why, at } => {
                store::end_session(tx, hash, at, Some(why))?;
                store::audit(
                    tx,
                    now,
                    Some(&session.username),
                    "session_expired",
                    &format!("{} at {}", why.as_str(), at.rfc3339()),
                )?;
                Err(BrokerError::SessionExpired(why))
            }
        }
    }

    fn describe_session(
        &self,
        tx: &Transaction<'_>,
        session: &store::SessionRow,
        now: Timestamp,
    ) -> BrokerResult<SessionInfo> {
        let Some(user) = store::find_user(tx, &session.username)? else {
            return Err(BrokerError::InvalidSession);
        };
        let device = store::session_device(tx, session)?;
        let limits = access::limits_of(tx, &user.username)?;
        let restriction = access::restriction(device.as_ref(), session.channel, now);
        Ok(session_info(
            &self.sessions,
            &user,
            device.as_ref(),
            session,
            (limits, restriction),
            now,
        ))
    }
}

/// L4: records an unsuccessful attempt (audited as `event`) and says what it left.
fn record_failure(
    tx: &Transaction<'_>,
    username: &str,
    now: Timestamp,
    event: &str,
) -> StoreResult<LockStatus> {
    let mut lockout = store::lockout(tx, username)?;
    let status = lockout.record_failure(now);
    store::save_lockout(tx, username, &lockout)?;
    store::audit(tx, now, Some(username), event, &describe(status))?;
    if let LockStatus::Locked { until } = status {
        if until == now.plus(crate::rules::LOCKOUT_WINDOW) && lockout.locked_since() == Some(now) {
            store::audit(
                tx,
                now,
                Some(username),
                "locked",
                &format!("until {}", until.rfc3339()),
            )?;
        }
    }
    Ok(status)
}

/// L4/L5: an attempt during the lock is refused — and is itself a failure. Answers
/// the refusal, to be returned as the error that commits the count.
fn refuse_locked(
    tx: &Transaction<'_>,
    username: &str,
    lockout: &mut Lockout,
    now: Timestamp,
) -> StoreResult<BrokerError> {
    let status = lockout.record_failure(now);
    store::save_lockout(tx, username, lockout)?;
    store::audit(tx, now, Some(username), "refused_locked", &describe(status))?;
    Ok(match status {
        LockStatus::Locked { until } => BrokerError::Locked { until },
        // A failure never unlocks; answer safely all the same.
        LockStatus::Open { .. } => BrokerError::InvalidCredentials,
    })
}

/// L4: `Ok` while `username` is not locked; otherwise the attempt is refused, and
/// counted (the error commits the count).
fn locked_out(tx: &Transaction<'_>, username: &str, now: Timestamp) -> BrokerResult<()> {
    let mut lockout = store::lockout(tx, username)?;
    match lockout.status(now) {
        LockStatus::Locked { .. } => Err(refuse_locked(tx, username, &mut lockout, now)?),
        LockStatus::Open { .. } => Ok(()),
    }
}

/// A device that can answer a login's second factor now: active (D5), of a kind whose
/// method this broker serves.
fn usable(d: &store::DeviceRow) -> bool {
    factor::serves(d.kind, d.status)
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
    policy: &SessionPolicy,
    user: &store::UserRow,
    device: Option<&store::DeviceRow>,
    session: &store::SessionRow,
    (limits, restriction): (WithdrawalLimits, Option<SessionRestriction>),
    now: Timestamp,
) -> SessionInfo {
    let expires_at = match policy.status(session.created_at, session.last_active_at, now) {
        SessionStatus::Live { expires_at } => expires_at,
        // Only live sessions are described; an ended one would say when it ended.
        SessionStatus::Ended { at, .. } => at,
    };
    SessionInfo {
        username: user.username.clone(),
        full_name: user.full_name.clone(),
        account: user.account.clone(),
        device_id: device.map(|d| d.id.clone()),
        device_kind: device.map(|d| d.kind),
        channel: session.channel,
        logged_in_at: session.created_at.rfc3339(),
        expires_at: expires_at.rfc3339(),
        idle_timeout_seconds: policy.idle.0 / 1000,
        limits,
        restriction,
    }
}

/// Completes a login — the one place a session opens, whatever the path (password
/// only, challenge, SMS code, an approved push). L4 first: a user locked meanwhile (a
/// push answered after ten wrong passwords elsewhere) is refused, and that refusal
/// counts, as every attempt during the lock does. Otherwise L4's count resets, the
/// device is remembered (D6), and a session opens.
fn open_session(
    tx: &Transaction<'_>,
    policy: &SessionPolicy,
    user: &store::UserRow,
    device: Option<&store::DeviceRow>,
    channel: Channel,
    now: Timestamp,
) -> BrokerResult<NewSession> {
    let mut lockout = store::lockout(tx, &user.username)?;
    if let LockStatus::Locked { .. } = lockout.status(now) {
        return Err(refuse_locked(tx, &user.username, &mut lockout, now)?);
    }
    lockout.record_success();
    store::save_lockout(tx, &user.username, &lockout)?;
    if let Some(d) = device {
        store::touch_device(tx, &d.id, now)?;
    }
    let token = format!("pcs_{}", random_hex(32));
    let row = store::SessionRow {
        username: user.username.clone(),
        device_id: device.map(|d| d.id.clone()),
        channel,
        created_at: now,
        last_active_at: now,
        state: store::SessionState::Open,
    };
    store::insert_session(tx, &token_hash(&token), &row)?;
    let via = device.map_or_else(
        || format!("password only, {}", channel.as_str()),
        |d| format!("device {}, {}", d.id, channel.as_str()),
    );
    store::audit(tx, now, Some(&user.username), "login_success", &via)?;
    let access = (
        access::limits_of(tx, &user.username)?,
        access::restriction(device, channel, now),
    );
    Ok(NewSession {
        token,
        session: session_info(policy, user, device, &row, access, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// The demo scenario, cheap Argon2, and a daily end half a day from now, so that a
    /// test moving the clock by minutes cannot run across it at any time of day.
    pub(super) fn broker() -> Broker {
        let cheap = Argon2Settings {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let half_a_day_away = Clock::real_now().plus(Duration::hours(12));
        let mut scenario = Scenario::demo();
        scenario.sessions.daily_end_utc = half_a_day_away.rfc3339()[11..16].to_owned();
        Broker::open(None, scenario, cheap).unwrap()
    }

    fn audited(broker: &Broker, event: &str) -> bool {
        broker
            .audit(None, 1000)
            .unwrap()
            .iter()
            .any(|e| e.event == event)
    }

    /// What the store ran while traced.
    static RAN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    fn ran(sql: &str) {
        RAN.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sql.to_owned());
    }

    #[test]
    fn issue_11_the_password_step_and_a_push_read_by_index() {
        let b = broker();
        b.store.trace(Some(ran));
        // A card, a push, an SMS code, a device choice then a push, no device.
        for user in ["avery", "dana", "erin", "frank", "blake"] {
            let step = b
                .login_password(user, "Trade2026", None, Channel::Trading)
                .unwrap();
            if let LoginStep::SelectDevice(choice) = step {
                b.choose_device(&choice.ticket, "IBK-10000002").unwrap();
            }
        }
        b.store.trace(None);
        let statements = std::mem::take(&mut *RAN.lock().unwrap_or_else(|p| p.into_inner()));
        let reads: Vec<&String> = statements
            .iter()
            .filter(|s| {
                ["SELECT", "UPDATE", "DELETE"]
                    .iter()
                    .any(|k| s.trim_start().starts_with(k))
            })
            .collect();
        assert!(reads.len() > 20, "the trace saw the steps: {statements:#?}");
        let scans = b
            .store
            .write(|tx| -> StoreResult<Vec<String>> {
                let mut scans = Vec::new();
                for sql in &reads {
                    let mut plan = tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let details = plan.query_map([], |r| r.get::<_, String>(3))?;
                    for detail in details {
                        let detail = detail?;
                        if detail.starts_with("SCAN ") && !detail.contains(" USING ") {
                            scans.push(format!("{detail}: {sql}"));
                        }
                    }
                }
                Ok(scans)
            })
            .unwrap();
        assert!(scans.is_empty(), "read without an index: {scans:#?}");
    }

    #[test]
    fn l4_a_domain_error_commits_what_it_recorded() {
        let b = broker();
        let out: BrokerResult<()> = b.transact(|tx, now, _| {
            store::audit(tx, now, None, "recorded_then_refused", "")?;
            Err(BrokerError::LoginFailed)
        });
        assert!(matches!(out, Err(BrokerError::LoginFailed)));
        assert!(
            audited(&b, "recorded_then_refused"),
            "a failed attempt is recorded even though the answer is an error"
        );
    }

    #[test]
    fn a_store_error_rolls_back() {
        let b = broker();
        let out: BrokerResult<()> = b.transact(|tx, now, events| {
            store::audit(tx, now, None, "written_then_failed", "")?;
            events.push(BrokerEvent::FaultsChanged);
            events.login_moved(token_hash("ticket"));
            Err(StoreError::Corrupt("disk on fire".into()).into())
        });
        assert!(matches!(out, Err(BrokerError::Store(_))));
        assert!(
            !audited(&b, "written_then_failed"),
            "a store failure leaves the state as it was"
        );
    }
}
