//! L4 and L5 over HTTP, time moved with the broker's simulated clock.

use portcullis_tests::Broker;

async fn fail(b: &Broker, user: &str, times: usize) {
    for _ in 0..times {
        let (status, body) = b.login(user, "wrong").await;
        assert_eq!(status, 401, "{body}");
    }
}

#[tokio::test]
async fn l4_ten_failures_lock_even_the_right_password() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    let (status, body) = b.login("blake", "Trade2026").await;
    assert_eq!(status, 423, "{body}");
    assert_eq!(body["code"], "locked");
    assert!(body["locked_until"].is_string());
}

#[tokio::test]
async fn l4_nine_failures_do_not_lock() {
    let b = Broker::start().await;
    fail(&b, "blake", 9).await;
    let (status, body) = b.login("blake", "Trade2026").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn l4_success_resets_the_count() {
    let b = Broker::start().await;
    fail(&b, "blake", 9).await;
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
    fail(&b, "blake", 9).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.0,
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
        b.login("blake", "Trade2026").await.0,
        200,
        "L4: only failures within 24 h count"
    );
}

#[tokio::test]
async fn l4_lock_lifts_24_hours_after_the_last_failure() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    b.advance(24 * 3600 - 5).await;
    assert_eq!(
        b.lockout("blake").await["locked"],
        true,
        "still locked just before 24 h"
    );
    b.advance(5).await;
    assert_eq!(b.lockout("blake").await["locked"], false);
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
}

#[tokio::test]
async fn l4_attempt_during_the_lock_extends_it() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    b.advance(23 * 3600).await;
    assert_eq!(
        b.login("blake", "Trade2026").await.0,
        423,
        "refused: and counted"
    );
    b.advance(3600 + 60).await;
    let (status, body) = b.login("blake", "Trade2026").await;
    assert_eq!(
        status, 423,
        "L4: the refused attempt pushed the lock out: {body}"
    );
    b.advance(24 * 3600).await;
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn l4_a_hundred_concurrent_wrong_passwords_lock_at_exactly_ten() {
    let b = Broker::start().await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url) = (b.http.clone(), format!("{}/v1/login", b.url));
        attempts.spawn(async move {
            let body = serde_json::json!({ "username": "blake", "password": "wrong" });
            http.post(url)
                .json(&body)
                .send()
                .await
                .expect("POST")
                .status()
                .as_u16()
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
    let state = b.lockout("blake").await;
    assert_eq!(state["locked"], true);
    assert_eq!(
        state["failures_in_window"], 100,
        "every refused attempt counted"
    );
}

#[tokio::test]
async fn l4_wrong_second_factor_counts_as_a_failure() {
    let b = Broker::start().await;
    for _ in 0..10 {
        let (_, step) = b.login("avery", "Trade2026").await;
        let (status, _) = b
            .respond(step["ticket"].as_str().unwrap(), "00000000")
            .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        b.login("avery", "Trade2026").await.0,
        423,
        "L4: ten wrong responses lock"
    );
}

#[tokio::test]
async fn l4_lock_is_per_username() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    assert_eq!(b.login("avery", "Trade2026").await.0, 200);
}

#[tokio::test]
async fn l5_locked_message_says_when_and_who_can_help() {
    let b = Broker::start().await;
    fail(&b, "blake", 10).await;
    let (_, body) = b.login("blake", "Trade2026").await;
    let message = body["message"].as_str().unwrap();
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
    let (status, body) = b
        .post("/qa/users/blake/unlock", serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["locked"], false);
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
    assert!(b
        .audit()
        .await
        .iter()
        .any(|e| e["event"] == "lock_lifted" && e["username"] == "blake"));
}
