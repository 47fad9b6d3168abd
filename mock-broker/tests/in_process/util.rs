//! A broker in process: the demo scenario, an in-memory store, cheap Argon2, QA on.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use mock_broker::broker::Broker;
use mock_broker::password::Argon2Settings;
use mock_broker::scenario::Scenario;
use mock_broker::server::{app, AppState};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// Every demo user's password.
pub const PASSWORD: &str = "Trade2026";

#[derive(Clone)]
pub struct TestBroker {
    router: Router,
    /// The broker behind the router, for what the wire does not show (its waiters).
    broker: Arc<Broker>,
}

/// What the broker answered: the status and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The error code, or "" for an answer without one.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn str(&self, field: &str) -> &str {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field:?} in {}", self.body))
    }
}

impl TestBroker {
    /// The demo scenario. Needs a tokio runtime (the push delivery task starts).
    pub fn demo() -> TestBroker {
        TestBroker::with(Scenario::demo())
    }

    pub fn with(scenario: Scenario) -> TestBroker {
        TestBroker::with_qa(scenario, true)
    }

    /// The demo scenario with its codes seeded (`--seed`).
    pub fn seeded(seed: u64) -> TestBroker {
        TestBroker::build(Scenario::demo(), true, Some(seed))
    }

    /// `scenario`, with QA controls (`--qa`) or without.
    pub fn with_qa(scenario: Scenario, qa: bool) -> TestBroker {
        TestBroker::build(scenario, qa, None)
    }

    fn build(mut scenario: Scenario, qa: bool, seed: Option<u64>) -> TestBroker {
        // A test that happened to run across the daily end (23:45 UTC by default) would
        // see its sessions end: unless the test chose its own, the day ends half a day
        // from now. (The scenario's dates count from the real time it loads at, so the
        // clock itself stays put.)
        if scenario.sessions.daily_end_utc == Scenario::demo().sessions.daily_end_utc {
            scenario.sessions.daily_end_utc = daily_end_half_a_day_away();
        }
        // The smallest Argon2 the crate takes: the rules do not care about its cost.
        let cheap = Argon2Settings {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let broker = Broker::open(None, scenario, cheap).expect("an in-memory broker opens");
        if let Some(seed) = seed {
            broker.seed_codes(seed);
        }
        let broker = Arc::new(broker);
        TestBroker {
            router: app(AppState::new(broker.clone(), qa)),
            broker,
        }
    }

    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Sends `request` as it is (no Host added: the caller decides).
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router always answers");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{status}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Answer { status, body }
    }

    /// A request as the desktop sends it: loopback `Host`, JSON.
    pub fn request(method: Method, path: &str, body: Option<&Value>) -> Request<Body> {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1");
        match body {
            Some(json) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("a valid request")
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(TestBroker::request(Method::POST, path, Some(&body)))
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(TestBroker::request(Method::GET, path, None))
            .await
    }

    /// The password step.
    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.post(
            "/v1/login",
            serde_json::json!({ "username": username, "password": password }),
        )
        .await
    }

    /// L4: the consecutive failures counted against `username` now.
    pub async fn failures(&self, username: &str) -> u64 {
        let info = self.get(&format!("/qa/users/{username}/lockout")).await;
        assert_eq!(info.status, StatusCode::OK, "{info:?}");
        info.body["failures_in_window"]
            .as_u64()
            .expect("a failure count")
    }

    /// The newest SMS to `number` (D3, K1), its 6-digit code.
    pub async fn last_code_to(&self, number: &str) -> String {
        let outbox = self.get(&format!("/qa/sms?number={number}")).await;
        let body = outbox.body["messages"]
            .as_array()
            .and_then(|all| all.last())
            .expect("an SMS")["body"]
            .as_str()
            .expect("a body")
            .to_owned();
        body.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in {body:?}"))
            .to_owned()
    }

    /// The device `id` as QA lists it.
    pub async fn device(&self, id: &str) -> Value {
        let all = self.get("/qa/devices").await;
        all.body["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["id"] == id))
            .unwrap_or_else(|| panic!("no device {id} in {}", all.body))
            .clone()
    }
}

/// C3: what a DSC+ with `secret_hex` and `pin` shows for `challenge`.
pub fn card_response(secret_hex: &str, pin: &str, challenge: &str) -> String {
    let key = hex::decode(secret_hex).expect("hex");
    let pin = ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin);
    mock_broker::rules::challenge::ocra_response(
        &key,
        &pin,
        &mock_broker::rules::ChallengeCode::from_stored(challenge.to_owned()),
    )
    .expect("the DSC+ suite computes")
}

/// avery's card in the demo scenario.
pub const AVERY_SECRET: &str = "3132333435363738393031323334353637383930313233343536373839303132";
pub const AVERY_PIN: &str = "1234";

impl TestBroker {
    /// A request with the session's token.
    pub async fn with_token(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = TestBroker::request(method, path, body.as_ref());
        request.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
        self.send(request).await
    }

    /// The password step on `channel` (`trading` or `portal`).
    pub async fn login_on(&self, username: &str, channel: &str) -> Answer {
        self.post(
            "/v1/login",
            serde_json::json!({ "username": username, "password": PASSWORD, "channel": channel }),
        )
        .await
    }

    /// Types `response` for the login `ticket`.
    pub async fn respond(&self, ticket: &str, response: &str) -> Answer {
        self.post(
            "/v1/login/response",
            serde_json::json!({ "ticket": ticket, "response": response }),
        )
        .await
    }

    /// Moves the simulated clock forward.
    pub async fn advance(&self, seconds: i64) {
        let moved = self
            .post(
                "/qa/clock/advance",
                serde_json::json!({ "seconds": seconds }),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    }

    /// D7: the grid a card simulator is provisioned with.
    pub async fn grid(&self, device_id: &str) -> Vec<String> {
        let p = self
            .post(
                &format!("/qa/devices/{device_id}/provision"),
                serde_json::json!({}),
            )
            .await;
        serde_json::from_value(p.body["grid"].clone())
            .unwrap_or_else(|_| panic!("no grid for {device_id}: {p:?}"))
    }
}

/// D7: the codes at a second factor's (or an offer's) `indexes`, typed together.
pub fn card_answer(grid: &[String], step: &Value) -> String {
    let indexes = step["indexes"].as_array().expect("indexes");
    indexes
        .iter()
        .map(|i| grid[i.as_u64().expect("an index") as usize].as_str())
        .collect()
}

pub const MINUTE: i64 = 60;
pub const DAY: i64 = 24 * 60 * MINUTE;

impl TestBroker {
    /// The status of `username`'s (newest listed) device of `kind`.
    pub async fn device_status_of_kind(&self, username: &str, kind: &str) -> String {
        let all = self.get("/qa/devices").await;
        all.body["devices"]
            .as_array()
            .and_then(|d| {
                d.iter()
                    .rfind(|d| d["owner"] == username && d["kind"] == kind)
            })
            .and_then(|d| d["status"].as_str())
            .unwrap_or_else(|| panic!("no {kind} of {username}: {}", all.body))
            .to_owned()
    }
}

/// `HH:MM` UTC half a day from now: a daily session end (issue 6) that a test moving
/// the clock by minutes or hours cannot cross, whatever time of day it runs.
pub fn daily_end_half_a_day_away() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let of_day = (now + 12 * 3600) % (24 * 3600);
    format!("{:02}:{:02}", of_day / 3600, of_day % 3600 / 60)
}
