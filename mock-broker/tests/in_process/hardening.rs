//! Regressions from checking the broker from outside against the README: each test
//! names what was wrong and holds the fix.

use crate::util::{Answer, TestBroker, PASSWORD};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

/// A `POST` of `body` as it is, JSON by its content type, with a bearer if given.
pub(crate) async fn post_raw(
    b: &TestBroker,
    path: &str,
    body: &str,
    bearer: Option<&str>,
) -> Answer {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    b.send(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

/// A session for blake (no device: password only).
async fn blake_session(b: &TestBroker) -> String {
    let opened = b.login("blake", PASSWORD).await;
    assert_eq!(opened.str("status"), "authenticated", "{opened:?}");
    opened.str("token").to_owned()
}

/// The demo phone's token, from QA provisioning.
pub(crate) async fn phone_token(b: &TestBroker) -> String {
    let provision = b.post("/qa/phones/demo-phone/provision", json!({})).await;
    assert_eq!(provision.status, StatusCode::OK, "{provision:?}");
    provision.str("phone_token").to_owned()
}

/// What each refused body must answer: not JSON is `invalid_json`, anything but `{}`
/// (fields, an array, null) is `invalid_field`.
const NOT_EMPTY: [(&str, StatusCode, &str); 6] = [
    ("not json", StatusCode::BAD_REQUEST, "invalid_json"),
    ("", StatusCode::BAD_REQUEST, "invalid_json"),
    ("{} {}", StatusCode::BAD_REQUEST, "invalid_json"),
    (
        r#"{"x":1}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    ),
    ("[]", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
    ("null", StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
];

#[tokio::test]
async fn hardening_bodyless_posts_take_exactly_an_empty_object() {
    let b = TestBroker::demo();
    let session = blake_session(&b).await;
    // Something for reset to undo, and a lock for unlock to lift.
    for _ in 0..mock_broker::rules::LOCKOUT_THRESHOLD {
        b.login("casey", "wrong").await;
    }
    assert!(b.failures("casey").await > 0);
    let phone = phone_token(&b).await;
    let pushed = b.login("dana", PASSWORD).await;
    assert_eq!(pushed.str("method"), "push", "{pushed:?}");
    let push_id = b.get("/qa/pushes?username=dana").await.body["pushes"][0]["push_id"]
        .as_str()
        .expect("a push")
        .to_owned();

    let deny = format!("/v1/phone/pushes/{push_id}/deny");
    let routes: [(&str, Option<&str>); 7] = [
        ("/v1/session/keepalive", Some(&session)),
        ("/v1/logout", Some(&session)),
        (&deny, Some(&phone)),
        ("/qa/reset", None),
        ("/qa/users/casey/unlock", None),
        ("/qa/devices/DSCP-40211873/provision", None),
        ("/qa/phones/demo-phone/provision", None),
    ];
    for (path, bearer) in routes {
        for (body, status, code) in NOT_EMPTY {
            let answer = post_raw(&b, path, body, bearer).await;
            assert_eq!(
                (answer.status, answer.code()),
                (status, code),
                "{path} with {body:?}: an endpoint that reads nothing takes {{}} only: {answer:?}"
            );
        }
    }

    // Nothing changed: the session lives, the push waits, the lock and the phone's
    // token stand, and nothing was reset or provisioned.
    let info = b
        .send(
            Request::builder()
                .uri("/v1/session")
                .header(header::HOST, "127.0.0.1")
                .header(header::AUTHORIZATION, format!("Bearer {session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(info.status, StatusCode::OK, "the session lives: {info:?}");
    let pushes = b.get("/qa/pushes?username=dana").await;
    assert_eq!(pushes.body["pushes"][0]["state"], "pending", "{pushes:?}");
    assert!(b.failures("casey").await > 0, "not reset, not unlocked");
    let audit = b.get("/qa/audit?limit=1000").await;
    let events: Vec<&str> = audit.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for event in ["lock_lifted", "device_provisioned", "logout"] {
        assert!(!events.contains(&event), "{event} in {events:?}");
    }
    // The broker's own reset at start, the test's own provisioning.
    for event in ["reset", "phone_provisioned"] {
        let times = events.iter().filter(|e| **e == event).count();
        assert_eq!(times, 1, "{event} in {events:?}");
    }

    // And `{}` is served.
    for (path, bearer) in routes {
        let answer = post_raw(&b, path, "{}", bearer).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    }
}

#[tokio::test]
async fn hardening_phone_endpoints_without_a_token_answer_unknown_phone() {
    let b = TestBroker::demo();
    let bare = |method: Method, path: &str, body: Option<&str>| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1");
        match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_owned())),
            None => request.body(Body::empty()),
        }
        .unwrap()
    };
    let approve = r#"{"response":"00000000","method":"pin"}"#;
    for request in [
        bare(Method::GET, "/v1/phone/events", None),
        bare(Method::GET, "/v1/phone/pushes", None),
        bare(Method::GET, "/v1/phone/access", None),
        bare(
            Method::POST,
            "/v1/phone/pushes/push-x/approve",
            Some(approve),
        ),
        bare(Method::POST, "/v1/phone/pushes/push-x/deny", Some("{}")),
    ] {
        let path = request.uri().to_string();
        let answer = b.send(request).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "unknown_phone"),
            "{path}: a phone without its token is an unknown phone, not a session: {answer:?}"
        );
    }
}

#[tokio::test]
async fn hardening_the_clock_is_never_set_before_1970() {
    let b = TestBroker::demo();
    let before = b.get("/qa/clock").await;
    let refused = b.post("/qa/clock/set", json!({ "unix_seconds": -5 })).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{refused:?}"
    );
    let after = b.get("/qa/clock").await;
    assert_eq!(
        before.body["offset_ms"], after.body["offset_ms"],
        "a refused set leaves the clock where it was"
    );
    let epoch = b.post("/qa/clock/set", json!({ "unix_seconds": 0 })).await;
    assert_eq!(epoch.status, StatusCode::OK, "{epoch:?}");
    assert_eq!(epoch.str("now"), "1970-01-01T00:00:00Z");
}

#[tokio::test]
async fn hardening_sms_devices_have_no_key_to_provision() {
    let b = TestBroker::demo();
    let refused = b.post("/qa/devices/SMS-erin/provision", json!({})).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "D3: an SMS device's codes go to the outbox; there is no key: {refused:?}"
    );
    assert_eq!(
        refused.str("message"),
        "SMS devices have no key; their codes go to the outbox."
    );
    let audit = b.get("/qa/audit?username=erin").await;
    assert!(
        !audit.body["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["event"] == "device_provisioned"),
        "nothing was handed out, so nothing is audited: {audit:?}"
    );
    let card = b
        .post("/qa/devices/DSCP-40211873/provision", json!({}))
        .await;
    assert_eq!(
        card.status,
        StatusCode::OK,
        "a card still provisions: {card:?}"
    );
}

#[tokio::test]
async fn k4_none_for_all_devices_lifts_every_fault() {
    let b = TestBroker::demo();
    for fault in [
        json!({ "device_id": "IBK-10000001", "mode": "drop" }),
        json!({ "device_id": "IBK-10000002", "mode": "offline" }),
        json!({ "mode": "delay", "delay_ms": 500 }),
    ] {
        let set = b.post("/qa/faults", fault).await;
        assert_eq!(set.status, StatusCode::OK, "{set:?}");
    }
    let cleared = b.post("/qa/faults", json!({ "mode": "none" })).await;
    assert_eq!(cleared.status, StatusCode::OK, "{cleared:?}");
    assert_eq!(
        cleared.body["faults"],
        json!([]),
        "K4: `none` without a device is for all devices, their own faults included"
    );
    assert_eq!(b.get("/qa/faults").await.body["faults"], json!([]));

    // One device's `none` still lifts only its own.
    b.post(
        "/qa/faults",
        json!({ "device_id": "IBK-10000001", "mode": "drop" }),
    )
    .await;
    b.post(
        "/qa/faults",
        json!({ "device_id": "IBK-10000002", "mode": "drop" }),
    )
    .await;
    let one = b
        .post(
            "/qa/faults",
            json!({ "device_id": "IBK-10000001", "mode": "none" }),
        )
        .await;
    assert_eq!(one.body["faults"][0]["target"], "IBK-10000002", "{one:?}");
    assert_eq!(one.body["faults"].as_array().map(Vec::len), Some(1));
}

/// The push waiting for `username`, as the phone sees it.
pub(crate) async fn waiting_push(b: &TestBroker, phone: &str, username: &str) -> serde_json::Value {
    let pushes = b
        .send(
            Request::builder()
                .uri("/v1/phone/pushes")
                .header(header::HOST, "127.0.0.1")
                .header(header::AUTHORIZATION, format!("Bearer {phone}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    pushes.body["pushes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["username"] == username))
        .unwrap_or_else(|| panic!("no push for {username}: {pushes:?}"))
        .clone()
}

pub(crate) async fn approve(
    b: &TestBroker,
    phone: &str,
    push: &serde_json::Value,
    secret: &str,
    pin: &str,
    method: &str,
) -> Answer {
    let response = crate::util::card_response(
        secret,
        pin,
        push["challenge"].as_str().expect("a challenge"),
    );
    let body = json!({ "response": response, "method": method }).to_string();
    let path = format!(
        "/v1/phone/pushes/{}/approve",
        push["push_id"].as_str().expect("an id")
    );
    post_raw(b, &path, &body, Some(phone)).await
}

pub(crate) const DANA_SECRET: &str =
    "5f2e8c1a9b3d47e6a0c4f18d2b7e39a65c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5";
pub(crate) const DANA_PIN: &str = "2580";
const FRANK_SECRET: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9102132435465768798a9bacbdcedfe0f";
const FRANK_PIN: &str = "1357";

#[tokio::test]
async fn k7_a_pin_only_ib_key_cannot_claim_biometrics() {
    let b = TestBroker::demo();
    let phone = phone_token(&b).await;
    let step = b.login("dana", PASSWORD).await;
    assert_eq!(step.str("method"), "push", "{step:?}");
    let push = waiting_push(&b, &phone, "dana").await;

    let claimed = approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "biometric").await;
    assert_eq!(
        (claimed.status, claimed.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "K7: dana's IB Key is PIN-only; biometrics would grant 30 h: {claimed:?}"
    );
    assert_eq!(claimed.str("message"), "This IB Key unlocks with its PIN.");
    let pushes = b.get("/qa/pushes?username=dana").await;
    assert_eq!(
        pushes.body["pushes"][0]["state"], "pending",
        "nothing changed: {pushes:?}"
    );
    assert_eq!(b.failures("dana").await, 0, "not a failed attempt");
    let access = b
        .send(
            Request::builder()
                .uri("/v1/phone/access")
                .header(header::HOST, "127.0.0.1")
                .header(header::AUTHORIZATION, format!("Bearer {phone}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let dana = access.body["accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["username"] == "dana"))
        .expect("dana on the phone")
        .clone();
    assert_eq!(dana["trading_access"], false, "{access:?}");

    let by_pin = approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "pin").await;
    assert_eq!(
        by_pin.status,
        StatusCode::OK,
        "the PIN still approves: {by_pin:?}"
    );
}

#[tokio::test]
async fn k7_a_biometric_ib_key_approves_with_either() {
    for method in ["pin", "biometric"] {
        let b = TestBroker::demo();
        let phone = phone_token(&b).await;
        let step = b
            .post(
                "/v1/login",
                json!({ "username": "frank", "password": PASSWORD, "device_id": "IBK-10000002" }),
            )
            .await;
        assert_eq!(step.str("method"), "push", "{step:?}");
        let push = waiting_push(&b, &phone, "frank").await;
        let approved = approve(&b, &phone, &push, FRANK_SECRET, FRANK_PIN, method).await;
        assert_eq!(approved.status, StatusCode::OK, "{method}: {approved:?}");
    }
}

#[tokio::test]
async fn hardening_qa_routes_without_qa_are_404_whatever_the_content_type() {
    let scenario = mock_broker::scenario::Scenario::demo();
    let b = TestBroker::with_qa(scenario, false);
    let bare = |path: &str, content_type: Option<&str>| {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "127.0.0.1");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        request.body(Body::from("{}")).unwrap()
    };
    for content_type in [None, Some("text/plain"), Some("application/json")] {
        for path in ["/qa/reset", "/qa/users/casey/unlock", "/v1/nothing-here"] {
            let answer = b.send(bare(path, content_type)).await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{path} ({content_type:?}): no such endpoint without --qa: {answer:?}"
            );
        }
    }
    // A served route still wants JSON.
    for content_type in [None, Some("text/plain")] {
        let answer = b.send(bare("/v1/logout", content_type)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            "{content_type:?}: {answer:?}"
        );
    }
}

