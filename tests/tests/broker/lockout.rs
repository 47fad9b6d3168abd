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

#[tokio::test]
async fn l4_a_hundred_concurrent_wrong_passwords_lock_at_exactly_ten() {
    let b = Broker::start().await;
    let attempts = (0..100).map(|_| b.login("blake", "wrong"));
    let results = futures_join_all(attempts).await;
    let invalid = results.iter().filter(|(s, _)| *s == 401).count();
    let locked = results.iter().filter(|(s, _)| *s == 423).count();
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

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::with_capacity(handles.len());
    // Drive them all at once on this task.
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.expect("completed")));
    out
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
        .post("/qa/users/blake/unlock", serde_json::json!(null))
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
