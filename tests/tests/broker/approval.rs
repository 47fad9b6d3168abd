//! What an answered push leads to: an approval sticks (K2), a lock taken while the push
//! was out still holds (L4), and the wait says which way the phone refused (K6).

use super::ibkey::{password, start, ticket, DANA_PIN, SOON};
use portcullis_tests::Broker;
use serde_json::{json, Value};

const DANA_KEY: &str = "IBK-10000001";

async fn post_ticket(b: &Broker, path: &str, step: &Value) -> (u16, Value) {
    b.post(path, json!({ "ticket": ticket(step) })).await
}

#[tokio::test]
async fn l4_a_push_approved_after_the_lock_does_not_log_in() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    for _ in 0..10 {
        assert_eq!(b.login("dana", "wrong").await.0, 401);
    }
    assert_eq!(b.lockout("dana").await["locked"], true);

    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);
    let (status, refused) = b.wait(ticket(&step), 5_000).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (423, Some("locked")),
        "L4: a locked user is refused on every path that completes a login: {refused}"
    );
    assert!(refused["locked_until"].is_string(), "{refused}");
    let lock = b.lockout("dana").await;
    assert_eq!(
        (&lock["locked"], &lock["failures_in_window"]),
        (&json!(true), &json!(11)),
        "L4: the lock stays and the refused attempt counts"
    );
    let (status, again) = b.wait(ticket(&step), 200).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("no_pending_login")),
        "the refused login is over: {again}"
    );
    assert!(
        !b.audit()
            .await
            .iter()
            .any(|e| e["event"] == "login_success"),
        "no session opened"
    );
}

#[tokio::test]
async fn k2_an_approved_push_refuses_fallback_and_resend() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.approve(&push, DANA_PIN, None).await.0, 200);

    for path in ["/v1/login/fallback", "/v1/login/resend"] {
        let (status, body) = post_ticket(&b, path, &step).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("wrong_stage")),
            "K2: once approved, the login proceeds ({path}): {body}"
        );
    }
    let (status, body) = b
        .post(
            "/v1/login/device",
            json!({ "ticket": ticket(&step), "device_id": DANA_KEY }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wrong_stage")),
        "K2: no device choice after an approval: {body}"
    );
    let (status, done) = b.wait(ticket(&step), 2_000).await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("authenticated"))
    );
    assert_eq!(done["session"]["device_id"], DANA_KEY);
}

#[tokio::test]
async fn k2_an_approval_racing_a_fallback_never_strands_the_login() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    for round in 0..6 {
        let step = password(&b, "dana").await;
        let push = events.next_push(SOON).await;
        let (approved, fallback) = tokio::join!(
            phone.approve(&push, DANA_PIN, None),
            post_ticket(&b, "/v1/login/fallback", &step)
        );
        match (approved.0, fallback.0) {
            (200, 409) => {
                assert_eq!(fallback.1["code"], "wrong_stage", "round {round}");
                let (status, done) = b.wait(ticket(&step), 2_000).await;
                assert_eq!(
                    (status, done["status"].as_str()),
                    (200, Some("authenticated")),
                    "round {round}: the approval logs in"
                );
            }
            (409, 200) => {
                assert_eq!(approved.1["code"], "no_pending_login", "round {round}");
                assert_eq!(fallback.1["method"], "challenge", "round {round}");
                b.post("/v1/login/cancel", json!({ "ticket": ticket(&step) }))
                    .await;
            }
            other => panic!(
                "round {round}: exactly one of approve and fallback wins, got {other:?}: {} / {}",
                approved.1, fallback.1
            ),
        }
    }
}

#[tokio::test]
async fn k6_the_wait_tells_a_denial_from_a_wrong_response_and_a_wrong_number() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;

    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    assert_eq!(phone.deny(&push).await.1["status"], "denied");
    let (status, denied) = b.wait(ticket(&step), 2_000).await;
    assert_eq!(
        (status, denied["code"].as_str(), denied["reason"].as_str()),
        (401, Some("push_denied"), None),
        "{denied}"
    );

    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let (status, on_phone) = phone.approve(&push, "0000", None).await;
    assert_eq!(
        (status, on_phone["code"].as_str()),
        (401, Some("login_failed"))
    );
    let (status, wrong) = b.wait(ticket(&step), 2_000).await;
    assert_eq!(
        (status, wrong["code"].as_str(), wrong["reason"].as_str()),
        (401, Some("login_failed"), Some("wrong_response")),
        "a wrong response on the phone is not a denial: {wrong}"
    );
    assert!(wrong["hints"].is_array(), "L6: with the hints: {wrong}");

    b.post("/qa/settings", json!({ "number_matching": true }))
        .await;
    let step = password(&b, "dana").await;
    let shown = step["number_match"].as_u64().expect("number shown");
    let push = events.next_push(SOON).await;
    let wrong_pick = push["number_choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_u64)
        .find(|c| *c != shown);
    let (status, on_phone) = phone.approve(&push, DANA_PIN, wrong_pick).await;
    assert_eq!(
        (status, on_phone["code"].as_str()),
        (401, Some("number_mismatch"))
    );
    let (status, mismatch) = b.wait(ticket(&step), 2_000).await;
    assert_eq!(
        (
            status,
            mismatch["code"].as_str(),
            mismatch["reason"].as_str()
        ),
        (401, Some("login_failed"), Some("number_mismatch")),
        "{mismatch}"
    );
    assert_eq!(
        b.lockout("dana").await["failures_in_window"],
        3,
        "L4/K6: each of the three counts once"
    );
}