/// 14 minutes into a login: its ticket has one minute left.
const A_MINUTE_BEFORE_THE_TICKET_ENDS: u64 = 14 * 60;

async fn advance(b: &TestBroker, seconds: u64) {
    let moved = b
        .post("/qa/clock/advance", json!({ "seconds": seconds }))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
}

/// `step` expires when its login's ticket does, `ends_at` (and not later).
fn ends_with_the_ticket(step: &Answer, ends_at: &str, what: &str) {
    assert_eq!(step.status, StatusCode::OK, "{what}: {step:?}");
    assert_eq!(
        step.body["expires_in_seconds"], 60,
        "{what} issued a minute before the ticket ends lives that minute: {step:?}"
    );
    assert_eq!(step.str("expires_at"), ends_at, "{what}: {step:?}");
}

/// The clock's reading `seconds` from now, as the wire writes times.
async fn clock_in(b: &TestBroker, seconds: i64) -> String {
    let now = b.get("/qa/clock").await.body["now_ms"]
        .as_i64()
        .expect("now_ms");
    mock_broker::rules::Timestamp(now - now.rem_euclid(1000) + seconds * 1000).rfc3339()
}

#[tokio::test]
async fn hardening_no_second_factor_outlives_its_login_ticket() {
    let b = TestBroker::demo();
    let phone = phone_token(&b).await;
    // On a whole second (noon, a day away from the daily end), so the ticket's end
    // and the clock read 14 minutes on fall in the same second.
    let noon = b
        .post("/qa/clock/set", json!({ "unix_seconds": 1_893_672_000 }))
        .await;
    assert_eq!(noon.status, StatusCode::OK, "{noon:?}");
    let avery = b.login("avery", PASSWORD).await;
    let erin = b.login("erin", PASSWORD).await;
    let dana = b.login("dana", PASSWORD).await;
    advance(&b, A_MINUTE_BEFORE_THE_TICKET_ENDS).await;
    let ends_at = clock_in(&b, 60).await;

    // C4: a DSC+ challenge (5 minutes of its own), issued again by D6's choice.
    let challenge = b
        .post(
            "/v1/login/device",
            json!({ "ticket": avery.str("ticket"), "device_id": "DSCP-40211873" }),
        )
        .await;
    ends_with_the_ticket(&challenge, &ends_at, "a challenge");
    // D3: an SMS code (5 minutes of its own).
    let sms = b
        .post(
            "/v1/login/device",
            json!({ "ticket": erin.str("ticket"), "device_id": "SMS-erin" }),
        )
        .await;
    ends_with_the_ticket(&sms, &ends_at, "an SMS code");
    // K6: a push (180 s of its own), on the desktop and on the phone.
    let push = b
        .post("/v1/login/resend", json!({ "ticket": dana.str("ticket") }))
        .await;
    ends_with_the_ticket(&push, &ends_at, "a push");
    let on_phone = waiting_push(&b, &phone, "dana").await;
    assert_eq!(on_phone["expires_in_seconds"], 60, "{on_phone}");
    assert_eq!(on_phone["expires_at"], ends_at.as_str(), "{on_phone}");
    let listed = b.get("/qa/pushes?username=dana").await;
    let latest = listed.body["pushes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["state"] == "pending"))
        .expect("the new push")
        .clone();
    assert_eq!(latest["expires_at"], ends_at.as_str(), "{listed:?}");
    // K3: the fallback's challenge, too.
    let fallback = b
        .post(
            "/v1/login/fallback",
            json!({ "ticket": dana.str("ticket") }),
        )
        .await;
    ends_with_the_ticket(&fallback, &ends_at, "a fallback challenge");
}

#[tokio::test]
async fn hardening_a_phone_cannot_answer_a_push_whose_login_has_expired() {
    for answer in ["approve", "deny"] {
        let b = TestBroker::demo();
        let phone = phone_token(&b).await;
        let dana = b.login("dana", PASSWORD).await;
        advance(&b, A_MINUTE_BEFORE_THE_TICKET_ENDS).await;
        let resent = b
            .post("/v1/login/resend", json!({ "ticket": dana.str("ticket") }))
            .await;
        assert_eq!(resent.status, StatusCode::OK, "{resent:?}");
        let push = waiting_push(&b, &phone, "dana").await;
        // A minute after the ticket ended; the push itself was sent two minutes ago.
        advance(&b, 120).await;

        let late = match answer {
            "approve" => approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "pin").await,
            _ => {
                let path = format!(
                    "/v1/phone/pushes/{}/deny",
                    push["push_id"].as_str().unwrap()
                );
                post_raw(&b, &path, "{}", Some(&phone)).await
            }
        };
        assert_eq!(
            (late.status, late.code()),
            (StatusCode::GONE, "push_expired"),
            "{answer}: the login is over, so is its push: {late:?}"
        );
        let listed = b.get("/qa/pushes?username=dana").await;
        let state = listed.body["pushes"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["push_id"] == push["push_id"]))
            .expect("the push")["state"]
            .clone();
        assert_eq!(
            state, "expired",
            "{answer}: not approved nor denied: {listed:?}"
        );
        assert_eq!(b.failures("dana").await, 0, "{answer}: nothing counted");
        let access = b
            .send(
                Request::builder()
                    .uri("/v1/phone/access")
                    .header(header::HOST, "127.0.0.1")
                    .header(header::AUTHORIZATION, format!("Bearer {phone}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(
            access.body["accounts"]
                .as_array()
                .expect("accounts")
                .iter()
                .all(|a| a["trading_access"] == false),
            "{answer}: no trading access from an expired login: {access:?}"
        );
        let wait = b
            .post(
                "/v1/login/wait",
                json!({ "ticket": dana.str("ticket"), "timeout_ms": 0 }),
            )
            .await;
        assert_eq!(wait.code(), "login_expired", "{wait:?}");
    }
}

#[tokio::test]
async fn hardening_a_push_sent_a_minute_before_the_ticket_ends_can_still_be_approved() {
    let b = TestBroker::demo();
    let phone = phone_token(&b).await;
    let dana = b.login("dana", PASSWORD).await;
    advance(&b, A_MINUTE_BEFORE_THE_TICKET_ENDS).await;
    b.post("/v1/login/resend", json!({ "ticket": dana.str("ticket") }))
        .await;
    let push = waiting_push(&b, &phone, "dana").await;
    advance(&b, 30).await;
    let approved = approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "pin").await;
    assert_eq!(approved.status, StatusCode::OK, "{approved:?}");
    let wait = b
        .post(
            "/v1/login/wait",
            json!({ "ticket": dana.str("ticket"), "timeout_ms": 0 }),
        )
        .await;
    assert_eq!(wait.str("status"), "authenticated", "{wait:?}");
}
