//! The broker's own faults (issue 10): a route answers late or with an error
//! (`/qa/faults/routes`), the broker freezes and thaws (`/qa/freeze`, `/qa/thaw`); never
//! a QA route; the reset lifts them all. Timing is checked by lower bounds and by what
//! the journal says was applied, never by an upper bound.

use crate::util::{TestBroker, PASSWORD};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn rule(b: &TestBroker, body: Value) -> u64 {
    let added = b.post("/qa/faults/routes", body).await;
    assert_eq!(added.status, StatusCode::OK, "{added:?}");
    added.body["id"].as_u64().expect("an id")
}

async fn last_entry(b: &TestBroker, route: &str) -> Value {
    let page = b.get(&format!("/qa/journal?route={route}&limit=1")).await;
    page.body["entries"][0].clone()
}

#[tokio::test]
async fn faults_a_delay_is_applied_once_and_the_journal_says_so() {
    let b = TestBroker::demo();
    let id = rule(
        &b,
        json!({ "route": "/v1/login", "method": "post", "delay_ms": 300, "times": 1 }),
    )
    .await;
    let listed = b.get("/qa/faults/routes").await;
    assert_eq!(listed.body["rules"][0]["method"], "POST", "{listed:?}");
    assert_eq!(listed.body["rules"][0]["times"], 1);

    let started = Instant::now();
    let login = b.login("blake", PASSWORD).await;
    assert_eq!(
        login.status,
        StatusCode::OK,
        "a delay alone still answers: {login:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "at least the delay: {:?}",
        started.elapsed()
    );
    let entry = last_entry(&b, "/v1/login").await;
    assert_eq!(
        (&entry["fault_id"], &entry["fault_delay_ms"]),
        (&json!(id), &json!(300))
    );
    assert!(entry["elapsed_ms"].as_u64().unwrap() >= 300, "{entry}");

    b.login("blake", PASSWORD).await;
    let entry = last_entry(&b, "/v1/login").await;
    assert_eq!(entry["fault_id"], Value::Null, "times: 1 applied once");
    assert_eq!(b.get("/qa/faults/routes").await.body["rules"], json!([]));
}

#[tokio::test]
async fn faults_a_forced_error_answers_the_usual_body_and_nothing_happens() {
    let b = TestBroker::demo();
    rule(
        &b,
        json!({ "route": "/v1/login", "error": { "status": 503, "code": "unavailable" } }),
    )
    .await;
    for _ in 0..3 {
        let refused = b.login("casey", "wrong").await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            "{refused:?}"
        );
        assert!(!refused.str("message").is_empty());
    }
    assert_eq!(
        b.failures("casey").await,
        0,
        "the password was never checked"
    );
    let entry = last_entry(&b, "/v1/login").await;
    assert_eq!(
        (&entry["code"], &entry["status"]),
        (&json!("unavailable"), &json!(503))
    );

    let custom = rule(
        &b,
        json!({ "route": "/v1/session", "error": { "code": "internal", "status": 500,
                "message": "Down for maintenance." } }),
    )
    .await;
    let session = b.get("/v1/session").await;
    assert_eq!(
        (session.status, session.code(), session.str("message")),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Down for maintenance."
        )
    );
    let gone = b
        .send(TestBroker::request(
            axum::http::Method::DELETE,
            &format!("/qa/faults/routes/{custom}"),
            None,
        ))
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{gone:?}");
    assert_eq!(
        b.get("/v1/session").await.code(),
        "invalid_session",
        "lifted: the route answers as itself"
    );
    let cleared = b.post("/qa/faults/routes/clear", json!({})).await;
    assert_eq!(cleared.body, json!({ "rules": [] }));
    assert_eq!(b.login("casey", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn faults_never_touch_qa_routes_and_bad_rules_are_invalid_field() {
    let b = TestBroker::demo();
    for (body, field) in [
        (json!({ "route": "/qa/reset", "delay_ms": 10 }), "route"),
        (json!({ "route": "/v1/logins", "delay_ms": 10 }), "route"),
        (
            json!({ "route": "/v1/login", "method": "GET", "delay_ms": 10 }),
            "method",
        ),
        (
            json!({ "route": "/v1/login", "delay_ms": 60_001 }),
            "delay_ms",
        ),
        (json!({ "route": "/v1/login" }), "delay_ms"),
        (
            json!({ "route": "/v1/login", "delay_ms": 10, "times": 0 }),
            "times",
        ),
        (
            json!({ "route": "/v1/login", "error": { "status": 200, "code": "busy" } }),
            "error.status",
        ),
        (
            json!({ "route": "/v1/login", "error": { "code": "no_such_code" } }),
            "error",
        ),
        (
            json!({ "route": "/v1/login", "delay_ms": 10, "sometimes": true }),
            "",
        ),
    ] {
        let bad = b.post("/qa/faults/routes", body.clone()).await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{body}: {bad:?}"
        );
        assert!(bad.str("message").contains(field), "{body}: {bad:?}");
    }
    let unknown = b
        .send(TestBroker::request(
            axum::http::Method::DELETE,
            "/qa/faults/routes/99",
            None,
        ))
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert_eq!(b.get("/qa/faults/routes").await.body["rules"], json!([]));
}

#[tokio::test]
async fn faults_freeze_holds_requests_until_thawed_qa_routes_still_answer() {
    let b = TestBroker::demo();
    let frozen = b.post("/qa/freeze", json!({})).await;
    assert_eq!(frozen.body, json!({ "frozen": true, "waiting": 0 }));

    let held = {
        let b = b.clone();
        tokio::spawn(async move { b.login("blake", PASSWORD).await })
    };
    // Until the broker says the login waits (a QA route answers while frozen).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = b.post("/qa/freeze", json!({})).await;
        if state.body["waiting"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the login never arrived: {state:?}"
        );
        tokio::task::yield_now().await;
    }
    assert!(!held.is_finished(), "a frozen broker answers no login");
    let journal = b.get("/qa/journal?route=/v1/login").await;
    assert_eq!(
        journal.body["entries"],
        json!([]),
        "not answered, not journalled"
    );

    let thawed = b.post("/qa/thaw", json!({})).await;
    assert_eq!(thawed.body["frozen"], false, "{thawed:?}");
    let answer = held.await.expect("the login task");
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "answered after the thaw: {answer:?}"
    );
    let entry = last_entry(&b, "/v1/login").await;
    assert!(entry["frozen_ms"].as_u64().unwrap() >= 1, "{entry}");
}

#[tokio::test]
async fn faults_the_reset_lifts_rules_and_thaws() {
    let b = TestBroker::demo();
    rule(
        &b,
        json!({ "route": "/v1/login", "error": { "code": "busy" } }),
    )
    .await;
    b.post("/qa/freeze", json!({})).await;
    assert_eq!(b.post("/qa/reset", json!({})).await.status, StatusCode::OK);
    assert_eq!(b.get("/qa/faults/routes").await.body["rules"], json!([]));
    assert_eq!(
        b.post("/qa/thaw", json!({})).await.body,
        json!({ "frozen": false, "waiting": 0 })
    );
    assert_eq!(b.login("blake", PASSWORD).await.status, StatusCode::OK);
    let audit = b.get("/qa/audit").await;
    assert!(
        audit.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "reset"),
        "{audit:?}"
    );
}
