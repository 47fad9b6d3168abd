//! L4 and L5 over HTTP, time moved with the broker's simulated clock.

use portcullis_api::{ErrorCode, LockoutInfo};
use portcullis_testkit::{Broker, StepExt};

async fn fail(b: &Broker, user: &str, times: usize) {
    for _ in 0..times {
        let e = b.login(user, "wrong").await.err();
        assert_eq!((e.status, e.code), (401, ErrorCode::InvalidCredentials));
    }
}

#[tokio::test]
async fn l4_ten_failures_lock_even_the_right_password() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    let e = b.login("blake", "Trade2026").await.err();
    assert_eq!((e.status, e.code), (423, ErrorCode::Locked));
    assert!(e.locked_until.is_some(), "{e:?}");
}

#[tokio::test]
async fn l4_nine_failures_do_not_lock() {
    let b = Broker::start().await;
    fail(&b, "blake", 9).await;
    b.login("blake", "Trade2026").await.ok();
}

#[tokio::test]
async fn l4_success_resets_the_count() {
    let b = Broker::start().await;
    fail(&b, "blake", 9).await;
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
    fail(&b, "blake", 9).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.status,
        200,
        "L4: the count restarted at the success"
    );
}

#[tokio::test]
async fn l4_failures_older_than_24_hours_do_not_count() {
    let b = Broker::start().await;
    fail(&b, "blake", 5).await;
    b.advance(24 * 3600 + 1).await;
    fail(&b, "blake", 9).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.status,
        200,
        "L4: only failures within 24 h count"
    );
}

#[tokio::test]
async fn l4_lock_lifts_24_hours_after_the_last_failure() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    b.advance(24 * 3600 - 5).await;
    assert!(
        b.lockout_info("blake").await.locked,
        "still locked just before 24 h"
    );
    b.advance(5).await;
    assert!(!b.lockout_info("blake").await.locked);
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
}

#[tokio::test]
async fn l4_attempt_during_the_lock_extends_it() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    b.advance(23 * 3600).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.status,
        423,
        "refused: and counted"
    );
    b.advance(3600 + 60).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.code(),
        Some(ErrorCode::Locked),
        "L4: the refused attempt pushed the lock out"
    );
    b.advance(24 * 3600).await;
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn l4_a_hundred_concurrent_wrong_passwords_lock_at_exactly_ten() {
    let b = Broker::start().await;
    let contract = b.contract().await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url) = (b.http.clone(), format!("{}/v1/login", b.url));
        let contract = contract.clone();
        attempts.spawn(async move {
            let body = serde_json::json!({ "username": "blake", "password": "wrong" });
            let resp = http.post(url).json(&body).send().await.expect("POST");
            let status = resp.status().as_u16();
            let body: Option<serde_json::Value> = resp.json().await.ok();
            contract.check("POST", "/v1/login", status, body.as_ref());
            status
        });
    }
    let statuses = attempts.join_all().await;
    let invalid = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 423).count();
    assert_eq!(
        (invalid, locked),
        (10, 90),
        "L4: exactly ten failures before the lock"
    );
    let state: LockoutInfo = b.lockout_info("blake").await;
    assert!(state.locked);
    assert_eq!(
        state.failures_in_window, 100,
        "every refused attempt counted"
    );
}

#[tokio::test]
async fn l4_wrong_second_factor_counts_as_a_failure() {
    let b = Broker::start().await;
    for _ in 0..10 {
        let step = b.login("avery", "Trade2026").await.ok();
        assert_eq!(
            b.respond(&step.factor().ticket, "00000000").await.status,
            401
        );
    }
    assert_eq!(
        b.login("avery", "Trade2026").await.status,
        423,
        "L4: ten wrong responses lock"
    );
}

#[tokio::test]
async fn l4_lock_is_per_username() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    assert_eq!(b.login("avery", "Trade2026").await.status, 200);
}

#[tokio::test]
async fn l5_locked_message_says_when_and_who_can_help() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    let e = b.login("blake", "Trade2026").await.err();
    let message = &e.message;
    assert!(message.contains("UTC"), "L5: the time it lifts: {message}");
    assert!(
        message.contains("Client Services"),
        "L5: who can help: {message}"
    );
}

#[tokio::test]
async fn l5_operator_unlock_lifts_the_lock_and_is_audited() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    let state: LockoutInfo = b
        .post_as("/qa/users/blake/unlock", &serde_json::json!({}))
        .await
        .ok();
    assert!(!state.locked);
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
    assert!(b
        .audit_events()
        .await
        .iter()
        .any(|e| e.event == "lock_lifted" && e.username.as_deref() == Some("blake")));
}
