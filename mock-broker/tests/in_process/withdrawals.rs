//! Issue 9: withdrawals against D2's limits — per UTC day and per the 5 business days
//! ending today — on the simulated clock, a minute and a day either side of each
//! window's edge; limits by device; orders and amounts that are not well formed.
//! blake (no device: the `none` row, 50,000 / 100,000 USD) logs in by password, so
//! each step of clock travel can start a fresh session.

use crate::opt_out::{account, events, post, session};
use crate::util::{TestBroker, MINUTE};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// Monday 2026-03-02 00:00 UTC.
const MONDAY: i64 = 1_772_409_600;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

async fn set_clock(b: &TestBroker, unix_seconds: i64) {
    let set = b
        .post("/qa/clock/set", json!({ "unix_seconds": unix_seconds }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
}

/// blake withdraws `amount` at `at` (a new session: days pass between steps).
async fn withdraw_at(b: &TestBroker, at: i64, amount: u64) -> crate::util::Answer {
    set_clock(b, at).await;
    let token = session(b, "blake", "trading").await;
    post(
        b,
        &token,
        "/v1/withdrawals",
        json!({ "amount_usd": amount }),
    )
    .await
}

fn accepted(a: &crate::util::Answer) {
    assert_eq!(
        (a.status, &a.body["status"]),
        (StatusCode::OK, &json!("accepted")),
        "{a:?}"
    );
}

fn exceeded(a: &crate::util::Answer, reason: &str) {
    assert_eq!(
        (a.status, a.code(), a.body["reason"].as_str()),
        (StatusCode::FORBIDDEN, "limit_exceeded", Some(reason)),
        "{a:?}"
    );
}

#[tokio::test]
async fn d2_the_daily_limit_is_the_utc_day_a_minute_either_side_of_midnight() {
    let b = TestBroker::demo();
    let a = withdraw_at(&b, MONDAY + 23 * HOUR + 58 * MINUTE, 50_000).await;
    accepted(&a);
    assert_eq!(
        a.body["withdrawals"],
        json!({"per_day_used_usd": 50_000, "per_5_business_days_used_usd": 50_000,
               "left_today_usd": 0, "left_5_business_days_usd": 50_000}),
        "D2: what remains"
    );
    let late = withdraw_at(&b, MONDAY + DAY - MINUTE, 1).await;
    exceeded(&late, "per_day");
    assert_eq!(late.body["withdrawals"]["left_today_usd"], 0, "{late:?}");
    assert!(late.str("message").contains("0 USD left today"), "{late:?}");
    let next = withdraw_at(&b, MONDAY + DAY + MINUTE, 50_000).await;
    accepted(&next);
    assert_eq!(
        next.body["withdrawals"]["per_day_used_usd"], 50_000,
        "a new UTC day"
    );
    assert_eq!(
        next.body["withdrawals"]["per_5_business_days_used_usd"],
        100_000
    );
    let audit = events(&b, "blake").await;
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.starts_with("withdrawal_made"))
            .count(),
        2
    );
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.starts_with("withdrawal_refused"))
            .count(),
        1
    );
}

#[tokio::test]
async fn d2_the_5_business_day_window_a_day_and_a_minute_either_side() {
    let b = TestBroker::demo();
    accepted(&withdraw_at(&b, MONDAY + 9 * HOUR, 50_000).await);
    accepted(&withdraw_at(&b, MONDAY + DAY + 9 * HOUR, 50_000).await);
    let friday = withdraw_at(&b, MONDAY + 4 * DAY + 9 * HOUR, 1).await;
    exceeded(&friday, "per_5_business_days");
    assert_eq!(
        friday.body["withdrawals"],
        json!({"per_day_used_usd": 0, "per_5_business_days_used_usd": 100_000,
               "left_today_usd": 0, "left_5_business_days_usd": 0}),
        "Friday: Monday to Friday counts"
    );
    let sunday = withdraw_at(&b, MONDAY + 7 * DAY - MINUTE, 1).await;
    exceeded(&sunday, "per_5_business_days");
    let monday = withdraw_at(&b, MONDAY + 7 * DAY + MINUTE, 50_000).await;
    accepted(&monday);
    assert_eq!(
        monday.body["withdrawals"]["per_5_business_days_used_usd"], 100_000,
        "the next Monday: last Monday's has left the window, Tuesday's has not"
    );
    exceeded(
        &withdraw_at(&b, MONDAY + 7 * DAY + 2 * MINUTE, 1).await,
        "per_day",
    );
    let tuesday = withdraw_at(&b, MONDAY + 8 * DAY + MINUTE, 50_000).await;
    accepted(&tuesday);
    assert_eq!(
        tuesday.body["withdrawals"]["per_5_business_days_used_usd"],
        100_000
    );
}

