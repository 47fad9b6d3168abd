//! The IB Key push over HTTP — K2–K4, K6, K7, D6 and number matching — with a phone on
//! its event stream.

use portcullis_tests::phone::Phone;
use portcullis_tests::Broker;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const DANA_KEY: &str = "IBK-10000001";
pub(crate) const DANA_PIN: &str = "2580";
const FRANK_PIN: &str = "1357";
pub(crate) const SOON: Duration = Duration::from_secs(10);

pub(crate) async fn start() -> (Broker, Phone) {
    let b = Broker::start().await;
    let phone = Phone::provision(&b, "demo-phone").await;
    (b, phone)
}

/// Logs in with the password; returns the step (a push for dana).
pub(crate) async fn password(b: &Broker, user: &str) -> Value {
    let (status, step) = b.login(user, "Trade2026").await;
    assert_eq!(status, 200, "{step}");
    step
}

pub(crate) fn ticket(step: &Value) -> &str {
    step["ticket"].as_str().expect("ticket")
}

#[tokio::test]
async fn k2_approval_on_the_phone_lets_the_waiting_desktop_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    assert_eq!(
        (step["status"].as_str(), step["method"].as_str()),
        (Some("second_factor"), Some("push")),
        "{step}"
    );
    assert!(
        step.get("challenge").is_none(),
        "the desktop does not see the push's challenge"
    );
    let push = events.next_push(SOON).await;
    assert_eq!(push["username"], "dana");

    // The desktop is already waiting when the phone approves.
    let waiting = b.wait(ticket(&step), 20_000);
    let approving = async {
        let (status, body) = phone.approve(&push, DANA_PIN, None).await;
        assert_eq!(status, 200, "{body}");
    };
    let ((status, outcome), ()) = tokio::join!(waiting, approving);
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["status"], "authenticated");
    assert_eq!(outcome["session"]["device_id"], DANA_KEY);
}

#[tokio::test]
async fn k2_wait_without_an_answer_says_pending() {
    let (b, _phone) = start().await;
    let step = password(&b, "dana").await;
    let (status, outcome) = b.wait(ticket(&step), 200).await;
    assert_eq!(
        (status, outcome["status"].as_str()),
        (200, Some("pending")),
        "{outcome}"
    );
    assert!(outcome["expires_in_seconds"].as_i64().unwrap() > 170);
}

#[tokio::test]
async fn k6_denial_is_login_failed_and_a_failed_attempt() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.deny(&push).await.0, 200);
    let (status, outcome) = b.wait(ticket(&step), 5_000).await;
    assert_eq!(
        (status, outcome["code"].as_str()),
        (401, Some("push_denied")),
        "{outcome}"
    );
    assert!(outcome["message"]
        .as_str()
        .unwrap()
        .starts_with("Login failed"));
    assert_eq!(
        b.lockout("dana").await["failures_in_window"],
        1,
        "L4: a denial counts"
    );
}

#[tokio::test]
async fn k6_push_expires_after_180_seconds() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(180).await;
    let (status, outcome) = b.wait(ticket(&step), 5_000).await;
    assert_eq!(
        (status, outcome["code"].as_str()),
        (410, Some("push_expired")),
        "{outcome}"
    );
    let (status, late) = phone.approve(&push, DANA_PIN, None).await;
    assert_eq!((status, late["code"].as_str()), (410, Some("push_expired")));
}

#[tokio::test]
async fn k6_push_answered_at_179_seconds_still_counts() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    b.advance(179).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    assert_eq!(
        b.wait(ticket(&step), 5_000).await.1["status"],
        "authenticated"
    );
}

#[tokio::test]
async fn k6_a_push_answers_once() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    let (status, again) = phone.approve(&push, DANA_PIN, None).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("push_already_answered"))
    );
    let (status, deny) = phone.deny(&push).await;
    assert_eq!(
        (status, deny["code"].as_str()),
        (409, Some("push_already_answered"))
    );
}

#[tokio::test]
async fn k6_approval_redeems_only_its_own_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let first = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    // Another login of frank's (same phone) cannot redeem dana's approval.
    let other = password(&b, "frank").await;
    let (status, _) = b
        .post(
            "/v1/login/device",
            json!({ "ticket": ticket(&other), "device_id": "IBK-10000002" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(b.wait(ticket(&other), 200).await.1["status"], "pending");
    assert_eq!(
        b.wait(ticket(&first), 2_000).await.1["status"],
        "authenticated"
    );
}

#[tokio::test]
async fn k6_response_for_another_push_is_refused() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let dana = password(&b, "dana").await;
    let dana_push = events.next_push(SOON).await;
    let frank = password(&b, "frank").await;
    b.post(
        "/v1/login/device",
        json!({ "ticket": ticket(&frank), "device_id": "IBK-10000002" }),
    )
    .await;
    let frank_push = events.next_push(SOON).await;
    // dana's answer (her key, her challenge) sent as the approval of frank's push.
    let id = frank_push["push_id"].as_str().unwrap();
    let body = json!({ "response": phone.response(&dana_push, DANA_PIN), "method": "pin" });
    let (status, refused) = phone
        .post(&format!("/v1/phone/pushes/{id}/approve"), body)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (401, Some("login_failed")),
        "{refused}"
    );
    let refused = b.wait(ticket(&frank), 2_000).await.1;
    assert_eq!(
        (refused["code"].as_str(), refused["reason"].as_str()),
        (Some("login_failed"), Some("wrong_response")),
        "{refused}"
    );
    assert_eq!(
        b.wait(ticket(&dana), 200).await.1["status"],
        "pending",
        "dana's login is untouched"
    );
}

