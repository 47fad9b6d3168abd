//! The Client Portal's endpoints (T3's online card, case 10's reactivation), the user's
//! devices and messages (T5), under `/v1`, each with the session's token.

use super::{blocking, ApiError, ApiJson, AppState, NoFields, SessionToken};
use axum::extract::State;
use axum::Json;
use portcullis_api::{
    DeviceInfo, DeviceList, Empty, MessageList, OnlineCardActivateRequest, OnlineCardActivated,
    OnlineCardOffer, ReactivateConfirmRequest, ReactivateRequest, ReactivationAsk,
};

/// T3: on the portal, with a temporary passcode: a new online security code card to
/// print (or the one waiting, with fresh indexes) and the two indexes that activate it.
#[utoipa::path(post, path = "/v1/portal/online-card", tag = "portal",
    security(("session_token" = [])), request_body = Empty,
    responses((status = 200, body = OnlineCardOffer)))]
pub(super) async fn online_card(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<OnlineCardOffer>, ApiError> {
    let offer = blocking(&state, move |b| b.online_card_offer(&token)).await?;
    Ok(Json(offer))
}

/// T3: the codes at the offer's two indexes activate the card for 21 days.
#[utoipa::path(post, path = "/v1/portal/online-card/activate", tag = "portal",
    security(("session_token" = [])), request_body = OnlineCardActivateRequest,
    responses((status = 200, body = OnlineCardActivated)))]
pub(super) async fn online_card_activate(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<OnlineCardActivateRequest>,
) -> Result<Json<OnlineCardActivated>, ApiError> {
    let done = blocking(&state, move |b| {
        b.activate_online_card(&token, &req.response)
    })
    .await?;
    Ok(Json(done))
}

/// T5: the user's messages, the newest first; reading them is not activity.
#[utoipa::path(get, path = "/v1/messages", tag = "portal",
    security(("session_token" = [])),
    responses((status = 200, body = MessageList)))]
pub(super) async fn messages(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<MessageList>, ApiError> {
    let messages = blocking(&state, move |b| b.messages(&token)).await?;
    Ok(Json(MessageList { messages }))
}

/// Case 10: the permanent device to reactivate (set aside, or a shipped replacement)
/// is asked a challenge or two index numbers, to answer within 5 minutes.
#[utoipa::path(post, path = "/v1/portal/reactivate", tag = "portal",
    security(("session_token" = [])), request_body = ReactivateRequest,
    responses((status = 200, body = ReactivationAsk)))]
pub(super) async fn reactivate(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<ReactivateRequest>,
) -> Result<Json<ReactivationAsk>, ApiError> {
    let ask = blocking(&state, move |b| b.reactivation_ask(&token, &req.device_id)).await?;
    Ok(Json(ask))
}

/// Case 10, T4: the device's answer; right, it serves again and the temporary passcode
/// and online card stop at once.
#[utoipa::path(post, path = "/v1/portal/reactivate/confirm", tag = "portal",
    security(("session_token" = [])), request_body = ReactivateConfirmRequest,
    responses((status = 200, body = DeviceInfo)))]
pub(super) async fn reactivate_confirm(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<ReactivateConfirmRequest>,
) -> Result<Json<DeviceInfo>, ApiError> {
    let device = blocking(&state, move |b| {
        b.reactivation_confirm(&token, &req.response)
    })
    .await?;
    Ok(Json(device))
}

/// The session user's devices with their status and dates (D1, T5), for the account
/// home; reading them is not activity.
#[utoipa::path(get, path = "/v1/devices", tag = "portal",
    security(("session_token" = [])),
    responses((status = 200, body = DeviceList)))]
pub(super) async fn devices(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<DeviceList>, ApiError> {
    let devices = blocking(&state, move |b| b.my_devices(&token)).await?;
    Ok(Json(DeviceList { devices }))
}
