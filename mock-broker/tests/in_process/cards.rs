//! D7: the Security Code Card; D1: legacy kinds; D2: the limits a session carries.

use crate::util::{card_answer, card_response, TestBroker};
use axum::http::StatusCode;
use serde_json::json;

const GWEN_CARD: &str = "SCC-20480001";

#[tokio::test]
async fn d7_a_card_login_shows_two_indexes_and_takes_both_codes_together() {
    let b = TestBroker::demo();
    let grid = b.grid(GWEN_CARD).await;
    assert_eq!(grid.len(), 100, "D7: 100 codes, 00-99");
    assert!(grid
        .iter()
        .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit())));
    let step = b.login_on("gwen", "trading").await;
    assert_eq!(step.str("method"), "index_card", "{step:?}");
    assert_eq!(step.str("device_kind"), "security_code_card");
    let indexes = step.body["indexes"].as_array().unwrap();
    assert_eq!(indexes.len(), 2);
    assert_ne!(indexes[0], indexes[1], "D7: two distinct indexes");
    let answer = card_answer(&grid, &step.body);
    assert_eq!(answer.len(), 6);
    let session = b.respond(step.str("ticket"), &answer).await;
    assert_eq!(session.status, StatusCode::OK, "{session:?}");
    assert_eq!(session.body["session"]["device_kind"], "security_code_card");
    assert_eq!(
        session.body["session"]["limits"],
        json!({"row": "security_code_card", "device_kind": "security_code_card",
               "per_day_usd": 200_000, "per_5_business_days_usd": 600_000}),
        "D2: the card's row"
    );
}

#[tokio::test]
async fn d7_l6_a_spaced_or_wrong_answer_is_login_failed_with_hints_and_counts() {
    let b = TestBroker::demo();
    let grid = b.grid(GWEN_CARD).await;
    let step = b.login_on("gwen", "trading").await;
    let answer = card_answer(&grid, &step.body);
    let spaced = format!("{} {}", &answer[..3], &answer[3..]);
    let failed = b.respond(step.str("ticket"), &spaced).await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED, "{failed:?}");
    assert_eq!(
        failed.code(),
        "login_failed",
        "L6: no spaces between the codes"
    );
    assert!(
        failed.body["hints"]
            .as_array()
            .is_some_and(|h| h.len() == 2),
        "L6: the hints come with it: {failed:?}"
    );
    assert_eq!(
        b.failures("gwen").await,
        1,
        "L4: a wrong card answer counts"
    );
}

#[tokio::test]
async fn d7_each_login_gets_fresh_indexes_and_an_answer_answers_once() {
    let b = TestBroker::demo();
    let grid = b.grid(GWEN_CARD).await;
    let step = b.login_on("gwen", "trading").await;
    let answer = card_answer(&grid, &step.body);
    let ok = b.respond(step.str("ticket"), &answer).await;
    assert_eq!(ok.status, StatusCode::OK);
    let again = b.respond(step.str("ticket"), &answer).await;
    assert_eq!(
        again.code(),
        "no_pending_login",
        "D7: single-use: {again:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for _ in 0..6 {
        let step = b.login_on("gwen", "trading").await;
        seen.insert(step.body["indexes"].to_string());
        b.post("/v1/login/cancel", json!({ "ticket": step.str("ticket") }))
            .await;
    }
    assert!(seen.len() > 1, "D7: fresh indexes for each login: {seen:?}");
}

#[tokio::test]
async fn d1_a_legacy_gold_token_answers_a_challenge_like_a_dsc_plus() {
    let b = TestBroker::demo();
    let step = b.login_on("kira", "trading").await;
    assert_eq!(step.str("method"), "challenge", "{step:?}");
    assert_eq!(step.str("device_kind"), "gold");
    let response = card_response(
        "4b697261476f6c64546f6b656e2d6b65792d3030303030303030303030303033",
        "7788",
        step.str("challenge"),
    );
    let session = b.respond(step.str("ticket"), &response).await;
    assert_eq!(session.status, StatusCode::OK, "{session:?}");
    assert_eq!(session.body["session"]["limits"]["row"], "platinum_gold");
    assert_eq!(
        session.body["session"]["limits"]["per_day_usd"],
        json!(null),
        "D2: Platinum/Gold are unlimited"
    );
}

#[tokio::test]
async fn d2_limits_follow_the_most_protective_active_device() {
    let b = TestBroker::demo();
    // frank holds IB Key and a DSC+: the DSC+ row, unlimited.
    let step = b.login_on("frank", "trading").await;
    let ticket = step.str("ticket");
    let chosen = b
        .post(
            "/v1/login/device",
            json!({ "ticket": ticket, "device_id": "DSCP-40377620" }),
        )
        .await;
    let response = card_response(
        "7c6b5a4938271605f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887",
        "8642",
        chosen.str("challenge"),
    );
    let session = b.respond(ticket, &response).await;
    assert_eq!(
        session.body["session"]["limits"]["row"], "dsc_plus",
        "{session:?}"
    );
    // erin holds SMS only: its row.
    let step = b.login_on("erin", "trading").await;
    let code = b.last_code_to("7700900456").await;
    let session = b.respond(step.str("ticket"), &code).await;
    assert_eq!(
        session.body["session"]["limits"],
        json!({"row": "sms", "device_kind": "sms", "per_day_usd": 200_000, "per_5_business_days_usd": 600_000})
    );
}
