//! D4, R1–R4 over HTTP, each answer checked against `/openapi.json`: a DSC+ ordered
//! through its summary and confirmation, listed with its 20 USD deposit; a DSC+ sent
//! back and the account closed; a Security Code Card refused as not returnable.

use portcullis_api::{
    AccountClosed, Channel, DeviceKind, DeviceOrderList, DeviceOrderPlaced, DeviceOrderStep,
    DeviceReturnInfo, DeviceStatus, ErrorCode, HoldList, HoldStatus, LoginRequest, LoginStep,
    Method,
};
use portcullis_testkit::{decode, Broker, Opened, Reply, StepExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const PASSWORD: &str = "Trade2026";

/// `POST path` with `body` and the session's token; the answer checked and decoded.
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

/// A portal session through the user's first device: a Security Code Card (lena) or
/// a DSC+ (nora, PIN 3141).
async fn portal(b: &Broker, username: &str) -> String {
    let step = b
        .login_with(&LoginRequest {
            username: username.into(),
            password: PASSWORD.into(),
            device_id: None,
            channel: Channel::Portal,
        })
        .await
        .ok();
    let factor = step.factor();
    let answer = match &factor.method {
        Method::Challenge { challenge } => {
            b.card_response(&factor.device_id, "3141", challenge).await
        }
        Method::IndexCard { indexes } => {
            let p: portcullis_api::DeviceProvision = b
                .post_as(
                    &format!("/qa/devices/{}/provision", factor.device_id),
                    &json!({}),
                )
                .await
                .ok();
            let grid = p.grid.expect("a card's grid");
            indexes
                .iter()
                .map(|&i| grid[usize::from(i)].as_str())
                .collect()
        }
        other @ (Method::Push { .. } | Method::Sms { .. } | Method::TemporaryPasscode {}) => {
            panic!("{username}: {other:?}")
        }
    };
    let opened = b.respond(&factor.ticket, &answer).await.ok();
    opened.opened().token.clone()
}

#[tokio::test]
async fn r1_a_dsc_plus_is_ordered_through_its_summary_and_confirmation() {
    let b = Broker::start().await;
    let token = portal(&b, "lena").await;
    let step: DeviceOrderStep = post(
        &b,
        "/v1/devices/order",
        &token,
        json!({ "kind": "dsc_plus", "soft_pin": "4711" }),
    )
    .await
    .ok();
    let DeviceOrderStep::Summary {
        order_id,
        shipping_address,
        hold_usd,
        ..
    } = step;
    assert_eq!(shipping_address.country, "US", "the address on file");
    assert_eq!(hold_usd, 20);
    let placed: DeviceOrderPlaced = post(
        &b,
        "/v1/devices/order/confirm",
        &token,
        json!({ "order_id": order_id }),
    )
    .await
    .ok();
    let DeviceOrderPlaced::Ordered {
        device_id, hold, ..
    } = placed;
    assert_eq!(hold.status, HoldStatus::Held);
    let orders: DeviceOrderList = b
        .with_bearer(reqwest::Method::GET, "/v1/devices/orders", &token)
        .await
        .ok();
    assert_eq!(orders.orders[0].device_id, device_id);
    assert_eq!(orders.orders[0].status, DeviceStatus::Ordered);
    assert_eq!(orders.orders[0].kind, DeviceKind::DscPlus);
    let holds: HoldList = b
        .with_bearer(reqwest::Method::GET, "/v1/holds", &token)
        .await
        .ok();
    assert_eq!(holds.holds.len(), 1);

    let card: Reply<DeviceReturnInfo> =
        post(&b, "/v1/devices/SCC-20480004/return", &token, json!({})).await;
    assert_eq!(card.err().code, ErrorCode::NotReturnable, "R2: shred it");
}

#[tokio::test]
async fn r2_r4_a_dsc_plus_sent_back_and_the_account_closed() {
    let b = Broker::start().await;
    let token = portal(&b, "nora").await;
    let sent: DeviceReturnInfo = post(&b, "/v1/devices/DSCP-40500011/return", &token, json!({}))
        .await
        .ok();
    assert_eq!(sent.status, DeviceStatus::ReturnShipped);
    assert!(sent.expected_received_at.is_some());
    let closed: AccountClosed = b
        .post_as("/qa/users/nora/close-account", &json!({}))
        .await
        .ok();
    assert!(closed.holds.is_empty(), "on its way back: not kept");
    // Past 5 business days (7 calendar days at most), the card is back: password only.
    b.advance(8 * 24 * 3600).await;
    let step = b.login("nora", PASSWORD).await.ok();
    assert!(
        matches!(step, LoginStep::Authenticated(_)),
        "R4: password only: {step:?}"
    );
}
