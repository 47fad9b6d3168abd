//! The phone's endpoints, and the delivery of pushes to phones.
//!
//! Delivery is a task between the broker's events and the phones' event streams (SSE):
//! it applies K4's faults — a dropped push is never sent, a delayed one is sent late, a
//! held one (phone offline) waits until the fault is lifted, while it lives.
//!
//! A stream belongs to the token that opened it: once that token stops naming its
//! phone (the phone was provisioned again, or the broker reset), the stream ends.

use super::{
    blocking, hashing, ApiError, ApiJson, ApiPath, AppState, JournalNote, NoFields, PhoneToken,
};
use crate::broker::{Broker, BrokerEvent, Delivery, Subject};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_api::{
    Activated, ActivationFinishRequest, ActivationStartRequest, ActivationStep,
    ActivationVerifyRequest, ApproveRequest, Empty, PhoneAccessList, PhoneEvent, PhonePush,
    PhonePushes, PushApproved, PushDenied,
};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

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
                BrokerEvent::PhoneTokensChanged => {}
            }
        }
    });
}

/// The phone's event stream (SSE): first the requests already waiting, then each new
/// one and each withdrawal. A phone may see a request twice; the id tells. The stream
/// ends when its token no longer names the phone.
#[utoipa::path(get, path = "/v1/phone/events", tag = "phone",
    security(("phone_token" = [])),
    responses((status = 200, description = "Server-sent events named `push` or `withdrawn`; \
        each event's data is a PhoneEvent", content_type = "text/event-stream", body = PhoneEvent)))]
pub(super) async fn events(
    State(state): State<AppState>,
    PhoneToken(token): PhoneToken,
) -> Result<Response, ApiError> {
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

/// Requests waiting on this phone.
#[utoipa::path(get, path = "/v1/phone/pushes", tag = "phone",
    security(("phone_token" = [])),
    responses((status = 200, body = PhonePushes)))]
pub(super) async fn pushes(
    State(state): State<AppState>,
    PhoneToken(token): PhoneToken,
) -> Result<Json<PhonePushes>, ApiError> {
    let pushes = blocking(&state, move |b| b.phone_pushes(&token)).await?;
    Ok(Json(PhonePushes { pushes }))
}

/// K2: the phone approves, with the OCRA response to the push's challenge.
#[utoipa::path(post, path = "/v1/phone/pushes/{id}/approve", tag = "phone",
    security(("phone_token" = [])),
    params(("id" = String, Path, description = "The push's id")),
    request_body = ApproveRequest,
    responses((status = 200, body = PushApproved)))]
pub(super) async fn approve(
    State(state): State<AppState>,
    PhoneToken(token): PhoneToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ApproveRequest>,
) -> Result<Json<PushApproved>, ApiError> {
    blocking(&state, move |b| {
        b.approve_push(&token, &id, &req.response, req.picked, &req.method)
    })
    .await?;
    Ok(Json(PushApproved::Approved))
}

/// K6: *I'm not logging in*.
#[utoipa::path(post, path = "/v1/phone/pushes/{id}/deny", tag = "phone",
    security(("phone_token" = [])),
    params(("id" = String, Path, description = "The push's id")),
    request_body = Empty,
    responses((status = 200, body = PushDenied)))]
pub(super) async fn deny(
    State(state): State<AppState>,
    PhoneToken(token): PhoneToken,
    ApiPath(id): ApiPath<String>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<PushDenied>, ApiError> {
    blocking(&state, move |b| b.deny_push(&token, &id)).await?;
    Ok(Json(PushDenied::Denied))
}

/// K7: the accounts on this phone and their trading access.
#[utoipa::path(get, path = "/v1/phone/access", tag = "phone",
    security(("phone_token" = [])),
    responses((status = 200, body = PhoneAccessList)))]
pub(super) async fn access(
    State(state): State<AppState>,
    PhoneToken(token): PhoneToken,
) -> Result<Json<PhoneAccessList>, ApiError> {
    let accounts = blocking(&state, move |b| b.phone_access(&token)).await?;
    Ok(Json(PhoneAccessList { accounts }))
}

/// K1 (K5 with the phone's token).
#[utoipa::path(post, path = "/v1/phone/activation/start", tag = "phone",
    security((), ("phone_token" = [])),
    request_body = ActivationStartRequest,
    responses((status = 200, body = ActivationStep)))]
pub(super) async fn activation_start(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    token: Option<PhoneToken>,
    ApiJson(req): ApiJson<ActivationStartRequest>,
) -> Result<Json<ActivationStep>, ApiError> {
    who.user(&req.username);
    let started = hashing(&state, move |b| {
        b.activation_start(
            token.as_ref().map(|PhoneToken(t)| t.as_str()),
            &req.username,
            &req.password,
            &req.phone_number,
        )
    })
    .await?;
    Ok(Json(started))
}

/// K1 vs D5: the user's active device answers before the activation code goes out.
#[utoipa::path(post, path = "/v1/phone/activation/verify", tag = "phone",
    security((), ("phone_token" = [])),
    request_body = ActivationVerifyRequest,
    responses((status = 200, body = ActivationStep)))]
pub(super) async fn activation_verify(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    token: Option<PhoneToken>,
    ApiJson(req): ApiJson<ActivationVerifyRequest>,
) -> Result<Json<ActivationStep>, ApiError> {
    let sent = blocking(&state, move |b| {
        note_activation(b, &who, &req.activation_id);
        b.activation_verify(
            token.as_ref().map(|PhoneToken(t)| t.as_str()),
            &req.activation_id,
            &req.response,
        )
    })
    .await?;
    Ok(Json(sent))
}

/// K1: the code and the security element; the phone's keys, once.
#[utoipa::path(post, path = "/v1/phone/activation/finish", tag = "phone",
    security((), ("phone_token" = [])),
    request_body = ActivationFinishRequest,
    responses((status = 200, body = Activated)))]
pub(super) async fn activation_finish(
    State(state): State<AppState>,
    Extension(who): Extension<JournalNote>,
    token: Option<PhoneToken>,
    ApiJson(req): ApiJson<ActivationFinishRequest>,
) -> Result<Json<Activated>, ApiError> {
    let done = blocking(&state, move |b| {
        note_activation(b, &who, &req.activation_id);
        b.activation_finish(
            token.as_ref().map(|PhoneToken(t)| t.as_str()),
            &req.activation_id,
            &req.code,
            &req.security,
            &req.pin,
        )
    })
    .await?;
    Ok(Json(done))
}

/// The journal: whose activation `id` is (read before the step, which may end it).
fn note_activation(broker: &Broker, who: &JournalNote, id: &str) {
    who.set_user(broker.whose(&[Subject::Activation(id.to_owned())]));
}
