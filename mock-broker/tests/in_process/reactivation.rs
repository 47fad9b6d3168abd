//! Case 10 of the troubleshooting article: the user reactivates a permanent device in
//! the Client Portal — it answers a challenge or two index numbers, once, within 5
//! minutes — and temporary access ends at once (T4). Not on trading, not past a
//! passcode's second day (T2), not another user's device, and a wrong answer counts (L4).

use crate::util::{card_answer, card_response, Answer, TestBroker, MINUTE};
use axum::http::{Method, StatusCode};
use serde_json::json;

const IRIS_CARD: &str = "SCC-20480002";
const HUGO_REPLACEMENT: &str = "DSCP-40411078";
const HUGO_REPLACEMENT_SECRET: &str =
    "48756f5265706c6163656d656e742d6b65792d3030303030303030303030303032";

/// A session for `username` on `channel`, through the passcode or the card `grid`.
async fn session(b: &TestBroker, username: &str, channel: &str, answer: Via<'_>) -> String {
    let step = b.login_on(username, channel).await;
    assert_eq!(step.status, StatusCode::OK, "{step:?}");
    let typed = match answer {
        Via::Passcode(p) => p.to_owned(),
        Via::Card(grid) => card_answer(grid, &step.body),
    };
    let opened = b.respond(step.str("ticket"), &typed).await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    opened.str("token").to_owned()
}

enum Via<'a> {
    Passcode(&'a str),
    Card(&'a [String]),
}

async fn ask(b: &TestBroker, token: &str, device_id: &str) -> Answer {
    b.with_token(
        Method::POST,
        "/v1/portal/reactivate",
        token,
        Some(json!({ "device_id": device_id })),
    )
    .await
}

async fn confirm(b: &TestBroker, token: &str, response: &str) -> Answer {
    b.with_token(
        Method::POST,
        "/v1/portal/reactivate/confirm",
        token,
        Some(json!({ "response": response })),
    )
    .await
}

#[tokio::test]
async fn t4_case10_a_card_reactivated_on_the_portal_ends_the_passcode_at_once() {
    let b = TestBroker::demo();
    let grid = b.grid(IRIS_CARD).await;
    let token = session(&b, "iris", "portal", Via::Passcode("IRISDAY1")).await;

    let asked = ask(&b, &token, IRIS_CARD).await;
    assert_eq!(asked.status, StatusCode::OK, "{asked:?}");
    assert_eq!(asked.str("method"), "index_card");
    assert_eq!(asked.str("device_kind"), "security_code_card");
    assert_eq!(asked.body["expires_in_seconds"], 300, "C4's 5 minutes");

    let done = confirm(&b, &token, &card_answer(&grid, &asked.body)).await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!((done.str("id"), done.str("status")), (IRIS_CARD, "active"));
    assert_eq!(b.device("TMP-IRIS0001").await["status"], "inactive");
    let after = b.with_token(Method::GET, "/v1/session", &token, None).await;
    assert_eq!(
        (after.code(), &after.body["reason"]),
        ("session_expired", &json!("device_ended")),
        "T4: the session through the passcode ends with it: {after:?}"
    );
    assert_eq!(
        b.login_on("iris", "trading").await.str("method"),
        "index_card",
        "the card serves the next login"
    );
}

#[tokio::test]
async fn case10_a_shipped_replacement_is_activated_by_hand_with_its_challenge() {
    let b = TestBroker::demo();
    let online = b.grid("OSC-HUGO0001").await;
    let token = session(&b, "hugo", "portal", Via::Card(&online)).await;

    let asked = ask(&b, &token, HUGO_REPLACEMENT).await;
    assert_eq!(asked.str("method"), "challenge", "{asked:?}");
    let response = card_response(HUGO_REPLACEMENT_SECRET, "4455", asked.str("challenge"));
    let done = confirm(&b, &token, &response).await;
    assert_eq!(done.str("status"), "active", "{done:?}");
    assert_eq!(
        b.device("OSC-HUGO0001").await["status"],
        "inactive",
        "T4: the online card stops"
    );
}

#[tokio::test]
async fn l4_case10_a_wrong_answer_counts_and_the_question_answers_once() {
    let b = TestBroker::demo();
    let grid = b.grid(IRIS_CARD).await;
    let token = session(&b, "iris", "portal", Via::Passcode("IRISDAY1")).await;
    let asked = ask(&b, &token, IRIS_CARD).await;
    let right = card_answer(&grid, &asked.body);
    let wrong: String = right
        .chars()
        .map(|c| if c == '9' { '0' } else { '9' })
        .collect();

    let refused = confirm(&b, &token, &wrong).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNAUTHORIZED, "login_failed"),
        "{refused:?}"
    );
    assert_eq!(b.failures("iris").await, 1, "L4: a wrong answer counts");
    let again = confirm(&b, &token, &right).await;
    assert_eq!(
        again.code(),
        "no_pending_login",
        "single-use: the right answer after a wrong one finds nothing: {again:?}"
    );
    assert_eq!(b.device(IRIS_CARD).await["status"], "inactive");
}

