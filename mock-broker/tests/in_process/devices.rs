//! The device model through the broker: SMS as a factor (D3), its removal when IB Key
//! activates, K4's faults recorded on the push.

use crate::util::{TestBroker, PASSWORD};
use axum::http::StatusCode;
use serde_json::json;

const ERIN_NUMBER: &str = "7700900456";

#[tokio::test]
async fn d3_an_sms_code_is_the_second_factor_until_ib_key() {
    let b = TestBroker::demo();
    let step = b.login("erin", PASSWORD).await;
    assert_eq!(step.str("method"), "sms", "{step:?}");
    assert_eq!(step.str("device_kind"), "sms");
    assert!(step.str("masked_number").ends_with("0456"));
    let code = b.last_code_to(ERIN_NUMBER).await;
    let session = b
        .post(
            "/v1/login/response",
            json!({ "ticket": step.str("ticket"), "response": code }),
        )
        .await;
    assert_eq!(session.status, StatusCode::OK, "{session:?}");
    assert_eq!(session.body["session"]["device_kind"], "sms");
}

#[tokio::test]
async fn d3_activating_ib_key_removes_sms() {
    let b = TestBroker::demo();
    let start = b
        .post(
            "/v1/phone/activation/start",
            json!({ "username": "erin", "password": PASSWORD, "phone_number": ERIN_NUMBER }),
        )
        .await;
    assert_eq!(
        start.str("status"),
        "code_sent",
        "K1: a number on record: {start:?}"
    );
    let code = b.last_code_to(ERIN_NUMBER).await;
    let done = b
        .post(
            "/v1/phone/activation/finish",
            json!({
                "activation_id": start.str("activation_id"),
                "code": code,
                "security": "pin",
                "pin": "2468",
            }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    let sms = b.device("SMS-erin").await;
    assert_eq!(
        sms["status"], "removed",
        "D3: SMS is gone once IB Key is active"
    );
    let ib_key = b.device(done.str("device_id")).await;
    assert_eq!(
        (&ib_key["kind"], &ib_key["status"]),
        (&json!("ib_key"), &json!("active"))
    );

    let step = b.login("erin", PASSWORD).await;
    assert_eq!(
        step.str("method"),
        "push",
        "D5: the new IB Key answers: {step:?}"
    );
}

#[tokio::test]
async fn k4_a_dropped_push_is_recorded_as_dropped() {
    let b = TestBroker::demo();
    let fault = b
        .post(
            "/qa/faults",
            json!({ "device_id": "IBK-10000001", "mode": "drop" }),
        )
        .await;
    assert_eq!(fault.status, StatusCode::OK, "{fault:?}");
    assert_eq!(fault.body["faults"][0]["mode"], "drop");
    let step = b.login("dana", PASSWORD).await;
    assert_eq!(step.str("method"), "push", "{step:?}");
    let pushes = b.get("/qa/pushes?username=dana").await;
    assert_eq!(
        pushes.body["pushes"][0]["delivery"], "dropped",
        "{pushes:?}"
    );

    let bad = b.post("/qa/faults", json!({ "mode": "sometimes" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "bad_request");
}
