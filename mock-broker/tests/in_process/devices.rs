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

/// K1 vs D5: starting IB Key for `username` on a number not on record.
async fn start_ib_key(b: &TestBroker, username: &str) -> crate::util::Answer {
    b.post(
        "/v1/phone/activation/start",
        json!({ "username": username, "password": PASSWORD, "phone_number": "7700900999" }),
    )
    .await
}

async fn verify(
    b: &TestBroker,
    started: &crate::util::Answer,
    response: &str,
) -> crate::util::Answer {
    b.post(
        "/v1/phone/activation/verify",
        json!({ "activation_id": started.str("activation_id"), "response": response }),
    )
    .await
}

#[tokio::test]
async fn d7_k1_a_security_code_card_confirms_an_ib_key_enrolment_with_two_indexes() {
    let b = TestBroker::demo();
    let grid = b.grid("SCC-20480001").await;
    let started = start_ib_key(&b, "gwen").await;
    assert_eq!(
        (started.str("status"), started.str("method")),
        ("verify_device", "index_card"),
        "{started:?}"
    );
    let wrong = verify(&b, &started, "000000").await;
    assert_eq!(wrong.code(), "login_failed", "{wrong:?}");
    assert_eq!(b.failures("gwen").await, 1, "L4: a wrong answer counts");

    let started = start_ib_key(&b, "gwen").await;
    let sent = verify(
        &b,
        &started,
        &crate::util::card_answer(&grid, &started.body),
    )
    .await;
    assert_eq!(sent.str("status"), "code_sent", "{sent:?}");
}

#[tokio::test]
async fn t1_t2_k1_a_temporary_passcode_confirms_an_enrolment_only_while_it_opens_trading() {
    let b = TestBroker::demo();
    let started = start_ib_key(&b, "iris").await;
    assert_eq!(started.str("method"), "temporary_passcode", "{started:?}");
    let lower = verify(&b, &started, "irisday1").await;
    assert_eq!(lower.code(), "login_failed", "L6: case-sensitive");
    let started = start_ib_key(&b, "iris").await;
    let sent = verify(&b, &started, "IRISDAY1").await;
    assert_eq!(sent.str("status"), "code_sent", "{sent:?}");

    // jonas is on day 3: his passcode serves the portal's online card only (T2).
    let refused = start_ib_key(&b, "jonas").await;
    assert_eq!(refused.code(), "use_client_portal", "{refused:?}");
}

/// jonas (day 3 of his passcode) obtains and activates an online card on the portal;
/// answers its grid.
async fn jonas_with_an_online_card(b: &TestBroker) -> Vec<String> {
    let step = b.login_on("jonas", "portal").await;
    let opened = b.respond(step.str("ticket"), "JONASDAY3").await;
    let token = opened.str("token").to_owned();
    let offer = b
        .with_token(
            axum::http::Method::POST,
            "/v1/portal/online-card",
            &token,
            Some(json!({})),
        )
        .await;
    let grid: Vec<String> = serde_json::from_value(offer.body["grid"].clone()).expect("a grid");
    let done = b
        .with_token(
            axum::http::Method::POST,
            "/v1/portal/online-card/activate",
            &token,
            Some(json!({ "response": crate::util::card_answer(&grid, &offer.body) })),
        )
        .await;
    assert_eq!(done.str("status"), "activated", "{done:?}");
    grid
}

#[tokio::test]
async fn t3_k1_an_online_card_confirms_an_enrolment_beside_a_portal_only_passcode() {
    let b = TestBroker::demo();
    let grid = jonas_with_an_online_card(&b).await;
    let started = start_ib_key(&b, "jonas").await;
    assert_eq!(
        (started.str("method"), started.str("device_kind")),
        ("index_card", "online_security_code_card"),
        "the online card answers, not the passcode past its day 2: {started:?}"
    );
    let sent = verify(
        &b,
        &started,
        &crate::util::card_answer(&grid, &started.body),
    )
    .await;
    assert_eq!(sent.str("status"), "code_sent", "{sent:?}");
}

#[tokio::test]
async fn t3_k1_an_online_card_past_its_21_days_confirms_nothing() {
    let b = TestBroker::demo();
    jonas_with_an_online_card(&b).await;
    b.advance(21 * crate::util::DAY - crate::util::MINUTE).await;
    assert_eq!(start_ib_key(&b, "jonas").await.str("method"), "index_card");
    b.advance(2 * crate::util::MINUTE).await;
    let refused = start_ib_key(&b, "jonas").await;
    assert_eq!(
        refused.code(),
        "temporary_access_expired",
        "T3, D5: the card has expired (settled when read); a password alone does not \
         enrol a new device in its place — Client Services does: {refused:?}"
    );
}

#[tokio::test]
async fn d5_k1_a_user_whose_devices_all_stopped_serving_cannot_enrol_with_a_password() {
    let b = TestBroker::demo();
    // jonas's card is set aside and his passcode (day 3 at load) ends after day 12.
    b.advance(10 * crate::util::DAY).await;
    let refused = start_ib_key(&b, "jonas").await;
    assert_eq!(refused.code(), "temporary_access_expired", "{refused:?}");
    assert_eq!(
        b.device("SCC-20480003").await["status"],
        "inactive",
        "nothing was enrolled or changed"
    );
    let blake = start_ib_key(&b, "blake").await;
    assert_eq!(
        blake.str("status"),
        "code_sent",
        "K1: a user who never had a device enrols as the articles say: {blake:?}"
    );
}

#[tokio::test]
async fn t2_d6_on_trading_a_passcode_past_day_2_is_no_choice_beside_the_online_card() {
    let b = TestBroker::demo();
    jonas_with_an_online_card(&b).await;
    let step = b.login_on("jonas", "trading").await;
    assert_eq!(
        (step.str("status"), step.str("device_kind")),
        ("second_factor", "online_security_code_card"),
        "the online card is the one device that opens trading: {step:?}"
    );
}
