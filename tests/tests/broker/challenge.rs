//! C1–C4, D5 and L6 over HTTP.

use portcullis_tests::Broker;

const AVERY_CARD: &str = "DSCP-40211873";

#[tokio::test]
async fn d5_c1_dsc_plus_user_gets_a_six_digit_challenge() {
    let b = Broker::start().await;
    let (status, step) = b.login("avery", "Trade2026").await;
    assert_eq!(status, 200, "{step}");
    assert_eq!(
        step["status"], "second_factor",
        "D5: a user with an active device needs it"
    );
    assert_eq!(step["device_kind"], "dsc_plus");
    let challenge = step["challenge"].as_str().unwrap();
    assert_eq!(challenge.len(), 6);
    assert!(challenge.bytes().all(|c| c.is_ascii_digit()));
    assert!(
        step.get("token").is_none(),
        "no session before the second factor"
    );
}

#[tokio::test]
async fn c3_right_response_logs_in_and_records_the_device() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let response = b
        .card_response(AVERY_CARD, "1234", step["challenge"].as_str().unwrap())
        .await;
    let (status, body) = b.respond(step["ticket"].as_str().unwrap(), &response).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap();
    let (status, session) = b.session(token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["username"], "avery");
    assert_eq!(session["device_id"], AVERY_CARD);
    assert_eq!(session["account"], "U7012345");
}

#[tokio::test]
async fn c3_wrong_pin_gives_a_response_the_broker_refuses() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let response = b
        .card_response(AVERY_CARD, "9999", step["challenge"].as_str().unwrap())
        .await;
    let (status, body) = b.respond(step["ticket"].as_str().unwrap(), &response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("login_failed")),
        "{body}"
    );
}

#[tokio::test]
async fn l6_wrong_response_says_login_failed_with_hints() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let (status, body) = b
        .respond(step["ticket"].as_str().unwrap(), "1234 5678")
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "login_failed");
    assert_eq!(body["message"], "Login failed");
    let hints = body["hints"].to_string();
    assert!(
        hints.contains("upper case") && hints.contains("no spaces"),
        "L6 hints: {hints}"
    );
}

#[tokio::test]
async fn c4_challenge_is_single_use() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let ticket = step["ticket"].as_str().unwrap();
    let response = b
        .card_response(AVERY_CARD, "1234", step["challenge"].as_str().unwrap())
        .await;
    assert_eq!(b.respond(ticket, &response).await.0, 200);
    let (status, body) = b.respond(ticket, &response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("no_pending_login")),
        "C4: answered once only"
    );
}

#[tokio::test]
async fn c4_wrong_answer_spends_the_challenge() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let ticket = step["ticket"].as_str().unwrap();
    assert_eq!(b.respond(ticket, "00000000").await.0, 401);
    let response = b
        .card_response(AVERY_CARD, "1234", step["challenge"].as_str().unwrap())
        .await;
    assert_eq!(
        b.respond(ticket, &response).await.1["code"],
        "no_pending_login"
    );
}

#[tokio::test]
async fn c4_challenge_expires_after_five_minutes() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let response = b
        .card_response(AVERY_CARD, "1234", step["challenge"].as_str().unwrap())
        .await;
    b.advance(5 * 60).await;
    let (status, body) = b.respond(step["ticket"].as_str().unwrap(), &response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("challenge_expired")),
        "{body}"
    );
}

#[tokio::test]
async fn c4_challenge_answered_just_inside_five_minutes_works() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let response = b
        .card_response(AVERY_CARD, "1234", step["challenge"].as_str().unwrap())
        .await;
    b.advance(5 * 60 - 2).await;
    assert_eq!(
        b.respond(step["ticket"].as_str().unwrap(), &response)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn c4_each_attempt_gets_a_fresh_challenge_and_voids_the_old_one() {
    let b = Broker::start().await;
    let (_, first) = b.login("avery", "Trade2026").await;
    let (_, second) = b.login("avery", "Trade2026").await;
    assert_ne!(first["ticket"], second["ticket"]);
    let response = b
        .card_response(AVERY_CARD, "1234", first["challenge"].as_str().unwrap())
        .await;
    let (status, _) = b
        .respond(first["ticket"].as_str().unwrap(), &response)
        .await;
    assert_eq!(
        status, 409,
        "C4: the first challenge died with the second attempt"
    );
}

#[tokio::test]
async fn c4_cancel_withdraws_the_challenge() {
    let b = Broker::start().await;
    let (_, step) = b.login("avery", "Trade2026").await;
    let ticket = step["ticket"].as_str().unwrap();
    let (status, _) = b
        .post("/v1/login/cancel", serde_json::json!({ "ticket": ticket }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(b.respond(ticket, "12345678").await.0, 409);
}
