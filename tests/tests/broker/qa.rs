//! The QA controls: present with --qa, absent (404) without.

use portcullis_api::{ClockInfo, ErrorCode, ResetDone};
use portcullis_testkit::Broker;
use serde_json::json;

#[tokio::test]
async fn qa_controls_answer_404_without_the_flag() {
    let b = Broker::start_with(None, false).await;
    for path in [
        "/qa/clock",
        "/qa/audit",
        "/qa/devices",
        "/qa/users/blake/lockout",
    ] {
        let e = b.get_as::<ClockInfo>(path).await.err();
        assert_eq!((e.status, e.code), (404, ErrorCode::NotFound), "{path}");
    }
    for path in [
        "/qa/reset",
        "/qa/clock/advance",
        "/qa/users/blake/unlock",
        "/qa/devices/DSCP-40211873/provision",
    ] {
        let e = b
            .post_as::<ClockInfo>(path, &json!({ "seconds": 1 }))
            .await
            .err();
        assert_eq!((e.status, e.code), (404, ErrorCode::NotFound), "{path}");
    }
    // The login itself works without QA.
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
}

#[tokio::test]
async fn qa_clock_reads_advances_and_sets() {
    let b = Broker::start().await;
    let before = b.get_as::<ClockInfo>("/qa/clock").await.ok();
    let after = b.advance(86_400).await;
    let moved = after.now_ms - before.now_ms;
    assert!(
        (86_400_000..86_460_000).contains(&moved),
        "moved {moved} ms"
    );
    let set: ClockInfo = b
        .post_as("/qa/clock/set", &json!({ "unix_seconds": 2_000_000_000 }))
        .await
        .ok();
    assert!(set.now.starts_with("2033-05-18"), "{set:?}");
    let e = b
        .post_as::<ClockInfo>("/qa/clock/advance", &json!({ "seconds": -5 }))
        .await
        .err();
    assert_eq!((e.status, e.code), (400, ErrorCode::BadRequest));
}

#[tokio::test]
async fn qa_reset_restores_the_scenario() {
    let b = Broker::start().await;
    for _ in 0..10 {
        b.login("blake", "wrong").await;
    }
    b.advance(7200).await;
    let reset: ResetDone = b.post_as("/qa/reset", &json!({})).await.ok();
    assert_eq!(reset, ResetDone::Reset);
    assert!(!b.lockout_info("blake").await.locked);
    assert_eq!(b.get_as::<ClockInfo>("/qa/clock").await.ok().offset_ms, 0);
    assert_eq!(b.login("blake", "Trade2026").await.status, 200);
}

#[tokio::test]
async fn every_auth_event_is_audited_without_secrets() {
    let b = Broker::start().await;
    b.login("blake", "wrong-password-xyz").await;
    b.login("blake", "Trade2026").await;
    b.login("bad name", "x").await;
    let events = b.audit_events().await;
    let kinds: Vec<_> = events.iter().map(|e| e.event.clone()).collect();
    for expected in ["invalid_credentials", "login_success", "bad_character"] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} in {kinds:?}"
        );
    }
    let text = serde_json::to_string(&events).unwrap();
    assert!(
        !text.contains("wrong-password-xyz") && !text.contains("Trade2026"),
        "no passwords in the audit log"
    );
}

#[tokio::test]
async fn scenario_file_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        r#"
[[entities]]
id = "e"
name = "E"
account = "U1"
equity_usd = 10
[[users]]
username = "solo"
password = "pw-solo-1"
entity = "e"
"#,
    )
    .unwrap();
    let b = Broker::start_with(Some(&path), true).await;
    assert_eq!(b.login("solo", "pw-solo-1").await.status, 200);
    assert_eq!(
        b.login("blake", "Trade2026").await.status,
        401,
        "the demo users are not there"
    );
}
