//! Storage for logins under way (their ticket and second-factor stage) and sessions
//! (with their last activity and how they ended).

use super::Cached;
use super::{StoreError, StoreResult};
use crate::rules::ibkey::forgotten_until;
use crate::rules::session::SessionEnd;
use crate::rules::Timestamp;
use portcullis_api::Channel;
use rusqlite::{params, OptionalExtension, Transaction};

// ---- pending logins (tickets) -----------------------------------------------------

/// Where a login stands between the password and the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// D6: the user has several devices and picks one.
    SelectDevice,
    /// C1/K3: a challenge code shown, the device's response awaited.
    Challenge {
        device_id: String,
        challenge: String,
    },
    /// K2: a push is out to the phone.
    Push { device_id: String, push_id: String },
    /// D3: a code went out by SMS; only its SHA-256 is kept.
    Sms {
        device_id: String,
        code_hash: String,
    },
    /// D7, T3: two index numbers shown ("7,42").
    IndexCard { device_id: String, indexes: String },
    /// T1, T2: the temporary passcode awaited.
    TemporaryPasscode { device_id: String },
}

impl Stage {
    /// The device the stage waits on, if any.
    pub fn device_id(&self) -> Option<&str> {
        match self {
            Stage::SelectDevice => None,
            Stage::Challenge { device_id, .. }
            | Stage::Push { device_id, .. }
            | Stage::Sms { device_id, .. }
            | Stage::IndexCard { device_id, .. }
            | Stage::TemporaryPasscode { device_id } => Some(device_id),
        }
    }
}

pub struct PendingLogin {
    pub username: String,
    /// Where the login came from; its session keeps it.
    pub channel: Channel,
    /// When the password step passed: the ticket's whole life counts from here.
    pub created_at: Timestamp,
    pub stage: Stage,
    /// When the current stage began (a challenge's or code's expiry counts from here).
    pub issued_at: Timestamp,
}

fn stage_columns(stage: &Stage) -> (&'static str, Option<&str>, Option<&str>, Option<&str>) {
    match stage {
        Stage::SelectDevice => ("select_device", None, None, None),
        Stage::Challenge {
            device_id,
            challenge,
        } => ("challenge", Some(device_id), Some(challenge), None),
        Stage::Push { device_id, push_id } => ("push", Some(device_id), None, Some(push_id)),
        Stage::Sms {
            device_id,
            code_hash,
        } => ("sms", Some(device_id), Some(code_hash), None),
        Stage::IndexCard { device_id, indexes } => {
            ("index_card", Some(device_id), Some(indexes), None)
        }
        Stage::TemporaryPasscode { device_id } => {
            ("temporary_passcode", Some(device_id), None, None)
        }
    }
}

pub fn insert_pending(
    tx: &Transaction<'_>,
    ticket_hash: &str,
    p: &PendingLogin,
) -> StoreResult<()> {
    let (stage, device_id, code, push_id) = stage_columns(&p.stage);
    tx.exec(
        "INSERT INTO pending_logins (ticket_hash, username, created_at, stage, device_id, code, push_id, issued_at, channel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![ticket_hash, p.username, p.created_at.0, stage, device_id, code, push_id, p.issued_at.0, p.channel.as_str()],
    )?;
    Ok(())
}

pub fn set_stage(
    tx: &Transaction<'_>,
    ticket_hash: &str,
    stage: &Stage,
    issued_at: Timestamp,
) -> StoreResult<()> {
    let (name, device_id, code, push_id) = stage_columns(stage);
    tx.exec(
        "UPDATE pending_logins SET stage = ?2, device_id = ?3, code = ?4, push_id = ?5, issued_at = ?6
         WHERE ticket_hash = ?1",
        params![ticket_hash, name, device_id, code, push_id, issued_at.0],
    )?;
    Ok(())
}

