//! The request journal (`GET /qa/journal`, issue 10): every request answered, with
//! its route's template, its outcome's code and the user it concerned; filters; the QA
//! reset clears it; a filter value that does not fit is `invalid_field`.

use crate::util::{card_response, TestBroker, AVERY_PIN, AVERY_SECRET, PASSWORD};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

/// The journal's entries for `query`.
async fn journal(b: &TestBroker, query: &str) -> Vec<Value> {
    let page = b.get(&format!("/qa/journal?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{query}: {page:?}");
    page.body["entries"].as_array().expect("entries").clone()
}

#[tokio::test]
async fn journal_exactly_one_push_was_asked_for_and_resend_never_called() {
    let b = TestBroker::demo();
    let step = b.login("dana", PASSWORD).await;
    assert_eq!(step.str("method"), "push", "{step:?}");
    let logins = journal(&b, "route=/v1/login&user=dana").await;
    assert_eq!(logins.len(), 1, "one password step, one push: {logins:?}");
    let entry = &logins[0];
    assert_eq!(
        (&entry["method"], &entry["status"], &entry["code"]),
        (&json!("POST"), &json!(200), &json!("ok"))
    );
    assert!(entry["seq"].as_u64().unwrap() >= 1);
    assert!(
        entry["at"].as_str().unwrap().ends_with('Z'),
        "the broker's clock, RFC 3339: {entry}"
    );
    assert!(
        journal(&b, "route=/v1/login/resend").await.is_empty(),
        "nobody pressed Send again"
    );
}

#[tokio::test]
async fn journal_names_the_route_template_the_code_and_the_user() {
    let b = TestBroker::demo();
    b.login("blake", "wrong").await;
    let step = b.login("avery", PASSWORD).await;
    let ticket = step.str("ticket").to_owned();
    let response = card_response(AVERY_SECRET, AVERY_PIN, step.str("challenge"));
    let opened = b.respond(&ticket, &response).await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    let token = opened.body["token"].as_str().unwrap().to_owned();
    let session = b
        .with_token(axum::http::Method::GET, "/v1/session", &token, None)
        .await;
    assert_eq!(session.status, StatusCode::OK);
    b.post("/qa/users/blake/unlock", json!({})).await;

    let refused = journal(&b, "code=invalid_credentials").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        (&refused[0]["user"], &refused[0]["status"]),
        (&json!("blake"), &json!(401))
    );
    let answered = journal(&b, "route=/v1/login/response").await;
    assert_eq!(
        answered[0]["user"], "avery",
        "a ticket's user, though the answer ended the login"
    );
    let read = journal(&b, "route=/v1/session&method=get").await;
    assert_eq!(read[0]["user"], "avery", "the user behind a session token");
    let unlock = journal(&b, "include_qa=true&route=/qa/users/{username}/unlock").await;
    assert_eq!(
        unlock[0]["user"], "blake",
        "a template, and its {{username}}"
    );
    let text = serde_json::to_string(&journal(&b, "include_qa=true&limit=10000").await).unwrap();
    for secret in [token.as_str(), ticket.as_str(), PASSWORD, response.as_str()] {
        assert!(
            !text.contains(secret),
            "no secrets in the journal: {secret}"
        );
    }
}

