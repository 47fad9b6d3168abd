//! The broker's HTTP API as a client uses it, typed on the contract's wire types.
//! Errors come back as the broker's own `{code, message}` ([`Error`]); a broker that
//! does not answer becomes `broker_unreachable`, one that answers too slowly
//! `broker_timeout`.
//!
//! Every POST carries `Content-Type: application/json` (a body of `{}` when there is
//! nothing to say), and every `/qa/*` call the client's QA token when it has one: the
//! broker refuses anything else (issue 6, item 11).

use crate::error::Error;
use crate::sse::EventStream;
use portcullis_api::{
    AccountInfo, DepositHold, DeviceOrderConfirmRequest, DeviceOrderPlaced, DeviceOrderRequest,
    DeviceOrderStep, DeviceReturnInfo, HoldList, LossReason, OptInRequest, OrderPlaced,
    OrderRequest, ReportLostRequest, SecureLoginUpdated, Sharing, SharingAnswerRequest, SharingAsk,
    SharingList, SharingRejectRequest, SharingReview, SharingStartRequest, WithdrawalMade,
    WithdrawalRequest,
};
use portcullis_api::{
    Activated, ActivationFinishRequest, ActivationStartRequest, ActivationStep,
    ActivationVerifyRequest, ApproveRequest, Channel, DeviceInfo, DeviceList, DeviceProvision,
    DeviceRequest, Empty, LoginRequest, LoginStep, MessageList, NewSession,
    OnlineCardActivateRequest, OnlineCardActivated, OnlineCardOffer, PhoneAccessList,
    PhoneProvision, PhonePushes, PushWait, ReactivateConfirmRequest, ReactivateRequest,
    ReactivationAsk, ResponseRequest, SessionInfo, SmsOutbox, TemporaryPasscodeIssued,
    TicketRequest, UserMessage, WaitRequest,
};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;
use std::time::Duration;

/// No answer within this is a clear failure for the trader (the issue asks for < 10 s).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(8);
/// How long the broker holds one push long poll before answering `pending`.
pub const WAIT_POLL: Duration = Duration::from_secs(5);
/// The long poll's own deadline: its `timeout_ms` plus this.
const WAIT_MARGIN: Duration = Duration::from_secs(2);
const CONNECT_DEADLINE: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct BrokerClient {
    base: String,
    pub(crate) http: reqwest::Client,
    /// For the phone's event stream, which stays open.
    streaming: reqwest::Client,
    /// Sent as `X-QA-Token` on `/qa/*` calls.
    qa_token: Option<String>,
}

