//! The main window's Secure Login settings (issue 9): who may change them (O3), sharing
//! the owner's device (S1–S6), opting out and back in (O1, O2), ordering a DSC+ (D4,
//! R1), returning a device or reporting it lost and the deposits held (R2–R4).
//!
//! Main window only (its capability). The broker decides every rule and words every
//! refusal with the articles' words; these commands pass its `{code, message}` on
//! unchanged. Every call goes through [`session::ask`](crate::session::ask), so a
//! session the broker ended closes the window as it does for the account home. The
//! owner's password and the soft PIN are passed straight to the broker and never
//! logged (their request types print without them).

use crate::error::AppError;
use crate::link::Line;
use crate::session::{ask, Session};
use portcullis_api::{
    AccountInfo, DepositHold, DeviceKind, DeviceOrderPlaced, DeviceOrderRequest, DeviceOrderStep,
    DeviceReturnInfo, LossReason, SecureLoginUpdated, Sharing, SharingAsk, SharingReview,
    SharingStartRequest, ShippingAddress,
};
use tauri::{AppHandle, State};

/// O3, O1, D2: whether this user is the primary one (else who is), the opt-out and
/// its restrictions, the limits and what is left of them.
#[tauri::command]
pub async fn account_info(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<AccountInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.account(&token).await
    })
    .await
}

/// O1: the configure page's opt-out (the broker needs an active permanent device).
#[tauri::command]
pub async fn secure_login_opt_out(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SecureLoginUpdated, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.opt_out(&token).await
    })
    .await
}

/// O2: "I want to always use my Secure Login Device when logging in" → Continue.
#[tauri::command]
pub async fn secure_login_opt_in(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<SecureLoginUpdated, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.opt_in(&token).await
    })
    .await
}

/// S3, step 6: the device owner's user name and password. The broker checks S1 and S2
/// and answers with the owner's device's challenge or index numbers (step 7).
#[tauri::command]
pub async fn sharing_start(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    owner_username: String,
    owner_password: String,
) -> Result<SharingAsk, AppError> {
    let request = SharingStartRequest {
        owner_username,
        owner_password,
        device_id: None,
    };
    ask(&app, &line, &session, |c, token| async move {
        c.sharing_start(&token, &request).await
    })
    .await
}

/// S3, step 7: the owner's device's response; answers the review (step 8).
#[tauri::command]
pub async fn sharing_answer(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    sharing_id: String,
    response: String,
) -> Result<SharingReview, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.sharing_answer(&token, &sharing_id, &response).await
    })
    .await
}

/// S3 step 9, S4: approved at once, or pending until Compliance approves.
#[tauri::command]
pub async fn sharing_confirm(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    sharing_id: String,
) -> Result<Sharing, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.sharing_confirm(&token, &sharing_id).await
    })
    .await
}

/// S6: the sharing ends and the devices it set aside serve again.
#[tauri::command]
pub async fn sharing_cancel(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    sharing_id: String,
) -> Result<Sharing, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.sharing_cancel(&token, &sharing_id).await
    })
    .await
}

/// The sharings this user asked for or whose device they own.
#[tauri::command]
pub async fn sharing_list(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<Vec<Sharing>, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.sharings(&token).await
    })
    .await
}

/// R1, steps 2–4: the address (none: the one on file), the soft PIN and the deposit
/// account (none: the user's) → the summary. Back then Continue asks again.
#[tauri::command]
pub async fn device_order(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    soft_pin: String,
    shipping_address: Option<ShippingAddress>,
    deposit_account: Option<String>,
) -> Result<DeviceOrderStep, AppError> {
    let order = DeviceOrderRequest {
        kind: DeviceKind::DscPlus,
        shipping_address,
        soft_pin,
        deposit_account: deposit_account.filter(|a| !a.trim().is_empty()),
    };
    ask(&app, &line, &session, |c, token| async move {
        c.order_device(&token, &order).await
    })
    .await
}

/// R1, step 5: the summary confirmed; the confirmation with the estimated shipment date.
#[tauri::command]
pub async fn device_order_confirm(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    order_id: String,
) -> Result<DeviceOrderPlaced, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.confirm_device_order(&token, &order_id).await
    })
    .await
}

/// R2: the 20 USD deposits, held, released or kept.
#[tauri::command]
pub async fn device_holds(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
) -> Result<Vec<DepositHold>, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.holds(&token).await
    })
    .await
}

/// R2, R3: the device is sent back (a Security Code Card is not: `not_returnable`).
#[tauri::command]
pub async fn device_return(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    device_id: String,
) -> Result<DeviceReturnInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.return_device(&token, &device_id).await
    })
    .await
}

/// R2: lost, stolen or damaged; the deposit is kept.
#[tauri::command]
pub async fn device_report_lost(
    app: AppHandle,
    line: State<'_, Line>,
    session: State<'_, Session>,
    device_id: String,
    reason: LossReason,
) -> Result<DeviceReturnInfo, AppError> {
    ask(&app, &line, &session, |c, token| async move {
        c.report_lost(&token, &device_id, reason).await
    })
    .await
}