/// The login under way for a ticket, unless it is forgotten at `now` (issue 11: as if
/// already swept).
pub fn pending(
    tx: &Transaction<'_>,
    ticket_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<PendingLogin>> {
    let row = tx
        .row(
            "SELECT username, created_at, stage, device_id, code, push_id, issued_at, channel
             FROM pending_logins WHERE ticket_hash = ?1 AND created_at > ?2",
            params![ticket_hash, forgotten_until(now).0],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((username, created_at, stage, device_id, code, push_id, issued_at, channel)) = row
    else {
        return Ok(None);
    };
    let corrupt = || StoreError::Corrupt(format!("pending login of {username} in stage {stage}"));
    let stage = match (stage.as_str(), device_id, code, push_id) {
        ("select_device", _, _, _) => Stage::SelectDevice,
        ("challenge", Some(device_id), Some(challenge), _) => Stage::Challenge {
            device_id,
            challenge,
        },
        ("push", Some(device_id), _, Some(push_id)) => Stage::Push { device_id, push_id },
        ("sms", Some(device_id), Some(code_hash), _) => Stage::Sms {
            device_id,
            code_hash,
        },
        ("index_card", Some(device_id), Some(indexes), _) => {
            Stage::IndexCard { device_id, indexes }
        }
        ("temporary_passcode", Some(device_id), _, _) => Stage::TemporaryPasscode { device_id },
        _ => return Err(corrupt()),
    };
    let channel = Channel::parse(&channel).ok_or_else(corrupt)?;
    Ok(Some(PendingLogin {
        username,
        channel,
        created_at: Timestamp(created_at),
        stage,
        issued_at: Timestamp(issued_at),
    }))
}

/// T4: logins under way through a voided device end at once; their ticket hashes (a
/// desktop may be waiting on one).
pub fn drop_pending_on_device(tx: &Transaction<'_>, device_id: &str) -> StoreResult<Vec<String>> {
    let mut dropped =
        tx.prepare_cached("DELETE FROM pending_logins WHERE device_id = ?1 RETURNING ticket_hash")?;
    let hashes = dropped.query_map([device_id], |r| r.get(0))?;
    Ok(hashes.collect::<Result<_, _>>()?)
}

/// C4/K6: the ticket is spent.
pub fn delete_pending(tx: &Transaction<'_>, ticket_hash: &str) -> StoreResult<()> {
    tx.exec(
        "DELETE FROM pending_logins WHERE ticket_hash = ?1",
        [ticket_hash],
    )?;
    Ok(())
}

/// Issue 11: deletes at most `batch` logins begun, and as many pushes sent, at or
/// before `until` (each by its age index).
pub fn sweep_logins(tx: &Transaction<'_>, until: Timestamp, batch: u32) -> StoreResult<()> {
    for (table, age) in [("pending_logins", "created_at"), ("pushes", "issued_at")] {
        tx.exec(
            &format!(
                "DELETE FROM {table} WHERE rowid IN
                   (SELECT rowid FROM {table} WHERE {age} <= ?1 LIMIT ?2)"
            ),
            params![until.0, batch],
        )?;
    }
    Ok(())
}

/// C4: a new attempt replaces whatever the user still had open; its pushes are withdrawn.
pub fn drop_pending_of(tx: &Transaction<'_>, username: &str) -> StoreResult<()> {
    tx.exec(
        "UPDATE pushes SET state = 'withdrawn' WHERE username = ?1 AND state = 'pending'",
        [username],
    )?;
    tx.exec("DELETE FROM pending_logins WHERE username = ?1", [username])?;
    Ok(())
}

// ---- sessions ---------------------------------------------------------------------

/// Whether a session is still open, and if not, how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Open,
    /// Logged out (or ended before the broker recorded why).
    LoggedOut,
    /// Issue 6: past its idle end or the daily end.
    Expired(SessionEnd),
}

pub struct SessionRow {
    pub username: String,
    pub device_id: Option<String>,
    /// The channel of the login that opened it.
    pub channel: Channel,
    pub created_at: Timestamp,
    /// The last keepalive (or the login): the idle limit counts from here.
    pub last_active_at: Timestamp,
    pub state: SessionState,
}

pub fn insert_session(tx: &Transaction<'_>, token_hash: &str, s: &SessionRow) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO sessions (token_hash, username, device_id, created_at, last_active_at, channel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_hash,
            s.username,
            s.device_id,
            s.created_at.0,
            s.last_active_at.0,
            s.channel.as_str()
        ],
    )?;
    Ok(())
}

/// The session for a token, open or ended.
pub fn session(tx: &Transaction<'_>, token_hash: &str) -> StoreResult<Option<SessionRow>> {
    let row = tx
        .row(
            "SELECT username, device_id, created_at, last_active_at, ended_at, end_reason, channel
             FROM sessions WHERE token_hash = ?1",
            [token_hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((username, device_id, created_at, last_active_at, ended_at, reason, channel)) = row
    else {
        return Ok(None);
    };
    let state = match (ended_at, reason.as_deref()) {
        (None, _) => SessionState::Open,
        (Some(_), None | Some("logout")) => SessionState::LoggedOut,
        (Some(_), Some(other)) => {
            SessionState::Expired(SessionEnd::parse(other).ok_or_else(|| {
                StoreError::Corrupt(format!("session of {username} ended for {other:?}"))
            })?)
        }
    };
    let channel = Channel::parse(&channel)
        .ok_or_else(|| StoreError::Corrupt(format!("session of {username} on {channel:?}")))?;
    Ok(Some(SessionRow {
        username,
        device_id,
        channel,
        created_at: Timestamp(created_at),
        last_active_at: Timestamp(last_active_at.unwrap_or(created_at)),
        state,
    }))
}

/// T4: open sessions through a voided or expired device end at `at`; how many.
pub fn end_sessions_on_device(
    tx: &Transaction<'_>,
    device_id: &str,
    at: Timestamp,
) -> StoreResult<usize> {
    Ok(tx.exec(
        "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE device_id = ?1 AND ended_at IS NULL",
        params![device_id, at.0, SessionEnd::DeviceEnded.as_str()],
    )?)
}

/// Activity (issue 6): the idle limit counts again from `at`.
pub fn touch_session(tx: &Transaction<'_>, token_hash: &str, at: Timestamp) -> StoreResult<()> {
    tx.exec(
        "UPDATE sessions SET last_active_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL",
        params![token_hash, at.0],
    )?;
    Ok(())
}

/// Ends an open session: a logout (`why` None) or an expiry.
pub fn end_session(
    tx: &Transaction<'_>,
    token_hash: &str,
    at: Timestamp,
    why: Option<SessionEnd>,
) -> StoreResult<bool> {
    let reason = why.map_or("logout", SessionEnd::as_str);
    let n = tx.exec(
        "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE token_hash = ?1 AND ended_at IS NULL",
        params![token_hash, at.0, reason],
    )?;
    Ok(n == 1)
}
