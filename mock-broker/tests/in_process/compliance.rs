//! S4, Compliance's side of a sharing that waits for it: a rejection (with or without a
//! reason) ends the request with no device changed and frees its user to ask again;
//! only a pending request can be rejected; a reject body of the wrong shape changes
//! nothing.
//!
//! In the demo, `loweira`'s requests wait for Compliance and `lowe`'s are approved at
//! once; both ask for `loweadvisor`'s DSC+.

use crate::sharing::{audited, reviewed, session, shared, sharings, step, ADVISOR_DSC};
use crate::util::{Answer, TestBroker, MINUTE};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use portcullis_api::REJECTION_REASON_MAX_CHARS;
use serde_json::{json, Value};

/// loweira's own DSC+, set aside only once a sharing of hers is approved.
const IRA_DSC: &str = "DSCP-40511002";

/// loweira's session, and her request for loweadvisor's DSC+ pending Compliance.
async fn pending(b: &TestBroker) -> (String, String) {
    let token = session(b, "loweira", "portal", None).await;
    let done = shared(b, &token, "loweadvisor").await;
    assert_eq!(done.str("status"), "pending_compliance", "{done:?}");
    (token, done.str("id").to_owned())
}

async fn reject(b: &TestBroker, id: &str, body: Value) -> Answer {
    b.post(&format!("/qa/sharing/{id}/reject"), body).await
}

/// A reject with `body` as it is (still `Content-Type: application/json`).
async fn reject_raw(b: &TestBroker, id: &str, body: Body) -> Answer {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/qa/sharing/{id}/reject"))
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("a request");
    b.send(request).await
}

#[tokio::test]
async fn s4_compliance_rejects_a_pending_sharing_and_no_device_changes() {
    let b = TestBroker::demo();
    let (token, id) = pending(&b).await;
    let devices = b.get("/qa/devices").await.body;
    b.advance(MINUTE).await;

    let rejected = reject(&b, &id, json!({ "reason": "ID document expired" })).await;
    assert_eq!(rejected.status, StatusCode::OK, "{rejected:?}");
    assert_eq!(rejected.str("status"), "rejected");
    assert!(rejected.body["rejected_at"].is_string(), "{rejected:?}");
    assert!(
        rejected.body.get("approved_at").is_none(),
        "never in force: {rejected:?}"
    );
    assert_eq!(rejected.body["devices_set_aside"], json!([]));
    assert_eq!(
        b.get("/qa/devices").await.body,
        devices,
        "S4: nothing was set aside, so nothing changes"
    );
    let login = b.login_on("loweira", "trading").await;
    assert_eq!(
        login.str("device_id"),
        IRA_DSC,
        "her own device answers, not the one she asked for: {login:?}"
    );
    let detail = audited(&b, "loweira", "sharing_rejected").await;
    assert_eq!(detail.len(), 1, "audited once");
    assert!(
        detail[0].contains(&id)
            && detail[0].contains("compliance (QA)")
            && detail[0].contains("ID document expired"),
        "who rejected which, and why: {detail:?}"
    );
    assert_eq!(sharings(&b, &token).await[0]["status"], "rejected");

    let cancel = step(&b, &token, &id, "cancel", json!({})).await;
    assert_eq!(
        (cancel.status, cancel.code()),
        (StatusCode::CONFLICT, "wrong_stage"),
        "a rejected request has ended: {cancel:?}"
    );
    let approve = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (approve.status, approve.code()),
        (StatusCode::CONFLICT, "wrong_stage"),
        "Compliance decides once"
    );

    let again = shared(&b, &token, "loweadvisor").await;
    assert_eq!(
        again.str("status"),
        "pending_compliance",
        "S6's one at a time no longer counts the rejected request: {again:?}"
    );
}