#[tokio::test]
async fn journal_records_refusals_at_the_edge_and_paths_not_served() {
    let b = TestBroker::demo();
    let foreign = b
        .send(
            Request::builder()
                .method("POST")
                .uri("/v1/login")
                .header(header::HOST, "127.0.0.1")
                .header(header::ORIGIN, "http://evil.example")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let long = format!("/nowhere/{}", "x".repeat(300));
    assert_eq!(b.get(&long).await.status, StatusCode::NOT_FOUND);

    let origin = journal(&b, "code=forbidden_origin").await;
    assert_eq!(
        origin.len(),
        1,
        "refused before any handler, still journalled"
    );
    assert_eq!(origin[0]["route"], "/v1/login");
    let unrouted = journal(&b, "code=not_found").await;
    let route = unrouted[0]["route"].as_str().unwrap();
    assert!(
        route.starts_with("/nowhere/xxx") && route.chars().count() == 100,
        "a path not served, as asked, cut to 100 characters: {route}"
    );
}

#[tokio::test]
async fn journal_hides_qa_routes_unless_asked_and_pages_with_since_seq() {
    let b = TestBroker::demo();
    b.get("/qa/clock").await;
    b.login("blake", PASSWORD).await;
    b.login("casey", PASSWORD).await;
    b.login("blake", PASSWORD).await;

    let all = journal(&b, "").await;
    assert!(
        all.iter()
            .all(|e| !e["route"].as_str().unwrap().starts_with("/qa")),
        "QA routes only with include_qa: {all:?}"
    );
    assert_eq!(all.len(), 3);
    let with_qa = journal(&b, "include_qa=true").await;
    assert!(with_qa.iter().any(|e| e["route"] == "/qa/clock"));

    let first = b.get("/qa/journal?since_seq=0&limit=2").await;
    let seqs: Vec<u64> = first.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 2);
    assert!(seqs[0] < seqs[1], "oldest first");
    let next = first.body["next_seq"].as_u64().unwrap();
    assert_eq!(
        next, seqs[1],
        "a page cut short goes on after its last entry"
    );
    let rest = b.get(&format!("/qa/journal?since_seq={next}")).await;
    assert_eq!(rest.body["entries"].as_array().unwrap().len(), 1);
    let after = rest.body["next_seq"].as_u64().unwrap();
    let nothing = journal(&b, &format!("since_seq={after}")).await;
    assert!(nothing.is_empty(), "nothing new: {nothing:?}");

    let blake = journal(&b, "user=blake&method=POST&code=ok").await;
    assert_eq!(blake.len(), 2);
    let latest = journal(&b, "user=blake&limit=1").await;
    assert_eq!(
        latest[0]["seq"], blake[1]["seq"],
        "without since_seq, the latest"
    );
}

#[tokio::test]
async fn journal_is_cleared_by_the_qa_reset() {
    let b = TestBroker::demo();
    b.login("blake", PASSWORD).await;
    let before = b.get("/qa/journal").await.body["next_seq"]
        .as_u64()
        .unwrap();
    let reset = b.post("/qa/reset", json!({})).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert!(journal(&b, "").await.is_empty());
    let left = journal(&b, "include_qa=true").await;
    let routes: Vec<&str> = left.iter().map(|e| e["route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        ["/qa/reset", "/qa/journal"],
        "the reset itself, and the read just after it"
    );
    assert!(
        left[0]["seq"].as_u64().unwrap() > before,
        "numbers carry on, so a reader following since_seq is never sent back"
    );
}

#[tokio::test]
async fn journal_bad_filter_values_are_invalid_field() {
    let b = TestBroker::demo();
    for query in [
        "limit=0",
        "limit=10001",
        "limit=many",
        "since_seq=-1",
        "method=FETCH",
        "code=no_such_code",
        "user=bl%20ake",
        "route=v1/login",
        "include_qa=yes",
    ] {
        let bad = b.get(&format!("/qa/journal?{query}")).await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{query}: {bad:?}"
        );
        let filter = query.split('=').next().unwrap();
        assert!(
            bad.str("message").starts_with(filter),
            "the message names the filter: {bad:?}"
        );
    }
    for query in ["colour=red", "user=blake&user=casey"] {
        let bad = b.get(&format!("/qa/journal?{query}")).await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{query}: as /qa/audit: {bad:?}"
        );
    }
    let max = b.get("/qa/journal?limit=10000&include_qa=false").await;
    assert_eq!(max.status, StatusCode::OK);
}

#[tokio::test]
async fn journal_is_a_qa_route_only() {
    let b = TestBroker::with_qa(mock_broker::scenario::Scenario::demo(), false);
    let none = b.get("/qa/journal").await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}
