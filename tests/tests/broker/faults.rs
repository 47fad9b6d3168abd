//! The broker's own faults over a real process (issue 10): a delayed route, a forced
//! error in the project's error shape, and a freeze that holds a login until the thaw.
//! Timing: lower bounds and what the journal says was applied, never an upper bound.

use portcullis_api::{ErrorCode, FreezeState, LoginStep, RouteFault, RouteFaultList};
use portcullis_testkit::{eventually, Broker};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn faults_a_delayed_login_answers_no_sooner_than_the_delay() {
    let b = Broker::start().await;
    let rule: RouteFault = b
        .post_as(
            "/qa/faults/routes",
            &json!({ "route": "/v1/login", "delay_ms": 400 }),
        )
        .await
        .ok();
    let started = Instant::now();
    let step = b.login("blake", "Trade2026").await.ok();
    assert!(matches!(step, LoginStep::Authenticated(_)), "{step:?}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let entry = b.journal("route=/v1/login&limit=1").await.entries[0].clone();
    assert_eq!((entry.fault_id, entry.fault_delay_ms), (Some(rule.id), 400));
    assert!(entry.elapsed_ms >= 400, "{entry:?}");
}

#[tokio::test]
async fn faults_a_forced_error_is_the_usual_error_body() {
    let b = Broker::start().await;
    let _: RouteFault = b
        .post_as(
            "/qa/faults/routes",
            &json!({ "route": "/v1/login", "method": "POST", "times": 1,
                     "error": { "status": 503, "code": "unavailable" } }),
        )
        .await
        .ok();
    let refused = b.login("blake", "Trade2026").await.err();
    assert_eq!(
        (refused.status, refused.code),
        (503, ErrorCode::Unavailable)
    );
    assert!(
        b.login("blake", "Trade2026").await.is_ok(),
        "once, then lifted"
    );
    let rules: RouteFaultList = b.get_as("/qa/faults/routes").await.ok();
    assert!(rules.rules.is_empty());
}

#[tokio::test]
async fn faults_a_frozen_broker_answers_the_login_after_the_thaw() {
    let b = Broker::start().await;
    let frozen: FreezeState = b.post_as("/qa/freeze", &json!({})).await.ok();
    assert!(frozen.frozen);
    let login = b.login("blake", "Trade2026");
    let thaw = async {
        // QA routes answer while frozen: wait for the login to be held, then thaw.
        eventually(
            "the login held by the freeze",
            Duration::from_secs(10),
            || async {
                let state: FreezeState = b.post_as("/qa/freeze", &json!({})).await.ok();
                (state.waiting == 1).then_some(())
            },
        )
        .await;
        let thawed: FreezeState = b.post_as("/qa/thaw", &json!({})).await.ok();
        assert!(!thawed.frozen);
    };
    let (step, ()) = tokio::join!(login, thaw);
    assert!(step.is_ok(), "answered once thawed");
    let entries = b.journal("include_qa=true&limit=50").await.entries;
    let seq_of = |route: &str| {
        entries
            .iter()
            .rfind(|e| e.route == route)
            .map(|e| e.seq)
            .unwrap_or_else(|| panic!("{route} in {entries:?}"))
    };
    assert!(
        seq_of("/v1/login") > seq_of("/qa/thaw"),
        "the login was answered after the thaw"
    );
}