#[tokio::test]
async fn k6_another_phone_cannot_answer() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let stranger = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let id = push["push_id"].as_str().unwrap();
    let forged = json!({ "response": "12345678", "method": "pin" });
    let (status, body) = stranger
        .post(&format!("/v1/phone/pushes/{id}/approve"), forged)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = stranger.deny(&push).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn k2_wrong_pin_on_the_phone_fails_the_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let (status, body) = phone.approve(&push, "0000", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("login_failed")),
        "{body}"
    );
    let failed = b.wait(ticket(&step), 2_000).await.1;
    assert_eq!(
        (failed["code"].as_str(), failed["reason"].as_str()),
        (Some("login_failed"), Some("wrong_response")),
        "{failed}"
    );
    assert_eq!(b.lockout("dana").await["failures_in_window"], 1);
}

#[tokio::test]
async fn k3_fallback_withdraws_the_push_and_the_challenge_logs_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let (status, fallback) = b
        .post("/v1/login/fallback", json!({ "ticket": ticket(&step) }))
        .await;
    assert_eq!(status, 200, "{fallback}");
    assert_eq!(fallback["method"], "challenge");
    let (name, withdrawn) = events.next(SOON).await.expect("withdrawal");
    assert_eq!(
        (name.as_str(), &withdrawn["push_id"]),
        ("withdrawn", &push["push_id"])
    );
    assert_eq!(
        phone.approve(&push, DANA_PIN, None).await.1["code"],
        "no_pending_login",
        "withdrawn"
    );

    // The phone's Authenticate screen: PIN + challenge → response.
    let challenge = fallback["challenge"].as_str().unwrap();
    let response = portcullis_tests::dsc_plus_response(phone.key_of("dana"), DANA_PIN, challenge);
    let (status, done) = b.respond(ticket(&step), &response).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["session"]["device_id"], DANA_KEY);
}

#[tokio::test]
async fn k6_send_again_after_expiry_sends_a_new_push() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let first = events.next_push(SOON).await;
    b.advance(181).await;
    assert_eq!(b.wait(ticket(&step), 2_000).await.1["code"], "push_expired");
    let (status, again) = b
        .post("/v1/login/resend", json!({ "ticket": ticket(&step) }))
        .await;
    assert_eq!(
        (status, again["method"].as_str()),
        (200, Some("push")),
        "{again}"
    );
    let second = events.next_push(SOON).await;
    assert_ne!(first["push_id"], second["push_id"]);
    assert_eq!(phone.approve(&second, DANA_PIN, None).await.0, 200);
    assert_eq!(
        b.wait(ticket(&step), 2_000).await.1["status"],
        "authenticated"
    );
}

#[tokio::test]
async fn k4_dropped_push_never_reaches_the_phone() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "drop", 0).await;
    password(&b, "dana").await;
    // Frank's device has no fault: his push is the first the phone hears.
    let frank = password(&b, "frank").await;
    b.post(
        "/v1/login/device",
        json!({ "ticket": ticket(&frank), "device_id": "IBK-10000002" }),
    )
    .await;
    assert_eq!(
        events.next_push(SOON).await["username"],
        "frank",
        "dana's push was dropped"
    );
    let (_, pending) = phone.get("/v1/phone/pushes").await;
    let users: Vec<_> = pending["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].clone())
        .collect();
    assert_eq!(users, vec![json!("frank")]);
}

#[tokio::test]
async fn k4_fault_for_all_devices_drops_every_push() {
    let (b, phone) = start().await;
    b.fault(None, "drop", 0).await;
    password(&b, "dana").await;
    let (_, pending) = phone.get("/v1/phone/pushes").await;
    assert_eq!(pending["pushes"], json!([]));
    let (_, pushes) = b.get("/qa/pushes?username=dana").await;
    assert_eq!(pushes["pushes"][0]["delivery"], "dropped");
}

#[tokio::test]
async fn k4_delayed_push_arrives_late() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "delay", 400).await;
    let sent = Instant::now();
    password(&b, "dana").await;
    events.next_push(SOON).await;
    assert!(
        sent.elapsed() >= Duration::from_millis(400),
        "K4: delivered after the delay, not before"
    );
}

