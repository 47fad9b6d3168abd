//! K1 activation, K5 Add user, and D3 (SMS until IB Key) over HTTP.

use super::ibkey::{password, ticket, DANA_PIN, SOON};
use portcullis_tests::phone::Phone;
use portcullis_tests::{dsc_plus_response, Broker};
use serde_json::{json, Value};

const AVERY_CARD: &str = "DSCP-40211873";
const AVERY_PIN: &str = "1234";
/// A number none of the demo users has on record.
const NEW_NUMBER: &str = "7700900999";

async fn outbox(b: &Broker, number: &str) -> Vec<Value> {
    let (_, body) = b.get(&format!("/qa/sms?number={number}")).await;
    body["messages"].as_array().cloned().unwrap_or_default()
}

async fn verify(b: &Broker, started: &Value, response: &str) -> (u16, Value) {
    b.post(
        "/v1/phone/activation/verify",
        json!({ "activation_id": started["activation_id"], "response": response }),
    )
    .await
}

#[tokio::test]
async fn k1_activation_refuses_bad_numbers_and_changes_nothing() {
    let b = Broker::start().await;
    for (number, says) in [
        ("+447700900456", "digits only"),
        ("7700 900456", "digits only"),
        ("07700900456", "trunk prefix"),
        ("12345", "6 to 14 digits"),
    ] {
        let (status, body) = b.start_activation("erin", "Trade2026", number).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_phone_number")),
            "{number}"
        );
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{number}: {body}"
        );
    }
    let (_, outbox) = b.get("/qa/sms").await;
    assert_eq!(outbox["messages"], json!([]), "no code sent");
}

#[tokio::test]
async fn k1_activation_code_by_sms_then_pin_and_d3_sms_is_removed() {
    let b = Broker::start().await;
    // Before: erin's second factor is SMS (D3).
    let before = password(&b, "erin").await;
    assert_eq!(before["method"], "sms");
    b.post("/v1/login/cancel", json!({ "ticket": ticket(&before) }))
        .await;

    let (status, started) = b.start_activation("erin", "Trade2026", "7700900456").await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["status"], "code_sent", "the number is on record");
    assert_eq!(started["masked_number"], "•••• 0456");
    let code = b.last_sms_code("7700900456").await;
    let finish = |code: String, pin: &str| json!({ "activation_id": started["activation_id"], "code": code, "security": "pin", "pin": pin });
    let (status, short) = b
        .post("/v1/phone/activation/finish", finish(code.clone(), "123"))
        .await;
    assert_eq!(
        (status, short["code"].as_str()),
        (400, Some("invalid_pin")),
        "K1: 4 to 6 characters"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, bad) = b
        .post("/v1/phone/activation/finish", finish(wrong.into(), "12#45"))
        .await;
    assert_eq!(
        (status, bad["code"].as_str(), bad["tries_left"].as_u64()),
        (401, Some("invalid_code"), Some(2))
    );
    let (status, done) = b
        .post("/v1/phone/activation/finish", finish(code, "12#45"))
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["phone_token"].is_string() && done["secret_hex"].as_str().unwrap().len() == 64);

    let after = password(&b, "erin").await;
    assert_eq!(after["method"], "push", "D3: activating IB Key removes SMS");
}

#[tokio::test]
async fn k1_three_wrong_codes_end_the_activation() {
    let b = Broker::start().await;
    let (_, started) = b.start_activation("erin", "Trade2026", "7700900456").await;
    let code = b.last_sms_code("7700900456").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = |c: &str| json!({ "activation_id": started["activation_id"], "code": c, "security": "pin", "pin": "1234" });
    assert_eq!(
        b.post("/v1/phone/activation/finish", body(wrong)).await.0,
        401
    );
    assert_eq!(
        b.post("/v1/phone/activation/finish", body(wrong)).await.0,
        401
    );
    assert_eq!(
        b.post("/v1/phone/activation/finish", body(wrong)).await.1["code"],
        "activation_over"
    );
    assert_eq!(
        b.post("/v1/phone/activation/finish", body(&code)).await.1["code"],
        "activation_over"
    );
}

#[tokio::test]
async fn k1_activation_code_expires_after_ten_minutes() {
    let b = Broker::start().await;
    let (_, started) = b.start_activation("erin", "Trade2026", "7700900456").await;
    let code = b.last_sms_code("7700900456").await;
    b.advance(600).await;
    let (status, body) = b
        .post("/v1/phone/activation/finish", json!({ "activation_id": started["activation_id"], "code": code, "security": "pin", "pin": "1234" }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("activation_over"))
    );
}

