//! Issue 9: the Secure Login opt-out and opt-in (O1, O2) and who may change them (O3),
//! with each O1 restriction on its own and together: trading logins by password only,
//! Pink Sheet / OTCBB orders, the `none` withdrawal row, bank instructions, email, the
//! ACH/EFT cap. Every refusal changes nothing and is audited.

use crate::util::{card_answer, card_response, Answer, TestBroker, AVERY_PIN, AVERY_SECRET};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

pub const OPT_OUT: &str = "/v1/settings/secure-login/opt-out";
pub const OPT_IN: &str = "/v1/settings/secure-login/opt-in";

/// A login that ends in a session, answering what is asked: avery's DSC+ challenge, a
/// card's two index numbers, or nothing (password only). The session's token.
pub async fn session(b: &TestBroker, username: &str, channel: &str) -> String {
    let step = b.login_on(username, channel).await;
    assert_eq!(step.status, StatusCode::OK, "{step:?}");
    let opened = match step.body["status"].as_str() {
        Some("authenticated") => step,
        Some("second_factor") => {
            let answer = match step.str("method") {
                "challenge" => card_response(AVERY_SECRET, AVERY_PIN, step.str("challenge")),
                "index_card" => card_answer(&b.grid(step.str("device_id")).await, &step.body),
                other => panic!("no answer for {other}"),
            };
            b.respond(step.str("ticket"), &answer).await
        }
        other => panic!("{username} on {channel}: {other:?} {step:?}"),
    };
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    opened.str("token").to_owned()
}

pub async fn post(b: &TestBroker, token: &str, path: &str, body: Value) -> Answer {
    b.with_token(Method::POST, path, token, Some(body)).await
}

pub async fn account(b: &TestBroker, token: &str) -> Value {
    let a = b.with_token(Method::GET, "/v1/account", token, None).await;
    assert_eq!(a.status, StatusCode::OK, "{a:?}");
    a.body
}

/// The audit events recorded for `username`.
pub async fn events(b: &TestBroker, username: &str) -> Vec<String> {
    let log = b
        .get(&format!("/qa/audit?username={username}&limit=1000"))
        .await;
    log.body["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events: {log:?}"))
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap(),
                e["detail"].as_str().unwrap()
            )
        })
        .collect()
}

fn refused(answer: &Answer, code: &str, reason: &str) {
    assert_eq!(
        (
            answer.status,
            answer.code(),
            answer.body["reason"].as_str().unwrap_or("")
        ),
        (StatusCode::FORBIDDEN, code, reason),
        "{answer:?}"
    );
}

async fn order(b: &TestBroker, token: &str, symbol: &str) -> Answer {
    post(
        b,
        token,
        "/v1/orders",
        json!({"symbol": symbol, "side": "buy", "quantity": 100}),
    )
    .await
}

#[tokio::test]
async fn o1_an_opted_out_trading_login_is_the_password_alone_and_the_portal_still_asks() {
    let b = TestBroker::demo();
    let trading = b.login_on("omar", "trading").await;
    assert_eq!(
        trading.body["status"], "authenticated",
        "O1: opted out, trading is username and password: {trading:?}"
    );
    assert!(trading.body["session"]["device_id"].is_null());
    assert_eq!(
        trading.body["session"]["limits"]["row"], "none",
        "O1: the none row"
    );
    let portal = b.login_on("omar", "portal").await;
    assert_eq!(
        (
            portal.body["status"].as_str(),
            portal.body["method"].as_str()
        ),
        (Some("second_factor"), Some("index_card")),
        "D5: the Client Portal still needs the device: {portal:?}"
    );
    let card = b.login_on("gwen", "trading").await;
    assert_eq!(
        card.body["status"], "second_factor",
        "an opted-in card holder is asked"
    );
}