#[tokio::test]
async fn k4_offline_phone_gets_the_push_when_back_online() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    b.fault(Some(DANA_KEY), "offline", 0).await;
    let step = password(&b, "dana").await;
    let (_, pending) = phone.get("/v1/phone/pushes").await;
    assert_eq!(pending["pushes"], json!([]), "held while offline");
    b.fault(Some(DANA_KEY), "none", 0).await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    assert_eq!(
        b.wait(ticket(&step), 2_000).await.1["status"],
        "authenticated"
    );
}

#[tokio::test]
async fn d6_several_devices_ask_which_and_default_to_the_last_used() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "frank").await;
    assert_eq!(step["status"], "select_device", "{step}");
    let kinds: Vec<_> = step["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"ib_key".to_owned()) && kinds.contains(&"dsc_plus".to_owned()));

    let (status, push_step) = b
        .post(
            "/v1/login/device",
            json!({ "ticket": ticket(&step), "device_id": "IBK-10000002" }),
        )
        .await;
    assert_eq!((status, push_step["method"].as_str()), (200, Some("push")));
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, FRANK_PIN, None).await.0, 200);
    assert_eq!(
        b.wait(ticket(&step), 2_000).await.1["status"],
        "authenticated"
    );

    let next = password(&b, "frank").await;
    assert_eq!(
        next["default_device_id"], "IBK-10000002",
        "D6: the last one used"
    );
}

#[tokio::test]
async fn number_matching_right_pick_approves_and_wrong_pick_denies() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let (status, _) = b
        .post("/qa/settings", json!({ "number_matching": true }))
        .await;
    assert_eq!(status, 200);

    let step = password(&b, "dana").await;
    let shown = step["number_match"]
        .as_u64()
        .expect("the desktop shows a number");
    let push = events.next_push(SOON).await;
    let choices: Vec<u64> = push["number_choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(choices.len(), 3);
    assert!(choices.contains(&shown));
    assert_eq!(phone.approve(&push, DANA_PIN, Some(shown)).await.0, 200);
    assert_eq!(
        b.wait(ticket(&step), 2_000).await.1["status"],
        "authenticated"
    );

    let step = password(&b, "dana").await;
    let shown = step["number_match"].as_u64().unwrap();
    let push = events.next_push(SOON).await;
    let wrong = push["number_choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .find(|c| *c != shown);
    let (status, body) = phone.approve(&push, DANA_PIN, wrong).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("number_mismatch"))
    );
    let failed = b.wait(ticket(&step), 2_000).await.1;
    assert_eq!(
        (failed["code"].as_str(), failed["reason"].as_str()),
        (Some("login_failed"), Some("number_mismatch")),
        "{failed}"
    );
}

#[tokio::test]
async fn number_matching_is_off_by_default() {
    let (b, _phone) = start().await;
    let step = password(&b, "dana").await;
    assert!(step["number_match"].is_null());
}

#[tokio::test]
async fn k7_pin_grants_12_hours_of_trading_access_biometrics_30() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    let frank = password(&b, "frank").await;
    b.post(
        "/v1/login/device",
        json!({ "ticket": ticket(&frank), "device_id": "IBK-10000002" }),
    )
    .await;
    let push = events.next_push(SOON).await;
    let body = json!({ "response": phone.response(&push, FRANK_PIN), "method": "biometric" });
    assert_eq!(
        phone
            .post(
                &format!(
                    "/v1/phone/pushes/{}/approve",
                    push["push_id"].as_str().unwrap()
                ),
                body
            )
            .await
            .0,
        200
    );

    let access = |v: &Value, user: &str| {
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == user)
            .unwrap()["trading_access"]
            .clone()
    };
    let (_, now) = phone.get("/v1/phone/access").await;
    assert_eq!(
        (access(&now, "dana"), access(&now, "frank")),
        (json!(true), json!(true))
    );
    b.advance(12 * 3600).await;
    let (_, later) = phone.get("/v1/phone/access").await;
    assert_eq!(
        (access(&later, "dana"), access(&later, "frank")),
        (json!(false), json!(true)),
        "K7: PIN 12 h"
    );
    b.advance(18 * 3600).await;
    let (_, latest) = phone.get("/v1/phone/access").await;
    assert_eq!(
        access(&latest, "frank"),
        json!(false),
        "K7: biometrics 30 h"
    );
}

#[tokio::test]
async fn phone_endpoints_need_the_phone_token() {
    let b = Broker::start().await;
    let stranger = Phone::new(&b, "nobody", "pct_nope", vec![]);
    assert_eq!(
        stranger.get("/v1/phone/pushes").await.1["code"],
        "unknown_phone"
    );
    assert_eq!(stranger.get("/v1/phone/access").await.0, 401);
}
