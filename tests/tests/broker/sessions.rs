//! Sessions end (issue 6): after the scenario's idle minutes without activity, and at
//! its daily end (UTC), both on the broker's simulated clock.

use portcullis_tests::Broker;
use serde_json::{json, Value};

/// 2030-01-15T10:00:00Z: far from the default daily end (23:45 UTC).
const MORNING: i64 = 1_894_701_600;
/// 2030-01-15T23:00:00Z: 45 minutes before the default daily end.
const LATE_EVENING: i64 = 1_894_748_400;

async fn set_clock(b: &Broker, unix_seconds: i64) {
    let (status, body) = b
        .post("/qa/clock/set", json!({ "unix_seconds": unix_seconds }))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// blake has no device: the password alone opens a session.
async fn log_in(b: &Broker) -> String {
    let (status, body) = b.login("blake", "Trade2026").await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

async fn keepalive(b: &Broker, token: &str) -> (u16, Value) {
    let resp = b
        .http
        .post(format!("{}/v1/session/keepalive", b.url))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("POST keepalive");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn expired(answer: &(u16, Value)) -> (u16, Option<&str>, Option<&str>) {
    (
        answer.0,
        answer.1["code"].as_str(),
        answer.1["reason"].as_str(),
    )
}

#[tokio::test]
async fn hardening_session_idle_timeout() {
    let b = Broker::start().await;
    set_clock(&b, MORNING).await;
    let token = log_in(&b).await;
    let (status, session) = b.session(&token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        (
            session["expires_at"].as_str(),
            session["idle_timeout_seconds"].as_i64()
        ),
        (Some("2030-01-15T10:30:00Z"), Some(1800)),
        "{session}"
    );
    b.advance(90 * 24 * 3600).await;
    assert_eq!(
        expired(&b.session(&token).await),
        (401, Some("session_expired"), Some("idle")),
        "a session does not outlive 90 idle days"
    );
    assert_eq!(
        expired(&keepalive(&b, &token).await),
        (401, Some("session_expired"), Some("idle")),
        "an ended session is not revived"
    );
    let events = b.audit().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "session_expired")
            .count(),
        1,
        "audited once"
    );
}

#[tokio::test]
async fn hardening_session_keepalive_extends_the_idle_end_and_reading_does_not() {
    let b = Broker::start().await;
    set_clock(&b, MORNING).await;
    let token = log_in(&b).await;
    b.advance(29 * 60).await;
    let (status, kept) = keepalive(&b, &token).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["expires_at"], "2030-01-15T10:59:00Z", "{kept}");
    b.advance(2 * 60).await;
    assert_eq!(
        b.session(&token).await.0,
        200,
        "alive at 31 minutes: the keepalive at 29 counted"
    );
    b.advance(27 * 60).await;
    assert_eq!(
        b.session(&token).await.0,
        200,
        "29 minutes after the keepalive"
    );
    b.advance(2 * 60).await;
    assert_eq!(
        expired(&b.session(&token).await),
        (401, Some("session_expired"), Some("idle")),
        "reading the session is not activity"
    );
}

#[tokio::test]
async fn hardening_session_daily_end_cuts_even_an_active_session() {
    let b = Broker::start().await;
    set_clock(&b, LATE_EVENING).await;
    let token = log_in(&b).await;
    for _ in 0..2 {
        b.advance(20 * 60).await;
        assert_eq!(keepalive(&b, &token).await.0, 200);
    }
    let (_, session) = b.session(&token).await;
    assert_eq!(
        session["expires_at"], "2030-01-15T23:45:00Z",
        "the daily end comes before the idle end: {session}"
    );
    b.advance(6 * 60).await;
    assert_eq!(
        expired(&keepalive(&b, &token).await),
        (401, Some("session_expired"), Some("daily_end"))
    );
    assert_eq!(
        expired(&b.session(&token).await),
        (401, Some("session_expired"), Some("daily_end"))
    );
    let resp = b
        .http
        .post(format!("{}/v1/logout", b.url))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "session_expired");

    let fresh = log_in(&b).await;
    let (_, session) = b.session(&fresh).await;
    assert_eq!(
        session["expires_at"], "2030-01-16T00:16:00Z",
        "a login after the daily end lives until the idle end (and the next day's end)"
    );
}

#[tokio::test]
async fn hardening_session_limits_come_from_the_scenario() {
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
[sessions]
idle_minutes = 5
daily_end_utc = "10:20"
"#,
    )
    .unwrap();
    let b = Broker::start_with(Some(&path), true).await;
    set_clock(&b, MORNING).await;
    let (status, body) = b.login("solo", "pw-solo-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["session"]["expires_at"].as_str(),
            body["session"]["idle_timeout_seconds"].as_i64()
        ),
        (Some("2030-01-15T10:05:00Z"), Some(300)),
        "the login answer says when the session ends: {body}"
    );
    let token = body["token"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        b.advance(4 * 60).await;
        assert_eq!(keepalive(&b, &token).await.0, 200);
    }
    b.advance(4 * 60).await;
    assert_eq!(
        expired(&b.session(&token).await),
        (401, Some("session_expired"), Some("daily_end")),
        "10:20 UTC: the scenario's daily end"
    );
}
