//! A phone for tests: the broker's phone API as the phone simulator uses it — the
//! event stream (SSE), approving and denying, activation — with the OCRA responses
//! computed here, independently of the broker.

use crate::contract::Contract;
use crate::{decode, dsc_plus_response, Broker, Reply};
use portcullis_api::{
    Activated, ActivationFinishRequest, ActivationStartRequest, ActivationStep, ApproveRequest,
    FaultRequest, PhoneEvent, PhoneProvision, PhonePush, PushApproved, PushDenied, PushWait,
    SmsOutbox, WaitRequest,
};
use portcullis_client::sse::{Event, EventStream};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub struct Phone {
    pub id: String,
    pub token: String,
    /// username → (device id, key hex)
    pub accounts: Vec<(String, String, String)>,
    http: reqwest::Client,
    base: String,
    /// The broker's document, to check what the phone receives.
    contract: Arc<Contract>,
}

/// An open event stream, read by the client crate's SSE reader (the one the app's
/// phone simulator uses).
pub struct PhoneEvents {
    stream: EventStream,
    contract: Arc<Contract>,
}

impl PhoneEvents {
    /// The next event (`push` or `withdrawn`) within `within`, or None. Its data is
    /// checked against the document's `PhoneEvent` and must carry the event's name.
    pub async fn next(&mut self, within: Duration) -> Option<PhoneEvent> {
        let Event { name, data } = tokio::time::timeout(within, self.stream.next())
            .await
            .ok()??;
        let value: Value = serde_json::from_str(&data)
            .unwrap_or_else(|e| panic!("event {name} is not JSON: {e}: {data}"));
        self.contract
            .check("GET", "/v1/phone/events", 200, Some(&value));
        let event: PhoneEvent = serde_json::from_value(value)
            .unwrap_or_else(|e| panic!("event {name} does not decode: {e}: {data}"));
        assert_eq!(event.name(), name, "the SSE name matches the data's type");
        Some(event)
    }

    /// Whether the broker ends the stream within `within`: `Ok` when it does, `Err` with
    /// what came instead (an event, or nothing before the deadline).
    pub async fn ended_within(&mut self, within: Duration) -> Result<(), String> {
        match tokio::time::timeout(within, self.stream.next()).await {
            Ok(None) => Ok(()),
            Ok(Some(event)) => Err(format!("an event arrived instead: {event:?}")),
            Err(_) => Err(format!("still open after {within:?}")),
        }
    }

    /// The next push within `within`, skipping withdrawals; panics if none comes.
    pub async fn next_push(&mut self, within: Duration) -> PhonePush {
        loop {
            match self.next(within).await {
                Some(PhoneEvent::Push(push)) => return push,
                Some(PhoneEvent::Withdrawn { .. }) => continue,
                None => panic!("no push within {within:?}"),
            }
        }
    }
}

impl Phone {
    /// Becomes the scenario's phone `phone_id` through the QA provisioning endpoint.
    pub async fn provision(broker: &Broker, phone_id: &str) -> Phone {
        let p: PhoneProvision = broker
            .post_as(&format!("/qa/phones/{phone_id}/provision"), &json!({}))
            .await
            .ok();
        let accounts = p
            .accounts
            .into_iter()
            .map(|a| (a.username, a.device_id, a.secret_hex))
            .collect();
        Phone::new(broker, &p.phone_id, &p.phone_token, accounts).await
    }

    pub async fn new(
        broker: &Broker,
        id: &str,
        token: &str,
        accounts: Vec<(String, String, String)>,
    ) -> Phone {
        Phone {
            id: id.to_owned(),
            token: token.to_owned(),
            accounts,
            http: reqwest::Client::new(),
            base: broker.url.clone(),
            contract: broker.contract().await,
        }
    }