#[tokio::test]
async fn s4_a_rejection_needs_no_body_nor_a_reason() {
    let b = TestBroker::demo();
    let (_, id) = pending(&b).await;
    let rejected = reject_raw(&b, &id, Body::empty()).await;
    assert_eq!(rejected.status, StatusCode::OK, "{rejected:?}");
    assert_eq!(rejected.str("status"), "rejected");
    assert!(audited(&b, "loweira", "sharing_rejected").await[0].ends_with("reason: none given"));

    for body in [
        json!(null),
        json!({}),
        json!({ "reason": null }),
        json!({ "reason": "   " }),
    ] {
        let b = TestBroker::demo();
        let (_, id) = pending(&b).await;
        let rejected = reject(&b, &id, body.clone()).await;
        assert_eq!(rejected.str("status"), "rejected", "{body}: {rejected:?}");
        assert!(
            audited(&b, "loweira", "sharing_rejected").await[0].ends_with("reason: none given"),
            "{body}: no reason"
        );
    }
}

#[tokio::test]
async fn s4_only_a_pending_sharing_can_be_rejected() {
    let b = TestBroker::demo();
    let lowe = session(&b, "lowe", "portal", None).await;
    let at_once = shared(&b, &lowe, "loweadvisor").await;
    assert_eq!(at_once.str("status"), "approved");
    let id = at_once.str("id").to_owned();
    let devices = b.get("/qa/devices").await.body;
    let refused = reject(&b, &id, json!({ "reason": "no" })).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "wrong_stage"),
        "approved at once: nothing waits for Compliance: {refused:?}"
    );
    assert_eq!(
        refused.str("message"),
        "This sharing request is not waiting for Compliance.",
        "the approve path's words"
    );
    assert_eq!(sharings(&b, &lowe).await[0]["status"], "approved");
    assert_eq!(b.get("/qa/devices").await.body, devices, "nothing changes");

    let (ira, id) = pending(&b).await;
    let approved = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(approved.str("status"), "approved", "{approved:?}");
    let late = reject(&b, &id, json!({})).await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "wrong_stage"),
        "approved by Compliance: decided already"
    );
    assert_eq!(
        b.device(IRA_DSC).await["status"],
        "inactive",
        "the approval stands (S6)"
    );
    step(&b, &ira, &id, "cancel", json!({})).await;

    let review = reviewed(&b, &ira, "loweadvisor").await;
    let unconfirmed = reject(&b, review.str("sharing_id"), json!({})).await;
    assert_eq!(
        unconfirmed.code(),
        "wrong_stage",
        "not confirmed, so not yet Compliance's"
    );

    let unknown = reject(&b, "SHR-NOPE", json!({})).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert!(audited(&b, "loweira", "sharing_rejected").await.is_empty());
    assert!(audited(&b, "lowe", "sharing_rejected").await.is_empty());
}

