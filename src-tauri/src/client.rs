//! The broker's HTTP API as the desktop app uses it. Errors come back as the broker's
//! own `{code, message}`; a broker that does not answer becomes `broker_unreachable`.

use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone)]
pub struct BrokerClient {
    base: String,
    http: reqwest::Client,
    /// For the phone's event stream, which stays open.
    streaming: reqwest::Client,
}

/// What the login screen needs after the password step; the broker's shape, kept
/// as JSON so new fields reach the UI without a change here.
pub type LoginStep = Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSession {
    pub token: String,
    pub session: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub status: String,
}

#[derive(Deserialize)]
pub struct DeviceProvision {
    pub id: String,
    pub suite: String,
    pub secret_hex: String,
}

impl BrokerClient {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            // A trader is never left waiting on a dead broker.
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        let streaming = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        BrokerClient {
            base: base.trim_end_matches('/').to_owned(),
            http,
            streaming,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn health(&self) -> Result<(), AppError> {
        let _: Value = self.send(self.http.get(self.url("/health"))).await?;
        Ok(())
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginStep, AppError> {
        let body = json!({ "username": username, "password": password });
        self.send(self.http.post(self.url("/v1/login")).json(&body))
            .await
    }

    /// D6.
    pub async fn choose_device(&self, ticket: &str, device_id: &str) -> Result<Value, AppError> {
        let body = json!({ "ticket": ticket, "device_id": device_id });
        self.send(self.http.post(self.url("/v1/login/device")).json(&body))
            .await
    }

    /// K3.
    pub async fn fallback(&self, ticket: &str) -> Result<Value, AppError> {
        self.send(
            self.http
                .post(self.url("/v1/login/fallback"))
                .json(&json!({ "ticket": ticket })),
        )
        .await
    }

    pub async fn resend(&self, ticket: &str) -> Result<Value, AppError> {
        self.send(
            self.http
                .post(self.url("/v1/login/resend"))
                .json(&json!({ "ticket": ticket })),
        )
        .await
    }

    /// K2: one long poll; `pending` when nothing happened within `wait`.
    pub async fn wait(&self, ticket: &str, wait: Duration) -> Result<Value, AppError> {
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let body = json!({ "ticket": ticket, "timeout_ms": millis });
        let req = self
            .http
            .post(self.url("/v1/login/wait"))
            .json(&body)
            .timeout(wait + Duration::from_secs(10));
        self.send(req).await
    }

    // ---- the phone (IB Key simulator) ----

    pub async fn provision_phone(&self, phone_id: &str) -> Result<Value, AppError> {
        self.send(
            self.http
                .post(self.url(&format!("/qa/phones/{phone_id}/provision"))),
        )
        .await
    }

    /// K1 (K5 with the phone's token): `step` is `start` or `finish`.
    pub async fn activation(
        &self,
        step: &str,
        token: Option<&str>,
        body: Value,
    ) -> Result<Value, AppError> {
        let path = format!("/v1/phone/activation/{step}");
        let mut req = self.http.post(self.url(&path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn sms(&self, number: &str) -> Result<Value, AppError> {
        self.send(
            self.http
                .get(self.url("/qa/sms"))
                .query(&[("number", number)]),
        )
        .await
    }

    pub async fn phone_access(&self, token: &str) -> Result<Value, AppError> {
        self.send(
            self.http
                .get(self.url("/v1/phone/access"))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn approve(
        &self,
        token: &str,
        push_id: &str,
        body: Value,
    ) -> Result<Value, AppError> {
        let path = format!("/v1/phone/pushes/{push_id}/approve");
        self.send(
            self.http
                .post(self.url(&path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn deny(&self, token: &str, push_id: &str) -> Result<Value, AppError> {
        let path = format!("/v1/phone/pushes/{push_id}/deny");
        self.send(self.http.post(self.url(&path)).bearer_auth(token))
            .await
    }

    /// The phone's event stream (SSE), open until the broker or the phone ends it.
    pub async fn phone_events(&self, token: &str) -> Result<reqwest::Response, AppError> {
        let resp = self
            .streaming
            .get(self.url("/v1/phone/events"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(AppError::broker_unreachable)?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or_default();
        Err(broker_error(status, body))
    }

    pub async fn respond(&self, ticket: &str, response: &str) -> Result<NewSession, AppError> {
        let body = json!({ "ticket": ticket, "response": response });
        self.send(self.http.post(self.url("/v1/login/response")).json(&body))
            .await
    }

    pub async fn cancel(&self, ticket: &str) -> Result<(), AppError> {
        let body = json!({ "ticket": ticket });
        let _: Value = self
            .send(self.http.post(self.url("/v1/login/cancel")).json(&body))
            .await?;
        Ok(())
    }

    pub async fn session(&self, token: &str) -> Result<Value, AppError> {
        self.send(self.http.get(self.url("/v1/session")).bearer_auth(token))
            .await
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let _: Value = self
            .send(self.http.post(self.url("/v1/logout")).bearer_auth(token))
            .await?;
        Ok(())
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, AppError> {
        #[derive(Deserialize)]
        struct Devices {
            devices: Vec<DeviceInfo>,
        }
        let d: Devices = self.send(self.http.get(self.url("/qa/devices"))).await?;
        Ok(d.devices)
    }

    pub async fn provision(&self, device_id: &str) -> Result<DeviceProvision, AppError> {
        let path = format!("/qa/devices/{device_id}/provision");
        self.send(self.http.post(self.url(&path))).await
    }

    /// Demo/QA: back to the scenario (users, devices, no locks, clock at real time).
    pub async fn reset(&self) -> Result<(), AppError> {
        let _: Value = self.send(self.http.post(self.url("/qa/reset"))).await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, AppError> {
        let resp = req.send().await.map_err(AppError::broker_unreachable)?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(AppError::broker_unreachable)?;
        if status.is_success() {
            return serde_json::from_value(body).map_err(AppError::broker_unreachable);
        }
        Err(broker_error(status, body))
    }
}

fn broker_error(status: reqwest::StatusCode, body: Value) -> AppError {
    let code = body
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("broker_error");
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| format!("The broker answered {status}."), str::to_owned);
    let mut details = body.clone();
    if let Some(obj) = details.as_object_mut() {
        obj.remove("code");
        obj.remove("message");
    }
    let details = details
        .as_object()
        .filter(|o| !o.is_empty())
        .map(|_| details.clone());
    AppError {
        code: code.to_owned(),
        message,
        details,
    }
}
