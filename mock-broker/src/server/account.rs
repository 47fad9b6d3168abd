//! The account home's endpoints (issue 9): the account (O3, O1, D2), the Secure Login
//! opt-out and opt-in (O1, O2), and what O1 and D2 check — orders, withdrawals,
//! deposits, bank-instruction and email changes. Each with the session's token.

use super::{blocking, ApiError, ApiJson, AppState, NoFields, SessionToken};
use axum::extract::State;
use axum::Json;
use portcullis_api::{
    AccountInfo, BankInstructionsRequest, DepositMade, DepositRequest, EmailRequest, Empty,
    OptInRequest, OrderPlaced, OrderRequest, ProfileUpdated, SecureLoginUpdated, WithdrawalMade,
    WithdrawalRequest,
};

/// The account home: the user and their entity, O3's primary user, O1's opt-out and
/// restrictions, D2's limits and what is left; reading it is not activity.
#[utoipa::path(get, path = "/v1/account", tag = "account",
    security(("session_token" = [])),
    responses((status = 200, body = AccountInfo)))]
pub(super) async fn account(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<AccountInfo>, ApiError> {
    Ok(Json(blocking(&state, move |b| b.account(&token)).await?))
}

/// O1: the primary user opts the account out of the Secure Login System for trading
/// (Client Portal only, O3).
#[utoipa::path(post, path = "/v1/settings/secure-login/opt-out", tag = "account",
    security(("session_token" = [])), request_body = Empty,
    responses((status = 200, body = SecureLoginUpdated)))]
pub(super) async fn opt_out(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<SecureLoginUpdated>, ApiError> {
    Ok(Json(blocking(&state, move |b| b.opt_out(&token)).await?))
}

/// O2: "I want to always use my Secure Login Device when logging in" → Continue → the
/// confirmation (Client Portal only, O3).
#[utoipa::path(post, path = "/v1/settings/secure-login/opt-in", tag = "account",
    security(("session_token" = [])), request_body = OptInRequest,
    responses((status = 200, body = SecureLoginUpdated)))]
pub(super) async fn opt_in(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<OptInRequest>,
) -> Result<Json<SecureLoginUpdated>, ApiError> {
    let done = blocking(&state, move |b| b.opt_in(&token, req.always_use_device)).await?;
    Ok(Json(done))
}

/// A minimal order, checked for O1 only (no matching, no market data).
#[utoipa::path(post, path = "/v1/orders", tag = "account",
    security(("session_token" = [])), request_body = OrderRequest,
    responses((status = 200, body = OrderPlaced)))]
pub(super) async fn order(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<OrderRequest>,
) -> Result<Json<OrderPlaced>, ApiError> {
    Ok(Json(
        blocking(&state, move |b| b.place_order(&token, &req)).await?,
    ))
}

/// D2: a withdrawal within the per-day and per-5-business-days limits; answers what
/// is left.
#[utoipa::path(post, path = "/v1/withdrawals", tag = "account",
    security(("session_token" = [])), request_body = WithdrawalRequest,
    responses((status = 200, body = WithdrawalMade)))]
pub(super) async fn withdrawal(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<WithdrawalRequest>,
) -> Result<Json<WithdrawalMade>, ApiError> {
    let made = blocking(&state, move |b| b.withdraw(&token, req.amount_usd)).await?;
    Ok(Json(made))
}

/// A deposit; O1 caps ACH and EFT at 20,000 USD in all while opted out.
#[utoipa::path(post, path = "/v1/deposits", tag = "account",
    security(("session_token" = [])), request_body = DepositRequest,
    responses((status = 200, body = DepositMade)))]
pub(super) async fn deposit(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<DepositRequest>,
) -> Result<Json<DepositMade>, ApiError> {
    let made = blocking(&state, move |b| {
        b.deposit(&token, req.method, req.amount_usd)
    })
    .await?;
    Ok(Json(made))
}

/// New bank instructions; refused while opted out (O1).
#[utoipa::path(post, path = "/v1/settings/bank-instructions", tag = "account",
    security(("session_token" = [])), request_body = BankInstructionsRequest,
    responses((status = 200, body = ProfileUpdated)))]
pub(super) async fn bank_instructions(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<BankInstructionsRequest>,
) -> Result<Json<ProfileUpdated>, ApiError> {
    let done = blocking(&state, move |b| b.change_bank_instructions(&token, &req)).await?;
    Ok(Json(done))
}

/// A new email address; refused while opted out (O1).
#[utoipa::path(post, path = "/v1/settings/email", tag = "account",
    security(("session_token" = [])), request_body = EmailRequest,
    responses((status = 200, body = ProfileUpdated)))]
pub(super) async fn email(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<EmailRequest>,
) -> Result<Json<ProfileUpdated>, ApiError> {
    let done = blocking(&state, move |b| b.change_email(&token, &req.email)).await?;
    Ok(Json(done))
}
