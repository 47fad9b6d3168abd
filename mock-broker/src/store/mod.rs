//! The broker's SQLite store: one job, keeping state across restarts and crashes.
//!
//! Every change the broker makes happens inside one transaction, so a `kill -9` leaves
//! either the state before a request or the state after it. The schema's migrations
//! live here, beside the queries that read it; `PRAGMA user_version` says which ran.

use crate::rules::ibkey::UnlockMethod;
use crate::rules::{Lockout, Timestamp};
use portcullis_api::{DeviceKind, DeviceStatus};
use rusqlite::{
    params, Connection, OptionalExtension, Params, Row, Transaction, TransactionBehavior,
};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub mod account;
pub mod ibkey;
mod login;
pub mod replacement;
pub mod sharing;

pub use login::*;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    equity_usd INTEGER NOT NULL,
    identification TEXT NOT NULL
);
CREATE TABLE users (
    username TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    entity TEXT NOT NULL REFERENCES entities(id),
    is_primary INTEGER NOT NULL
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL REFERENCES users(username),
    secret_hex TEXT NOT NULL,
    pin_sha1_hex TEXT NOT NULL,
    status TEXT NOT NULL,
    last_used_at INTEGER
);
CREATE TABLE lockouts (username TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE pending_logins (
    ticket_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    device_id TEXT NOT NULL,
    challenge TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    device_id TEXT,
    created_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    username TEXT,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    r#"
-- IB Key (K1-K7), SMS (D3), device choice (D6). Pending logins are transient: the
-- old table is replaced by one that records the login's second-factor stage.
DROP TABLE pending_logins;
CREATE TABLE pending_logins (
    ticket_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    stage TEXT NOT NULL,
    device_id TEXT,
    code TEXT,
    push_id TEXT,
    issued_at INTEGER NOT NULL
);
ALTER TABLE devices ADD COLUMN phone_id TEXT;
ALTER TABLE devices ADD COLUMN security TEXT;
ALTER TABLE devices ADD COLUMN phone_number TEXT;
CREATE TABLE phones (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE pushes (
    id TEXT PRIMARY KEY,
    ticket_hash TEXT NOT NULL,
    username TEXT NOT NULL,
    device_id TEXT NOT NULL,
    phone_id TEXT NOT NULL,
    challenge TEXT NOT NULL,
    number_shown INTEGER,
    number_choices TEXT,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    answered_at INTEGER,
    delivery TEXT NOT NULL
);
CREATE INDEX pushes_by_ticket ON pushes(ticket_hash);
CREATE INDEX pushes_by_phone ON pushes(phone_id, state);
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    number TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE activations (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    number TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    phone_id TEXT,
    issued_at INTEGER NOT NULL,
    tries INTEGER NOT NULL
);
CREATE TABLE faults (target TEXT PRIMARY KEY, mode TEXT NOT NULL, delay_ms INTEGER NOT NULL);
CREATE TABLE phone_access (device_id TEXT PRIMARY KEY, method TEXT NOT NULL, at INTEGER NOT NULL);
"#,
    r#"
-- Issue 6. Sessions end when idle and at the daily end: their last activity, and why
-- they ended ('logout', 'idle', 'daily_end'; NULL for sessions ended before this).
ALTER TABLE sessions ADD COLUMN last_active_at INTEGER;
UPDATE sessions SET last_active_at = created_at;
ALTER TABLE sessions ADD COLUMN end_reason TEXT;
-- K1 vs D5: an activation may first wait for the user's active device to answer.
ALTER TABLE activations ADD COLUMN stage TEXT NOT NULL DEFAULT 'code_sent';
ALTER TABLE activations ADD COLUMN device_id TEXT;
ALTER TABLE activations ADD COLUMN challenge TEXT;
"#,
    r#"
-- Issue 7. A login says where it comes from ('trading' or 'portal'); its session keeps it.
ALTER TABLE pending_logins ADD COLUMN channel TEXT NOT NULL DEFAULT 'trading';
ALTER TABLE sessions ADD COLUMN channel TEXT NOT NULL DEFAULT 'trading';
"#,
    r#"
-- Issue 8. Cards keep their grid (D7, T3: 300 digits); a temporary passcode its SHA-256
-- (T1); temporary devices when they started (T2, T3), shipped ones when they left (T5).
ALTER TABLE devices ADD COLUMN grid TEXT;
ALTER TABLE devices ADD COLUMN passcode_hash TEXT;
ALTER TABLE devices ADD COLUMN activated_at INTEGER;
ALTER TABLE devices ADD COLUMN shipped_at INTEGER;
-- T5: 1 once a shipped device activated itself (its notice stays in the messages).
ALTER TABLE devices ADD COLUMN auto_activated INTEGER NOT NULL DEFAULT 0;
-- T1: 1 from a temporary passcode until a permanent device is reactivated.
ALTER TABLE users ADD COLUMN passcode_spent INTEGER NOT NULL DEFAULT 0;
-- T3: an online card obtained on the portal, waiting for its activation.
CREATE TABLE card_offers (
    username TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    grid TEXT NOT NULL,
    indexes TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
"#,
    r#"
-- Issue 8, case 10: a device being reactivated on the portal and what it was asked (a
-- challenge, or two index numbers), answered once within 5 minutes.
CREATE TABLE reactivations (
    username TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    asked TEXT NOT NULL,
    issued_at INTEGER NOT NULL
);
"#,
    r#"
-- Issue 9 (account). O1: the entity opted out of the Secure Login System for trading.
ALTER TABLE entities ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
-- D2: withdrawals, counted per user over the UTC day and the 5 business days.
CREATE TABLE withdrawals (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    entity TEXT NOT NULL,
    amount_usd INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX withdrawals_by_user ON withdrawals(username, at);
-- O1: deposits; the ACH/EFT cap counts the entity's total.
CREATE TABLE deposits (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    entity TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_usd INTEGER NOT NULL,
    at INTEGER NOT NULL
);
-- O1: orders, checked and recorded (no matching).
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    entity TEXT NOT NULL,
    symbol TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    at INTEGER NOT NULL
);
-- O1: bank-instruction and email changes (the account number masked).
CREATE TABLE profile_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    entity TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    at INTEGER NOT NULL
);
-- Issue 9, S1-S6: a device shared between usernames. The requesting user's request,
-- where it stands ('asked' with what the owner's device was asked, 'reviewing',
-- 'pending_compliance', 'approved', 'cancelled', 'failed', 'expired'), and the
-- requesting user's devices set aside while it is approved (S6: comma-separated ids).
CREATE TABLE sharings (
    id TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    owner TEXT NOT NULL,
    device_id TEXT NOT NULL,
    state TEXT NOT NULL,
    asked TEXT,
    requested_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    approved_at INTEGER,
    cancelled_at INTEGER,
    set_aside TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sharings_by_requester ON sharings(requester, state);
-- Issue 9 (R1-R4). The shipping address on file (JSON); DSC+ orders (a summary waiting
-- for its confirmation has no device yet); the 20 USD deposits; devices sent back and
-- when they show as received; closed accounts.
ALTER TABLE users ADD COLUMN address TEXT;
CREATE TABLE device_orders (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    pin_sha1_hex TEXT NOT NULL,
    deposit_account TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ships_at INTEGER NOT NULL,
    device_id TEXT
);
CREATE TABLE deposit_holds (
    device_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    account TEXT NOT NULL,
    amount_usd INTEGER NOT NULL,
    status TEXT NOT NULL,
    placed_at INTEGER NOT NULL,
    settled_at INTEGER
);
CREATE TABLE device_returns (
    device_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    shipped_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL
);
CREATE TABLE closed_accounts (account TEXT PRIMARY KEY, closed_at INTEGER NOT NULL);
"#,
    r#"
-- Issue 9, S4: Compliance's decision on a sharing that waited for it. A new state,
-- 'rejected' (the state column has no CHECK to widen); who at Compliance approved or
-- rejected it (null: approved at once, or not decided yet); when it was rejected and
-- the reason given (null: none). The user's messages are derived from these.
ALTER TABLE sharings ADD COLUMN decided_by TEXT;
ALTER TABLE sharings ADD COLUMN rejected_at INTEGER;
ALTER TABLE sharings ADD COLUMN rejection_reason TEXT;
"#,
    r#"
-- Issue 11. The password step reads devices, logins under way and pushes by user, and
-- phones and holds by what names them; the sweep deletes logins and pushes by age.
CREATE INDEX devices_by_owner ON devices(owner);
CREATE INDEX pending_logins_by_user ON pending_logins(username);
CREATE INDEX pending_logins_by_device ON pending_logins(device_id);
CREATE INDEX pending_logins_by_age ON pending_logins(created_at);
CREATE INDEX pushes_by_user ON pushes(username, state);
CREATE INDEX pushes_by_age ON pushes(issued_at);
CREATE INDEX phones_by_token ON phones(token_hash);
CREATE INDEX sessions_by_device ON sessions(device_id);
CREATE INDEX users_by_entity ON users(entity);
CREATE INDEX sharings_by_owner ON sharings(owner);
CREATE INDEX device_orders_by_user ON device_orders(username);
CREATE INDEX deposit_holds_by_user ON deposit_holds(username);
CREATE INDEX deposit_holds_by_account ON deposit_holds(account, status);
CREATE INDEX deposits_by_entity ON deposits(entity);
"#,
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Statements run through the connection's cache of prepared statements: each is parsed
/// once per connection, not at every request (parsing SQL was a fifth of the broker's
/// CPU in a login storm; issue 11).
pub(crate) trait Cached {
    /// [`Connection::execute`], prepared once.
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// [`Connection::query_row`], prepared once.
    fn row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Distinct statements the broker runs are about 150: all stay prepared.
const STATEMENT_CACHE: usize = 256;

/// The connection, behind a mutex: SQLite writes one transaction at a time anyway, and
/// holding the lock for a whole transaction is what makes L4's count exact under load.
/// A store on disk has a second, read-only connection for [`Store::read`]: in WAL mode
/// it reads a snapshot without waiting for the writer.
pub struct Store {
    conn: Mutex<Connection>,
    reader: Option<Mutex<Connection>>,
}

impl Store {
    /// Opens (or creates) `dir/broker.sqlite3`, or an in-memory store when `dir` is None.
    /// The folder is the owner's alone (0700) and so is every file in it (0600): it
    /// holds device keys, PIN hashes and the SMS outbox.
    pub fn open(dir: Option<&Path>) -> StoreResult<Store> {
        let mut reader = None;
        let mut conn = match dir {
            Some(dir) => {
                let db = dir.join(DB_FILE);
                private::folder(dir)
                    .and_then(|()| private::files(&db))
                    .map_err(|e| {
                        StoreError::Corrupt(format!("cannot prepare {}: {e}", dir.display()))
                    })?;
                let conn = Connection::open(&db)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                reader = Some(db);
                conn
            }
            None => Connection::open_in_memory()?,
        };
        // NORMAL, in WAL mode: a commit is written to the WAL before its answer goes
        // out, so `kill -9` loses no acknowledged change (the crash test proves it);
        // the WAL is synced at checkpoints rather than at every commit, so a power cut
        // could lose the last commits but never leaves the database inconsistent. FULL
        // would sync at every commit, which halved the password steps per second.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn)?;
        let reader = match reader {
            Some(db) => {
                let r = Connection::open(db)?;
                r.pragma_update(None, "query_only", "ON")?;
                r.busy_timeout(std::time::Duration::from_secs(5))?;
                r.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Some(Mutex::new(r))
            }
            None => None,
        };
        Ok(Store {
            conn: Mutex::new(conn),
            reader,
        })
    }

    /// Runs `f` in one read transaction (a snapshot), on the reading connection when
    /// the store is on disk; `f` cannot write (`query_only`). For reads that need not
    /// be atomic with a change, such as the password hash read before Argon2.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let Some(reader) = &self.reader else {
            return self.write(f);
        };
        let mut conn = reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` in one IMMEDIATE transaction and commits if it returns Ok.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Test-only: each statement this store runs, with its values, goes to `f`.
    #[cfg(test)]
    pub fn trace(&self, f: Option<fn(&str)>) {
        self.lock().trace(f);
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction (it rolls
        // back on drop), so the connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The database file in the state folder; SQLite adds `-wal` and `-shm` beside it.
const DB_FILE: &str = "broker.sqlite3";

/// Who may read the state folder: its owner. SQLite creates the WAL and its index with
/// the database file's own mode, so a database file made 0600 first keeps them 0600.
#[cfg(unix)]
mod private {
    use std::fs::{DirBuilder, OpenOptions, Permissions};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    pub(super) fn folder(dir: &Path) -> std::io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        // A folder made earlier (or by someone else's umask) is tightened too.
        std::fs::set_permissions(dir, Permissions::from_mode(0o700))
    }

    pub(super) fn files(db: &Path) -> std::io::Result<()> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(db)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::set_permissions(&name, Permissions::from_mode(0o600)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod private {
    use std::path::Path;

    pub(super) fn folder(dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub(super) fn files(_db: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

// ---- meta -------------------------------------------------------------------------

pub fn meta_get(tx: &Transaction<'_>, key: &str) -> StoreResult<Option<String>> {
    Ok(tx
        .row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(tx: &Transaction<'_>, key: &str, value: &str) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

// ---- scenario data ----------------------------------------------------------------

/// Removes everything but the meta table: the first step of a reset.
pub fn clear_all(tx: &Transaction<'_>) -> StoreResult<()> {
    tx.execute_batch(
        "DELETE FROM pending_logins; DELETE FROM sessions; DELETE FROM lockouts;
         DELETE FROM pushes; DELETE FROM sms_outbox; DELETE FROM activations;
         DELETE FROM faults; DELETE FROM phone_access; DELETE FROM card_offers; DELETE FROM reactivations; DELETE FROM phones;
         DELETE FROM withdrawals; DELETE FROM deposits; DELETE FROM orders; DELETE FROM profile_changes;
         DELETE FROM sharings;
         DELETE FROM device_orders; DELETE FROM deposit_holds; DELETE FROM device_returns; DELETE FROM closed_accounts;
         DELETE FROM devices; DELETE FROM users; DELETE FROM entities; DELETE FROM audit;",
    )?;
    Ok(())
}

pub struct EntityRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub account: &'a str,
    pub equity_usd: i64,
    pub identification_json: String,
}

pub fn insert_entity(tx: &Transaction<'_>, e: &EntityRow<'_>) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO entities (id, name, account, equity_usd, identification) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![e.id, e.name, e.account, e.equity_usd, e.identification_json],
    )?;
    Ok(())
}

pub struct UserRow {
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub entity: String,
    pub is_primary: bool,
    pub account: String,
}

pub fn insert_user(tx: &Transaction<'_>, u: &UserRow) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO users (username, full_name, password_hash, entity, is_primary) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![u.username, u.full_name, u.password_hash, u.entity, u.is_primary],
    )?;
    Ok(())
}

pub fn find_user(tx: &Transaction<'_>, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(tx
        .row(
            "SELECT u.username, u.full_name, u.password_hash, u.entity, u.is_primary, e.account
             FROM users u JOIN entities e ON e.id = u.entity WHERE u.username = ?1",
            [username],
            |r| {
                Ok(UserRow {
                    username: r.get(0)?,
                    full_name: r.get(1)?,
                    password_hash: r.get(2)?,
                    entity: r.get(3)?,
                    is_primary: r.get(4)?,
                    account: r.get(5)?,
                })
            },
        )
        .optional()?)
}

#[derive(Clone)]
pub struct DeviceRow {
    pub id: String,
    pub kind: DeviceKind,
    pub owner: String,
    pub secret_hex: String,
    pub pin_sha1_hex: String,
    pub status: DeviceStatus,
    pub last_used_at: Option<Timestamp>,
    /// IB Key: the phone that holds it.
    pub phone_id: Option<String>,
    /// IB Key: K1's security element.
    pub security: Option<UnlockMethod>,
    /// SMS: where codes go (D3).
    pub phone_number: Option<String>,
    /// D7, T3: a card's 300 digits.
    pub grid: Option<String>,
    /// T1: the temporary passcode's SHA-256.
    pub passcode_hash: Option<String>,
    /// T2, T3: when a temporary device was issued or activated.
    pub activated_at: Option<Timestamp>,
    /// T5: when a shipped device left.
    pub shipped_at: Option<Timestamp>,
    /// T5: it activated itself (not by hand).
    pub auto_activated: bool,
}

impl DeviceRow {
    /// A device with nothing but its identity and status; the rest is filled in by
    /// the caller.
    pub fn bare(id: &str, kind: DeviceKind, owner: &str, status: DeviceStatus) -> DeviceRow {
        DeviceRow {
            id: id.to_owned(),
            kind,
            owner: owner.to_owned(),
            secret_hex: String::new(),
            pin_sha1_hex: String::new(),
            status,
            last_used_at: None,
            phone_id: None,
            security: None,
            phone_number: None,
            grid: None,
            passcode_hash: None,
            activated_at: None,
            shipped_at: None,
            auto_activated: false,
        }
    }
}

impl std::fmt::Debug for DeviceRow {
    // The secret and the PIN hash never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

pub fn insert_device(tx: &Transaction<'_>, d: &DeviceRow) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO devices (id, kind, owner, secret_hex, pin_sha1_hex, status, last_used_at, phone_id, security, phone_number,
                              grid, passcode_hash, activated_at, shipped_at, auto_activated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            d.id,
            d.kind.as_str(),
            d.owner,
            d.secret_hex,
            d.pin_sha1_hex,
            d.status.as_str(),
            d.last_used_at.map(|t| t.0),
            d.phone_id,
            d.security.map(UnlockMethod::as_str),
            d.phone_number,
            d.grid,
            d.passcode_hash,
            d.activated_at.map(|t| t.0),
            d.shipped_at.map(|t| t.0),
            d.auto_activated
        ],
    )?;
    Ok(())
}

/// The one place device kinds and statuses meet their column text (the contract's
/// names, `DeviceKind::as_str`); anything else in those columns is corrupt.
fn device_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<DeviceRow>> {
    let id: String = r.get(0)?;
    let kind: String = r.get(1)?;
    let status: String = r.get(5)?;
    let security: Option<String> = r.get(8)?;
    let corrupt =
        |what: &str, text: &str| StoreError::Corrupt(format!("device {id} {what} {text:?}"));
    let Some(kind) = DeviceKind::parse(&kind) else {
        return Ok(Err(corrupt("kind", &kind)));
    };
    let Some(status) = DeviceStatus::parse(&status) else {
        return Ok(Err(corrupt("status", &status)));
    };
    let security = match security {
        None => None,
        Some(text) => match UnlockMethod::parse(&text) {
            Some(method) => Some(method),
            None => return Ok(Err(corrupt("security", &text))),
        },
    };
    Ok(Ok(DeviceRow {
        kind,
        owner: r.get(2)?,
        secret_hex: r.get(3)?,
        pin_sha1_hex: r.get(4)?,
        status,
        last_used_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
        phone_id: r.get(7)?,
        security,
        phone_number: r.get(9)?,
        grid: r.get(10)?,
        passcode_hash: r.get(11)?,
        activated_at: r.get::<_, Option<i64>>(12)?.map(Timestamp),
        shipped_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
        auto_activated: r.get(14)?,
        id,
    }))
}

const DEVICE_COLUMNS: &str =
    "id, kind, owner, secret_hex, pin_sha1_hex, status, last_used_at, phone_id, security, phone_number,
     grid, passcode_hash, activated_at, shipped_at, auto_activated";

/// Devices of one user, the last used first (D6's default choice).
pub fn devices_of(tx: &Transaction<'_>, owner: &str) -> StoreResult<Vec<DeviceRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE owner = ?1 ORDER BY last_used_at DESC, id"
    ))?;
    let rows = stmt.query_map([owner], device_from_row)?;
    rows.map(|r| r?).collect()
}

pub fn all_devices(tx: &Transaction<'_>) -> StoreResult<Vec<DeviceRow>> {
    let mut stmt =
        tx.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id"))?;
    let rows = stmt.query_map([], device_from_row)?;
    rows.map(|r| r?).collect()
}

/// The device a session's login went through (none: password only, or gone).
pub fn session_device(
    tx: &Transaction<'_>,
    session: &SessionRow,
) -> StoreResult<Option<DeviceRow>> {
    match &session.device_id {
        Some(id) => find_device(tx, id),
        None => Ok(None),
    }
}

pub fn find_device(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<DeviceRow>> {
    tx.row(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
        [id],
        device_from_row,
    )
    .optional()?
    .transpose()
}

/// The devices of `username` of `kind` in status `from` move to `to` (the caller has
/// asked `rules::device` that the change is legal); how many moved.
pub fn set_status_of_kind(
    tx: &Transaction<'_>,
    username: &str,
    kind: DeviceKind,
    from: DeviceStatus,
    to: DeviceStatus,
) -> StoreResult<usize> {
    Ok(tx.exec(
        "UPDATE devices SET status = ?4 WHERE owner = ?1 AND kind = ?2 AND status = ?3",
        params![username, kind.as_str(), from.as_str(), to.as_str()],
    )?)
}

/// One device's new status (the caller asked `rules::device` first).
pub fn set_status(tx: &Transaction<'_>, id: &str, to: DeviceStatus) -> StoreResult<()> {
    tx.exec(
        "UPDATE devices SET status = ?2 WHERE id = ?1",
        params![id, to.as_str()],
    )?;
    Ok(())
}

/// T5: a shipped device activated itself at `at`.
pub fn mark_auto_activated(tx: &Transaction<'_>, id: &str) -> StoreResult<()> {
    tx.exec(
        "UPDATE devices SET status = 'active', auto_activated = 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// T1: whether `username` had a temporary passcode since a permanent device last
/// served again.
pub fn passcode_spent(tx: &Transaction<'_>, username: &str) -> StoreResult<bool> {
    Ok(tx
        .row(
            "SELECT passcode_spent FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

pub fn set_passcode_spent(tx: &Transaction<'_>, username: &str, spent: bool) -> StoreResult<()> {
    tx.exec(
        "UPDATE users SET passcode_spent = ?2 WHERE username = ?1",
        params![username, spent],
    )?;
    Ok(())
}

/// T3: an online card waiting for its activation.
pub struct CardOffer {
    pub device_id: String,
    pub grid: String,
    pub indexes: String,
    pub issued_at: Timestamp,
}

pub fn put_card_offer(tx: &Transaction<'_>, username: &str, o: &CardOffer) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO card_offers (username, device_id, grid, indexes, issued_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(username) DO UPDATE SET device_id = excluded.device_id, grid = excluded.grid,
             indexes = excluded.indexes, issued_at = excluded.issued_at",
        params![username, o.device_id, o.grid, o.indexes, o.issued_at.0],
    )?;
    Ok(())
}

pub fn card_offer(tx: &Transaction<'_>, username: &str) -> StoreResult<Option<CardOffer>> {
    Ok(tx
        .row(
            "SELECT device_id, grid, indexes, issued_at FROM card_offers WHERE username = ?1",
            [username],
            |r| {
                Ok(CardOffer {
                    device_id: r.get(0)?,
                    grid: r.get(1)?,
                    indexes: r.get(2)?,
                    issued_at: Timestamp(r.get(3)?),
                })
            },
        )
        .optional()?)
}

pub fn delete_card_offer(tx: &Transaction<'_>, username: &str) -> StoreResult<()> {
    tx.exec("DELETE FROM card_offers WHERE username = ?1", [username])?;
    Ok(())
}

/// Case 10: a device being reactivated on the portal; `asked` is the challenge, or the
/// two index numbers as stored by `rules::card`.
pub struct Reactivation {
    pub device_id: String,
    pub asked: String,
    pub issued_at: Timestamp,
}

pub fn put_reactivation(tx: &Transaction<'_>, username: &str, r: &Reactivation) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO reactivations (username, device_id, asked, issued_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(username) DO UPDATE SET device_id = excluded.device_id,
             asked = excluded.asked, issued_at = excluded.issued_at",
        params![username, r.device_id, r.asked, r.issued_at.0],
    )?;
    Ok(())
}

/// The user's reactivation under way, taken out of the store: it answers once.
pub fn take_reactivation(
    tx: &Transaction<'_>,
    username: &str,
) -> StoreResult<Option<Reactivation>> {
    let found = tx
        .row(
            "SELECT device_id, asked, issued_at FROM reactivations WHERE username = ?1",
            [username],
            |r| {
                Ok(Reactivation {
                    device_id: r.get(0)?,
                    asked: r.get(1)?,
                    issued_at: Timestamp(r.get(2)?),
                })
            },
        )
        .optional()?;
    tx.exec("DELETE FROM reactivations WHERE username = ?1", [username])?;
    Ok(found)
}

pub fn all_usernames(tx: &Transaction<'_>) -> StoreResult<Vec<String>> {
    let mut stmt = tx.prepare_cached("SELECT username FROM users ORDER BY username")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn touch_device(tx: &Transaction<'_>, id: &str, at: Timestamp) -> StoreResult<()> {
    tx.exec(
        "UPDATE devices SET last_used_at = ?2 WHERE id = ?1",
        params![id, at.0],
    )?;
    Ok(())
}

// ---- lockouts ---------------------------------------------------------------------

pub fn lockout(tx: &Transaction<'_>, username: &str) -> StoreResult<Lockout> {
    let json: Option<String> = tx
        .row(
            "SELECT state FROM lockouts WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?;
    match json {
        None => Ok(Lockout::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("lockout of {username}: {e}"))),
    }
}

pub fn save_lockout(tx: &Transaction<'_>, username: &str, state: &Lockout) -> StoreResult<()> {
    if *state == Lockout::default() {
        tx.exec("DELETE FROM lockouts WHERE username = ?1", [username])?;
        return Ok(());
    }
    let json = serde_json::to_string(state)
        .map_err(|e| StoreError::Corrupt(format!("lockout of {username}: {e}")))?;
    tx.exec(
        "INSERT INTO lockouts (username, state) VALUES (?1, ?2)
         ON CONFLICT(username) DO UPDATE SET state = excluded.state",
        params![username, json],
    )?;
    Ok(())
}

// ---- audit ------------------------------------------------------------------------

/// The wire's audit event: the store reads rows straight into it.
pub use portcullis_api::AuditEvent;

pub fn audit(
    tx: &Transaction<'_>,
    at: Timestamp,
    username: Option<&str>,
    event: &str,
    detail: &str,
) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO audit (at, username, event, detail) VALUES (?1, ?2, ?3, ?4)",
        params![at.0, username, event, detail],
    )?;
    Ok(())
}

/// The newest `limit` events, oldest first, optionally for one username.
pub fn audit_tail(
    tx: &Transaction<'_>,
    username: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<AuditEvent>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, at, username, event, detail FROM audit
         WHERE ?1 IS NULL OR username = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![username, limit], |r| {
        let at: i64 = r.get(1)?;
        Ok(AuditEvent {
            id: r.get(0)?,
            at: Timestamp(at).rfc3339(),
            at_ms: at,
            username: r.get(2)?,
            event: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    let mut events: Vec<AuditEvent> = rows.collect::<Result<_, _>>()?;
    events.reverse();
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue11_a_store_on_disk_reads_on_its_own_connection_and_cannot_write_there() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path())).unwrap();
        assert!(store.reader.is_some());
        store.write(|tx| meta_set(tx, "probe", "written")).unwrap();
        // The writer's lock is held while the reader reads: a reader apart does not wait.
        let _writer = store.lock();
        let seen = store.read(|tx| meta_get(tx, "probe")).unwrap();
        assert_eq!(
            seen.as_deref(),
            Some("written"),
            "a committed change is read"
        );
        let refused = store.read(|tx| meta_set(tx, "probe", "from the reader"));
        assert!(
            matches!(refused, Err(StoreError::Sqlite(_))),
            "the reading connection is query_only: {refused:?}"
        );
    }

    #[test]
    fn l4_a_locked_record_stays_small_in_the_store() {
        let store = Store::open(None).unwrap();
        let size: i64 = store
            .write(|tx| -> StoreResult<i64> {
                let mut lockout = Lockout::default();
                for i in 0..10_010 {
                    lockout.record_failure(Timestamp(1_800_000_000_000 + i * 1000));
                    save_lockout(tx, "blake", &lockout)?;
                }
                Ok(tx.row(
                    "SELECT length(state) FROM lockouts WHERE username = 'blake'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(size < 120, "ten thousand refused attempts: {size} bytes");
        let read = store.write(|tx| lockout(tx, "blake")).unwrap();
        assert_eq!(read.failures_counted(), 10_010);
    }

    #[test]
    fn d1_device_kinds_and_statuses_round_trip_and_a_stray_name_is_corrupt() {
        let store = Store::open(None).unwrap();
        let device = |id: &str, kind: DeviceKind, status: DeviceStatus| DeviceRow {
            security: Some(UnlockMethod::Biometric),
            ..DeviceRow::bare(id, kind, "avery", status)
        };
        store
            .write(|tx| -> StoreResult<()> {
                tx.execute_batch(
                    "INSERT INTO entities (id, name, account, equity_usd, identification) VALUES ('e', 'E', 'U1', 0, '{}');
                     INSERT INTO users (username, full_name, password_hash, entity, is_primary)
                         VALUES ('avery', 'Avery', 'x', 'e', 1);",
                )?;
                for (i, kind) in DeviceKind::ALL.into_iter().enumerate() {
                    let status = DeviceStatus::ALL[i % DeviceStatus::ALL.len()];
                    insert_device(tx, &device(&format!("D{i}"), kind, status))?;
                }
                Ok(())
            })
            .unwrap();
        let read = store.write(|tx| devices_of(tx, "avery")).unwrap();
        assert_eq!(read.len(), DeviceKind::ALL.len());
        for d in &read {
            let i: usize = d.id[1..].parse().unwrap();
            assert_eq!(d.kind, DeviceKind::ALL[i], "the kind comes back as written");
            assert_eq!(d.status, DeviceStatus::ALL[i % DeviceStatus::ALL.len()]);
            assert_eq!(d.security, Some(UnlockMethod::Biometric));
        }
        store
            .write(|tx| -> StoreResult<usize> {
                Ok(tx.exec("UPDATE devices SET kind = 'ib-key' WHERE id = 'D0'", [])?)
            })
            .unwrap();
        let err = store.write(|tx| find_device(tx, "D0")).unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(why) if why.contains("ib-key")),
            "a kind the contract does not name is corrupt data, not a new kind: {err}"
        );
        assert!(matches!(
            store.write(|tx| devices_of(tx, "avery")),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn the_state_folder_and_its_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = Store::open(Some(&dir)).unwrap();
        store.write(|tx| meta_set(tx, "k", "v")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "an existing folder is tightened");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 2, "the database and its WAL");
    }
}
