//! Sharing a device between usernames (S1–S6): the requesting user's steps on the
//! Client Portal under `/v1/sharing`, and Compliance's decisions under `/qa` (S4).

use super::{
    blocking, hashing, ApiError, ApiJson, ApiPath, AppState, NoFields, OptionalJson, SessionToken,
};
use axum::extract::State;
use axum::Json;
use portcullis_api::{
    Empty, Sharing, SharingAnswerRequest, SharingAsk, SharingList, SharingRejectRequest,
    SharingReview, SharingStartRequest,
};

/// Step 6: the device owner's credentials (and optionally which of the owner's
/// devices). S1, S2 are checked; the owner's device is asked its security element.
#[utoipa::path(post, path = "/v1/sharing/start", tag = "sharing",
    security(("session_token" = [])), request_body = SharingStartRequest,
    responses((status = 200, body = SharingAsk)))]
pub(super) async fn start(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiJson(req): ApiJson<SharingStartRequest>,
) -> Result<Json<SharingAsk>, ApiError> {
    let ask = hashing(&state, move |b| {
        b.sharing_start(
            &token,
            &req.owner_username,
            &req.owner_password,
            req.device_id.as_deref(),
        )
    })
    .await?;
    Ok(Json(ask))
}

/// Step 7: the owner's device's response, once, within 5 minutes; right, the review.
#[utoipa::path(post, path = "/v1/sharing/{id}/answer", tag = "sharing",
    security(("session_token" = [])), params(("id" = String, Path)),
    request_body = SharingAnswerRequest, responses((status = 200, body = SharingReview)))]
pub(super) async fn answer(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SharingAnswerRequest>,
) -> Result<Json<SharingReview>, ApiError> {
    let review = blocking(&state, move |b| {
        b.sharing_answer(&token, &id, &req.response)
    })
    .await?;
    Ok(Json(review))
}

/// Steps 8–9: confirmed after the review — `approved`, or `pending_compliance` (S4).
#[utoipa::path(post, path = "/v1/sharing/{id}/confirm", tag = "sharing",
    security(("session_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = Sharing)))]
pub(super) async fn confirm(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<Sharing>, ApiError> {
    let sharing = blocking(&state, move |b| b.sharing_confirm(&token, &id)).await?;
    Ok(Json(sharing))
}

/// S6: the requesting user ends the sharing; the devices set aside serve again.
#[utoipa::path(post, path = "/v1/sharing/{id}/cancel", tag = "sharing",
    security(("session_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = Sharing)))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<Sharing>, ApiError> {
    let sharing = blocking(&state, move |b| b.sharing_cancel(&token, &id)).await?;
    Ok(Json(sharing))
}

/// The sharings the session's user requested or owns, the newest first; reading is
/// not activity.
#[utoipa::path(get, path = "/v1/sharing", tag = "sharing",
    security(("session_token" = [])), responses((status = 200, body = SharingList)))]
pub(super) async fn list(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
) -> Result<Json<SharingList>, ApiError> {
    let sharings = blocking(&state, move |b| b.sharings(&token)).await?;
    Ok(Json(SharingList { sharings }))
}

/// S4: Compliance approves a pending sharing (audited); S1 must still hold.
#[utoipa::path(post, path = "/qa/sharing/{id}/approve", tag = "qa",
    security(("qa_token" = [])), params(("id" = String, Path)), request_body = Empty,
    responses((status = 200, body = Sharing)))]
pub(super) async fn approve(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<Sharing>, ApiError> {
    let sharing = blocking(&state, move |b| b.sharing_approve(&id, "compliance (QA)")).await?;
    Ok(Json(sharing))
}

/// S4: Compliance rejects a pending sharing (audited), with an optional reason the
/// requesting user reads in their messages; no device changes. The body may be left
/// out.
#[utoipa::path(post, path = "/qa/sharing/{id}/reject", tag = "qa",
    security(("qa_token" = [])), params(("id" = String, Path)),
    request_body = Option<SharingRejectRequest>, responses((status = 200, body = Sharing)))]
pub(super) async fn reject(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    OptionalJson(req): OptionalJson<SharingRejectRequest>,
) -> Result<Json<Sharing>, ApiError> {
    let sharing = blocking(&state, move |b| {
        b.sharing_reject(&id, "compliance (QA)", req.reason)
    })
    .await?;
    Ok(Json(sharing))
}