#[tokio::test]
async fn o1_o2_opting_out_and_back_in_on_the_portal() {
    let b = TestBroker::demo();
    let portal = session(&b, "avery", "portal").await;
    let before = account(&b, &portal).await;
    assert_eq!(
        (
            &before["opted_out"],
            &before["restrictions"],
            &before["limits"]["row"]
        ),
        (&json!(false), &json!([]), &json!("dsc_plus"))
    );
    let out = post(&b, &portal, OPT_OUT, json!({})).await;
    assert_eq!(out.status, StatusCode::OK, "{out:?}");
    assert_eq!(
        out.body,
        json!({"status": "updated", "opted_out": true, "message": "Your settings have been updated.",
               "restrictions": ["pink_sheet_otcbb", "withdrawal_limits_none", "bank_instructions", "email", "ach_eft_cap"]})
    );
    let trading = b.login_on("avery", "trading").await;
    assert_eq!(trading.body["status"], "authenticated", "O1: {trading:?}");
    let after = account(&b, &portal).await;
    assert_eq!(
        (&after["opted_out"], &after["limits"]["row"]),
        (&json!(true), &json!("none"))
    );
    let portal_login = b.login_on("avery", "portal").await;
    assert_eq!(
        portal_login.body["method"], "challenge",
        "D5 on the portal still"
    );

    let back = post(&b, &portal, OPT_IN, json!({"always_use_device": true})).await;
    assert_eq!(back.status, StatusCode::OK, "{back:?}");
    assert_eq!(
        back.body,
        json!({"status": "updated", "opted_out": false, "restrictions": [],
               "message": "Your settings have been updated."}),
        "O2: step 8's confirmation"
    );
    let trading = b.login_on("avery", "trading").await;
    assert_eq!(
        trading.body["method"], "challenge",
        "O2: the device again: {trading:?}"
    );
    assert_eq!(account(&b, &portal).await["limits"]["row"], "dsc_plus");
    let audit = events(&b, "avery").await;
    assert!(
        audit
            .iter()
            .any(|e| e.starts_with("sls_opted_out entity avery-capital")),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e.starts_with("sls_opted_in entity avery-capital")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn o2_opting_in_takes_the_always_use_device_choice_and_nothing_else() {
    let b = TestBroker::demo();
    let portal = session(&b, "omar", "portal").await;
    let no = post(&b, &portal, OPT_IN, json!({"always_use_device": false})).await;
    assert_eq!(
        (no.status, no.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{no:?}"
    );
    for bad in [
        json!({}),
        json!({"always_use_device": "yes"}),
        json!({"always_use_device": true, "x": 1}),
    ] {
        let a = post(&b, &portal, OPT_IN, bad.clone()).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{bad}"
        );
    }
    let extra = post(&b, &portal, OPT_OUT, json!({"now": true})).await;
    assert_eq!(extra.code(), "invalid_field", "opt-out takes {{}}");
    assert_eq!(
        account(&b, &portal).await["opted_out"],
        true,
        "nothing changed"
    );
    let yes = post(&b, &portal, OPT_IN, json!({"always_use_device": true})).await;
    assert_eq!(yes.body["opted_out"], false, "{yes:?}");
    let trading = b.login_on("omar", "trading").await;
    assert_eq!(
        trading.body["method"], "index_card",
        "O2: his card again: {trading:?}"
    );
}

#[tokio::test]
async fn o3_a_non_primary_user_is_told_who_may_change_the_settings() {
    let b = TestBroker::demo();
    let mila = session(&b, "mila", "portal").await;
    let home = account(&b, &mila).await;
    assert_eq!(
        (
            &home["primary"],
            &home["primary_username"],
            &home["entity"]["id"]
        ),
        (&json!(false), &json!("avery"), &json!("avery-capital"))
    );
    for (path, body) in [
        (OPT_OUT, json!({})),
        (OPT_IN, json!({"always_use_device": true})),
    ] {
        let a = post(&b, &mila, path, body).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::FORBIDDEN, "not_primary"),
            "{a:?}"
        );
        assert_eq!(
            a.body["primary_username"], "avery",
            "O3: names the user who can"
        );
        assert!(a.str("message").contains("avery"), "{a:?}");
    }
    assert_eq!(
        account(&b, &mila).await["opted_out"],
        false,
        "O3: nothing changed"
    );
    let trading = b.login_on("avery", "trading").await;
    assert_eq!(
        trading.body["method"], "challenge",
        "avery still needs her card"
    );
    let audit = events(&b, "mila").await;
    assert!(
        audit
            .iter()
            .any(|e| e == "settings_refused opt_out: not_primary"),
        "{audit:?}"
    );
    let avery = session(&b, "avery", "portal").await;
    assert_eq!(account(&b, &avery).await["primary_username"], "avery");
}

#[tokio::test]
async fn o3_settings_are_changed_on_the_client_portal_only() {
    let b = TestBroker::demo();
    let trading = session(&b, "avery", "trading").await;
    let a = post(&b, &trading, OPT_OUT, json!({})).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "{a:?}"
    );
    let omar = session(&b, "omar", "trading").await;
    let a = post(&b, &omar, OPT_IN, json!({"always_use_device": true})).await;
    assert_eq!(
        a.code(),
        "not_permitted",
        "O2: opting back in is the Client Portal's too, not the password-only trading session's"
    );
    assert_eq!(account(&b, &omar).await["opted_out"], true);
}

