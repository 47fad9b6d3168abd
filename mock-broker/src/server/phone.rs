//! The phone's endpoints, and the delivery of pushes to phones.
//!
//! Delivery is a task between the broker's events and the phones' event streams (SSE):
//! it applies K4's faults — a dropped push is never sent, a delayed one is sent late, a
//! held one (phone offline) waits until the fault is lifted, while it lives.
//!
//! A stream belongs to the token that opened it: once that token stops naming its
//! phone (the phone was provisioned again, or the broker reset), the stream ends.

use super::{bearer, blocking, ApiError, ApiJson, AppState};
use crate::broker::{Broker, BrokerEvent, Delivery, PhonePush};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

/// What a phone's event stream carries.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhoneEvent {
    Push(PhonePush),
    Withdrawn { phone_id: String, push_id: String },
}

impl PhoneEvent {
    fn phone_id(&self) -> &str {
        match self {
            PhoneEvent::Push(p) => &p.phone_id,
            PhoneEvent::Withdrawn { phone_id, .. } => phone_id,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            PhoneEvent::Push(_) => "push",
            PhoneEvent::Withdrawn { .. } => "withdrawn",
        }
    }
}

/// K4: turns broker events into what phones hear.
pub(super) fn spawn_delivery(broker: Arc<Broker>, phones: broadcast::Sender<PhoneEvent>) {
    let mut events = broker.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "push delivery fell behind");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            match event {
                BrokerEvent::PushCreated { push, delivery } => match delivery {
                    Delivery::Now => {
                        let _ = phones.send(PhoneEvent::Push(push));
                    }
                    Delivery::Delayed { ms } => {
                        let phones = phones.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            let _ = phones.send(PhoneEvent::Push(push));
                        });
                    }
                    Delivery::Dropped | Delivery::Held => {}
                },
                BrokerEvent::PushWithdrawn { phone_id, push_id } => {
                    let _ = phones.send(PhoneEvent::Withdrawn { phone_id, push_id });
                }
                BrokerEvent::FaultsChanged => {
                    let broker = broker.clone();
                    let released =
                        tokio::task::spawn_blocking(move || broker.release_held_pushes()).await;
                    if let Ok(Ok(pushes)) = released {
                        for push in pushes {
                            let _ = phones.send(PhoneEvent::Push(push));
                        }
                    }
                }
                BrokerEvent::LoginChanged | BrokerEvent::PhoneTokensChanged => {}
            }
        }
    });
}

/// The phone's event stream (SSE): first the requests already waiting, then each new
/// one and each withdrawal. A phone may see a request twice; the id tells. The stream
/// ends when its token no longer names the phone.
pub(super) async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    // Subscribe before reading what is waiting, so nothing falls between the two.
    let live = state.phone_events.subscribe();
    let changes = state.broker.subscribe();
    let t = token.clone();
    let phone_id = blocking(&state, move |b| b.phone_id(&t)).await?;
    let t = token.clone();
    let waiting = blocking(&state, move |b| b.phone_pushes(&t)).await?;
    let (tx, rx) = mpsc::channel(16);
    let stream = StreamOf {
        state,
        token,
        phone_id,
        live,
        changes,
    };
    tokio::spawn(stream.feed(waiting, tx));
    let events = ReceiverStream::new(rx).map(|event| {
        let data = serde_json::to_string(&event).unwrap_or_default();
        Ok::<_, Infallible>(Event::default().event(event.name()).data(data))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// What feeds one phone's event stream.
struct StreamOf {
    state: AppState,
    token: String,
    phone_id: String,
    live: broadcast::Receiver<PhoneEvent>,
    changes: broadcast::Receiver<BrokerEvent>,
}

impl StreamOf {
    /// Sends the phone its events until it hangs up or its token stops naming it.
    async fn feed(mut self, waiting: Vec<PhonePush>, tx: mpsc::Sender<PhoneEvent>) {
        for push in waiting {
            if tx.send(PhoneEvent::Push(push)).await.is_err() {
                return;
            }
        }
        loop {
            tokio::select! {
                // A token change is looked at before any event that came after it: a
                // rotated token's stream never carries the next push.
                biased;
                () = tx.closed() => return,
                change = self.changes.recv() => match change {
                    Ok(BrokerEvent::PhoneTokensChanged)
                    | Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.token_still_names_the_phone().await {
                            return;
                        }
                    }
                    Ok(
                        BrokerEvent::PushCreated { .. }
                        | BrokerEvent::PushWithdrawn { .. }
                        | BrokerEvent::LoginChanged
                        | BrokerEvent::FaultsChanged,
                    ) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                event = self.live.recv() => match event {
                    Ok(event) if event.phone_id() == self.phone_id => {
                        if tx.send(event).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a phone's event stream fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    async fn token_still_names_the_phone(&self) -> bool {
        let token = self.token.clone();
        match blocking(&self.state, move |b| b.phone_id(&token)).await {
            Ok(id) => id == self.phone_id,
            Err(_) => false,
        }
    }
}

pub(super) async fn pushes(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let pushes = blocking(&state, move |b| b.phone_pushes(&token)).await?;
    Ok(Json(json!({ "pushes": pushes })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApproveRequest {
    response: String,
    /// Number matching: the number the user picked.
    #[serde(default)]
    picked: Option<u8>,
    /// `pin` or `biometric` (K7).
    method: String,
}

pub(super) async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ApproveRequest>,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    blocking(&state, move |b| {
        b.approve_push(&token, &id, &req.response, req.picked, &req.method)
    })
    .await?;
    Ok(Json(json!({ "status": "approved" })).into_response())
}

pub(super) async fn deny(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    blocking(&state, move |b| b.deny_push(&token, &id)).await?;
    Ok(Json(json!({ "status": "denied" })).into_response())
}

pub(super) async fn access(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let access = blocking(&state, move |b| b.phone_access(&token)).await?;
    Ok(Json(json!({ "accounts": access })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivationStartRequest {
    username: String,
    password: String,
    phone_number: String,
}

fn optional_bearer(headers: &HeaderMap) -> Option<String> {
    bearer(headers).ok()
}

/// K1 (K5 with the phone's token).
pub(super) async fn activation_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActivationStartRequest>,
) -> Result<Response, ApiError> {
    let token = optional_bearer(&headers);
    let started = blocking(&state, move |b| {
        b.activation_start(
            token.as_deref(),
            &req.username,
            &req.password,
            &req.phone_number,
        )
    })
    .await?;
    Ok(Json(started).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivationVerifyRequest {
    activation_id: String,
    response: String,
}

/// K1 vs D5: the user's active device answers before the activation code goes out.
pub(super) async fn activation_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActivationVerifyRequest>,
) -> Result<Response, ApiError> {
    let token = optional_bearer(&headers);
    let sent = blocking(&state, move |b| {
        b.activation_verify(token.as_deref(), &req.activation_id, &req.response)
    })
    .await?;
    Ok(Json(sent).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivationFinishRequest {
    activation_id: String,
    code: String,
    security: String,
    pin: String,
}

pub(super) async fn activation_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActivationFinishRequest>,
) -> Result<Response, ApiError> {
    let token = optional_bearer(&headers);
    let done = blocking(&state, move |b| {
        b.activation_finish(
            token.as_deref(),
            &req.activation_id,
            &req.code,
            &req.security,
            &req.pin,
        )
    })
    .await?;
    Ok(Json(done).into_response())
}
