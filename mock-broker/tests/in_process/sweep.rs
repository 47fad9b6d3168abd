//! Issue 11: logins and pushes past their retention are forgotten, then swept. A
//! forgotten one answers the same before and after its rows are deleted: what a client
//! hears depends on the clock, never on when the sweep ran. (That the rows go is shown
//! by the unit tests in `broker::sweep`, which count them.)

use crate::hardening::{approve, phone_token, post_raw, waiting_push, DANA_PIN, DANA_SECRET};
use crate::util::{Answer, TestBroker, PASSWORD};
use axum::http::StatusCode;
use serde_json::json;

/// A login's rows are kept 10 minutes past its ticket's 15, counted from the password
/// step (a push's, from when it was sent).
const FORGOTTEN_AFTER: i64 = 25 * 60;
/// A margin wider than the real time a test takes.
const A_MINUTE: i64 = 60;

/// Any password step sweeps what is forgotten; blake's opens a session at once.
async fn sweep(b: &TestBroker) {
    let opened = b.login("blake", PASSWORD).await;
    assert_eq!(opened.str("status"), "authenticated", "{opened:?}");
}

fn code(answer: &Answer) -> (StatusCode, String) {
    (answer.status, answer.code().to_owned())
}

#[tokio::test]
async fn k6_an_answered_or_withdrawn_push_answers_alike_before_and_after_the_sweep() {
    for (outcome, refused_with) in [
        ("approved", "push_already_answered"),
        ("denied", "push_already_answered"),
        ("withdrawn", "no_pending_login"),
    ] {
        let b = TestBroker::demo();
        let phone = phone_token(&b).await;
        b.login("dana", PASSWORD).await;
        let push = waiting_push(&b, &phone, "dana").await;
        let path = format!(
            "/v1/phone/pushes/{}/deny",
            push["push_id"].as_str().unwrap()
        );
        let first = match outcome {
            "approved" => approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "pin").await,
            "denied" => post_raw(&b, &path, "{}", Some(&phone)).await,
            // C4: a new attempt withdraws the push still out.
            _ => b.login("dana", PASSWORD).await,
        };
        assert_eq!(first.status, StatusCode::OK, "{outcome}: {first:?}");
        // A denial is a failed attempt (L4); answers after it count nothing more.
        let counted = b.failures("dana").await;
        let again = || approve(&b, &phone, &push, DANA_SECRET, DANA_PIN, "pin");

        b.advance(FORGOTTEN_AFTER - A_MINUTE).await;
        let kept = again().await;
        assert_eq!(
            kept.code(),
            refused_with,
            "{outcome}, within retention: {kept:?}"
        );

        b.advance(A_MINUTE).await;
        let unswept = again().await;
        sweep(&b).await;
        let swept = again().await;
        assert_eq!(
            code(&swept),
            code(&unswept),
            "{outcome}: the sweep changes no answer"
        );
        // K6: still refused, as a push this phone never had.
        assert_eq!(
            code(&swept),
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
            "{outcome}: {swept:?}"
        );
        assert_eq!(b.failures("dana").await, counted, "{outcome}");
    }
}

#[tokio::test]
async fn c4_a_forgotten_ticket_answers_alike_before_and_after_the_sweep() {
    let b = TestBroker::demo();
    let looked_at = b.login("avery", PASSWORD).await;
    let left = b.login("casey", PASSWORD).await;
    for step in [&looked_at, &left] {
        assert_eq!(step.str("method"), "challenge", "{step:?}");
    }
    // Past the ticket's end the response is not looked at, right or wrong.
    let (looked_at, left) = (looked_at.str("ticket"), left.str("ticket"));

    b.advance(FORGOTTEN_AFTER - A_MINUTE).await;
    let expired = b.respond(looked_at, "000000").await;
    assert_eq!(
        expired.code(),
        "login_expired",
        "within retention: {expired:?}"
    );

    b.advance(A_MINUTE).await;
    let cancel = json!({ "ticket": left });
    let unswept = (
        b.respond(left, "000000").await,
        b.post("/v1/login/cancel", cancel.clone()).await,
    );
    sweep(&b).await;
    let swept = (
        b.respond(left, "000000").await,
        b.post("/v1/login/cancel", cancel).await,
    );
    for (before, after) in [(&unswept.0, &swept.0), (&unswept.1, &swept.1)] {
        assert_eq!(code(after), code(before), "the sweep changes no answer");
        assert_eq!(after.code(), "no_pending_login", "{after:?}");
    }
    assert_eq!(b.failures("casey").await, 0);
}
