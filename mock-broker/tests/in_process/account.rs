//! `GET /v1/devices`: the session user's own devices with their dates, for the
//! desktop's account home (issue 8). Any live session reads it, the T2
//! `online_card_only` one too; it settles the clock (T5) and is not activity.

use crate::util::{
    card_answer, card_response, daily_end_half_a_day_away, Answer, TestBroker, DAY, MINUTE,
};
use axum::http::{Method, StatusCode};
use mock_broker::scenario::Scenario;
use serde_json::{json, Value};

/// hugo's replacement DSC+ (shipped, activates itself) and its PIN, from the scenario.
const HUGO_REPLACEMENT: &str = "DSCP-40411078";
const HUGO_PIN: &str = "4455";

/// hugo logs in with his online card: the session's token.
async fn hugo_online_card(b: &TestBroker) -> String {
    let grid = b.grid("OSC-HUGO0001").await;
    let step = b.login_on("hugo", "trading").await;
    assert_eq!(step.str("method"), "index_card", "{step:?}");
    let opened = b
        .respond(step.str("ticket"), &card_answer(&grid, &step.body))
        .await;
    opened.str("token").to_owned()
}

async fn my_devices(b: &TestBroker, token: &str) -> Answer {
    b.with_token(Method::GET, "/v1/devices", token, None).await
}

/// The listed device `id`.
fn listed<'a>(answer: &'a Answer, id: &str) -> &'a Value {
    answer.body["devices"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["id"] == id))
        .unwrap_or_else(|| panic!("no {id} in {}", answer.body))
}

#[tokio::test]
async fn t5_the_devices_list_is_the_session_users_own_with_their_dates() {
    let b = TestBroker::demo();
    let token = hugo_online_card(&b).await;
    let list = my_devices(&b, &token).await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    let devices = list.body["devices"].as_array().expect("devices");
    let mut ids: Vec<&str> = devices.iter().map(|d| d["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["DSCP-40411002", HUGO_REPLACEMENT, "OSC-HUGO0001"],
        "hugo's devices and no one else's"
    );
    assert!(devices.iter().all(|d| d["owner"] == "hugo"));
    assert_eq!(listed(&list, "DSCP-40411002")["status"], "lost");
    let shipped = listed(&list, HUGO_REPLACEMENT);
    assert_eq!(shipped["status"], "shipped");
    assert!(
        shipped["shipped_at"].is_string() && shipped["auto_activates_at"].is_string(),
        "T5: when it shipped and when it activates itself: {shipped}"
    );
    let card = listed(&list, "OSC-HUGO0001");
    assert_eq!(
        (&card["status"], &card["kind"]),
        (&json!("active"), &json!("online_security_code_card"))
    );
    assert!(
        card["activated_at"].is_string() && card["expires_at"].is_string(),
        "T3: activated, and when its 21 days end: {card}"
    );
}

#[tokio::test]
async fn t2_an_online_card_only_session_reads_its_devices() {
    let b = TestBroker::demo();
    let step = b.login_on("jonas", "portal").await;
    let opened = b.respond(step.str("ticket"), "JONASDAY3").await;
    assert_eq!(opened.body["session"]["restriction"], "online_card_only");
    let list = my_devices(&b, opened.str("token")).await;
    assert_eq!(
        list.status,
        StatusCode::OK,
        "T2: reading is not acting: {list:?}"
    );
    let passcode = listed(&list, "TMP-JONAS001");
    assert_eq!(passcode["kind"], "temporary_passcode");
    assert_eq!(passcode["status"], "active");
}

#[tokio::test]
async fn t5_reading_the_devices_settles_the_clock() {
    let mut scenario = Scenario::demo();
    scenario.sessions.daily_end_utc = daily_end_half_a_day_away();
    let b = TestBroker::with(scenario);
    // The demo scenario's replacement is due 6 days after load: log in with the online
    // card 10 minutes before, read the devices 1 minute after.
    b.advance(6 * DAY - 10 * MINUTE).await;
    let token = hugo_online_card(&b).await;
    let due = listed(&my_devices(&b, &token).await, HUGO_REPLACEMENT)["auto_activates_at"]
        .as_str()
        .expect("a due date")
        .to_owned();
    b.advance(11 * MINUTE).await;
    let ended = my_devices(&b, &token).await;
    assert_eq!(
        (ended.code(), &ended.body["reason"]),
        ("session_expired", &json!("device_ended")),
        "T4/T5: read past {due}, the replacement activated itself and ended the online \
         card's session: {ended:?}"
    );

    let step = b.login_on("hugo", "trading").await;
    assert_eq!(step.str("method"), "challenge", "the DSC+ now: {step:?}");
    let key = b
        .post(
            &format!("/qa/devices/{HUGO_REPLACEMENT}/provision"),
            json!({}),
        )
        .await;
    let response = card_response(key.str("secret_hex"), HUGO_PIN, step.str("challenge"));
    let opened = b.respond(step.str("ticket"), &response).await;
    let list = my_devices(&b, opened.str("token")).await;
    assert_eq!(listed(&list, HUGO_REPLACEMENT)["status"], "active");
    assert_eq!(
        listed(&list, "OSC-HUGO0001")["status"],
        "inactive",
        "T4: the online card stopped with it"
    );
}

#[tokio::test]
async fn issue8_reading_the_devices_is_not_activity() {
    let b = TestBroker::demo();
    let token = hugo_online_card(&b).await;
    let idle_end = || async {
        let session = b.with_token(Method::GET, "/v1/session", &token, None).await;
        session.str("expires_at").to_owned()
    };
    let before = idle_end().await;
    b.advance(10 * MINUTE).await;
    assert_eq!(my_devices(&b, &token).await.status, StatusCode::OK);
    let after = idle_end().await;
    assert_eq!(before, after, "the idle end did not move");
}

#[tokio::test]
async fn issue8_the_devices_need_a_live_session() {
    let b = TestBroker::demo();
    let none = b.get("/v1/devices").await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "invalid_session"),
        "{none:?}"
    );
    let unknown = my_devices(&b, "not-a-token").await;
    assert_eq!(unknown.code(), "invalid_session", "{unknown:?}");
    let token = hugo_online_card(&b).await;
    let out = b
        .with_token(Method::POST, "/v1/logout", &token, Some(json!({})))
        .await;
    assert_eq!(out.status, StatusCode::OK, "{out:?}");
    let gone = my_devices(&b, &token).await;
    assert_eq!(gone.code(), "invalid_session", "logged out: {gone:?}");
}
