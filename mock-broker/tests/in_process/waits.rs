//! Issue 11, K2: a desktop waiting on its push (`/v1/login/wait`) is woken by its own
//! login's moves, the clock and a reset, and by nothing else: no polling, no wake for
//! another login's push. Wakes are counted by the broker as they are sent
//! (`Waiters::wakes`), so "not woken" is a count, not a time.

use crate::hardening::{approve, phone_token, post_raw, waiting_push, DANA_PIN, DANA_SECRET};
use crate::util::{Answer, TestBroker, PASSWORD};
use axum::http::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Long enough that no test here ends by its timeout: a wait that is not woken fails
/// the test (its answer is `pending`).
const LONG_WAIT_MS: u64 = 60_000;
/// How long a waiter may take to start waiting before the test gives up.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// A desktop waiting on `ticket`'s push, once it is registered as waiting.
async fn waiting_desktop(b: &TestBroker, ticket: &str) -> JoinHandle<Answer> {
    let before = b.broker().waiters().waiting();
    let desktop = b.clone();
    let body = json!({ "ticket": ticket, "timeout_ms": LONG_WAIT_MS });
    let wait = tokio::spawn(async move { desktop.post("/v1/login/wait", body).await });
    let started = Instant::now();
    while b.broker().waiters().waiting() == before {
        assert!(
            started.elapsed() < START_DEADLINE,
            "the desktop never started waiting"
        );
        tokio::task::yield_now().await;
    }
    wait
}

async fn deny(b: &TestBroker, phone: &str, push: &serde_json::Value) -> Answer {
    let path = format!(
        "/v1/phone/pushes/{}/deny",
        push["push_id"].as_str().unwrap()
    );
    post_raw(b, &path, "{}", Some(phone)).await
}

/// dana's phone approves her push; her waiting desktop answers with a session.
async fn approved_and_heard(b: &TestBroker, phone: &str, wait: JoinHandle<Answer>, why: &str) {
    let push = waiting_push(b, phone, "dana").await;
    let approved = approve(b, phone, &push, DANA_SECRET, DANA_PIN, "pin").await;
    assert_eq!(approved.status, StatusCode::OK, "{approved:?}");
    let answer = wait.await.unwrap();
    assert_eq!(answer.str("status"), "authenticated", "{why}: {answer:?}");
}

#[tokio::test]
async fn issue11_k2_a_waiter_answers_its_approval_and_sleeps_through_other_logins() {
    let b = TestBroker::demo();
    let phone = phone_token(&b).await;
    let dana = b.login("dana", PASSWORD).await;
    assert_eq!(dana.str("method"), "push", "{dana:?}");
    let wait = waiting_desktop(&b, dana.str("ticket")).await;

    // frank's login on the same phone: a push sent, denied, another login (C4), a
    // fallback, a cancel. None is dana's.
    for end in ["deny", "fallback", "cancel"] {
        let choice = b.login("frank", PASSWORD).await;
        let step = b
            .post(
                "/v1/login/device",
                json!({ "ticket": choice.str("ticket"), "device_id": "IBK-10000002" }),
            )
            .await;
        assert_eq!(step.str("method"), "push", "{step:?}");
        let ticket = json!({ "ticket": step.str("ticket") });
        let ended = match end {
            "deny" => deny(&b, &phone, &waiting_push(&b, &phone, "frank").await).await,
            "fallback" => b.post("/v1/login/fallback", ticket).await,
            _ => b.post("/v1/login/cancel", ticket).await,
        };
        assert_eq!(ended.status, StatusCode::OK, "{end}: {ended:?}");
    }
    assert_eq!(
        b.broker().waiters().wakes(),
        0,
        "issue 11: frank's pushes moving did not make dana's waiting desktop look again"
    );

    approved_and_heard(
        &b,
        &phone,
        wait,
        "K2: the approval ends the wait with a session",
    )
    .await;
    assert_eq!(
        b.broker().waiters().wakes(),
        2,
        "the approval's wake (one look at the store after the first), then the \
         redemption's, sent to any other desktop on the same login while this one \
         answered"
    );
    assert_eq!(b.broker().waiters().waiting(), 0, "the waiter left");
}

