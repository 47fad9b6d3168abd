//! State survives a crash: the store is SQLite with one transaction per request.

use portcullis_tests::Broker;

#[tokio::test]
async fn l4_failure_count_survives_kill_9() {
    let mut b = Broker::start().await;
    for _ in 0..6 {
        assert_eq!(b.login("blake", "wrong").await.0, 401);
    }
    b.kill_and_restart();
    assert_eq!(
        b.lockout("blake").await["failures_in_window"],
        6,
        "failures kept across kill -9"
    );
    for _ in 0..4 {
        assert_eq!(b.login("blake", "wrong").await.0, 401);
    }
    assert_eq!(
        b.login("blake", "Trade2026").await.0,
        423,
        "the tenth failure after restart locks"
    );
}

#[tokio::test]
async fn sessions_audit_and_clock_survive_kill_9() {
    let mut b = Broker::start().await;
    // 2030-01-15T10:00:00Z: well inside a day's sessions, whatever the real time.
    b.post(
        "/qa/clock/set",
        serde_json::json!({ "unix_seconds": 1_894_701_600 }),
    )
    .await;
    let (_, body) = b.login("blake", "Trade2026").await;
    let token = body["token"].as_str().unwrap().to_owned();
    // Within the 30 idle minutes (issue 6), so the session is still alive after.
    b.advance(20 * 60).await;
    let offset_before = b.get("/qa/clock").await.1["offset_ms"].as_i64().unwrap();
    b.kill_and_restart();
    let session = b
        .http
        .get(format!("{}/v1/session", b.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200, "the session outlived the crash");
    let offset_after = b.get("/qa/clock").await.1["offset_ms"].as_i64().unwrap();
    assert!(
        (offset_after - offset_before).abs() < 5_000,
        "clock offset kept: {offset_before} vs {offset_after}"
    );
    assert!(b
        .audit()
        .await
        .iter()
        .any(|e| e["event"] == "login_success" && e["username"] == "blake"));
}
