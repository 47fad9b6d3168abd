//! D7, T1–T5 over HTTP, each answer checked against `/openapi.json`: a card login, the
//! operator's CLI issuing a passcode, day 3 of a passcode sending the user to the
//! portal for the online card, a replacement's notices, and the user's own devices.

use portcullis_api::{
    Channel, DeviceKind, DeviceList, DeviceProvision, DeviceStatus, ErrorCode, LoginRequest,
    LoginStep, MessageKind, MessageList, Method, OnlineCardActivated, OnlineCardOffer,
    SessionRestriction,
};
use portcullis_testkit::{binary, decode, Broker, Opened, Reply, StepExt};
use serde_json::json;

const PASSWORD: &str = "Trade2026";

pub(crate) async fn login_on(b: &Broker, username: &str, channel: Channel) -> Reply<LoginStep> {
    b.login_with(&LoginRequest {
        username: username.into(),
        password: PASSWORD.into(),
        device_id: None,
        channel,
    })
    .await
}

async fn grid(b: &Broker, device_id: &str) -> Vec<String> {
    let p: DeviceProvision = b
        .post_as(&format!("/qa/devices/{device_id}/provision"), &json!({}))
        .await
        .ok();
    p.grid.expect("D7: a card is provisioned with its grid")
}

fn answer(grid: &[String], indexes: &[u8]) -> String {
    indexes
        .iter()
        .map(|&i| grid[usize::from(i)].as_str())
        .collect()
}

fn indexes(step: &LoginStep) -> Vec<u8> {
    let Method::IndexCard { indexes } = &step.factor().method else {
        panic!("expected index numbers: {step:?}");
    };
    indexes.clone()
}

#[tokio::test]
async fn d7_a_security_code_card_logs_in_with_the_codes_at_two_indexes() {
    let b = Broker::start().await;
    let grid = grid(&b, "SCC-20480001").await;
    let step = login_on(&b, "gwen", Channel::Trading).await.ok();
    assert_eq!(step.factor().device_kind, DeviceKind::SecurityCodeCard);
    let shown = indexes(&step);
    assert!(
        shown.len() == 2 && shown[0] != shown[1],
        "D7: two distinct: {shown:?}"
    );
    let spaced = format!(
        "{} {}",
        grid[usize::from(shown[0])],
        grid[usize::from(shown[1])]
    );
    let failed = b.respond(&step.factor().ticket, &spaced).await.err();
    assert_eq!(failed.code, ErrorCode::LoginFailed, "L6: no spaces");
    assert!(failed.hints.is_some(), "L6: with the hints");
    let step = login_on(&b, "gwen", Channel::Trading).await.ok();
    let opened = b
        .respond(&step.factor().ticket, &answer(&grid, &indexes(&step)))
        .await
        .ok();
    let session = b.session(&opened.opened().token).await.ok();
    assert_eq!(
        session.limits.per_day_usd,
        Some(200_000),
        "D2: the card's row"
    );
}