#[tokio::test]
async fn k1_wrong_password_at_activation_is_a_failed_attempt() {
    let b = Broker::start().await;
    let (status, body) = b.start_activation("erin", "nope", "7700900456").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    assert_eq!(
        b.lockout("erin").await["failures_in_window"],
        1,
        "L4: one lock across every channel"
    );
}

#[tokio::test]
async fn k5_add_user_puts_a_second_username_on_the_same_phone() {
    let b = Broker::start().await;
    let phone = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    let (status, started) = phone
        .post(
            "/v1/phone/activation/start",
            json!({ "username": "blake", "password": "Trade2026", "phone_number": "7700900456" }),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    let code = b.last_sms_code("7700900456").await;
    let (status, added) = phone
        .post("/v1/phone/activation/finish", json!({ "activation_id": started["activation_id"], "code": code, "security": "biometric", "pin": "9753" }))
        .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(
        added["phone_id"].as_str(),
        Some(phone.id.as_str()),
        "K5: the same phone"
    );
    assert!(added["phone_token"].is_null(), "the phone keeps its token");

    let mut events = phone.events().await;
    let step = password(&b, "blake").await;
    assert_eq!(step["method"], "push");
    assert_eq!(events.next_push(SOON).await["username"], "blake");

    let (status, again) = phone
        .post(
            "/v1/phone/activation/start",
            json!({ "username": "blake", "password": "Trade2026", "phone_number": "7700900456" }),
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_added"))
    );
}

#[tokio::test]
async fn d3_sms_code_logs_in_and_a_wrong_one_fails() {
    let b = Broker::start().await;
    let step = password(&b, "erin").await;
    assert_eq!(
        (step["method"].as_str(), step["masked_number"].as_str()),
        (Some("sms"), Some("•••• 0456"))
    );
    let code = b.last_sms_code("7700900456").await;
    let (status, done) = b.respond(ticket(&step), &code).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["session"]["device_id"], "SMS-erin");

    let step = password(&b, "erin").await;
    let (status, failed) = b.respond(ticket(&step), "000000x").await;
    assert_eq!(
        (status, failed["code"].as_str()),
        (401, Some("login_failed"))
    );
}

#[tokio::test]
async fn d3_sms_code_expires_after_five_minutes() {
    let b = Broker::start().await;
    let step = password(&b, "erin").await;
    let code = b.last_sms_code("7700900456").await;
    b.advance(300).await;
    assert_eq!(
        b.respond(ticket(&step), &code).await.1["code"],
        "challenge_expired"
    );
}

#[tokio::test]
async fn k1_activation_with_a_number_not_on_record_needs_the_active_device() {
    let b = Broker::start().await;
    let (status, started) = b.start_activation("avery", "Trade2026", NEW_NUMBER).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        (
            started["status"].as_str(),
            started["device_id"].as_str(),
            started["device_kind"].as_str(),
            started["method"].as_str(),
        ),
        (
            Some("verify_device"),
            Some(AVERY_CARD),
            Some("dsc_plus"),
            Some("challenge")
        ),
        "D5: a password alone does not enrol a second factor: {started}"
    );
    assert!(started["expires_in_seconds"].as_i64().unwrap() > 0);
    assert!(
        outbox(&b, NEW_NUMBER).await.is_empty(),
        "no activation code before the device answers"
    );
    let code_early = json!({ "activation_id": started["activation_id"], "code": "123456", "security": "pin", "pin": "1234" });
    let (status, early) = b.post("/v1/phone/activation/finish", code_early).await;
    assert_eq!(
        (status, early["code"].as_str()),
        (409, Some("wrong_stage")),
        "{early}"
    );

    let challenge = started["challenge"].as_str().expect("challenge");
    let response = b.card_response(AVERY_CARD, AVERY_PIN, challenge).await;
    let (status, sent) = verify(&b, &started, &response).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(
        (
            sent["status"].as_str(),
            sent["masked_number"].as_str(),
            &sent["activation_id"]
        ),
        (
            Some("code_sent"),
            Some("•••• 0999"),
            &started["activation_id"]
        )
    );
    let code = b.last_sms_code(NEW_NUMBER).await;
    let (status, done) = b
        .post(
            "/v1/phone/activation/finish",
            json!({ "activation_id": started["activation_id"], "code": code, "security": "pin", "pin": "4321" }),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["username"], "avery");
}

