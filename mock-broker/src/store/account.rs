//! Issue 9, the account side: the entity's primary user (O3), its opt-out (O1), and the
//! money and orders the account home records (withdrawals for D2, deposits for O1's
//! ACH/EFT cap, orders, bank-instruction and email changes).

use super::Cached;
use super::StoreResult;
use crate::rules::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};

/// O3: the primary user of `entity` (the first by name, should a scenario name two).
pub fn primary_user_of(tx: &Transaction<'_>, entity: &str) -> StoreResult<Option<String>> {
    Ok(tx
        .row(
            "SELECT username FROM users WHERE entity = ?1 AND is_primary = 1
             ORDER BY username LIMIT 1",
            [entity],
            |r| r.get(0),
        )
        .optional()?)
}

/// O1: the entity opts out of (true) or back into (false) the Secure Login System.
pub fn set_opted_out(tx: &Transaction<'_>, entity: &str, opted_out: bool) -> StoreResult<()> {
    tx.exec(
        "UPDATE entities SET opted_out = ?2 WHERE id = ?1",
        params![entity, opted_out],
    )?;
    Ok(())
}

/// An entity as the account home shows it.
pub struct Entity {
    pub id: String,
    pub name: String,
    pub account: String,
    pub equity_usd: i64,
    pub opted_out: bool,
}

pub fn entity(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<Entity>> {
    Ok(tx
        .row(
            "SELECT id, name, account, equity_usd, opted_out FROM entities WHERE id = ?1",
            [id],
            |r| {
                Ok(Entity {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    account: r.get(2)?,
                    equity_usd: r.get(3)?,
                    opted_out: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// O1: whether `username`'s entity opted out (an unknown user has not).
pub fn user_opted_out(tx: &Transaction<'_>, username: &str) -> StoreResult<bool> {
    Ok(tx
        .row(
            "SELECT e.opted_out FROM users u JOIN entities e ON e.id = u.entity
             WHERE u.username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// A sum of amounts as the rules take it (amounts are stored as they came: positive).
fn sum(total: i64) -> u64 {
    u64::try_from(total).unwrap_or(0)
}

fn amount(usd: u64) -> i64 {
    i64::try_from(usd).unwrap_or(i64::MAX)
}

/// One withdrawal or deposit, as recorded.
pub struct Movement<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub entity: &'a str,
    pub amount_usd: u64,
    pub at: Timestamp,
}

pub fn insert_withdrawal(tx: &Transaction<'_>, w: &Movement<'_>) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO withdrawals (id, username, entity, amount_usd, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![w.id, w.username, w.entity, amount(w.amount_usd), w.at.0],
    )?;
    Ok(())
}

/// D2: what `username` withdrew from `since` up to and including `until`.
pub fn withdrawn_between(
    tx: &Transaction<'_>,
    username: &str,
    since: Timestamp,
    until: Timestamp,
) -> StoreResult<u64> {
    let total: i64 = tx.row(
        "SELECT COALESCE(SUM(amount_usd), 0) FROM withdrawals
         WHERE username = ?1 AND at >= ?2 AND at <= ?3",
        params![username, since.0, until.0],
        |r| r.get(0),
    )?;
    Ok(sum(total))
}

pub fn insert_deposit(tx: &Transaction<'_>, d: &Movement<'_>, method: &str) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO deposits (id, username, entity, method, amount_usd, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            d.id,
            d.username,
            d.entity,
            method,
            amount(d.amount_usd),
            d.at.0
        ],
    )?;
    Ok(())
}

/// O1: the entity's ACH and EFT deposits, in all.
pub fn ach_eft_total(tx: &Transaction<'_>, entity: &str) -> StoreResult<u64> {
    let total: i64 = tx.row(
        "SELECT COALESCE(SUM(amount_usd), 0) FROM deposits
         WHERE entity = ?1 AND method IN ('ach', 'eft')",
        [entity],
        |r| r.get(0),
    )?;
    Ok(sum(total))
}

/// An accepted order.
pub struct Order<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub entity: &'a str,
    pub symbol: &'a str,
    pub market: &'a str,
    pub side: &'a str,
    pub quantity: u64,
    pub at: Timestamp,
}

pub fn insert_order(tx: &Transaction<'_>, o: &Order<'_>) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO orders (id, username, entity, symbol, market, side, quantity, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            o.id,
            o.username,
            o.entity,
            o.symbol,
            o.market,
            o.side,
            amount(o.quantity),
            o.at.0
        ],
    )?;
    Ok(())
}

/// A bank-instruction or email change; `value` as it may be kept (no full account
/// number).
pub fn insert_profile_change(
    tx: &Transaction<'_>,
    username: &str,
    entity: &str,
    field: &str,
    value: &str,
    at: Timestamp,
) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO profile_changes (username, entity, field, value, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![username, entity, field, value, at.0],
    )?;
    Ok(())
}
