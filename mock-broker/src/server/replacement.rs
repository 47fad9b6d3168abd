//! Ordering, returning and reporting devices (D4, R1–R4) under `/v1/devices`, the
//! deposits under `/v1/holds`, and the QA/operator's account closure.

use super::{blocking, ApiError, ApiJson, ApiPath, AppState, NoFields, SessionToken};
use axum::extract::State;
use axum::Json;
use portcullis_api::{
    AccountClosed, DeviceOrderConfirmRequest, DeviceOrderList, DeviceOrderPlaced,
    DeviceOrderRequest, DeviceOrderStep, DeviceReturnInfo, Empty, HoldList, ReportLostRequest,
};

/// R1, steps 1–4 (Request Physical Device): the shipping address (the one on file when
/// absent), the soft PIN and the deposit account → a summary to confirm. Posting again
/// replaces it (the summary's Back). Portal, primary user (O3); D4's equity floor.
#[utoipa::path(post, path = "/v1/devices/order", tag = "devices",
    security(("session_token" = [])), request_body = DeviceOrderRequest,
    responses((status = 200, body = DeviceOrderStep)))]
pub(super) async fn order(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<DeviceOrderRequest>,
) -> Result<Json<DeviceOrderStep>, ApiError> {
    let step = blocking(&state, move |b| b.order_device(&token, req)).await?;
    Ok(Json(step))
}

/// R1, step 5: the summary confirmed; the device is ordered, 20 USD held, and the
/// estimated shipment date given.
#[utoipa::path(post, path = "/v1/devices/order/confirm", tag = "devices",
    security(("session_token" = [])), request_body = DeviceOrderConfirmRequest,
    responses((status = 200, body = DeviceOrderPlaced)))]
pub(super) async fn order_confirm(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<DeviceOrderConfirmRequest>,
) -> Result<Json<DeviceOrderPlaced>, ApiError> {
    let placed = blocking(&state, move |b| b.confirm_order(&token, &req.order_id)).await?;
    Ok(Json(placed))
}

/// The session user's orders with their devices' status now (T5); reading is not
/// activity.
#[utoipa::path(get, path = "/v1/devices/orders", tag = "devices",
    security(("session_token" = [])),
    responses((status = 200, body = DeviceOrderList)))]
pub(super) async fn orders(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<DeviceOrderList>, ApiError> {
    let orders = blocking(&state, move |b| b.device_orders(&token)).await?;
    Ok(Json(DeviceOrderList { orders }))
}

/// R2, R3: the device is sent back (`return_shipped`); it shows as received 3–5
/// business days later and its deposit is released. Security Code Cards are shredded
/// (`not_returnable`).
#[utoipa::path(post, path = "/v1/devices/{id}/return", tag = "devices",
    security(("session_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = DeviceReturnInfo)))]
pub(super) async fn send_back(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<DeviceReturnInfo>, ApiError> {
    let info = blocking(&state, move |b| b.return_device(&token, &id)).await?;
    Ok(Json(info))
}

/// R2: lost, stolen or damaged: the device serves no more, and its deposit is kept.
#[utoipa::path(post, path = "/v1/devices/{id}/report-lost", tag = "devices",
    security(("session_token" = [])), params(("id" = String, Path)),
    request_body = ReportLostRequest,
    responses((status = 200, body = DeviceReturnInfo)))]
pub(super) async fn report_lost(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReportLostRequest>,
) -> Result<Json<DeviceReturnInfo>, ApiError> {
    let info = blocking(&state, move |b| b.report_lost(&token, &id, req.reason)).await?;
    Ok(Json(info))
}

/// R2: the session user's 20 USD deposits: held, released or kept.
#[utoipa::path(get, path = "/v1/holds", tag = "devices",
    security(("session_token" = [])),
    responses((status = 200, body = HoldList)))]
pub(super) async fn holds(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<HoldList>, ApiError> {
    let holds = blocking(&state, move |b| b.holds(&token)).await?;
    Ok(Json(HoldList { holds }))
}

/// R2, R4 (QA, operator): the user's account closes; deposits of devices not sent back
/// are kept.
#[utoipa::path(post, path = "/qa/users/{username}/close-account", tag = "qa",
    security(("qa_token" = [])), params(("username" = String, Path)), request_body = Empty,
    responses((status = 200, body = AccountClosed)))]
pub(super) async fn close_account(
    State(state): State<AppState>,
    ApiPath(username): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<AccountClosed>, ApiError> {
    let closed = blocking(&state, move |b| {
        b.close_account(&username, "client services (QA)")
    })
    .await?;
    Ok(Json(closed))
}
