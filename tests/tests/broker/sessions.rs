//! Sessions end (issue 6): after the scenario's idle minutes without activity, and at
//! its daily end (UTC), both on the broker's simulated clock.

use portcullis_api::{ClockInfo, ErrorCode, ErrorReason, LoggedOut, SessionInfo};
use portcullis_testkit::{Broker, Opened, Reply};
use serde_json::json;

/// 2030-01-15T10:00:00Z: far from the default daily end (23:45 UTC).
pub(crate) const MORNING: i64 = 1_894_701_600;
/// 2030-01-15T23:00:00Z: 45 minutes before the default daily end.
pub(crate) const LATE_EVENING: i64 = 1_894_748_400;

pub(crate) async fn set_clock(b: &Broker, unix_seconds: i64) {
    b.post_as::<ClockInfo>("/qa/clock/set", &json!({ "unix_seconds": unix_seconds }))
        .await
        .ok();
}

/// blake has no device: the password alone opens a session.
pub(crate) async fn log_in(b: &Broker) -> String {
    b.login("blake", "Trade2026")
        .await
        .ok()
        .opened()
        .token
        .clone()
}

pub(crate) async fn keepalive(b: &Broker, token: &str) -> Reply<SessionInfo> {
    b.with_bearer(reqwest::Method::POST, "/v1/session/keepalive", token)
        .await
}

#[track_caller]
fn expired<T>(answer: Reply<T>) -> (u16, ErrorCode, Option<ErrorReason>) {
    let e = answer.err();
    (e.status, e.code, e.reason)
}

const IDLE: (u16, ErrorCode, Option<ErrorReason>) =
    (401, ErrorCode::SessionExpired, Some(ErrorReason::Idle));
const DAILY_END: (u16, ErrorCode, Option<ErrorReason>) =
    (401, ErrorCode::SessionExpired, Some(ErrorReason::DailyEnd));

#[tokio::test]
async fn hardening_session_idle_timeout() {
    let b = Broker::start().await;
    set_clock(&b, MORNING).await;
    let token = log_in(&b).await;
    let session = b.session(&token).await.ok();
    assert_eq!(
        (session.expires_at.as_str(), session.idle_timeout_seconds),
        ("2030-01-15T10:30:00Z", 1800),
        "{session:?}"
    );
    b.advance(90 * 24 * 3600).await;
    assert_eq!(
        expired(b.session(&token).await),
        IDLE,
        "a session does not outlive 90 idle days"
    );
    assert_eq!(
        expired(keepalive(&b, &token).await),
        IDLE,
        "an ended session is not revived"
    );
    let events = b.audit_events().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event == "session_expired")
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
    let kept = keepalive(&b, &token).await.ok();
    assert_eq!(kept.expires_at, "2030-01-15T10:59:00Z", "{kept:?}");
    b.advance(2 * 60).await;
    assert_eq!(
        b.session(&token).await.status,
        200,
        "alive at 31 minutes: the keepalive at 29 counted"
    );
    b.advance(27 * 60).await;
    assert_eq!(
        b.session(&token).await.status,
        200,
        "29 minutes after the keepalive"
    );
    b.advance(2 * 60).await;
    assert_eq!(
        expired(b.session(&token).await),
        IDLE,
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
        assert_eq!(keepalive(&b, &token).await.status, 200);
    }
    let session = b.session(&token).await.ok();
    assert_eq!(
        session.expires_at, "2030-01-15T23:45:00Z",
        "the daily end comes before the idle end: {session:?}"
    );
    b.advance(6 * 60).await;
    assert_eq!(expired(keepalive(&b, &token).await), DAILY_END);
    assert_eq!(expired(b.session(&token).await), DAILY_END);
    let out = b
        .with_bearer::<LoggedOut>(reqwest::Method::POST, "/v1/logout", &token)
        .await
        .err();
    assert_eq!((out.status, out.code), (401, ErrorCode::SessionExpired));

    let fresh = log_in(&b).await;
    let session = b.session(&fresh).await.ok();
    assert_eq!(
        session.expires_at, "2030-01-16T00:16:00Z",
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
    let step = b.login("solo", "pw-solo-1").await.ok();
    let opened = step.opened();
    assert_eq!(
        (
            opened.session.expires_at.as_str(),
            opened.session.idle_timeout_seconds
        ),
        ("2030-01-15T10:05:00Z", 300),
        "the login answer says when the session ends: {step:?}"
    );
    let token = opened.token.clone();
    for _ in 0..4 {
        b.advance(4 * 60).await;
        assert_eq!(keepalive(&b, &token).await.status, 200);
    }
    b.advance(4 * 60).await;
    assert_eq!(
        expired(b.session(&token).await),
        DAILY_END,
        "10:20 UTC: the scenario's daily end"
    );
}
