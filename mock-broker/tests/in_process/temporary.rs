//! T1–T5: the temporary passcode, the online card, voiding and automatic activation,
//! each boundary crossed by clock travel a minute either side.

use crate::util::{card_answer, Answer, TestBroker, DAY, MINUTE};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// T1: Client Services issues a passcode to `username`.
async fn issue(b: &TestBroker, username: &str) -> Answer {
    b.post(
        &format!("/qa/users/{username}/temporary-passcode"),
        json!({}),
    )
    .await
}

/// A passcode login on `channel`: the answer to typing `passcode`.
async fn passcode_login(b: &TestBroker, username: &str, channel: &str, passcode: &str) -> Answer {
    let step = b.login_on(username, channel).await;
    if step.status != StatusCode::OK {
        return step;
    }
    assert_eq!(step.str("method"), "temporary_passcode", "{step:?}");
    b.respond(step.str("ticket"), passcode).await
}

#[tokio::test]
async fn t1_a_passcode_is_upper_case_shown_once_and_not_issued_twice_in_a_row() {
    let b = TestBroker::demo();
    let issued = issue(&b, "avery").await;
    assert_eq!(issued.status, StatusCode::OK, "{issued:?}");
    let code = issued.str("passcode").to_owned();
    assert!(
        code.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "T1: upper-case alphanumeric: {code}"
    );
    assert_eq!(
        b.device("DSCP-40211873").await["status"],
        "inactive",
        "the lost card is set aside while the passcode stands in"
    );
    let lower = passcode_login(&b, "avery", "trading", &code.to_lowercase()).await;
    assert_eq!(
        lower.code(),
        "login_failed",
        "T1: case-sensitive: {lower:?}"
    );
    assert_eq!(b.failures("avery").await, 1, "L4: a wrong passcode counts");
    let ok = passcode_login(&b, "avery", "trading", &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert_eq!(ok.body["session"]["device_kind"], "temporary_passcode");
    assert_eq!(
        ok.body["session"]["limits"]["row"], "none",
        "D2: a passcode is none"
    );
    assert_eq!(ok.body["session"]["limits"]["per_day_usd"], 50_000);

    let again = issue(&b, "avery").await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "consecutive_passcode"),
        "T1: no consecutive passcodes: {again:?}"
    );
    let reactivated = b
        .post("/qa/devices/DSCP-40211873/activate", json!({}))
        .await;
    assert_eq!(reactivated.body["status"], "active", "{reactivated:?}");
    assert_eq!(
        issue(&b, "avery").await.status,
        StatusCode::OK,
        "T1: once reactivated"
    );
    let audit = b.get("/qa/audit?username=avery").await;
    let events: Vec<&str> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for event in [
        "temporary_passcode_issued",
        "temporary_passcode_refused",
        "device_reactivated",
        "temporary_voided",
    ] {
        assert!(events.contains(&event), "audited: {event} in {events:?}");
    }
    assert!(
        !audit.body.to_string().contains(&code),
        "the passcode is never audited"
    );
}

#[tokio::test]
async fn t2_trading_for_2_days_then_use_client_portal() {
    let b = TestBroker::demo();
    let code = issue(&b, "avery").await.str("passcode").to_owned();
    b.advance(2 * DAY - MINUTE).await;
    let day2 = passcode_login(&b, "avery", "trading", &code).await;
    assert_eq!(
        day2.status,
        StatusCode::OK,
        "T2: full access for 2 days: {day2:?}"
    );
    b.advance(2 * MINUTE).await;
    let after = b.login_on("avery", "trading").await;
    assert_eq!(
        (after.status, after.code()),
        (StatusCode::FORBIDDEN, "use_client_portal"),
        "T2: past day 2 a trading login is told to use the Client Portal: {after:?}"
    );
    assert_eq!(b.failures("avery").await, 0, "not a failed attempt");
    let portal = passcode_login(&b, "avery", "portal", &code).await;
    assert_eq!(portal.status, StatusCode::OK, "{portal:?}");
    assert_eq!(
        portal.body["session"]["restriction"], "online_card_only",
        "T2: the portal, for the online card only"
    );
}

