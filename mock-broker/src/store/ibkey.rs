//! Storage for IB Key and SMS: phones, pushes, the SMS outbox, activations, the QA
//! fault table, and K7's phone access times.

use super::Cached;
use super::{StoreError, StoreResult};
use crate::rules::ibkey::{forgotten_until, FaultMode, PushDelivery, PushState, UnlockMethod};
use crate::rules::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

// ---- phones -----------------------------------------------------------------------

pub fn insert_phone(
    tx: &Transaction<'_>,
    id: &str,
    number: &str,
    token_hash: &str,
    at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO phones (id, number, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, number, token_hash, at.0],
    )?;
    Ok(())
}

/// The phone a token belongs to, and its number.
pub fn phone_by_token(
    tx: &Transaction<'_>,
    token_hash: &str,
) -> StoreResult<Option<(String, String)>> {
    Ok(tx
        .row(
            "SELECT id, number FROM phones WHERE token_hash = ?1",
            [token_hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The number a phone was registered with.
pub fn phone_number(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<String>> {
    Ok(tx
        .row("SELECT number FROM phones WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A phone's token changes: the old one stops naming it.
pub fn set_phone_token(tx: &Transaction<'_>, id: &str, token_hash: &str) -> StoreResult<()> {
    tx.exec(
        "UPDATE phones SET token_hash = ?2 WHERE id = ?1",
        params![id, token_hash],
    )?;
    Ok(())
}

pub fn phone_exists(tx: &Transaction<'_>, id: &str) -> StoreResult<bool> {
    Ok(tx
        .row("SELECT 1 FROM phones WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

// ---- pushes -----------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct PushRow {
    pub id: String,
    pub ticket_hash: String,
    pub username: String,
    pub device_id: String,
    pub phone_id: String,
    pub challenge: String,
    pub number_shown: Option<u8>,
    pub number_choices: Option<Vec<u8>>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: PushState,
    pub delivery: PushDelivery,
}

pub fn insert_push(tx: &Transaction<'_>, p: &PushRow) -> StoreResult<()> {
    let choices = p
        .number_choices
        .as_ref()
        .map(|c| c.iter().map(u8::to_string).collect::<Vec<_>>().join(","));
    tx.exec(
        "INSERT INTO pushes (id, ticket_hash, username, device_id, phone_id, challenge, number_shown,
                             number_choices, issued_at, expires_at, state, delivery)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            p.id,
            p.ticket_hash,
            p.username,
            p.device_id,
            p.phone_id,
            p.challenge,
            p.number_shown,
            choices,
            p.issued_at.0,
            p.expires_at.0,
            p.state.as_str(),
            p.delivery.as_str()
        ],
    )?;
    Ok(())
}

const PUSH_COLUMNS: &str =
    "id, ticket_hash, username, device_id, phone_id, challenge, number_shown,
     number_choices, issued_at, expires_at, state, delivery";

/// A push row, with its state and delivery columns still as text (read by
/// [`with_state`]).
fn push_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(PushRow, String, String)> {
    let choices: Option<String> = r.get(7)?;
    let state: String = r.get(10)?;
    let delivery: String = r.get(11)?;
    Ok((
        PushRow {
            id: r.get(0)?,
            ticket_hash: r.get(1)?,
            username: r.get(2)?,
            device_id: r.get(3)?,
            phone_id: r.get(4)?,
            challenge: r.get(5)?,
            number_shown: r.get(6)?,
            number_choices: choices.map(|c| c.split(',').filter_map(|n| n.parse().ok()).collect()),
            issued_at: Timestamp(r.get(8)?),
            expires_at: Timestamp(r.get(9)?),
            state: PushState::Pending,
            delivery: PushDelivery::Sent,
        },
        state,
        delivery,
    ))
}

fn with_state((mut row, state, delivery): (PushRow, String, String)) -> StoreResult<PushRow> {
    row.state = PushState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("push {} state {state}", row.id)))?;
    row.delivery = PushDelivery::parse(&delivery)
        .ok_or_else(|| StoreError::Corrupt(format!("push {} delivery {delivery}", row.id)))?;
    Ok(row)
}

/// A push, unless it is forgotten at `now` (issue 11: as if already swept).
pub fn push(tx: &Transaction<'_>, id: &str, now: Timestamp) -> StoreResult<Option<PushRow>> {
    tx.row(
        &format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE id = ?1 AND issued_at > ?2"),
        params![id, forgotten_until(now).0],
        push_from_row,
    )
    .optional()?
    .map(with_state)
    .transpose()
}

/// Pushes still marked pending for a phone (the caller applies expiry), oldest first.
pub fn pending_pushes_of_phone(tx: &Transaction<'_>, phone_id: &str) -> StoreResult<Vec<PushRow>> {
    pushes_where(tx, "phone_id = ?1 AND state = 'pending'", params![phone_id])
}

/// Pushes still marked pending for a user (the caller applies expiry), oldest first.
pub fn pending_pushes_of_user(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<PushRow>> {
    pushes_where(tx, "username = ?1 AND state = 'pending'", params![username])
}

/// Every push not forgotten at `now`, or a user's, oldest first.
pub fn pushes_of(
    tx: &Transaction<'_>,
    username: Option<&str>,
    now: Timestamp,
) -> StoreResult<Vec<PushRow>> {
    let kept_after = forgotten_until(now).0;
    match username {
        Some(name) => pushes_where(
            tx,
            "username = ?1 AND issued_at > ?2",
            params![name, kept_after],
        ),
        None => pushes_where(tx, "issued_at > ?1", params![kept_after]),
    }
}

fn pushes_where(
    tx: &Transaction<'_>,
    condition: &str,
    values: &[&dyn rusqlite::ToSql],
) -> StoreResult<Vec<PushRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {PUSH_COLUMNS} FROM pushes WHERE {condition} ORDER BY issued_at"
    ))?;
    let rows = stmt.query_map(values, push_from_row)?;
    rows.map(|r| with_state(r?)).collect()
}

pub fn set_push_state(
    tx: &Transaction<'_>,
    id: &str,
    state: PushState,
    at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "UPDATE pushes SET state = ?2, answered_at = ?3 WHERE id = ?1",
        params![id, state.as_str(), at.0],
    )?;
    Ok(())
}

pub fn set_push_delivery(
    tx: &Transaction<'_>,
    id: &str,
    delivery: PushDelivery,
) -> StoreResult<()> {
    tx.exec(
        "UPDATE pushes SET delivery = ?2 WHERE id = ?1",
        params![id, delivery.as_str()],
    )?;
    Ok(())
}

// ---- SMS outbox ---------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Sms {
    pub id: i64,
    pub at: String,
    pub number: String,
    pub body: String,
}

pub fn send_sms(tx: &Transaction<'_>, at: Timestamp, number: &str, body: &str) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO sms_outbox (at, number, body) VALUES (?1, ?2, ?3)",
        params![at.0, number, body],
    )?;
    Ok(())
}

pub fn sms_to(tx: &Transaction<'_>, number: Option<&str>) -> StoreResult<Vec<Sms>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, at, number, body FROM sms_outbox WHERE ?1 IS NULL OR number = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([number], |r| {
        Ok(Sms {
            id: r.get(0)?,
            at: Timestamp(r.get(1)?).rfc3339(),
            number: r.get(2)?,
            body: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---- activations ------------------------------------------------------------------

/// Where an activation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivationStage {
    /// K1: the activation code went to the number; only its SHA-256 is kept.
    CodeSent { code_hash: String },
    /// K1 vs D5: the user's active DSC+ or IB Key must answer this challenge first…
    VerifyChallenge {
        device_id: String,
        challenge: String,
    },
    /// …or the code sent to the number of their SMS device (only its SHA-256 is kept)…
    VerifySms {
        device_id: String,
        code_hash: String,
    },
    /// …or the codes at two indexes of their card (D7, T3; kept in `challenge`)…
    VerifyIndexCard { device_id: String, indexes: String },
    /// …or their temporary passcode (T1).
    VerifyPasscode { device_id: String },
}

pub struct Activation {
    pub username: String,
    /// Where the activation code goes.
    pub number: String,
    pub stage: ActivationStage,
    /// Set when a phone that already exists adds a user (K5).
    pub phone_id: Option<String>,
    /// When the current stage began (its code or challenge counts from here).
    pub issued_at: Timestamp,
    pub tries: u32,
}

fn stage_columns(stage: &ActivationStage) -> (&'static str, &str, Option<&str>, Option<&str>) {
    match stage {
        ActivationStage::CodeSent { code_hash } => ("code_sent", code_hash, None, None),
        ActivationStage::VerifyChallenge {
            device_id,
            challenge,
        } => ("verify_challenge", "", Some(device_id), Some(challenge)),
        ActivationStage::VerifySms {
            device_id,
            code_hash,
        } => ("verify_sms", code_hash, Some(device_id), None),
        ActivationStage::VerifyIndexCard { device_id, indexes } => {
            ("verify_index_card", "", Some(device_id), Some(indexes))
        }
        ActivationStage::VerifyPasscode { device_id } => {
            ("verify_passcode", "", Some(device_id), None)
        }
    }
}

pub fn insert_activation(tx: &Transaction<'_>, id: &str, a: &Activation) -> StoreResult<()> {
    let (stage, code_hash, device_id, challenge) = stage_columns(&a.stage);
    tx.exec(
        "INSERT INTO activations (id, username, number, code_hash, phone_id, issued_at, tries, stage, device_id, challenge)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            a.username,
            a.number,
            code_hash,
            a.phone_id,
            a.issued_at.0,
            a.tries,
            stage,
            device_id,
            challenge
        ],
    )?;
    Ok(())
}

pub fn activation(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<Activation>> {
    let row = tx
        .row(
            "SELECT username, number, code_hash, phone_id, issued_at, tries, stage, device_id, challenge
             FROM activations WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, u32>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((
        username,
        number,
        code_hash,
        phone_id,
        issued_at,
        tries,
        stage,
        device_id,
        challenge,
    )) = row
    else {
        return Ok(None);
    };
    let stage = match (stage.as_str(), device_id, challenge) {
        ("code_sent", _, _) => ActivationStage::CodeSent { code_hash },
        ("verify_challenge", Some(device_id), Some(challenge)) => {
            ActivationStage::VerifyChallenge {
                device_id,
                challenge,
            }
        }
        ("verify_sms", Some(device_id), _) => ActivationStage::VerifySms {
            device_id,
            code_hash,
        },
        ("verify_index_card", Some(device_id), Some(indexes)) => {
            ActivationStage::VerifyIndexCard { device_id, indexes }
        }
        ("verify_passcode", Some(device_id), _) => ActivationStage::VerifyPasscode { device_id },
        (other, _, _) => {
            return Err(StoreError::Corrupt(format!(
                "activation {id} of {username} in stage {other}"
            )))
        }
    };
    Ok(Some(Activation {
        username,
        number,
        stage,
        phone_id,
        issued_at: Timestamp(issued_at),
        tries,
    }))
}

pub fn count_activation_try(tx: &Transaction<'_>, id: &str) -> StoreResult<()> {
    tx.exec(
        "UPDATE activations SET tries = tries + 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

pub fn delete_activation(tx: &Transaction<'_>, id: &str) -> StoreResult<()> {
    tx.exec("DELETE FROM activations WHERE id = ?1", [id])?;
    Ok(())
}

// ---- faults (K4, QA) ----------------------------------------------------------------

/// `*` is every device.
pub const ALL_DEVICES: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub target: String,
    pub mode: FaultMode,
    pub delay_ms: u64,
}

/// Sets the fault for `target`; `None` clears it.
pub fn set_fault(
    tx: &Transaction<'_>,
    target: &str,
    mode: Option<FaultMode>,
    delay_ms: u64,
) -> StoreResult<()> {
    let Some(mode) = mode else {
        tx.exec("DELETE FROM faults WHERE target = ?1", [target])?;
        return Ok(());
    };
    tx.exec(
        "INSERT INTO faults (target, mode, delay_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(target) DO UPDATE SET mode = excluded.mode, delay_ms = excluded.delay_ms",
        params![
            target,
            mode.as_str(),
            i64::try_from(delay_ms).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

pub fn faults(tx: &Transaction<'_>) -> StoreResult<Vec<Fault>> {
    let mut stmt =
        tx.prepare_cached("SELECT target, mode, delay_ms FROM faults ORDER BY target")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (target, mode, delay_ms) = row?;
        let mode = FaultMode::parse(&mode)
            .ok_or_else(|| StoreError::Corrupt(format!("fault for {target}: mode {mode}")))?;
        Ok(Fault {
            target,
            mode,
            delay_ms: u64::try_from(delay_ms).unwrap_or(0),
        })
    })
    .collect()
}

/// The fault for one device: its own, else the one for all devices.
pub fn fault_for(tx: &Transaction<'_>, device_id: &str) -> StoreResult<Option<Fault>> {
    let all = faults(tx)?;
    Ok(all
        .iter()
        .find(|f| f.target == device_id)
        .or_else(|| all.iter().find(|f| f.target == ALL_DEVICES))
        .cloned())
}

// ---- K7: phone access -----------------------------------------------------------------

pub fn record_access(
    tx: &Transaction<'_>,
    device_id: &str,
    method: UnlockMethod,
    at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO phone_access (device_id, method, at) VALUES (?1, ?2, ?3)
         ON CONFLICT(device_id) DO UPDATE SET method = excluded.method, at = excluded.at",
        params![device_id, method.as_str(), at.0],
    )?;
    Ok(())
}

pub fn access(
    tx: &Transaction<'_>,
    device_id: &str,
) -> StoreResult<Option<(UnlockMethod, Timestamp)>> {
    let row: Option<(String, i64)> = tx
        .row(
            "SELECT method, at FROM phone_access WHERE device_id = ?1",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(m, at)| UnlockMethod::parse(&m).map(|m| (m, Timestamp(at)))))
}