#[tokio::test]
async fn o1_opting_out_needs_an_active_device_to_opt_out_of() {
    let b = TestBroker::demo();
    let blake = session(&b, "blake", "portal").await;
    let a = post(&b, &blake, OPT_OUT, json!({})).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "no_active_device"),
        "{a:?}"
    );
    assert_eq!(account(&b, &blake).await["opted_out"], false);
}

#[tokio::test]
async fn o1_pink_sheet_and_otcbb_orders_are_refused_with_the_reason() {
    let b = TestBroker::demo();
    let omar = session(&b, "omar", "trading").await;
    refused(&order(&b, &omar, "PNKCO").await, "restricted", "pink_sheet");
    refused(&order(&b, &omar, "otcbx").await, "restricted", "otcbb");
    let listed = order(&b, &omar, "AAPL").await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    assert_eq!(
        (
            &listed.body["status"],
            &listed.body["market"],
            &listed.body["symbol"]
        ),
        (&json!("accepted"), &json!("listed"), &json!("AAPL"))
    );
    assert!(listed.str("order_id").starts_with("ORD-"));
    let audit = events(&b, "omar").await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.starts_with("order_refused"))
            .count(),
        2,
        "{audit:?}"
    );
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.starts_with("order_placed"))
            .count(),
        1,
        "{audit:?}"
    );
    let avery = session(&b, "avery", "trading").await;
    for symbol in ["PNKCO", "OTCBX", "MSFT"] {
        let a = order(&b, &avery, symbol).await;
        assert_eq!(a.status, StatusCode::OK, "O1 only while opted out: {a:?}");
    }
}

#[tokio::test]
async fn o1_bank_instructions_and_email_are_refused_while_opted_out() {
    let b = TestBroker::demo();
    let bank = json!({"bank_name": "First Demo Bank", "account_number": "DE89370400440532013000"});
    let email = json!({"email": "omar@example.com"});
    let omar = session(&b, "omar", "portal").await;
    refused(
        &post(&b, &omar, "/v1/settings/bank-instructions", bank.clone()).await,
        "restricted",
        "bank_instructions",
    );
    refused(
        &post(&b, &omar, "/v1/settings/email", email.clone()).await,
        "restricted",
        "email",
    );
    let avery = session(&b, "avery", "trading").await;
    let a = post(&b, &avery, "/v1/settings/bank-instructions", bank).await;
    assert_eq!(
        a.body,
        json!({"status": "updated", "field": "bank_instructions", "at": a.body["at"]})
    );
    let a = post(
        &b,
        &avery,
        "/v1/settings/email",
        json!({"email": "avery@example.com"}),
    )
    .await;
    assert_eq!(
        (a.status, &a.body["field"]),
        (StatusCode::OK, &json!("email")),
        "{a:?}"
    );
    let audit = events(&b, "avery").await.join("\n") + &events(&b, "omar").await.join("\n");
    assert!(audit.contains("bank_instructions_changed") && audit.contains("email_changed"));
    assert!(
        audit.contains("profile_change_refused bank_instructions"),
        "{audit}"
    );
    for secret in ["0532013000", "example.com"] {
        assert!(
            !audit.contains(secret),
            "no account number or address in the audit: {audit}"
        );
    }
    for bad in [
        json!({"bank_name": "", "account_number": "12345678"}),
        json!({"bank_name": "B", "account_number": "12 34"}),
        json!({"bank_name": "B", "account_number": "123"}),
    ] {
        let a = post(&b, &avery, "/v1/settings/bank-instructions", bad.clone()).await;
        assert_eq!(a.code(), "bad_request", "{bad}");
    }
    for bad in ["", "avery", "a@b", "a b@example.com", "@example.com"] {
        let a = post(&b, &avery, "/v1/settings/email", json!({"email": bad})).await;
        assert_eq!(a.code(), "bad_request", "{bad:?}");
    }
}