#[tokio::test]
async fn c4_case10_an_answer_after_5_minutes_is_expired_and_changes_nothing() {
    let b = TestBroker::demo();
    let grid = b.grid(IRIS_CARD).await;
    let token = session(&b, "iris", "portal", Via::Passcode("IRISDAY1")).await;

    let asked = ask(&b, &token, IRIS_CARD).await;
    b.advance(5 * MINUTE - 1).await;
    // C4's edge, a second either side.
    let in_time = confirm(&b, &token, &card_answer(&grid, &asked.body)).await;
    assert_eq!(in_time.str("status"), "active", "{in_time:?}");

    let b = TestBroker::demo();
    let token = session(&b, "iris", "portal", Via::Passcode("IRISDAY1")).await;
    let asked = ask(&b, &token, IRIS_CARD).await;
    b.advance(5 * MINUTE).await;
    let late = confirm(&b, &token, &card_answer(&grid, &asked.body)).await;
    assert_eq!(late.code(), "challenge_expired", "{late:?}");
    assert_eq!(b.device(IRIS_CARD).await["status"], "inactive");
    assert_eq!(b.device("TMP-IRIS0001").await["status"], "active");
}

#[tokio::test]
async fn t2_case10_a_passcode_past_day_2_opens_the_portal_for_the_online_card_only() {
    let b = TestBroker::demo();
    // jonas is on day 3 of his passcode.
    let token = session(&b, "jonas", "portal", Via::Passcode("JONASDAY3")).await;
    let refused = ask(&b, &token, "SCC-20480003").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "{refused:?}"
    );
    assert_eq!(b.device("SCC-20480003").await["status"], "inactive");
}

#[tokio::test]
async fn case10_only_on_the_portal_and_only_the_users_own_permanent_device() {
    let b = TestBroker::demo();
    let trading = session(&b, "iris", "trading", Via::Passcode("IRISDAY1")).await;
    assert_eq!(ask(&b, &trading, IRIS_CARD).await.code(), "not_permitted");

    let portal = session(&b, "iris", "portal", Via::Passcode("IRISDAY1")).await;
    for (device, code) in [
        ("SCC-20480003", "not_found"), // jonas's card
        ("TMP-IRIS0001", "not_found"), // a temporary device is never reactivated (T4)
        ("NOPE-1", "not_found"),
    ] {
        let answer = ask(&b, &portal, device).await;
        assert_eq!(answer.code(), code, "{device}: {answer:?}");
    }
    let nothing_asked = confirm(&b, &portal, "123456").await;
    assert_eq!(nothing_asked.code(), "no_pending_login");
    let empty = confirm(&b, &portal, "").await;
    assert_eq!(empty.code(), "missing_field");
}

#[tokio::test]
async fn case10_an_active_device_is_not_reactivated_again() {
    let b = TestBroker::demo();
    let grid = b.grid("SCC-20480001").await;
    let token = session(&b, "gwen", "portal", Via::Card(&grid)).await;
    let answer = ask(&b, &token, "SCC-20480001").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{answer:?}"
    );
}
