//! What ordering and returning devices keeps (R1–R4): the address on file, DSC+ orders
//! (summaries waiting for confirmation, and placed ones), the 20 USD deposits, devices
//! sent back, closed accounts.

use super::Cached;
use super::{StoreError, StoreResult};
use crate::rules::Timestamp;
use portcullis_api::{DeviceKind, HoldStatus, ShippingAddress};
use rusqlite::{params, OptionalExtension, Transaction};

/// The account a user's entity holds, and its equity (D4).
pub struct AccountRow {
    pub account: String,
    pub equity_usd: i64,
}

pub fn account_of(tx: &Transaction<'_>, username: &str) -> StoreResult<Option<AccountRow>> {
    Ok(tx
        .row(
            "SELECT e.account, e.equity_usd FROM users u JOIN entities e ON e.id = u.entity
             WHERE u.username = ?1",
            [username],
            |r| {
                Ok(AccountRow {
                    account: r.get(0)?,
                    equity_usd: r.get(1)?,
                })
            },
        )
        .optional()?)
}

fn address_from_json(json: &str) -> StoreResult<ShippingAddress> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("address: {e}")))
}

fn address_json(a: &ShippingAddress) -> StoreResult<String> {
    serde_json::to_string(a).map_err(|e| StoreError::Corrupt(format!("address: {e}")))
}

/// R1: the shipping address on file.
pub fn address_of(tx: &Transaction<'_>, username: &str) -> StoreResult<Option<ShippingAddress>> {
    let json: Option<String> = tx
        .row(
            "SELECT address FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    json.as_deref().map(address_from_json).transpose()
}

pub fn set_address(tx: &Transaction<'_>, username: &str, a: &ShippingAddress) -> StoreResult<()> {
    tx.exec(
        "UPDATE users SET address = ?2 WHERE username = ?1",
        params![username, address_json(a)?],
    )?;
    Ok(())
}

/// An order: a summary waiting for its confirmation (`device_id` none), or placed.
pub struct OrderRow {
    pub id: String,
    pub username: String,
    pub kind: DeviceKind,
    pub address: ShippingAddress,
    pub pin_sha1_hex: String,
    pub deposit_account: String,
    pub created_at: Timestamp,
    pub ships_at: Timestamp,
    pub device_id: Option<String>,
}

const ORDER_COLUMNS: &str =
    "id, username, kind, address, pin_sha1_hex, deposit_account, created_at, ships_at, device_id";

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<OrderRow>> {
    let id: String = r.get(0)?;
    let kind: String = r.get(2)?;
    let address: String = r.get(3)?;
    let Some(kind) = DeviceKind::parse(&kind) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "order {id} kind {kind:?}"
        ))));
    };
    let address = match address_from_json(&address) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(OrderRow {
        username: r.get(1)?,
        kind,
        address,
        pin_sha1_hex: r.get(4)?,
        deposit_account: r.get(5)?,
        created_at: Timestamp(r.get(6)?),
        ships_at: Timestamp(r.get(7)?),
        device_id: r.get(8)?,
        id,
    }))
}

/// R1: a new summary replaces any the user had waiting (the summary's Back).
pub fn put_draft(tx: &Transaction<'_>, o: &OrderRow) -> StoreResult<()> {
    delete_drafts_of(tx, &o.username)?;
    tx.exec(
        &format!("INSERT INTO device_orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)"),
        params![
            o.id,
            o.username,
            o.kind.as_str(),
            address_json(&o.address)?,
            o.pin_sha1_hex,
            o.deposit_account,
            o.created_at.0,
            o.ships_at.0
        ],
    )?;
    Ok(())
}

/// The user's summary `id`, if it still waits.
pub fn draft(tx: &Transaction<'_>, username: &str, id: &str) -> StoreResult<Option<OrderRow>> {
    tx.row(
        &format!(
            "SELECT {ORDER_COLUMNS} FROM device_orders
             WHERE id = ?1 AND username = ?2 AND device_id IS NULL"
        ),
        params![id, username],
        order_from_row,
    )
    .optional()?
    .transpose()
}

pub fn delete_drafts_of(tx: &Transaction<'_>, username: &str) -> StoreResult<()> {
    tx.exec(
        "DELETE FROM device_orders WHERE username = ?1 AND device_id IS NULL",
        [username],
    )?;
    Ok(())
}

/// The summary becomes an order for `device_id`, placed at `at`, shipping at `ships_at`.
pub fn place(
    tx: &Transaction<'_>,
    id: &str,
    device_id: &str,
    at: Timestamp,
    ships_at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "UPDATE device_orders SET device_id = ?2, created_at = ?3, ships_at = ?4 WHERE id = ?1",
        params![id, device_id, at.0, ships_at.0],
    )?;
    Ok(())
}

/// The user's placed orders, the newest first.
pub fn orders_of(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<OrderRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM device_orders
         WHERE username = ?1 AND device_id IS NOT NULL ORDER BY created_at DESC, id"
    ))?;
    let rows = stmt.query_map([username], order_from_row)?;
    rows.map(|r| r?).collect()
}

