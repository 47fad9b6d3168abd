//! The main window's minimal order ticket and withdrawal form (issue 9): no market data
//! and no matching, only the rules the broker enforces on them — an opted-out account's
//! Pink Sheet and OTCBB refusal (O1) and the withdrawal limits by device (D2). The
//! broker's refusals (`restricted` with its reason, `limit_exceeded` with what is left)
//! pass through as they came.

use crate::error::AppError;
use crate::link::Line;
use crate::session::{ask, Session};
use portcullis_api::{OrderPlaced, OrderRequest, OrderSide, WithdrawalMade};
use tauri::{AppHandle, State};

/// O1: a symbol, a side and a quantity; the broker checks the restrictions only.
#[tauri::command]
pub async fn order_place(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    symbol: String,
    side: OrderSide,
    quantity: u64,
) -> Result<OrderPlaced, AppError> {
    let order = OrderRequest {
        symbol,
        side,
        quantity,
    };
    ask(&app, &line, &session, |c, token| async move {
        c.place_order(&token, &order).await
    })
    .await
}

/// D2: a withdrawal in whole USD, against what is left today and in the 5-day window.
#[tauri::command]
pub async fn withdrawal_make(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    amount_usd: u64,
) -> Result<WithdrawalMade, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.withdraw(&token, amount_usd).await
    })
    .await
}
