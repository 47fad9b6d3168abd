//! Issue 9 over HTTP, each answer checked against `/openapi.json` and decoded into the
//! api's types: the account home, opting out and back in (O1, O2), O3's notice, O1's
//! restrictions and D2's withdrawal limits with what is left.

use crate::temporary::login_on;
use portcullis_api::{
    AccountInfo, AchEftFunding, Channel, DepositMade, ErrorCode, ErrorReason, LimitRow, Market,
    OrderPlaced, ProfileUpdated, Restriction, SecureLoginUpdated, WithdrawalMade, WithdrawalUsage,
};
use portcullis_testkit::{decode, Broker, Opened, Reply, StepExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// avery on `channel`, through her DSC+.
async fn avery(b: &Broker, channel: Channel) -> String {
    let step = login_on(b, "avery", channel).await.ok();
    let response = b
        .card_response("DSCP-40211873", "1234", step.challenge())
        .await;
    let opened = b.respond(&step.factor().ticket, &response).await.ok();
    opened.opened().token.clone()
}

/// A password-only login (blake; omar's trading login while opted out).
async fn password_only(b: &Broker, username: &str) -> String {
    let step = login_on(b, username, Channel::Trading).await.ok();
    step.opened().token.clone()
}

async fn call<T: DeserializeOwned + Serialize>(
    b: &Broker,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Reply<T> {
    let url = format!("{}{path}", b.url);
    let (method, request) = match body {
        Some(body) => ("POST", b.http.post(url).json(&body)),
        None => ("GET", b.http.get(url)),
    };
    let (status, value) = b.exchange(method, path, request.bearer_auth(token)).await;
    decode(status, value)
}

#[tokio::test]
async fn o1_o2_opt_out_a_pink_sheet_order_refused_and_opt_back_in() {
    let b = Broker::start().await;
    let portal = avery(&b, Channel::Portal).await;
    let home: AccountInfo = call(&b, &portal, "/v1/account", None).await.ok();
    assert!(home.primary && !home.opted_out && home.restrictions.is_empty());
    assert_eq!(home.limits.row, LimitRow::DscPlus);

    let out: SecureLoginUpdated = call(
        &b,
        &portal,
        "/v1/settings/secure-login/opt-out",
        Some(json!({})),
    )
    .await
    .ok();
    let SecureLoginUpdated::Updated {
        opted_out,
        restrictions,
        ..
    } = out;
    assert!(opted_out);
    assert_eq!(restrictions, Restriction::ALL.to_vec());

    let trading = password_only(&b, "avery").await;
    let refused = call::<OrderPlaced>(
        &b,
        &trading,
        "/v1/orders",
        Some(json!({"symbol": "PNKCO", "side": "buy", "quantity": 10})),
    )
    .await
    .err();
    assert_eq!(
        (refused.status, refused.code, refused.reason),
        (403, ErrorCode::Restricted, Some(ErrorReason::PinkSheet))
    );
    let OrderPlaced::Accepted { market, .. } = call(
        &b,
        &trading,
        "/v1/orders",
        Some(json!({"symbol": "IBM", "side": "sell", "quantity": 10})),
    )
    .await
    .ok();
    assert_eq!(market, Market::Listed);

    let back: SecureLoginUpdated = call(
        &b,
        &portal,
        "/v1/settings/secure-login/opt-in",
        Some(json!({"always_use_device": true})),
    )
    .await
    .ok();
    let SecureLoginUpdated::Updated {
        opted_out, message, ..
    } = back;
    assert!(!opted_out);
    assert_eq!(
        message, "Your settings have been updated.",
        "O2's confirmation"
    );
    let step = login_on(&b, "avery", Channel::Trading).await.ok();
    assert!(!step.challenge().is_empty(), "O2: the device again");
    let OrderPlaced::Accepted { market, .. } = call(
        &b,
        &trading,
        "/v1/orders",
        Some(json!({"symbol": "PNKCO", "side": "buy", "quantity": 10})),
    )
    .await
    .ok();
    assert_eq!(market, Market::PinkSheet, "opted in: accepted");
}

#[tokio::test]
async fn o3_o1_d2_refusals_carry_what_a_client_needs() {
    let b = Broker::start().await;
    // O3: mila is not Avery Capital's primary user; her card answers the portal login.
    let step = login_on(&b, "mila", Channel::Portal).await.ok();
    let portcullis_api::Method::IndexCard { indexes } = &step.factor().method else {
        panic!("mila has a card: {step:?}");
    };
    let p: portcullis_api::DeviceProvision = b
        .post_as("/qa/devices/SCC-90900001/provision", &json!({}))
        .await
        .ok();
    let grid = p.grid.expect("a grid");
    let answer: String = indexes
        .iter()
        .map(|&i| grid[usize::from(i)].as_str())
        .collect();
    let mila = b
        .respond(&step.factor().ticket, &answer)
        .await
        .ok()
        .opened()
        .token
        .clone();
    let notice = call::<SecureLoginUpdated>(
        &b,
        &mila,
        "/v1/settings/secure-login/opt-out",
        Some(json!({})),
    )
    .await
    .err();
    assert_eq!((notice.status, notice.code), (403, ErrorCode::NotPrimary));
    assert_eq!(notice.primary_username.as_deref(), Some("avery"));

    // D2: blake has no device, the none row.
    let blake = password_only(&b, "blake").await;
    let WithdrawalMade::Accepted { withdrawals, .. } = call(
        &b,
        &blake,
        "/v1/withdrawals",
        Some(json!({"amount_usd": 30_000})),
    )
    .await
    .ok();
    assert_eq!(withdrawals.left_today_usd, Some(20_000));
    let over = call::<WithdrawalMade>(
        &b,
        &blake,
        "/v1/withdrawals",
        Some(json!({"amount_usd": 20_001})),
    )
    .await
    .err();
    assert_eq!(
        (over.status, over.code, over.reason),
        (403, ErrorCode::LimitExceeded, Some(ErrorReason::PerDay))
    );
    assert_eq!(
        over.withdrawals,
        Some(WithdrawalUsage {
            per_day_used_usd: 30_000,
            per_5_business_days_used_usd: 30_000,
            left_today_usd: Some(20_000),
            left_5_business_days_usd: Some(70_000),
        })
    );

    // O1: omar's account is opted out.
    let omar = password_only(&b, "omar").await;
    let DepositMade::Accepted { ach_eft, .. } = call(
        &b,
        &omar,
        "/v1/deposits",
        Some(json!({"method": "ach", "amount_usd": 19_000})),
    )
    .await
    .ok();
    assert_eq!(
        ach_eft,
        AchEftFunding {
            total_usd: 19_000,
            left_usd: Some(1_000)
        }
    );
    let capped = call::<DepositMade>(
        &b,
        &omar,
        "/v1/deposits",
        Some(json!({"method": "eft", "amount_usd": 1_001})),
    )
    .await
    .err();
    assert_eq!(
        (capped.code, capped.reason),
        (ErrorCode::Restricted, Some(ErrorReason::AchEftCap))
    );
    assert_eq!(
        capped.ach_eft.as_ref().and_then(|a| a.left_usd),
        Some(1_000)
    );
    let email = call::<ProfileUpdated>(
        &b,
        &omar,
        "/v1/settings/email",
        Some(json!({"email": "o@example.com"})),
    )
    .await
    .err();
    assert_eq!(
        (email.code, email.reason),
        (ErrorCode::Restricted, Some(ErrorReason::Email))
    );
    let home: AccountInfo = call(&b, &omar, "/v1/account", None).await.ok();
    assert!(home.opted_out && home.primary);
    assert_eq!(home.limits.row, LimitRow::None);
}