impl BrokerClient {
    pub fn new(base: &str, qa_token: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            // A trader is never left waiting on a dead or frozen broker.
            .timeout(REQUEST_DEADLINE)
            .connect_timeout(CONNECT_DEADLINE)
            .build()
            .unwrap_or_default();
        let streaming = reqwest::Client::builder()
            .connect_timeout(CONNECT_DEADLINE)
            .build()
            .unwrap_or_default();
        BrokerClient {
            base: base.trim_end_matches('/').to_owned(),
            http,
            streaming,
            qa_token,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn health(&self) -> Result<(), Error> {
        let _: IgnoredAny = self.send(self.http.get(self.url("/health"))).await?;
        Ok(())
    }

    // ---- the login (L1–L6, D5, D6, C1–C4, K2, K3) ----

    /// A trading login (the workstation).
    pub async fn login(&self, username: &str, password: &str) -> Result<LoginStep, Error> {
        self.login_on(Channel::Trading, username, password).await
    }

    /// A login on `channel`: the trading workstation or the Client Portal (T2).
    pub async fn login_on(
        &self,
        channel: Channel,
        username: &str,
        password: &str,
    ) -> Result<LoginStep, Error> {
        let body = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            device_id: None,
            channel,
        };
        self.send(self.post("/v1/login", &body)).await
    }

    /// D6.
    pub async fn choose_device(&self, ticket: &str, device_id: &str) -> Result<LoginStep, Error> {
        let body = DeviceRequest {
            ticket: ticket.to_owned(),
            device_id: device_id.to_owned(),
        };
        self.send(self.post("/v1/login/device", &body)).await
    }

    /// K3.
    pub async fn fallback(&self, ticket: &str) -> Result<LoginStep, Error> {
        self.send(self.post("/v1/login/fallback", &ticket_body(ticket)))
            .await
    }

    pub async fn resend(&self, ticket: &str) -> Result<LoginStep, Error> {
        self.send(self.post("/v1/login/resend", &ticket_body(ticket)))
            .await
    }

    /// K2: one long poll; `pending` when nothing happened within [`WAIT_POLL`]. It has
    /// its own deadline (the poll plus a margin), so a frozen broker fails it in time.
    pub async fn wait(&self, ticket: &str) -> Result<PushWait, Error> {
        let body = WaitRequest {
            ticket: ticket.to_owned(),
            timeout_ms: Some(u64::try_from(WAIT_POLL.as_millis()).unwrap_or(u64::MAX)),
        };
        let req = self
            .post("/v1/login/wait", &body)
            .timeout(WAIT_POLL + WAIT_MARGIN);
        self.send(req).await
    }

    pub async fn respond(&self, ticket: &str, response: &str) -> Result<NewSession, Error> {
        let body = ResponseRequest {
            ticket: ticket.to_owned(),
            response: response.to_owned(),
        };
        self.send(self.post("/v1/login/response", &body)).await
    }

    pub async fn cancel(&self, ticket: &str) -> Result<(), Error> {
        let _: IgnoredAny = self
            .send(self.post("/v1/login/cancel", &ticket_body(ticket)))
            .await?;
        Ok(())
    }

    // ---- the session ----

    /// Reading the session is not activity (it does not push its idle end back).
    pub async fn session(&self, token: &str) -> Result<SessionInfo, Error> {
        self.send(self.http.get(self.url("/v1/session")).bearer_auth(token))
            .await
    }

    /// The trader is active: the idle end moves; answers the session.
    pub async fn keepalive(&self, token: &str) -> Result<SessionInfo, Error> {
        self.send(
            self.post("/v1/session/keepalive", &Empty {})
                .bearer_auth(token),
        )
        .await
    }

    pub async fn logout(&self, token: &str) -> Result<(), Error> {
        let _: IgnoredAny = self
            .send(self.post("/v1/logout", &Empty {}).bearer_auth(token))
            .await?;
        Ok(())
    }

    // ---- the account home and the Client Portal (D2, T3, T5) ----

    /// The session user's own devices with their dates; reading is not activity.
    pub async fn my_devices(&self, token: &str) -> Result<Vec<DeviceInfo>, Error> {
        let list: DeviceList = self
            .send(self.http.get(self.url("/v1/devices")).bearer_auth(token))
            .await?;
        Ok(list.devices)
    }

    /// T5: the user's messages (a replacement's notices), the newest first.
    pub async fn messages(&self, token: &str) -> Result<Vec<UserMessage>, Error> {
        let list: MessageList = self
            .send(self.http.get(self.url("/v1/messages")).bearer_auth(token))
            .await?;
        Ok(list.messages)
    }

    /// T3: the online security code card to print, and the two indexes that activate
    /// it (a portal session through a temporary passcode only).
    pub async fn online_card(&self, token: &str) -> Result<OnlineCardOffer, Error> {
        self.send(
            self.post("/v1/portal/online-card", &Empty {})
                .bearer_auth(token),
        )
        .await
    }

    /// T3: the codes at the offer's two indexes, typed together.
    pub async fn online_card_activate(
        &self,
        token: &str,
        response: &str,
    ) -> Result<OnlineCardActivated, Error> {
        let body = OnlineCardActivateRequest {
            response: response.to_owned(),
        };
        self.send(
            self.post("/v1/portal/online-card/activate", &body)
                .bearer_auth(token),
        )
        .await
    }

    /// Case 10: asks the user's set-aside (or shipped) device to prove it is at hand.
    pub async fn reactivate(&self, token: &str, device_id: &str) -> Result<ReactivationAsk, Error> {
        let body = ReactivateRequest {
            device_id: device_id.to_owned(),
        };
        self.send(self.post("/v1/portal/reactivate", &body).bearer_auth(token))
            .await
    }

    /// Case 10, T4: the device's answer; the device as it is now (active).
    pub async fn reactivate_confirm(
        &self,
        token: &str,
        response: &str,
    ) -> Result<DeviceInfo, Error> {
        let body = ReactivateConfirmRequest {
            response: response.to_owned(),
        };
        self.send(
            self.post("/v1/portal/reactivate/confirm", &body)
                .bearer_auth(token),
        )
        .await
    }

    // ---- the account and its Secure Login settings (issue 9: O1–O3, S1–S6, R1–R4, D2) ----

    /// O3, O1, D2: who may change the settings, the opt-out and its restrictions, and
    /// what is left of the withdrawal limits.
    pub async fn account(&self, token: &str) -> Result<AccountInfo, Error> {
        self.send(self.http.get(self.url("/v1/account")).bearer_auth(token))
            .await
    }

    /// O1: trading logins by password only, with the restrictions (primary user, portal).
    pub async fn opt_out(&self, token: &str) -> Result<SecureLoginUpdated, Error> {
        self.send(
            self.post("/v1/settings/secure-login/opt-out", &Empty {})
                .bearer_auth(token),
        )
        .await
    }

    /// O2: "I want to always use my Secure Login Device when logging in".
    pub async fn opt_in(&self, token: &str) -> Result<SecureLoginUpdated, Error> {
        let body = OptInRequest {
            always_use_device: true,
        };
        self.send(
            self.post("/v1/settings/secure-login/opt-in", &body)
                .bearer_auth(token),
        )
        .await
    }

    /// O1: an order, checked for the opt-out's restrictions only.
    pub async fn place_order(
        &self,
        token: &str,
        order: &OrderRequest,
    ) -> Result<OrderPlaced, Error> {
        self.send(self.post("/v1/orders", order).bearer_auth(token))
            .await
    }

    /// D2: a withdrawal against the per-day and 5-business-day limits.
    pub async fn withdraw(&self, token: &str, amount_usd: u64) -> Result<WithdrawalMade, Error> {
        let body = WithdrawalRequest { amount_usd };
        self.send(self.post("/v1/withdrawals", &body).bearer_auth(token))
            .await
    }

    /// S3, step 6: the owner's credentials; answers what the owner's device must answer.
    pub async fn sharing_start(
        &self,
        token: &str,
        request: &SharingStartRequest,
    ) -> Result<SharingAsk, Error> {
        self.send(self.post("/v1/sharing/start", request).bearer_auth(token))
            .await
    }

    /// S3, step 7: the owner's device's response; answers the review.
    pub async fn sharing_answer(
        &self,
        token: &str,
        sharing_id: &str,
        response: &str,
    ) -> Result<SharingReview, Error> {
        let body = SharingAnswerRequest {
            response: response.to_owned(),
        };
        let path = format!("/v1/sharing/{sharing_id}/answer");
        self.send(self.post(&path, &body).bearer_auth(token)).await
    }

    /// S3 step 8, S4: confirmed; approved at once or pending Compliance.
    pub async fn sharing_confirm(&self, token: &str, sharing_id: &str) -> Result<Sharing, Error> {
        let path = format!("/v1/sharing/{sharing_id}/confirm");
        self.send(self.post(&path, &Empty {}).bearer_auth(token))
            .await
    }

    /// S6: the sharing ends; the devices set aside serve again.
    pub async fn sharing_cancel(&self, token: &str, sharing_id: &str) -> Result<Sharing, Error> {
        let path = format!("/v1/sharing/{sharing_id}/cancel");
        self.send(self.post(&path, &Empty {}).bearer_auth(token))
            .await
    }

    /// The sharings the user requested or owns, newest first.
    pub async fn sharings(&self, token: &str) -> Result<Vec<Sharing>, Error> {
        let list: SharingList = self
            .send(self.http.get(self.url("/v1/sharing")).bearer_auth(token))
            .await?;
        Ok(list.sharings)
    }

    /// R1, steps 1–3 (and Back): the order's summary; posting again replaces it.
    pub async fn order_device(
        &self,
        token: &str,
        order: &DeviceOrderRequest,
    ) -> Result<DeviceOrderStep, Error> {
        self.send(self.post("/v1/devices/order", order).bearer_auth(token))
            .await
    }

    /// R1, step 5: the summary confirmed; the estimated shipment date.
    pub async fn confirm_device_order(
        &self,
        token: &str,
        order_id: &str,
    ) -> Result<DeviceOrderPlaced, Error> {
        let body = DeviceOrderConfirmRequest {
            order_id: order_id.to_owned(),
        };
        self.send(
            self.post("/v1/devices/order/confirm", &body)
                .bearer_auth(token),
        )
        .await
    }

    /// R2: the user's 20 USD deposits, held, released or kept.
    pub async fn holds(&self, token: &str) -> Result<Vec<DepositHold>, Error> {
        let list: HoldList = self
            .send(self.http.get(self.url("/v1/holds")).bearer_auth(token))
            .await?;
        Ok(list.holds)
    }

    /// R2, R3: the device is sent back; received 3–5 business days later.
    pub async fn return_device(
        &self,
        token: &str,
        device_id: &str,
    ) -> Result<DeviceReturnInfo, Error> {
        let path = format!("/v1/devices/{device_id}/return");
        self.send(self.post(&path, &Empty {}).bearer_auth(token))
            .await
    }

    /// R2: lost, stolen or damaged; the deposit is kept.
    pub async fn report_lost(
        &self,
        token: &str,
        device_id: &str,
        reason: LossReason,
    ) -> Result<DeviceReturnInfo, Error> {
        let path = format!("/v1/devices/{device_id}/report-lost");
        let body = ReportLostRequest { reason };
        self.send(self.post(&path, &body).bearer_auth(token)).await
    }

    // ---- the phone (IB Key) ----

    /// K1 (K5 with the phone's token).
    pub async fn activation_start(
        &self,
        phone_token: Option<&str>,
        body: &ActivationStartRequest,
    ) -> Result<ActivationStep, Error> {
        self.send(self.phone_post("/v1/phone/activation/start", body, phone_token))
            .await
    }

    /// Item 4: the user's active device answers first.
    pub async fn activation_verify(
        &self,
        phone_token: Option<&str>,
        body: &ActivationVerifyRequest,
    ) -> Result<ActivationStep, Error> {
        self.send(self.phone_post("/v1/phone/activation/verify", body, phone_token))
            .await
    }

    pub async fn activation_finish(
        &self,
        phone_token: Option<&str>,
        body: &ActivationFinishRequest,
    ) -> Result<Activated, Error> {
        self.send(self.phone_post("/v1/phone/activation/finish", body, phone_token))
            .await
    }

    /// K7: trading access on the phone, per user.
    pub async fn phone_access(&self, token: &str) -> Result<PhoneAccessList, Error> {
        self.send(
            self.http
                .get(self.url("/v1/phone/access"))
                .bearer_auth(token),
        )
        .await
    }

    /// The requests waiting for this phone (what its event stream starts with).
    pub async fn phone_pushes(&self, token: &str) -> Result<PhonePushes, Error> {
        self.send(
            self.http
                .get(self.url("/v1/phone/pushes"))
                .bearer_auth(token),
        )
        .await
    }

    /// K2.
    pub async fn approve(
        &self,
        token: &str,
        push_id: &str,
        body: &ApproveRequest,
    ) -> Result<(), Error> {
        let path = format!("/v1/phone/pushes/{push_id}/approve");
        let _: IgnoredAny = self.send(self.post(&path, body).bearer_auth(token)).await?;
        Ok(())
    }

    /// K6.
    pub async fn deny(&self, token: &str, push_id: &str) -> Result<(), Error> {
        let path = format!("/v1/phone/pushes/{push_id}/deny");
        let _: IgnoredAny = self
            .send(self.post(&path, &Empty {}).bearer_auth(token))
            .await?;
        Ok(())
    }

    /// The phone's event stream (SSE), open until the broker or the phone ends it.
    pub async fn phone_events(&self, token: &str) -> Result<EventStream, Error> {
        let resp = self
            .streaming
            .get(self.url("/v1/phone/events"))
            .bearer_auth(token)
            .timeout(REQUEST_DEADLINE)
            .send()
            .await
            .map_err(Error::from_http)?;
        if resp.status().is_success() {
            return Ok(EventStream::new(resp));
        }
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        Err(Error::from_answer(status, &body))
    }

    // ---- QA and demo controls (a broker started with `--qa`) ----

    /// Becomes the scenario's phone `phone_id`: a fresh token and its users' keys.
    pub async fn provision_phone(&self, phone_id: &str) -> Result<PhoneProvision, Error> {
        let path = format!("/qa/phones/{phone_id}/provision");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// The simulated SMS outbox: one number's messages, or (None) everyone's.
    pub async fn sms(&self, number: Option<&str>) -> Result<SmsOutbox, Error> {
        let mut req = self.http.get(self.url("/qa/sms"));
        if let Some(n) = number {
            req = req.query(&[("number", n)]);
        }
        self.send(self.qa(req)).await
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, Error> {
        let list: DeviceList = self
            .send(self.qa(self.http.get(self.url("/qa/devices"))))
            .await?;
        Ok(list.devices)
    }

    /// A card simulator's key.
    pub async fn provision(&self, device_id: &str) -> Result<DeviceProvision, Error> {
        let path = format!("/qa/devices/{device_id}/provision");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// T1, Client Services: a temporary passcode for `username`, shown this once.
    pub async fn issue_temporary_passcode(
        &self,
        username: &str,
    ) -> Result<TemporaryPasscodeIssued, Error> {
        let path = format!("/qa/users/{username}/temporary-passcode");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// Case 10, Client Services: a shipped replacement activated, or a kept device
    /// reactivated; T4 ends temporary access.
    pub async fn activate_device(&self, device_id: &str) -> Result<DeviceInfo, Error> {
        let path = format!("/qa/devices/{device_id}/activate");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// Demo/QA: back to the scenario (users, devices, no locks, clock at real time).
    pub async fn reset(&self) -> Result<(), Error> {
        let _: IgnoredAny = self
            .send(self.qa(self.post("/qa/reset", &Empty {})))
            .await?;
        Ok(())
    }

    /// S4, Compliance: a sharing waiting for approval comes into force.
    pub async fn approve_sharing(&self, sharing_id: &str) -> Result<Sharing, Error> {
        let path = format!("/qa/sharing/{sharing_id}/approve");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// S4, Compliance: a sharing waiting for approval is rejected, with the reason the
    /// requesting user will read (if any); nothing else changes.
    pub async fn reject_sharing(
        &self,
        sharing_id: &str,
        reason: Option<&str>,
    ) -> Result<Sharing, Error> {
        let path = format!("/qa/sharing/{sharing_id}/reject");
        let body = SharingRejectRequest {
            reason: reason.map(str::to_owned),
        };
        self.send(self.qa(self.post(&path, &body))).await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every POST is JSON; `.json` sets `Content-Type: application/json`.
    pub(crate) fn post(&self, path: &str, body: &impl Serialize) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).json(body)
    }

    /// A phone's POST: with its token once it has one (K5), without before (K1).
    fn phone_post(
        &self,
        path: &str,
        body: &impl Serialize,
        phone_token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let req = self.post(path, body);
        match phone_token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends a copy of `req` (every request here has a body in memory, so it copies).
    async fn answer(req: &reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        let copy = req
            .try_clone()
            .ok_or_else(|| Error::new("broker_error", "The request could not be sent."))?;
        copy.send().await.map_err(Error::from_http)
    }

    pub(crate) fn qa(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.qa_token {
            Some(token) => req.header("X-QA-Token", token),
            None => req,
        }
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let mut resp = Self::answer(&req).await?;
        // Item 6: `busy` means nothing was done; try again as told (twice at most, so
        // the trader still hears within the deadline), then show it.
        for _ in 0..2 {
            let Some(pause) = busy_pause(&resp) else {
                break;
            };
            tokio::time::sleep(pause).await;
            resp = Self::answer(&req).await?;
        }
        let status = resp.status();
        let body = match resp.bytes().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() => return Err(Error::broker_timeout(e)),
            Err(_) if !status.is_success() => Default::default(),
            Err(e) => return Err(Error::broker_unreachable(e)),
        };
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(Error::broker_unreachable);
        }
        Err(Error::from_answer(status, &body))
    }
}

fn ticket_body(ticket: &str) -> TicketRequest {
    TicketRequest {
        ticket: ticket.to_owned(),
    }
}

/// A `503` with `Retry-After` (capped at 2 s): how long to wait before trying again.
fn busy_pause(resp: &reqwest::Response) -> Option<Duration> {
    if resp.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let seconds: u64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(2)))
}

#[cfg(test)]
mod tests {
    //! The client's requests as a broker sees them, read off a plain socket.

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Answers every request `200 {}` and hands back what it received.
    async fn recorder() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while let Some(text) = crate::test_http::request(&mut sock).await {
                        let _ = tx.send(text);
                        crate::test_http::answer_json(&mut sock, "{}").await;
                    }
                });
            }
        });
        (url, rx)
    }

    fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
        request.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    #[tokio::test]
    async fn hardening_every_post_is_json_and_qa_calls_carry_the_token() {
        let (url, mut seen) = recorder().await;
        let client = BrokerClient::new(&url, Some("tok123".into()));
        let _ = client.provision_phone("demo-phone").await;
        let _ = client.provision("DSCP-1").await;
        let _ = client.reset().await;
        let _ = client.deny("phone-token", "push-1").await;
        let _ = client.logout("session-token").await;
        let _ = client.keepalive("session-token").await;
        let _ = client.cancel("ticket").await;
        let _ = client.sms(None).await;
        let _ = client.online_card("session-token").await;
        let _ = client.online_card_activate("session-token", "123456").await;
        // Issue 10's QA controls (`mock-broker qa`), a DELETE among them.
        let _ = client.clock().await;
        let _ = client.freeze().await;
        let _ = client.journal(&Default::default()).await;
        let _ = client.remove_route_fault(1).await;
        for _ in 0..14 {
            let request = seen.recv().await.expect("a request");
            let first = request.lines().next().unwrap_or_default().to_owned();
            if first.starts_with("POST") {
                assert_eq!(
                    header(&request, "content-type"),
                    Some("application/json"),
                    "item 11: {first} must be JSON, or the broker refuses it"
                );
                let body = request.split("\r\n\r\n").nth(1).unwrap_or_default();
                assert!(body.starts_with('{'), "{first}: a JSON body, got {body:?}");
            }
            if first.contains(" /qa/") {
                assert_eq!(
                    header(&request, "x-qa-token"),
                    Some("tok123"),
                    "item 11: {first} carries the app's QA token"
                );
            } else {
                assert_eq!(header(&request, "x-qa-token"), None, "{first}");
            }
        }
    }

    #[tokio::test]
    async fn hardening_busy_is_tried_again_as_told() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let answer: &[u8] = if n == 0 {
                    b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 36\r\n\r\n{\"code\":\"busy\",\"message\":\"busy now\"}"
                } else {
                    b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 22\r\n\r\n{\"status\":\"cancelled\"}"
                };
                let _ = sock.write_all(answer).await;
            }
        });
        let client = BrokerClient::new(&url, None);
        client.cancel("ticket").await.expect("the second try");
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    /// Issue 11: a broker killed during the long poll cuts the connection; the wait
    /// fails as `broker_unreachable` (said at once) rather than running into its own
    /// deadline as `broker_timeout`, and a refused connection likewise.
    #[tokio::test]
    async fn issue11_a_long_poll_cut_or_refused_is_unreachable_not_a_timeout() {
        // Reads the request, then closes the connection unanswered: a killed broker.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let dying = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
        });
        let client = BrokerClient::new(&url, None);
        let err = client.wait("ticket").await.unwrap_err();
        assert_eq!(err.code, "broker_unreachable", "a cut long poll: {err:?}");
        dying.await.unwrap();

        // Nothing listens there any more.
        let err = client.wait("ticket").await.unwrap_err();
        assert_eq!(
            err.code, "broker_unreachable",
            "a refused long poll: {err:?}"
        );
        assert!(err.is_connection());
    }

    #[tokio::test]
    async fn hardening_a_silent_broker_fails_the_long_poll_within_ten_seconds() {
        // Accepts and never answers: a frozen broker.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                held.push(sock);
            }
        });
        let client = BrokerClient::new(&url, None);
        let started = std::time::Instant::now();
        let err = client.wait("ticket").await.unwrap_err();
        assert_eq!(err.code, "broker_timeout");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a clear failure within 10 s, took {:?}",
            started.elapsed()
        );
    }
}