    pub async fn events(&self) -> PhoneEvents {
        let resp = self
            .http
            .get(format!("{}/v1/phone/events", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("event stream");
        assert_eq!(resp.status(), 200, "event stream refused");
        PhoneEvents {
            stream: EventStream::new(resp),
            contract: self.contract.clone(),
        }
    }

    pub fn key_of(&self, username: &str) -> &str {
        &self
            .accounts
            .iter()
            .find(|a| a.0 == username)
            .unwrap_or_else(|| panic!("{username} not on this phone"))
            .2
    }

    /// What the phone computes for `push` with `pin` (the same OCRA suite as the card).
    pub fn response(&self, push: &PhonePush, pin: &str) -> String {
        dsc_plus_response(self.key_of(&push.username), pin, &push.challenge)
    }

    /// Sends `request` with the phone's token; the answer checked against the document.
    async fn exchange(
        &self,
        method: &str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let resp = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the broker answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        self.contract.check(method, path, status, body.as_ref());
        (status, body.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let request = self.http.post(format!("{}{path}", self.base)).json(&body);
        self.exchange("POST", path, request).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.base));
        self.exchange("GET", path, request).await
    }

    /// `POST path` with the phone's token and a typed body, decoded.
    pub async fn post_as<T: DeserializeOwned + Serialize>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Reply<T> {
        let (status, body) = self.post(path, json!(body)).await;
        decode(status, body)
    }

    /// `GET path` with the phone's token, decoded.
    pub async fn get_as<T: DeserializeOwned + Serialize>(&self, path: &str) -> Reply<T> {
        let (status, body) = self.get(path).await;
        decode(status, body)
    }

    pub async fn approve(
        &self,
        push: &PhonePush,
        pin: &str,
        picked: Option<u8>,
    ) -> Reply<PushApproved> {
        let body = ApproveRequest {
            response: self.response(push, pin),
            picked,
            method: "pin".into(),
        };
        self.post_as(&format!("/v1/phone/pushes/{}/approve", push.push_id), &body)
            .await
    }

    pub async fn deny(&self, push: &PhonePush) -> Reply<PushDenied> {
        self.post_as(
            &format!("/v1/phone/pushes/{}/deny", push.push_id),
            &json!({}),
        )
        .await
    }

    /// K1 from scratch: a new phone for `username`, PIN security.
    pub async fn activate(
        broker: &Broker,
        username: &str,
        password: &str,
        number: &str,
        pin: &str,
    ) -> Phone {
        let ActivationStep::CodeSent(started) = broker
            .start_activation(username, password, number)
            .await
            .ok()
        else {
            panic!("{username} has no device to answer first: the code goes out at once");
        };
        let code = broker.last_sms_code(number).await;
        let done: Activated = broker
            .post_as(
                "/v1/phone/activation/finish",
                &ActivationFinishRequest {
                    activation_id: started.activation_id,
                    code,
                    security: "pin".into(),
                    pin: pin.into(),
                },
            )
            .await
            .ok();
        let token = done.phone_token.expect("a new phone gets its token");
        let account = (username.to_owned(), done.device_id, done.secret_hex);
        Phone::new(broker, &done.phone_id, &token, vec![account]).await
    }
}

impl Broker {
    /// The 6-digit code in the newest text message to `number` (the SMS outbox).
    pub async fn last_sms_code(&self, number: &str) -> String {
        let outbox: SmsOutbox = self.get_as(&format!("/qa/sms?number={number}")).await.ok();
        let text = outbox
            .messages
            .last()
            .map(|m| m.body.clone())
            .unwrap_or_default();
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in {text:?}"))
            .to_owned()
    }

    /// K1's first step, on a phone not yet registered.
    pub async fn start_activation(
        &self,
        username: &str,
        password: &str,
        number: &str,
    ) -> Reply<ActivationStep> {
        let body = ActivationStartRequest {
            username: username.into(),
            password: password.into(),
            phone_number: number.into(),
        };
        self.post_as("/v1/phone/activation/start", &body).await
    }

    pub async fn wait(&self, ticket: &str, timeout_ms: u64) -> Reply<PushWait> {
        let body = WaitRequest {
            ticket: ticket.into(),
            timeout_ms: Some(timeout_ms),
        };
        self.post_as("/v1/login/wait", &body).await
    }

    pub async fn fault(&self, device_id: Option<&str>, mode: &str, delay_ms: u64) {
        let body = FaultRequest {
            device_id: device_id.map(str::to_owned),
            mode: mode.into(),
            delay_ms,
        };
        self.post_as::<portcullis_api::FaultList>("/qa/faults", &body)
            .await
            .ok();
    }
}
