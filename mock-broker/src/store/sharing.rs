//! Storage for device sharing (S1–S6): the requests and where each stands, and the
//! identification data S1(a) compares.

use super::Cached;
use super::{StoreError, StoreResult};
use crate::rules::sharing::SharingState;
use crate::rules::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::BTreeMap;

pub struct SharingRow {
    pub id: String,
    pub requester: String,
    pub owner: String,
    pub device_id: String,
    pub state: SharingState,
    pub requested_at: Timestamp,
    /// When the requesting user confirmed it (approved at once, or sent to Compliance).
    pub confirmed_at: Option<Timestamp>,
    /// S4: when it came into force.
    pub approved_at: Option<Timestamp>,
    /// S6: when the requesting user cancelled it.
    pub cancelled_at: Option<Timestamp>,
    /// S4: who at Compliance approved or rejected it; None when approved at once (or
    /// not decided yet).
    pub decided_by: Option<String>,
    /// S4: when Compliance rejected it.
    pub rejected_at: Option<Timestamp>,
    /// S6: the requesting user's devices set aside while it stands.
    pub set_aside: Vec<String>,
}

/// The state's columns: its name, what was asked, and why Compliance rejected it.
fn state_columns(state: &SharingState) -> (&'static str, Option<&str>, Option<&str>) {
    match state {
        SharingState::Asked { asked } => (state.name(), Some(asked), None),
        SharingState::Rejected { reason } => (state.name(), None, reason.as_deref()),
        SharingState::Reviewing
        | SharingState::PendingCompliance
        | SharingState::Approved
        | SharingState::Cancelled
        | SharingState::Failed
        | SharingState::Expired => (state.name(), None, None),
    }
}

fn state_from(
    id: &str,
    name: &str,
    asked: Option<String>,
    reason: Option<String>,
) -> StoreResult<SharingState> {
    Ok(match (name, asked) {
        ("asked", Some(asked)) => SharingState::Asked { asked },
        ("reviewing", _) => SharingState::Reviewing,
        ("pending_compliance", _) => SharingState::PendingCompliance,
        ("rejected", _) => SharingState::Rejected { reason },
        ("approved", _) => SharingState::Approved,
        ("cancelled", _) => SharingState::Cancelled,
        ("failed", _) => SharingState::Failed,
        ("expired", _) => SharingState::Expired,
        (other, _) => return Err(StoreError::Corrupt(format!("sharing {id} state {other:?}"))),
    })
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.0)
}

pub fn insert(tx: &Transaction<'_>, s: &SharingRow) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO sharings (id, requester, owner, device_id, state, requested_at)
         VALUES (?1, ?2, ?3, ?4, 'reviewing', ?5)",
        params![s.id, s.requester, s.owner, s.device_id, s.requested_at.0],
    )?;
    update(tx, s)
}

/// Writes `s`'s state, dates, devices set aside and Compliance's decision.
pub fn update(tx: &Transaction<'_>, s: &SharingRow) -> StoreResult<()> {
    let (state, asked, reason) = state_columns(&s.state);
    tx.exec(
        "UPDATE sharings SET state = ?2, asked = ?3, confirmed_at = ?4, approved_at = ?5,
             cancelled_at = ?6, set_aside = ?7, decided_by = ?8, rejected_at = ?9,
             rejection_reason = ?10
         WHERE id = ?1",
        params![
            s.id,
            state,
            asked,
            ms(s.confirmed_at),
            ms(s.approved_at),
            ms(s.cancelled_at),
            s.set_aside.join(","),
            s.decided_by,
            ms(s.rejected_at),
            reason
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, requester, owner, device_id, state, asked, requested_at, confirmed_at,
     approved_at, cancelled_at, set_aside, decided_by, rejected_at, rejection_reason";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<SharingRow>> {
    let id: String = r.get(0)?;
    let state = match state_from(&id, &r.get::<_, String>(4)?, r.get(5)?, r.get(13)?) {
        Ok(state) => state,
        Err(e) => return Ok(Err(e)),
    };
    let at = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp))
    };
    let set_aside: String = r.get(10)?;
    Ok(Ok(SharingRow {
        requester: r.get(1)?,
        owner: r.get(2)?,
        device_id: r.get(3)?,
        state,
        requested_at: Timestamp(r.get(6)?),
        confirmed_at: at(7)?,
        approved_at: at(8)?,
        cancelled_at: at(9)?,
        decided_by: r.get(11)?,
        rejected_at: at(12)?,
        set_aside: set_aside
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        id,
    }))
}

pub fn find(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<SharingRow>> {
    tx.row(
        &format!("SELECT {COLUMNS} FROM sharings WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .transpose()
}

/// Every sharing `username` takes part in (requesting or owning), the newest first.
pub fn of_user(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<SharingRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM sharings WHERE requester = ?1 OR owner = ?1
         ORDER BY requested_at DESC, id"
    ))?;
    let rows = stmt.query_map([username], from_row)?;
    rows.map(|r| r?).collect()
}

/// The devices shared with `requester` by sharings approved now (their ids).
pub fn shared_with(tx: &Transaction<'_>, requester: &str) -> StoreResult<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT device_id FROM sharings WHERE requester = ?1 AND state = 'approved' ORDER BY id",
    )?;
    let rows = stmt.query_map([requester], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// S1(a): the identification data on record for `entity` (empty when none).
pub fn identification_of(
    tx: &Transaction<'_>,
    entity: &str,
) -> StoreResult<BTreeMap<String, String>> {
    let json: Option<String> = tx
        .row(
            "SELECT identification FROM entities WHERE id = ?1",
            [entity],
            |r| r.get(0),
        )
        .optional()?;
    match json {
        None => Ok(BTreeMap::new()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("identification of {entity}: {e}"))),
    }
}