#[tokio::test]
async fn d2_limits_follow_the_users_device() {
    let b = TestBroker::demo();
    let gwen = session(&b, "gwen", "trading").await;
    let home = account(&b, &gwen).await;
    assert_eq!(
        (
            &home["limits"]["row"],
            &home["withdrawals"]["left_today_usd"]
        ),
        (&json!("security_code_card"), &json!(200_000))
    );
    accepted(&post(&b, &gwen, "/v1/withdrawals", json!({"amount_usd": 200_000})).await);
    exceeded(
        &post(&b, &gwen, "/v1/withdrawals", json!({"amount_usd": 1})).await,
        "per_day",
    );
    let avery = session(&b, "avery", "trading").await;
    let a = post(
        &b,
        &avery,
        "/v1/withdrawals",
        json!({"amount_usd": 25_000_000}),
    )
    .await;
    accepted(&a);
    assert!(
        a.body["withdrawals"]["left_5_business_days_usd"].is_null(),
        "DSC+: unlimited"
    );
    let kira = b.login_on("kira", "trading").await;
    assert_eq!(kira.body["status"], "second_factor");
}

#[tokio::test]
async fn d2_bad_amounts_and_orders_change_nothing() {
    let b = TestBroker::demo();
    let blake = session(&b, "blake", "trading").await;
    for (body, code) in [
        (json!({"amount_usd": 0}), "bad_request"),
        (json!({"amount_usd": 1_000_000_000_001u64}), "bad_request"),
        (json!({"amount_usd": -5}), "invalid_field"),
        (json!({"amount_usd": 1.5}), "invalid_field"),
        (json!({"amount_usd": "100"}), "invalid_field"),
        (json!({}), "invalid_field"),
        (json!({"amount_usd": 1, "to": "x"}), "invalid_field"),
        (json!(null), "invalid_field"),
    ] {
        let a = post(&b, &blake, "/v1/withdrawals", body.clone()).await;
        assert_eq!(a.code(), code, "{body}: {a:?}");
        let mut deposit = body.clone();
        deposit["method"] = json!("ach");
        let d = post(&b, &blake, "/v1/deposits", deposit).await;
        assert_eq!(d.code(), code, "the same for a deposit: {body}: {d:?}");
    }
    let d = post(
        &b,
        &blake,
        "/v1/deposits",
        json!({"method": "cheque", "amount_usd": 5}),
    )
    .await;
    assert_eq!(d.code(), "invalid_field");
    for (body, code) in [
        (
            json!({"symbol": "AAPL", "side": "buy", "quantity": 0}),
            "bad_request",
        ),
        (
            json!({"symbol": "AAPL", "side": "hold", "quantity": 1}),
            "invalid_field",
        ),
        (
            json!({"symbol": "AA PL", "side": "buy", "quantity": 1}),
            "bad_request",
        ),
        (
            json!({"symbol": "ZZZZ", "side": "sell", "quantity": 1}),
            "not_found",
        ),
        (json!({"symbol": "AAPL", "side": "buy"}), "invalid_field"),
    ] {
        let a = post(&b, &blake, "/v1/orders", body.clone()).await;
        assert_eq!(a.code(), code, "{body}: {a:?}");
    }
    let home = account(&b, &blake).await;
    assert_eq!(
        home["withdrawals"]["per_day_used_usd"], 0,
        "nothing recorded"
    );
    assert_eq!(home["ach_eft"]["total_usd"], 0);
    let audit = events(&b, "blake").await;
    assert!(
        !audit
            .iter()
            .any(|e| e.starts_with("order_") || e.starts_with("withdrawal_")),
        "{audit:?}"
    );
    let none = b.post("/v1/withdrawals", json!({"amount_usd": 1})).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "invalid_session")
    );
    let none = b.get("/v1/account").await;
    assert_eq!(none.code(), "invalid_session");
    let gone = b
        .with_token(Method::GET, "/v1/account", "pcs_nothing", None)
        .await;
    assert_eq!(gone.code(), "invalid_session");
}

#[tokio::test]
async fn account_home_describes_the_user_the_entity_and_what_is_left() {
    let b = TestBroker::demo();
    let avery = session(&b, "avery", "trading").await;
    let home = account(&b, &avery).await;
    assert_eq!(
        home,
        json!({
            "username": "avery", "full_name": "Avery Quinn", "primary": true,
            "primary_username": "avery",
            "entity": {"id": "avery-capital", "name": "Avery Capital LLC"},
            "account": {"account": "U7012345", "equity_usd": 2_500_000},
            "opted_out": false, "restrictions": [],
            "limits": {"row": "dsc_plus", "device_kind": "dsc_plus",
                       "per_day_usd": null, "per_5_business_days_usd": null},
            "withdrawals": {"per_day_used_usd": 0, "per_5_business_days_used_usd": 0,
                            "left_today_usd": null, "left_5_business_days_usd": null},
            "ach_eft": {"total_usd": 0, "left_usd": null},
            "shipping_address": null
        })
    );
    let session_limits = b.with_token(Method::GET, "/v1/session", &avery, None).await;
    assert_eq!(
        session_limits.body["limits"], home["limits"],
        "as the session's"
    );
}

#[tokio::test]
async fn r1_the_account_home_gives_the_address_on_file_that_a_dsc_plus_ships_to() {
    let b = TestBroker::demo();
    // R1 step 2: the address on file, where the scenario gives one (avery has none).
    let lena = session(&b, "lena", "portal").await;
    let home = account(&b, &lena).await;
    assert_eq!(home["shipping_address"]["line1"], "200 Park Avenue");
    assert_eq!(home["shipping_address"]["country"], "US");
}