#[tokio::test]
async fn t2_a_trading_session_from_day_2_ends_with_it() {
    let b = TestBroker::demo();
    let code = issue(&b, "avery").await.str("passcode").to_owned();
    b.advance(2 * DAY - 10 * MINUTE).await;
    let opened = passcode_login(&b, "avery", "trading", &code).await;
    let token = opened.str("token").to_owned();
    b.advance(9 * MINUTE).await;
    let live = b.with_token(Method::GET, "/v1/session", &token, None).await;
    assert_eq!(live.status, StatusCode::OK, "{live:?}");
    b.advance(2 * MINUTE).await;
    let ended = b.with_token(Method::GET, "/v1/session", &token, None).await;
    assert_eq!(
        (ended.code(), &ended.body["reason"]),
        ("session_expired", &json!("device_ended")),
        "T2: the trading access ends at day 2: {ended:?}"
    );
}

#[tokio::test]
async fn t2_the_portal_refuses_the_passcode_after_day_12() {
    let b = TestBroker::demo();
    let code = issue(&b, "avery").await.str("passcode").to_owned();
    b.advance(12 * DAY - MINUTE).await;
    let day12 = passcode_login(&b, "avery", "portal", &code).await;
    assert_eq!(
        day12.status,
        StatusCode::OK,
        "T2: portal until day 12: {day12:?}"
    );
    b.advance(2 * MINUTE).await;
    let after = b.login_on("avery", "portal").await;
    assert_eq!(
        (after.status, after.code()),
        (StatusCode::FORBIDDEN, "temporary_access_expired"),
        "T2: then nothing: {after:?}"
    );
    assert_eq!(
        b.device_status_of_kind("avery", "temporary_passcode").await,
        "inactive"
    );
}