#[tokio::test]
async fn issue11_k6_moving_the_clock_past_the_push_ends_the_wait_as_expired() {
    let b = TestBroker::demo();
    let dana = b.login("dana", PASSWORD).await;
    let wait = waiting_desktop(&b, dana.str("ticket")).await;
    b.advance(60).await;
    b.advance(121).await;
    let answer = wait.await.unwrap();
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::GONE, "push_expired"),
        "K6: past 180 s on the broker's clock the push is expired, without waiting for \
         the real 180 s or the wait's timeout: {answer:?}"
    );
    assert_eq!(
        b.broker().waiters().wakes(),
        2,
        "each clock move woke the waiter"
    );
}

/// What ends dana's login while her desktop waits, and the wait's answer.
const ENDS: [(&str, StatusCode, &str); 5] = [
    ("deny", StatusCode::UNAUTHORIZED, "push_denied"),
    ("fallback", StatusCode::CONFLICT, "wrong_stage"),
    ("cancel", StatusCode::CONFLICT, "no_pending_login"),
    ("login_again", StatusCode::CONFLICT, "no_pending_login"),
    ("reset", StatusCode::CONFLICT, "no_pending_login"),
];

#[tokio::test]
async fn issue11_k2_k3_c4_whatever_ends_the_login_wakes_its_waiter() {
    for (end, status, code) in ENDS {
        let b = TestBroker::demo();
        let phone = phone_token(&b).await;
        let dana = b.login("dana", PASSWORD).await;
        let ticket = json!({ "ticket": dana.str("ticket") });
        let wait = waiting_desktop(&b, dana.str("ticket")).await;
        match end {
            "deny" => {
                deny(&b, &phone, &waiting_push(&b, &phone, "dana").await).await;
            }
            "fallback" => {
                b.post("/v1/login/fallback", ticket).await;
            }
            "cancel" => {
                b.post("/v1/login/cancel", ticket).await;
            }
            "login_again" => {
                b.login("dana", PASSWORD).await;
            }
            _ => {
                b.post("/qa/reset", json!({})).await;
            }
        }
        let answer = wait.await.unwrap();
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{end}: the waiting desktop hears at once: {answer:?}"
        );
        assert_eq!(b.broker().waiters().wakes(), 1, "{end}: one wake");
    }
}

#[tokio::test]
async fn issue11_k2_send_again_wakes_the_waiter_which_then_waits_on_the_new_push() {
    let b = TestBroker::demo();
    let phone = phone_token(&b).await;
    let dana = b.login("dana", PASSWORD).await;
    let wait = waiting_desktop(&b, dana.str("ticket")).await;
    let resent = b
        .post("/v1/login/resend", json!({ "ticket": dana.str("ticket") }))
        .await;
    assert_eq!(resent.status, StatusCode::OK, "{resent:?}");
    approved_and_heard(
        &b,
        &phone,
        wait,
        "the new push's approval ends the same wait",
    )
    .await;
    assert_eq!(
        b.broker().waiters().wakes(),
        3,
        "woken by the resend, then the approval (and the redemption's, as it answered)"
    );
}

#[tokio::test]
async fn issue11_a_desktop_that_hangs_up_leaves_no_waiter_behind() {
    let b = TestBroker::demo();
    let dana = b.login("dana", PASSWORD).await;
    let wait = waiting_desktop(&b, dana.str("ticket")).await;
    wait.abort();
    assert!(
        wait.await.unwrap_err().is_cancelled(),
        "the desktop hung up"
    );
    assert_eq!(
        b.broker().waiters().waiting(),
        0,
        "its watch left with it: nothing in memory waits for the sweep, which deletes \
         the login and its push by age alone (issue 11's retention)"
    );
    // The login itself is still there, for the desktop to wait on again.
    let again = waiting_desktop(&b, dana.str("ticket")).await;
    b.post("/v1/login/cancel", json!({ "ticket": dana.str("ticket") }))
        .await;
    assert_eq!(again.await.unwrap().code(), "no_pending_login");
}
