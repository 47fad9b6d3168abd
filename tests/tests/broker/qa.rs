//! The QA controls: present with --qa, absent (404) without.

use portcullis_tests::Broker;
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
        let (status, body) = b.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found");
    }
    for path in [
        "/qa/reset",
        "/qa/clock/advance",
        "/qa/users/blake/unlock",
        "/qa/devices/DSCP-40211873/provision",
    ] {
        assert_eq!(b.post(path, json!({ "seconds": 1 })).await.0, 404, "{path}");
    }
    // The login itself works without QA.
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
}

#[tokio::test]
async fn qa_clock_reads_advances_and_sets() {
    let b = Broker::start().await;
    let (_, before) = b.get("/qa/clock").await;
    let after = b.advance(86_400).await;
    let moved = after["now_ms"].as_i64().unwrap() - before["now_ms"].as_i64().unwrap();
    assert!(
        (86_400_000..86_460_000).contains(&moved),
        "moved {moved} ms"
    );
    let (status, set) = b
        .post("/qa/clock/set", json!({ "unix_seconds": 2_000_000_000 }))
        .await;
    assert_eq!(status, 200);
    assert!(
        set["now"].as_str().unwrap().starts_with("2033-05-18"),
        "{set}"
    );
    let (status, body) = b.post("/qa/clock/advance", json!({ "seconds": -5 })).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn qa_reset_restores_the_scenario() {
    let b = Broker::start().await;
    for _ in 0..10 {
        b.login("blake", "wrong").await;
    }
    b.advance(7200).await;
    let (status, _) = b.post("/qa/reset", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(b.lockout("blake").await["locked"], false);
    assert_eq!(b.get("/qa/clock").await.1["offset_ms"], 0);
    assert_eq!(b.login("blake", "Trade2026").await.0, 200);
}

#[tokio::test]
async fn every_auth_event_is_audited_without_secrets() {
    let b = Broker::start().await;
    b.login("blake", "wrong-password-xyz").await;
    b.login("blake", "Trade2026").await;
    b.login("bad name", "x").await;
    let events = b.audit().await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
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
    assert_eq!(b.login("solo", "pw-solo-1").await.0, 200);
    assert_eq!(
        b.login("blake", "Trade2026").await.0,
        401,
        "the demo users are not there"
    );
}
