//! S1–S6 over HTTP, each answer checked against `/openapi.json`: a request waiting for
//! Compliance approved by the operator's CLI (`mock-broker operator approve-sharing`),
//! the shared device answering the requesting user's login, the cancellation; one
//! rejected (`reject-sharing`), with its reason; and a refusal with the article's
//! error.

use portcullis_api::{
    Channel, DeviceKind, DeviceStatus, ErrorCode, LoginRequest, LoginStep, MessageKind,
    MessageList, Method, Sharing, SharingAsk, SharingList, SharingReview, SharingStatus,
    UserMessage,
};
use portcullis_testkit::{binary, decode, Broker, Opened, Reply, StepExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const PASSWORD: &str = "Trade2026";
/// The demo's DSC+ of loweira and of loweadvisor (both PIN 1379).
const IRA_DSC: &str = "DSCP-40511002";
const ADVISOR_DSC: &str = "DSCP-40511001";
const PIN: &str = "1379";

async fn post<T: DeserializeOwned + Serialize>(
    b: &Broker,
    path: &str,
    token: &str,
    body: Value,
) -> Reply<T> {
    let request = b
        .http
        .post(format!("{}{path}", b.url))
        .bearer_auth(token)
        .json(&body);
    let (status, body) = b.exchange("POST", path, request).await;
    decode(status, body)
}

async fn login(b: &Broker, username: &str, channel: Channel) -> LoginStep {
    b.login_with(&LoginRequest {
        username: username.into(),
        password: PASSWORD.into(),
        device_id: None,
        channel,
    })
    .await
    .ok()
}

/// What `device_id` answers to the challenge `method`.
async fn respond(b: &Broker, device_id: &str, method: &Method) -> String {
    let Method::Challenge { challenge } = method else {
        panic!("expected a challenge: {method:?}");
    };
    b.card_response(device_id, PIN, challenge).await
}

/// loweira's portal session, and her request for loweadvisor's DSC+ confirmed and
/// waiting for Compliance (S4).
async fn pending_for_compliance(b: &Broker) -> (String, String) {
    let step = login(b, "loweira", Channel::Portal).await;
    let typed = respond(b, IRA_DSC, &step.factor().method).await;
    let token = b
        .respond(&step.factor().ticket, &typed)
        .await
        .ok()
        .opened()
        .token
        .clone();

    let ask: SharingAsk = post(
        b,
        "/v1/sharing/start",
        &token,
        json!({ "owner_username": "loweadvisor", "owner_password": PASSWORD }),
    )
    .await
    .ok();
    assert_eq!(
        (ask.device_id.as_str(), ask.device_kind),
        (ADVISOR_DSC, DeviceKind::DscPlus)
    );
    let typed = respond(b, ADVISOR_DSC, &ask.method).await;
    let id = ask.sharing_id;
    let review: SharingReview = post(
        b,
        &format!("/v1/sharing/{id}/answer"),
        &token,
        json!({ "response": typed }),
    )
    .await
    .ok();
    assert_eq!(review.devices_set_aside.len(), 1, "S6: her own DSC+");
    let pending: Sharing = post(b, &format!("/v1/sharing/{id}/confirm"), &token, json!({}))
        .await
        .ok();
    assert_eq!(pending.status, SharingStatus::PendingCompliance, "S4");
    (token, id)
}

/// `mock-broker operator ARGS… --url` against `b`.
fn operator(b: &Broker, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary("mock-broker"))
        .arg("operator")
        .args(args)
        .args(["--url", &b.url])
        .output()
        .expect("the CLI runs")
}

/// The one message `token`'s user has: Compliance's `kind` of decision on `sharing`
/// (S4), a sharing's message (no activation date).
async fn compliance_told(b: &Broker, token: &str, sharing: &str, kind: MessageKind) -> UserMessage {
    let mut list: MessageList = b
        .with_bearer(reqwest::Method::GET, "/v1/messages", token)
        .await
        .ok();
    assert_eq!(list.messages.len(), 1, "{list:?}");
    let told = list.messages.remove(0);
    assert_eq!(
        (
            told.kind,
            told.sharing_id.as_deref(),
            told.activates_at.as_deref()
        ),
        (kind, Some(sharing), None)
    );
    // Issue 10: what a client needs to word the message itself.
    assert_eq!(
        (told.device_kind, told.owner.as_deref()),
        (DeviceKind::DscPlus, Some("loweadvisor")),
        "{told:?}"
    );
    told
}