#[tokio::test]
async fn t1_the_operator_cli_issues_a_passcode_that_logs_in_once_per_login() {
    let b = Broker::start().await;
    let out = std::process::Command::new(binary("mock-broker"))
        .args(["operator", "temp-passcode", "avery", "--url", &b.url])
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let passcode = stdout
        .lines()
        .last()
        .expect("the passcode")
        .trim()
        .to_owned();
    assert!(
        passcode
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "T1: upper case: {passcode}"
    );
    let step = b.login("avery", PASSWORD).await.ok();
    assert_eq!(step.factor().method, Method::TemporaryPasscode {});
    let opened = b.respond(&step.factor().ticket, &passcode).await.ok();
    assert_eq!(
        opened.opened().session.device_kind,
        Some(DeviceKind::TemporaryPasscode)
    );
    let again = std::process::Command::new(binary("mock-broker"))
        .args(["operator", "temp-passcode", "avery", "--url", &b.url])
        .output()
        .expect("the CLI runs");
    assert!(!again.status.success(), "T1: no consecutive passcodes");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("consecutive_passcode"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[tokio::test]
async fn t2_t3_on_day_3_trading_is_refused_and_the_portal_gives_the_online_card() {
    let b = Broker::start().await;
    let refused = login_on(&b, "jonas", Channel::Trading).await.err();
    assert_eq!(
        (refused.status, refused.code),
        (403, ErrorCode::UseClientPortal),
        "T2: past day 2, use the Client Portal"
    );
    let step = login_on(&b, "jonas", Channel::Portal).await.ok();
    let opened = b.respond(&step.factor().ticket, "JONASDAY3").await.ok();
    let token = opened.opened().token.clone();
    assert_eq!(
        opened.opened().session.restriction,
        Some(SessionRestriction::OnlineCardOnly)
    );
    let offer: OnlineCardOffer = b
        .with_bearer(reqwest::Method::POST, "/v1/portal/online-card", &token)
        .await
        .ok();
    assert_eq!(offer.grid.len(), 100);
    let path = "/v1/portal/online-card/activate";
    let request = b
        .http
        .post(format!("{}{path}", b.url))
        .bearer_auth(&token)
        .json(&json!({ "response": answer(&offer.grid, &offer.indexes) }));
    let (status, body) = b.exchange("POST", path, request).await;
    let OnlineCardActivated::Activated { device_id, .. } = decode(status, body).ok();
    // T2: the passcode past its day 2 is no choice on trading; the card answers.
    let step = login_on(&b, "jonas", Channel::Trading).await.ok();
    assert_eq!(step.factor().device_id, device_id, "{step:?}");
}

#[tokio::test]
async fn t5_a_replacement_posts_notices_in_the_message_list() {
    let b = Broker::start().await;
    let grid = grid(&b, "OSC-HUGO0001").await;
    let step = login_on(&b, "hugo", Channel::Trading).await.ok();
    let opened = b
        .respond(&step.factor().ticket, &answer(&grid, &indexes(&step)))
        .await
        .ok();
    let token = opened.opened().token.clone();
    let list: MessageList = b
        .with_bearer(reqwest::Method::GET, "/v1/messages", &token)
        .await
        .ok();
    let kinds: Vec<MessageKind> = list.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [MessageKind::AutoActivationApproaching],
        "T5: a week before"
    );
    assert_eq!(list.messages[0].device_id, "DSCP-40411078");
    assert!(
        list.messages[0].activates_at.is_some() && list.messages[0].sharing_id.is_none(),
        "a device's message: {list:?}"
    );
    // Issue 10: the device's kind, to word it; no sharing's fields.
    let m = &list.messages[0];
    assert_eq!(
        (m.device_kind, m.owner.as_deref(), m.reason.as_deref()),
        (DeviceKind::DscPlus, None, None),
        "{m:?}"
    );
    assert!(m.devices_set_aside.is_empty());
}

#[tokio::test]
async fn t5_the_session_user_reads_their_own_devices_with_their_dates() {
    let b = Broker::start().await;
    let grid = grid(&b, "OSC-HUGO0001").await;
    let step = login_on(&b, "hugo", Channel::Trading).await.ok();
    let opened = b
        .respond(&step.factor().ticket, &answer(&grid, &indexes(&step)))
        .await
        .ok();
    let list: DeviceList = b
        .with_bearer(reqwest::Method::GET, "/v1/devices", &opened.opened().token)
        .await
        .ok();
    assert!(
        list.devices.iter().all(|d| d.owner == "hugo"),
        "only the session user's devices"
    );
    let replacement = list
        .devices
        .iter()
        .find(|d| d.id == "DSCP-40411078")
        .expect("the replacement");
    assert_eq!(replacement.status, DeviceStatus::Shipped);
    assert!(
        replacement.auto_activates_at.is_some(),
        "T5: when it activates itself"
    );
}