#[tokio::test]
async fn o1_ach_and_eft_are_capped_at_20000_in_all_while_opted_out() {
    let b = TestBroker::demo();
    let omar = session(&b, "omar", "trading").await;
    let deposit = |method: &'static str, amount: u64| {
        let (b, omar) = (&b, omar.clone());
        async move {
            post(
                b,
                &omar,
                "/v1/deposits",
                json!({"method": method, "amount_usd": amount}),
            )
            .await
        }
    };
    let a = deposit("ach", 15_000).await;
    assert_eq!(
        a.body["ach_eft"],
        json!({"total_usd": 15_000, "left_usd": 5_000}),
        "{a:?}"
    );
    let over = deposit("eft", 5_001).await;
    refused(&over, "restricted", "ach_eft_cap");
    assert_eq!(
        over.body["ach_eft"]["left_usd"], 5_000,
        "what is left: {over:?}"
    );
    assert_eq!(
        deposit("eft", 5_000).await.status,
        StatusCode::OK,
        "up to the cap exactly"
    );
    refused(&deposit("ach", 1).await, "restricted", "ach_eft_cap");
    let wire = deposit("wire", 1_000_000).await;
    assert_eq!(
        wire.status,
        StatusCode::OK,
        "O1 caps ACH/EFT, not wires: {wire:?}"
    );
    assert_eq!(
        account(&b, &omar).await["ach_eft"],
        json!({"total_usd": 20_000, "left_usd": 0})
    );
    let avery = session(&b, "avery", "trading").await;
    let a = post(
        &b,
        &avery,
        "/v1/deposits",
        json!({"method": "ach", "amount_usd": 50_000}),
    )
    .await;
    assert_eq!(
        a.body["ach_eft"],
        json!({"total_usd": 50_000, "left_usd": null}),
        "{a:?}"
    );
    let audit = events(&b, "omar").await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.starts_with("deposit_refused"))
            .count(),
        2,
        "{audit:?}"
    );
}

#[tokio::test]
async fn o1_withdrawal_limits_fall_to_the_none_row_after_opting_out() {
    let b = TestBroker::demo();
    let portal = session(&b, "avery", "portal").await;
    let big = post(
        &b,
        &portal,
        "/v1/withdrawals",
        json!({"amount_usd": 60_000}),
    )
    .await;
    assert_eq!(
        big.status,
        StatusCode::OK,
        "D2: a DSC+ is unlimited: {big:?}"
    );
    assert!(big.body["withdrawals"]["left_today_usd"].is_null());
    assert_eq!(
        post(&b, &portal, OPT_OUT, json!({})).await.status,
        StatusCode::OK
    );
    let more = post(&b, &portal, "/v1/withdrawals", json!({"amount_usd": 1})).await;
    refused(&more, "limit_exceeded", "per_day");
    assert_eq!(
        more.body["withdrawals"],
        json!({"per_day_used_usd": 60_000, "per_5_business_days_used_usd": 60_000,
               "left_today_usd": 0, "left_5_business_days_usd": 40_000}),
        "O1: the none row, 50K/100K, counts what was already withdrawn"
    );
    let home = account(&b, &portal).await;
    assert_eq!(home["limits"]["per_day_usd"], 50_000);
    assert_eq!(home["withdrawals"]["left_today_usd"], 0);
}

#[tokio::test]
async fn o1_o3_the_opt_out_is_the_accounts_every_user_of_it_is_restricted() {
    let b = TestBroker::demo();
    let avery = session(&b, "avery", "portal").await;
    assert_eq!(
        post(&b, &avery, OPT_OUT, json!({})).await.status,
        StatusCode::OK
    );
    let mila = b.login_on("mila", "trading").await;
    assert_eq!(
        mila.body["status"], "authenticated",
        "O1 for the account's users: {mila:?}"
    );
    let mila = mila.str("token").to_owned();
    refused(&order(&b, &mila, "GRYMT").await, "restricted", "pink_sheet");
    let home = account(&b, &mila).await;
    assert_eq!(
        (&home["opted_out"], &home["primary"]),
        (&json!(true), &json!(false))
    );
    let mila_portal = session(&b, "mila", "portal").await;
    let a = post(&b, &mila_portal, OPT_IN, json!({"always_use_device": true})).await;
    assert_eq!(
        a.code(),
        "not_primary",
        "O3: only avery opts the account back in"
    );
}

#[tokio::test]
async fn t2_a_session_limited_to_the_online_card_may_not_act() {
    let b = TestBroker::demo();
    let step = b.login_on("jonas", "portal").await;
    let opened = b.respond(step.str("ticket"), "JONASDAY3").await;
    let token = opened.str("token").to_owned();
    for (path, body) in [
        ("/v1/withdrawals", json!({"amount_usd": 1})),
        (
            "/v1/orders",
            json!({"symbol": "AAPL", "side": "buy", "quantity": 1}),
        ),
        ("/v1/deposits", json!({"method": "wire", "amount_usd": 1})),
        ("/v1/settings/email", json!({"email": "j@example.com"})),
        (OPT_OUT, json!({})),
    ] {
        let a = post(&b, &token, path, body).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::FORBIDDEN, "not_permitted"),
            "{path}: {a:?}"
        );
    }
    assert_eq!(
        account(&b, &token).await["username"],
        "jonas",
        "reading is not acting"
    );
}
