//! Issue 9, the account side: the entity's primary user (O3), its opt-out (O1), and the
//! money and orders the account home records (withdrawals for D2, deposits for O1's
//! ACH/EFT cap, orders, bank-instruction and email changes).

use super::StoreResult;
use rusqlite::{OptionalExtension, Transaction};

/// O3: the primary user of `entity` (the first by name, should a scenario name two).
pub fn primary_user_of(tx: &Transaction<'_>, entity: &str) -> StoreResult<Option<String>> {
    Ok(tx
        .query_row(
            "SELECT username FROM users WHERE entity = ?1 AND is_primary = 1
             ORDER BY username LIMIT 1",
            [entity],
            |r| r.get(0),
        )
        .optional()?)
}