#[tokio::test]
async fn t3_the_online_card_is_obtained_on_the_portal_and_lasts_21_days() {
    let b = TestBroker::demo();
    // jonas is on day 3 of his passcode: trading is refused, the portal offers the card.
    let trading = b.login_on("jonas", "trading").await;
    assert_eq!(trading.code(), "use_client_portal", "{trading:?}");
    let portal = passcode_login(&b, "jonas", "portal", "JONASDAY3").await;
    assert_eq!(portal.body["session"]["restriction"], "online_card_only");
    let token = portal.str("token").to_owned();
    let offer = b
        .with_token(
            Method::POST,
            "/v1/portal/online-card",
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(offer.status, StatusCode::OK, "{offer:?}");
    let grid: Vec<String> = serde_json::from_value(offer.body["grid"].clone()).unwrap();
    assert_eq!(grid.len(), 100);
    let wrong = b
        .with_token(
            Method::POST,
            "/v1/portal/online-card/activate",
            &token,
            Some(json!({ "response": "000000x" })),
        )
        .await;
    assert_eq!(wrong.code(), "login_failed", "{wrong:?}");
    let again = b
        .with_token(
            Method::POST,
            "/v1/portal/online-card",
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        again.body["grid"], offer.body["grid"],
        "the same card to print"
    );
    let done = b
        .with_token(
            Method::POST,
            "/v1/portal/online-card/activate",
            &token,
            Some(json!({ "response": card_answer(&grid, &again.body) })),
        )
        .await;
    assert_eq!(done.str("status"), "activated", "{done:?}");
    let card = done.str("device_id").to_owned();

    // Trading with the card, as long as it lasts.
    let now = card_login(&b, &card, &grid).await;
    assert_eq!(now.status, StatusCode::OK, "T3: full access: {now:?}");
    assert_eq!(
        now.body["session"]["limits"]["row"], "none",
        "D2: an online card is none"
    );
    b.advance(21 * DAY - MINUTE).await;
    let last = card_login(&b, &card, &grid).await;
    assert_eq!(last.status, StatusCode::OK, "T3: still on day 21: {last:?}");
    b.advance(2 * MINUTE).await;
    let over = card_login(&b, &card, &grid).await;
    assert_eq!(
        over.code(),
        "temporary_access_expired",
        "T3: 21 days from activation, then refused: {over:?}"
    );
}

/// jonas's trading login with his online card `card`.
async fn card_login(b: &TestBroker, card: &str, grid: &[String]) -> Answer {
    let step = b.login_on("jonas", "trading").await;
    if step.status != StatusCode::OK {
        return step;
    }
    let step = match step.str("status") {
        "select_device" => {
            b.post(
                "/v1/login/device",
                json!({ "ticket": step.str("ticket"), "device_id": card }),
            )
            .await
        }
        _ => step,
    };
    assert_eq!(step.str("method"), "index_card", "{step:?}");
    b.respond(step.str("ticket"), &card_answer(grid, &step.body))
        .await
}

#[tokio::test]
async fn t3_the_online_card_needs_a_portal_session_through_a_passcode() {
    let b = TestBroker::demo();
    let trading = passcode_login(&b, "iris", "trading", "IRISDAY1").await;
    let token = trading.str("token").to_owned();
    let refused = b
        .with_token(
            Method::POST,
            "/v1/portal/online-card",
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "T3: obtained in the Client Portal: {refused:?}"
    );
}

#[tokio::test]
async fn t4_reactivating_the_card_voids_the_passcode_its_sessions_and_open_logins() {
    let b = TestBroker::demo();
    let opened = passcode_login(&b, "iris", "trading", "IRISDAY1").await;
    let token = opened.str("token").to_owned();
    let open_login = b.login_on("iris", "trading").await;
    assert_eq!(open_login.str("method"), "temporary_passcode");

    let active = b.post("/qa/devices/SCC-20480002/activate", json!({})).await;
    assert_eq!(active.body["status"], "active", "{active:?}");

    let answered = b.respond(open_login.str("ticket"), "IRISDAY1").await;
    assert_eq!(
        answered.code(),
        "no_pending_login",
        "T4: the open login through the passcode ends at once: {answered:?}"
    );
    let session = b.with_token(Method::GET, "/v1/session", &token, None).await;
    assert_eq!(
        (session.code(), &session.body["reason"]),
        ("session_expired", &json!("device_ended")),
        "T4: and so does its session: {session:?}"
    );
    assert_eq!(b.device("TMP-IRIS0001").await["status"], "inactive");
    let next = b.login_on("iris", "trading").await;
    assert_eq!(
        next.str("method"),
        "index_card",
        "the card serves again: {next:?}"
    );
}

#[tokio::test]
async fn t5_a_shipped_replacement_activates_itself_with_notices_and_voids_the_online_card() {
    let b = TestBroker::demo();
    // hugo's replacement shipped 15 days before load: it activates itself in 6 days.
    let due = 6 * DAY;
    let grid = b.grid("OSC-HUGO0001").await;
    let device = b.device("DSCP-40411078").await;
    assert_eq!(device["status"], "shipped");
    assert!(device["auto_activates_at"].is_string(), "{device}");
    assert_eq!(
        hugo_messages(&b, &grid).await,
        ["auto_activation_approaching"],
        "T5: a week before"
    );
    b.advance(due - DAY - MINUTE).await;
    assert_eq!(
        hugo_messages(&b, &grid).await,
        ["auto_activation_approaching"]
    );
    b.advance(2 * MINUTE).await;
    assert_eq!(
        hugo_messages(&b, &grid).await,
        ["auto_activation_imminent", "auto_activation_approaching"],
        "T5: a day before, the newest first"
    );
    b.advance(DAY - 2 * MINUTE).await;
    assert_eq!(
        b.device("DSCP-40411078").await["status"],
        "shipped",
        "not yet"
    );
    assert_eq!(hugo_messages(&b, &grid).await.len(), 2);
    b.advance(2 * MINUTE).await;
    assert_eq!(
        b.device("DSCP-40411078").await["status"],
        "active",
        "T5: activated by itself at the end of its window"
    );
    assert_eq!(
        b.device("OSC-HUGO0001").await["status"],
        "inactive",
        "T4: the online card stops with it"
    );
    let step = b.login_on("hugo", "trading").await;
    assert_eq!(step.str("method"), "challenge", "the DSC+ now: {step:?}");
    let audit = b.get("/qa/audit?username=hugo").await.body.to_string();
    assert!(audit.contains("device_auto_activated") && audit.contains("temporary_voided"));
}

/// hugo logs in with his online card and reads his messages' kinds.
async fn hugo_messages(b: &TestBroker, grid: &[String]) -> Vec<String> {
    let step = b.login_on("hugo", "trading").await;
    assert_eq!(step.str("method"), "index_card", "{step:?}");
    let s = b
        .respond(step.str("ticket"), &card_answer(grid, &step.body))
        .await;
    let token = s.str("token").to_owned();
    let m = b
        .with_token(Method::GET, "/v1/messages", &token, None)
        .await;
    assert_eq!(m.status, StatusCode::OK, "{m:?}");
    m.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn t2_a_trading_login_open_across_day_2_is_refused_when_answered() {
    let b = TestBroker::demo();
    let code = issue(&b, "avery").await.str("passcode").to_owned();
    b.advance(2 * DAY - MINUTE).await;
    let step = b.login_on("avery", "trading").await;
    assert_eq!(step.str("method"), "temporary_passcode", "{step:?}");
    b.advance(2 * MINUTE).await;
    let late = b.respond(step.str("ticket"), &code).await;
    assert_eq!(
        late.code(),
        "use_client_portal",
        "T2: the boundary holds for a login already under way: {late:?}"
    );
}