#[tokio::test]
async fn s4_the_operator_cli_approves_a_sharing_waiting_for_compliance() {
    let b = Broker::start().await;
    let (token, id) = pending_for_compliance(&b).await;

    let out = operator(&b, &["approve-sharing", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("approved"));
    let list: SharingList = b
        .with_bearer(reqwest::Method::GET, "/v1/sharing", &token)
        .await
        .ok();
    assert_eq!(list.sharings[0].status, SharingStatus::Approved);
    assert!(b
        .audit_events()
        .await
        .iter()
        .any(|e| e.event == "sharing_approved" && e.detail.contains("compliance")));

    let told = compliance_told(&b, &token, &id, MessageKind::SharingApproved).await;
    assert_eq!(told.id, format!("{id}-approved"));
    assert_eq!(told.devices_set_aside, [IRA_DSC], "S6: her own DSC+, by id");
    assert_eq!(told.reason, None);

    let step = login(&b, "loweira", Channel::Trading).await;
    assert_eq!(
        step.factor().device_id,
        ADVISOR_DSC,
        "the shared device answers"
    );
    let again = operator(&b, &["approve-sharing", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("wrong_stage"));

    let cancelled: Sharing = post(&b, &format!("/v1/sharing/{id}/cancel"), &token, json!({}))
        .await
        .ok();
    assert_eq!(cancelled.status, SharingStatus::Cancelled);
    assert_eq!(
        cancelled.device_status,
        DeviceStatus::Active,
        "the owner keeps it"
    );
    let step = login(&b, "loweira", Channel::Trading).await;
    assert_eq!(
        step.factor().device_id,
        IRA_DSC,
        "S6: her own DSC+ serves again"
    );
}

#[tokio::test]
async fn s4_the_operator_cli_rejects_a_sharing_waiting_for_compliance() {
    let b = Broker::start().await;
    let (token, id) = pending_for_compliance(&b).await;
    let devices = b.get("/qa/devices").await;

    let too_long = "x".repeat(portcullis_api::REJECTION_REASON_MAX_CHARS + 1);
    let refused = operator(&b, &["reject-sharing", &id, "--reason", &too_long]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("invalid_field"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let out = operator(
        &b,
        &["reject-sharing", &id, "--reason", "ID document expired"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rejected"));
    let list: SharingList = b
        .with_bearer(reqwest::Method::GET, "/v1/sharing", &token)
        .await
        .ok();
    assert_eq!(list.sharings[0].status, SharingStatus::Rejected);
    assert!(list.sharings[0].rejected_at.is_some());
    assert_eq!(
        b.get("/qa/devices").await,
        devices,
        "S4: nothing was set aside, nothing changes"
    );
    assert!(b
        .audit_events()
        .await
        .iter()
        .any(|e| e.event == "sharing_rejected"
            && e.detail.contains("compliance")
            && e.detail.contains("ID document expired")));
    let step = login(&b, "loweira", Channel::Trading).await;
    assert_eq!(step.factor().device_id, IRA_DSC, "her own DSC+ answers");
    let told = compliance_told(&b, &token, &id, MessageKind::SharingRejected).await;
    assert!(told.text.contains("ID document expired"), "{told:?}");
    assert_eq!(told.reason.as_deref(), Some("ID document expired"));
    assert!(told.devices_set_aside.is_empty(), "S4: nothing set aside");

    let again = operator(&b, &["reject-sharing", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("wrong_stage"));
    let unknown = operator(&b, &["reject-sharing", "SHR-NOPE"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not_found"));
}

#[tokio::test]
async fn s1a_s5_different_identification_information_over_http() {
    let b = Broker::start().await;
    let token = match login(&b, "loweold", Channel::Portal).await {
        LoginStep::Authenticated(opened) => opened.token,
        other @ (LoginStep::SelectDevice(_) | LoginStep::SecondFactor(_)) => {
            panic!("loweold has no device: {other:?}")
        }
    };
    let refused = post::<Sharing>(
        &b,
        "/v1/sharing/start",
        &token,
        json!({ "owner_username": "loweadvisor", "owner_password": PASSWORD }),
    )
    .await
    .err();
    assert_eq!(
        (refused.status, refused.code),
        (403, ErrorCode::DifferentIdentification)
    );
    assert!(refused
        .message
        .starts_with("Different identification information"));
}
