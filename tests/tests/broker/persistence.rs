//! State survives a crash: the store is SQLite with one transaction per request.

use portcullis_api::ClockInfo;
use portcullis_testkit::{Broker, Opened};

#[tokio::test]
async fn l4_failure_count_survives_kill_9() {
    let mut b = Broker::start().await;
    for _ in 0..6 {
        assert_eq!(b.login("blake", "wrong").await.status, 401);
    }
    b.kill_and_restart();
    assert_eq!(
        b.lockout_info("blake").await.failures_in_window,
        6,
        "failures kept across kill -9"
    );
    for _ in 0..4 {
        assert_eq!(b.login("blake", "wrong").await.status, 401);
    }
    assert_eq!(
        b.login("blake", "Trade2026").await.status,
        423,
        "the tenth failure after restart locks"
    );
}

#[tokio::test]
async fn sessions_audit_and_clock_survive_kill_9() {
    let mut b = Broker::start().await;
    // 2030-01-15T10:00:00Z: well inside a day's sessions, whatever the real time.
    b.post_as::<ClockInfo>(
        "/qa/clock/set",
        &serde_json::json!({ "unix_seconds": 1_894_701_600 }),
    )
    .await
    .ok();
    let token = b
        .login("blake", "Trade2026")
        .await
        .ok()
        .opened()
        .token
        .clone();
    // Within the 30 idle minutes (issue 6), so the session is still alive after.
    b.advance(20 * 60).await;
    let offset_before = b.get_as::<ClockInfo>("/qa/clock").await.ok().offset_ms;
    b.kill_and_restart();
    assert_eq!(
        b.session(&token).await.status,
        200,
        "the session outlived the crash"
    );
    let offset_after = b.get_as::<ClockInfo>("/qa/clock").await.ok().offset_ms;
    assert!(
        (offset_after - offset_before).abs() < 5_000,
        "clock offset kept: {offset_before} vs {offset_after}"
    );
    assert!(b
        .audit_events()
        .await
        .iter()
        .any(|e| e.event == "login_success" && e.username.as_deref() == Some("blake")));
}
