//! A phone for tests: the broker's phone API as the phone simulator uses it — the
//! event stream (SSE), approving and denying, activation — with the OCRA responses
//! computed here, independently of the broker.

use crate::{dsc_plus_response, Broker};
use portcullis_client::sse::EventStream;
use serde_json::{json, Value};
use std::time::Duration;

pub struct Phone {
    pub id: String,
    pub token: String,
    /// username → (device id, key hex)
    pub accounts: Vec<(String, String, String)>,
    http: reqwest::Client,
    base: String,
}

/// An open event stream, read by the client crate's SSE reader (the one the app's
/// phone simulator uses).
pub struct PhoneEvents {
    stream: EventStream,
}

impl PhoneEvents {
    /// The next event (`push` or `withdrawn`) within `within`, or None.
    pub async fn next(&mut self, within: Duration) -> Option<(String, Value)> {
        match tokio::time::timeout(within, self.stream.next()).await {
            Ok(Some(event)) => Some((
                event.name,
                serde_json::from_str(&event.data).unwrap_or(Value::Null),
            )),
            Ok(None) | Err(_) => None,
        }
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
    pub async fn next_push(&mut self, within: Duration) -> Value {
        loop {
            match self.next(within).await {
                Some((name, event)) if name == "push" => return event,
                Some(_) => continue,
                None => panic!("no push within {within:?}"),
            }
        }
    }
}

impl Phone {
    /// Becomes the scenario's phone `phone_id` through the QA provisioning endpoint.
    pub async fn provision(broker: &Broker, phone_id: &str) -> Phone {
        let (status, p) = broker
            .post(&format!("/qa/phones/{phone_id}/provision"), json!({}))
            .await;
        assert_eq!(status, 200, "{p}");
        let accounts = p["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| {
                (
                    a["username"].as_str().unwrap().to_owned(),
                    a["device_id"].as_str().unwrap().to_owned(),
                    a["secret_hex"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        Phone::new(
            broker,
            p["phone_id"].as_str().unwrap(),
            p["phone_token"].as_str().unwrap(),
            accounts,
        )
    }

    pub fn new(
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
    pub fn response(&self, push: &Value, pin: &str) -> String {
        let username = push["username"].as_str().expect("username");
        dsc_plus_response(
            self.key_of(username),
            pin,
            push["challenge"].as_str().expect("challenge"),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn approve(&self, push: &Value, pin: &str, picked: Option<u64>) -> (u16, Value) {
        let id = push["push_id"].as_str().expect("push id");
        let body =
            json!({ "response": self.response(push, pin), "picked": picked, "method": "pin" });
        self.post(&format!("/v1/phone/pushes/{id}/approve"), body)
            .await
    }

    pub async fn deny(&self, push: &Value) -> (u16, Value) {
        let id = push["push_id"].as_str().expect("push id");
        self.post(&format!("/v1/phone/pushes/{id}/deny"), json!({}))
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
        let (status, started) = broker.start_activation(username, password, number).await;
        assert_eq!(status, 200, "{started}");
        let code = broker.last_sms_code(number).await;
        let (status, done) = broker
            .post(
                "/v1/phone/activation/finish",
                json!({ "activation_id": started["activation_id"], "code": code, "security": "pin", "pin": pin }),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        let account = (
            username.to_owned(),
            done["device_id"].as_str().unwrap().to_owned(),
            done["secret_hex"].as_str().unwrap().to_owned(),
        );
        Phone::new(
            broker,
            done["phone_id"].as_str().unwrap(),
            done["phone_token"].as_str().unwrap(),
            vec![account],
        )
    }
}

impl Broker {
    /// The 6-digit code in the newest text message to `number` (the SMS outbox).
    pub async fn last_sms_code(&self, number: &str) -> String {
        let (_, body) = self.get(&format!("/qa/sms?number={number}")).await;
        let last = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .cloned()
            .unwrap_or_default();
        let text = last["body"].as_str().unwrap_or_default();
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
    ) -> (u16, Value) {
        let body = json!({ "username": username, "password": password, "phone_number": number });
        self.post("/v1/phone/activation/start", body).await
    }

    pub async fn wait(&self, ticket: &str, timeout_ms: u64) -> (u16, Value) {
        self.post(
            "/v1/login/wait",
            json!({ "ticket": ticket, "timeout_ms": timeout_ms }),
        )
        .await
    }

    pub async fn fault(&self, device_id: Option<&str>, mode: &str, delay_ms: u64) {
        let (status, body) = self
            .post(
                "/qa/faults",
                json!({ "device_id": device_id, "mode": mode, "delay_ms": delay_ms }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}