#[tokio::test]
async fn k1_a_wrong_device_response_at_activation_fails_counts_and_ends_it() {
    let b = Broker::start().await;
    let (_, started) = b.start_activation("avery", "Trade2026", NEW_NUMBER).await;
    assert_eq!(started["status"], "verify_device", "{started}");
    let (status, failed) = verify(&b, &started, "00000000").await;
    assert_eq!(
        (status, failed["code"].as_str()),
        (401, Some("login_failed")),
        "{failed}"
    );
    assert_eq!(
        b.lockout("avery").await["failures_in_window"],
        1,
        "L4: a wrong second factor is a failed attempt"
    );
    let challenge = started["challenge"].as_str().unwrap();
    let right = b.card_response(AVERY_CARD, AVERY_PIN, challenge).await;
    let (status, over) = verify(&b, &started, &right).await;
    assert_eq!(
        (status, over["code"].as_str()),
        (410, Some("activation_over")),
        "one answer per activation: {over}"
    );
    assert!(outbox(&b, NEW_NUMBER).await.is_empty());
}

#[tokio::test]
async fn k1_a_user_with_only_sms_verifies_with_a_code_to_the_number_on_record() {
    let b = Broker::start().await;
    let (status, started) = b.start_activation("erin", "Trade2026", NEW_NUMBER).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        (
            started["status"].as_str(),
            started["method"].as_str(),
            started["device_id"].as_str(),
            started["masked_number"].as_str()
        ),
        (
            Some("verify_device"),
            Some("sms"),
            Some("SMS-erin"),
            Some("•••• 0456")
        ),
        "{started}"
    );
    assert!(outbox(&b, NEW_NUMBER).await.is_empty());
    let on_record = b.last_sms_code("7700900456").await;
    let (status, sent) = verify(&b, &started, &on_record).await;
    assert_eq!(
        (status, sent["status"].as_str()),
        (200, Some("code_sent")),
        "{sent}"
    );
    assert_eq!(outbox(&b, NEW_NUMBER).await.len(), 1);
}

#[tokio::test]
async fn k1_a_number_on_record_or_no_device_gets_the_code_at_once() {
    let b = Broker::start().await;
    for (user, number) in [("erin", "7700900456"), ("blake", NEW_NUMBER)] {
        let (status, started) = b.start_activation(user, "Trade2026", number).await;
        assert_eq!(
            (status, started["status"].as_str()),
            (200, Some("code_sent")),
            "{user}: {started}"
        );
        assert_eq!(outbox(&b, number).await.len(), 1, "{user}");
    }
}

#[tokio::test]
async fn k5_add_user_from_another_phone_needs_the_active_device() {
    let b = Broker::start().await;
    let demo = Phone::provision(&b, "demo-phone").await;
    let other = Phone::activate(&b, "erin", "Trade2026", "7700900456", "4321").await;
    let (status, started) = other
        .post(
            "/v1/phone/activation/start",
            json!({ "username": "dana", "password": "Trade2026", "phone_number": "7700900456" }),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        (
            started["status"].as_str(),
            started["device_id"].as_str(),
            started["method"].as_str()
        ),
        (
            Some("verify_device"),
            Some("IBK-10000001"),
            Some("challenge")
        ),
        "K1/K5: moving dana's IB Key to another phone needs it first: {started}"
    );
    let (_, devices) = b.get("/qa/devices").await;
    let dana_key = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "IBK-10000001")
        .cloned()
        .unwrap();
    assert_eq!(dana_key["status"], "active", "her IB Key is untouched");

    // The Authenticate screen of her real IB Key answers the challenge.
    let challenge = started["challenge"].as_str().unwrap();
    let response = dsc_plus_response(demo.key_of("dana"), DANA_PIN, challenge);
    let (status, sent) = other
        .post(
            "/v1/phone/activation/verify",
            json!({ "activation_id": started["activation_id"], "response": response }),
        )
        .await;
    assert_eq!(
        (status, sent["status"].as_str()),
        (200, Some("code_sent")),
        "{sent}"
    );
}

#[tokio::test]
async fn l4_a_lock_taken_during_activation_stops_it() {
    let b = Broker::start().await;
    let (_, started) = b.start_activation("erin", "Trade2026", "7700900456").await;
    let code = b.last_sms_code("7700900456").await;
    for _ in 0..10 {
        assert_eq!(b.login("erin", "wrong").await.0, 401);
    }
    let (status, refused) = b
        .post(
            "/v1/phone/activation/finish",
            json!({ "activation_id": started["activation_id"], "code": code, "security": "pin", "pin": "4321" }),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (423, Some("locked")),
        "{refused}"
    );
    let (_, devices) = b.get("/qa/devices").await;
    assert!(
        !devices["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["owner"] == "erin" && d["kind"] == "ib_key"),
        "no IB Key enrolled during the lock"
    );
}