/// T5: the ordered device leaves the warehouse at `at` (its estimated date).
pub fn ship(tx: &Transaction<'_>, device_id: &str, at: Timestamp) -> StoreResult<()> {
    tx.exec(
        "UPDATE devices SET status = 'shipped', shipped_at = ?2 WHERE id = ?1",
        params![device_id, at.0],
    )?;
    Ok(())
}

/// R1, R2: a 20 USD deposit.
pub struct HoldRow {
    pub device_id: String,
    pub username: String,
    pub account: String,
    pub amount_usd: u64,
    pub status: HoldStatus,
    pub placed_at: Timestamp,
    pub settled_at: Option<Timestamp>,
}

const HOLD_COLUMNS: &str =
    "device_id, username, account, amount_usd, status, placed_at, settled_at";

fn hold_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoreResult<HoldRow>> {
    let device_id: String = r.get(0)?;
    let status: String = r.get(4)?;
    let Some(status) = HoldStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "hold of {device_id} status {status:?}"
        ))));
    };
    Ok(Ok(HoldRow {
        username: r.get(1)?,
        account: r.get(2)?,
        amount_usd: r.get(3)?,
        status,
        placed_at: Timestamp(r.get(5)?),
        settled_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
        device_id,
    }))
}

pub fn insert_hold(tx: &Transaction<'_>, h: &HoldRow) -> StoreResult<()> {
    tx.exec(
        &format!("INSERT INTO deposit_holds ({HOLD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            h.device_id,
            h.username,
            h.account,
            h.amount_usd,
            h.status.as_str(),
            h.placed_at.0,
            h.settled_at.map(|t| t.0)
        ],
    )?;
    Ok(())
}

pub fn hold_of(tx: &Transaction<'_>, device_id: &str) -> StoreResult<Option<HoldRow>> {
    tx.row(
        &format!("SELECT {HOLD_COLUMNS} FROM deposit_holds WHERE device_id = ?1"),
        [device_id],
        hold_from_row,
    )
    .optional()?
    .transpose()
}

pub fn settle_hold(
    tx: &Transaction<'_>,
    device_id: &str,
    status: HoldStatus,
    at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "UPDATE deposit_holds SET status = ?2, settled_at = ?3 WHERE device_id = ?1",
        params![device_id, status.as_str(), at.0],
    )?;
    Ok(())
}

/// The user's deposits, oldest first.
pub fn holds_of(tx: &Transaction<'_>, username: &str) -> StoreResult<Vec<HoldRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {HOLD_COLUMNS} FROM deposit_holds WHERE username = ?1 ORDER BY placed_at, device_id"
    ))?;
    let rows = stmt.query_map([username], hold_from_row)?;
    rows.map(|r| r?).collect()
}

/// Deposits still held on `account`.
pub fn held_on_account(tx: &Transaction<'_>, account: &str) -> StoreResult<Vec<HoldRow>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {HOLD_COLUMNS} FROM deposit_holds WHERE account = ?1 AND status = 'held'
         ORDER BY placed_at, device_id"
    ))?;
    let rows = stmt.query_map([account], hold_from_row)?;
    rows.map(|r| r?).collect()
}

/// R3: a device sent back at `shipped_at`, received at `due_at`.
pub struct ReturnRow {
    pub device_id: String,
    pub shipped_at: Timestamp,
    pub due_at: Timestamp,
}

pub fn insert_return(tx: &Transaction<'_>, username: &str, r: &ReturnRow) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO device_returns (device_id, username, shipped_at, due_at) VALUES (?1, ?2, ?3, ?4)",
        params![r.device_id, username, r.shipped_at.0, r.due_at.0],
    )?;
    Ok(())
}

pub fn return_of(tx: &Transaction<'_>, device_id: &str) -> StoreResult<Option<ReturnRow>> {
    Ok(tx
        .row(
            "SELECT device_id, shipped_at, due_at FROM device_returns WHERE device_id = ?1",
            [device_id],
            |r| {
                Ok(ReturnRow {
                    device_id: r.get(0)?,
                    shipped_at: Timestamp(r.get(1)?),
                    due_at: Timestamp(r.get(2)?),
                })
            },
        )
        .optional()?)
}

/// R2: `account` closed at `at`.
pub fn close_account(tx: &Transaction<'_>, account: &str, at: Timestamp) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO closed_accounts (account, closed_at) VALUES (?1, ?2)
         ON CONFLICT(account) DO NOTHING",
        params![account, at.0],
    )?;
    Ok(())
}

pub fn account_closed_at(tx: &Transaction<'_>, account: &str) -> StoreResult<Option<Timestamp>> {
    Ok(tx
        .row(
            "SELECT closed_at FROM closed_accounts WHERE account = ?1",
            [account],
            |r| r.get(0),
        )
        .optional()?
        .map(Timestamp))
}
