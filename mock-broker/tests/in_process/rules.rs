//! L2–L4 and C4 through the HTTP API, in process.

use crate::util::{card_response, TestBroker, AVERY_PIN, AVERY_SECRET, PASSWORD};
use axum::http::StatusCode;
use mock_broker::rules::LOCKOUT_THRESHOLD;
use serde_json::json;

#[tokio::test]
async fn l3_bad_character_is_refused_before_the_password_and_not_counted() {
    let b = TestBroker::demo();
    let answer = b.login("avery!", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(answer.code(), "bad_character");
    assert_eq!(
        answer.str("message"),
        "BAD CHARACTER",
        "L3: the article's words"
    );
    assert_eq!(b.failures("avery").await, 0, "L3 is not a failed attempt");
}

#[tokio::test]
async fn l2_unknown_user_and_wrong_password_get_the_same_answer() {
    let b = TestBroker::demo();
    let unknown = b.login("nobody", PASSWORD).await;
    let wrong = b.login("avery", "not-the-password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (unknown.status, &unknown.body),
        (wrong.status, &wrong.body),
        "L2: no user enumeration by the answer"
    );
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(
        wrong.str("message"),
        "Invalid user name password combination"
    );
}

#[tokio::test]
async fn l4_ten_failures_lock_the_username_even_against_the_right_password() {
    let b = TestBroker::demo();
    for _ in 0..LOCKOUT_THRESHOLD {
        let answer = b.login("casey", "wrong").await;
        assert!(
            matches!(answer.code(), "invalid_credentials" | "locked"),
            "{answer:?}"
        );
    }
    let locked = b.login("casey", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::LOCKED, "{locked:?}");
    assert_eq!(locked.code(), "locked");
    assert!(
        locked.body["locked_until"].is_string(),
        "L5: the user is told when it lifts"
    );
    assert_eq!(
        b.failures("casey").await,
        u64::try_from(LOCKOUT_THRESHOLD + 1).unwrap(),
        "L4: an attempt refused by the lock counts too"
    );
}

#[tokio::test]
async fn c4_a_challenge_answers_once() {
    let b = TestBroker::demo();
    let step = b.login("avery", PASSWORD).await;
    assert_eq!(step.str("status"), "second_factor", "{step:?}");
    assert_eq!(step.str("method"), "challenge", "C1");
    assert_eq!(step.str("device_kind"), "dsc_plus");
    let ticket = step.str("ticket").to_owned();
    let wrong = b
        .post(
            "/v1/login/response",
            json!({ "ticket": ticket, "response": "00000000" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "login_failed", "L6");
    assert_eq!(b.failures("avery").await, 1, "L4: a wrong response counts");

    let right = card_response(AVERY_SECRET, AVERY_PIN, step.str("challenge"));
    let again = b
        .post(
            "/v1/login/response",
            json!({ "ticket": ticket, "response": right }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert_eq!(
        again.code(),
        "no_pending_login",
        "C4: even the right response is refused once the challenge was answered"
    );
}

#[tokio::test]
async fn c3_the_cards_response_opens_a_session() {
    let b = TestBroker::demo();
    let step = b.login("avery", PASSWORD).await;
    let response = card_response(AVERY_SECRET, AVERY_PIN, step.str("challenge"));
    let session = b
        .post(
            "/v1/login/response",
            json!({ "ticket": step.str("ticket"), "response": response }),
        )
        .await;
    assert_eq!(session.status, StatusCode::OK, "{session:?}");
    assert!(session.str("token").starts_with("pcs_"));
    assert_eq!(session.body["session"]["device_kind"], "dsc_plus");
    assert_eq!(session.body["session"]["device_id"], "DSCP-40211873");
}