#[tokio::test]
async fn s4_a_reject_body_of_the_wrong_shape_is_invalid_field_and_changes_nothing() {
    let b = TestBroker::demo();
    let (token, id) = pending(&b).await;
    let too_long = "x".repeat(REJECTION_REASON_MAX_CHARS + 1);
    for body in [
        json!({ "reason": 7 }),
        json!({ "reason": ["ID", "expired"] }),
        json!({ "reason": too_long }),
        json!({ "reason": "two\nlines" }),
        json!({ "why": "ID document expired" }),
        json!([]),
        json!("ID document expired"),
    ] {
        let answer = reject(&b, &id, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{body}: {answer:?}"
        );
    }
    let not_json = reject_raw(&b, &id, Body::from("reason=expired")).await;
    assert_eq!(
        (not_json.status, not_json.code()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let longest = "x".repeat(REJECTION_REASON_MAX_CHARS);
    assert_eq!(
        sharings(&b, &token).await[0]["status"],
        "pending_compliance",
        "nothing decided"
    );
    assert!(audited(&b, "loweira", "sharing_rejected").await.is_empty());
    let fits = reject(&b, &id, json!({ "reason": longest })).await;
    assert_eq!(
        fits.str("status"),
        "rejected",
        "200 characters fit: {fits:?}"
    );
    assert_eq!(
        b.device(ADVISOR_DSC).await["status"],
        "active",
        "the owner's device is untouched"
    );
}

/// `username`'s messages, read in a session of their own.
async fn messages(b: &TestBroker, username: &str) -> Vec<Value> {
    let token = session(b, username, "portal", None).await;
    let list = b
        .with_token(Method::GET, "/v1/messages", &token, None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    list.body["messages"].as_array().expect("a list").clone()
}

#[tokio::test]
async fn s4_an_approval_by_compliance_posts_one_message_at_its_time() {
    let b = TestBroker::demo();
    let (_, id) = pending(&b).await;
    assert!(
        messages(&b, "loweira").await.is_empty(),
        "nothing to tell while pending"
    );
    b.advance(10 * MINUTE).await;
    let approved = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(approved.str("status"), "approved", "{approved:?}");
    b.advance(10 * MINUTE).await;

    let list = messages(&b, "loweira").await;
    assert_eq!(list.len(), 1, "exactly one message: {list:?}");
    let m = &list[0];
    assert_eq!(
        m["id"],
        format!("{id}-approved"),
        "stable: the sharing's id"
    );
    assert_eq!(m["kind"], "sharing_approved");
    assert_eq!(
        m["at"], approved.body["approved_at"],
        "posted when Compliance approved, not when read"
    );
    assert_eq!(
        (&m["device_id"], &m["sharing_id"]),
        (&json!(ADVISOR_DSC), &json!(id))
    );
    assert!(
        m.get("activates_at").is_some_and(Value::is_null),
        "always sent, null for a sharing: {m}"
    );
    let text = m["text"].as_str().expect("a text");
    for named in ["Compliance approved", "loweadvisor", ADVISOR_DSC, IRA_DSC] {
        assert!(text.contains(named), "{named:?} in {text:?}");
    }
    assert!(
        messages(&b, "loweadvisor").await.is_empty(),
        "the owner gets no message"
    );

    let ira = session(&b, "loweira", "portal", None).await;
    step(&b, &ira, &id, "cancel", json!({})).await;
    b.advance(10 * MINUTE).await;
    assert_eq!(
        messages(&b, "loweira").await,
        list,
        "the same message at every read, after a cancellation too"
    );
}

#[tokio::test]
async fn s4_an_approval_at_once_posts_no_message() {
    let b = TestBroker::demo();
    let lowe = session(&b, "lowe", "portal", None).await;
    let done = shared(&b, &lowe, "loweadvisor").await;
    assert_eq!(done.str("status"), "approved");
    assert!(messages(&b, "lowe").await.is_empty());
    assert!(messages(&b, "loweadvisor").await.is_empty());
}

#[tokio::test]
async fn s4_a_rejection_posts_one_message_with_its_reason() {
    let b = TestBroker::demo();
    let (ira, id) = pending(&b).await;
    b.advance(10 * MINUTE).await;
    let rejected = reject(&b, &id, json!({ "reason": "ID document expired" })).await;
    assert_eq!(rejected.str("status"), "rejected", "{rejected:?}");
    b.advance(10 * MINUTE).await;

    let list = messages(&b, "loweira").await;
    assert_eq!(list.len(), 1, "exactly one message: {list:?}");
    let m = &list[0];
    assert_eq!(m["id"], format!("{id}-rejected"));
    assert_eq!(m["kind"], "sharing_rejected");
    assert_eq!(m["at"], rejected.body["rejected_at"]);
    assert_eq!(
        (&m["device_id"], &m["sharing_id"], &m["activates_at"]),
        (&json!(ADVISOR_DSC), &json!(id), &Value::Null)
    );
    let text = m["text"].as_str().expect("a text");
    for named in [
        "Compliance rejected",
        "loweadvisor",
        ADVISOR_DSC,
        "ID document expired",
    ] {
        assert!(text.contains(named), "{named:?} in {text:?}");
    }
    assert!(
        messages(&b, "loweadvisor").await.is_empty(),
        "not the owner's"
    );

    let again = shared(&b, &ira, "loweadvisor").await;
    let second = again.str("id").to_owned();
    reject(&b, &second, json!({})).await;
    let list = messages(&b, "loweira").await;
    assert_eq!(list.len(), 2, "one per rejection: {list:?}");
    let unexplained = list
        .iter()
        .find(|m| m["sharing_id"] == json!(second))
        .expect("the second rejection's message");
    assert!(
        !unexplained["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Reason"),
        "no reason given, none told: {unexplained}"
    );
}
