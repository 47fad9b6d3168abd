//! Deterministic mode (`serve --seed N`, issue 10): the codes people read repeat for
//! the same requests, and again after a reset; secrets do not.

use crate::util::{card_answer, TestBroker, PASSWORD};
use axum::http::StatusCode;
use serde_json::json;

/// What a run of logins shows: avery's challenges, gwen's index numbers, erin's SMS
/// code, and a temporary passcode for casey — and the tickets and session token.
async fn run(b: &TestBroker) -> (Vec<String>, Vec<String>) {
    let mut codes = Vec::new();
    let mut secrets = Vec::new();
    for _ in 0..3 {
        let step = b.login("avery", PASSWORD).await;
        codes.push(step.str("challenge").to_owned());
        secrets.push(step.str("ticket").to_owned());
    }
    let gwen = b.login("gwen", PASSWORD).await;
    codes.push(gwen.body["indexes"].to_string());
    let grid = b.grid("SCC-20480001").await;
    let opened = b
        .respond(gwen.str("ticket"), &card_answer(&grid, &gwen.body))
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    secrets.push(opened.str("token").to_owned());
    b.login("erin", PASSWORD).await;
    codes.push(b.last_code_to("7700900456").await);
    let issued = b
        .post("/qa/users/casey/temporary-passcode", json!({}))
        .await;
    codes.push(issued.str("passcode").to_owned());
    codes.push(issued.str("device_id").to_owned());
    (codes, secrets)
}

#[tokio::test]
async fn seed_the_same_seed_gives_the_same_codes_for_the_same_requests() {
    let (one, two) = (TestBroker::seeded(42), TestBroker::seeded(42));
    let (codes_one, secrets_one) = run(&one).await;
    let (codes_two, secrets_two) = run(&two).await;
    assert_eq!(codes_one, codes_two, "the same seed, the same codes");
    for (a, b) in secrets_one.iter().zip(&secrets_two) {
        assert_ne!(a, b, "tickets and session tokens stay random");
    }
    let (codes_other, _) = run(&TestBroker::seeded(43)).await;
    assert_ne!(codes_one, codes_other, "another seed, other codes");
}

#[tokio::test]
async fn seed_a_reset_run_repeats() {
    let b = TestBroker::seeded(7);
    let (first, _) = run(&b).await;
    assert_eq!(b.post("/qa/reset", json!({})).await.status, StatusCode::OK);
    let (again, _) = run(&b).await;
    assert_eq!(first, again, "the reset starts the seed's stream again");
}

#[tokio::test]
async fn seed_unseeded_brokers_differ() {
    let (codes_one, _) = run(&TestBroker::demo()).await;
    let (codes_two, _) = run(&TestBroker::demo()).await;
    assert_ne!(codes_one, codes_two, "without --seed, the OS's codes");
}
