//! Ordering, replacing and returning a device (D4, R1–R4, T5): Request Physical Device's
//! summary, Back and confirmation; the order shipped and activated by the clock; a
//! return received 3–5 business days later and its deposit released; a loss or a
//! closure without a return keeping it; login by password alone once the account is
//! closed and its device back. Time-based rules a minute either side of each boundary.

use crate::util::{
    card_answer, card_response, daily_end_half_a_day_away, Answer, TestBroker, DAY, MINUTE,
    PASSWORD,
};
use axum::http::{Method, StatusCode};
use mock_broker::scenario::{Scenario, DEMO};
use serde_json::{json, Value};

const LENA_CARD: &str = "SCC-20480004";
const MILO_CARD: &str = "SCC-20480005";
const NORA_DSCP: &str = "DSCP-40500011";
const NORA_SECRET: &str = "4e6f7261447343506c75732d6b65792d30303030303030303030303030303131";
const NORA_PIN: &str = "3141";
const LENA_ACCOUNT: &str = "U7340211";
const NORA_ACCOUNT: &str = "U5108842";
/// 2026-03-04, a Wednesday, 12:00 UTC.
const WEDNESDAY_NOON: i64 = 1_772_625_600;
/// O3: the code a non-primary user hears. Helper A's `settings::require_primary`
/// answers `not_primary`; until it is merged this module's copy answers `not_permitted`.
const NOT_PRIMARY_CODE: &str = "not_primary";

/// A session on `channel` for a demo user: through their Security Code Card, or their
/// DSC+ (nora's) — choosing the card when the login asks which device (D6).
async fn session_on(b: &TestBroker, username: &str, channel: &str) -> String {
    let mut step = b.login_on(username, channel).await;
    assert_eq!(step.status, StatusCode::OK, "{username}: {step:?}");
    if step.str("status") == "authenticated" {
        return step.str("token").to_owned();
    }
    if step.str("status") == "select_device" {
        let card = step.body["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["kind"] == "security_code_card"))
            .expect("a card to choose")["id"]
            .clone();
        step = b
            .post(
                "/v1/login/device",
                json!({ "ticket": step.str("ticket"), "device_id": card }),
            )
            .await;
    }
    let answer = match step.str("method") {
        "index_card" => card_answer(&b.grid(step.str("device_id")).await, &step.body),
        "challenge" => card_response(NORA_SECRET, NORA_PIN, step.str("challenge")),
        other => panic!("{username}: unexpected method {other}"),
    };
    let opened = b.respond(step.str("ticket"), &answer).await;
    assert_eq!(opened.status, StatusCode::OK, "{username}: {opened:?}");
    opened.str("token").to_owned()
}

async fn portal(b: &TestBroker, username: &str) -> String {
    session_on(b, username, "portal").await
}

async fn order(b: &TestBroker, token: &str, body: Value) -> Answer {
    b.with_token(Method::POST, "/v1/devices/order", token, Some(body))
        .await
}

async fn confirm(b: &TestBroker, token: &str, order_id: &str) -> Answer {
    b.with_token(
        Method::POST,
        "/v1/devices/order/confirm",
        token,
        Some(json!({ "order_id": order_id })),
    )
    .await
}

async fn holds(b: &TestBroker, token: &str) -> Vec<Value> {
    let answer = b.with_token(Method::GET, "/v1/holds", token, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body["holds"].as_array().expect("holds").clone()
}

async fn send_back(b: &TestBroker, token: &str, device_id: &str) -> Answer {
    b.with_token(
        Method::POST,
        &format!("/v1/devices/{device_id}/return"),
        token,
        Some(json!({})),
    )
    .await
}

async fn set_clock(b: &TestBroker, unix_seconds: i64) {
    let set = b
        .post("/qa/clock/set", json!({ "unix_seconds": unix_seconds }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
}

fn pin(soft_pin: &str) -> Value {
    json!({ "kind": "dsc_plus", "soft_pin": soft_pin })
}

/// lena orders with the address on file and confirms: the new device's id.
async fn lena_orders(b: &TestBroker, soft_pin: &str) -> (String, Value) {
    let token = portal(b, "lena").await;
    let summary = order(b, &token, pin(soft_pin)).await;
    assert_eq!(summary.str("status"), "summary", "{summary:?}");
    let placed = confirm(b, &token, summary.str("order_id")).await;
    assert_eq!(placed.str("status"), "ordered", "{placed:?}");
    (placed.str("device_id").to_owned(), placed.body)
}

/// The clock now, in seconds.
async fn now(b: &TestBroker) -> i64 {
    b.get("/qa/clock").await.body["now_ms"]
        .as_i64()
        .expect("now_ms")
        / 1000
}

/// `YYYY-MM-DDTHH:MM:SSZ` (the broker's form) in Unix seconds.
fn seconds_of(rfc3339: &str) -> i64 {
    let n = |range: std::ops::Range<usize>| -> i64 {
        rfc3339[range]
            .parse()
            .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
    };
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * DAY + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

#[tokio::test]
async fn r1_request_physical_device_summary_back_and_confirmation() {
    let b = TestBroker::demo();
    let token = portal(&b, "lena").await;
    let t0 = now(&b).await;

    // Steps 2-3: the address on file, a soft PIN, the deposit account by default.
    let first = order(&b, &token, pin("4711")).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(first.str("status"), "summary");
    assert_eq!(first.body["shipping_address"]["city"], "New York");
    assert_eq!(first.str("deposit_account"), LENA_ACCOUNT);
    assert_eq!(first.body["hold_usd"], 20);
    assert!(
        first.body.get("soft_pin").is_none(),
        "the PIN is not repeated"
    );
    let ships = seconds_of(first.str("estimated_shipment_at"));
    assert!(
        (ships - t0 - 2 * DAY).abs() < MINUTE,
        "T5: about 2 days to a US address: {first:?}"
    );

    // Step 4's Back: change the address; the first summary is void.
    let zurich = json!({ "line1": "Paradeplatz 8", "city": "Zurich", "postal_code": "8001", "country": "CH" });
    let second = order(
        &b,
        &token,
        json!({ "kind": "dsc_plus", "soft_pin": "4711", "shipping_address": zurich, "deposit_account": LENA_ACCOUNT }),
    )
    .await;
    assert_eq!(second.str("status"), "summary", "{second:?}");
    let ships = seconds_of(second.str("estimated_shipment_at"));
    assert!(
        (ships - t0 - 14 * DAY).abs() < MINUTE,
        "T5: about 2 weeks elsewhere: {second:?}"
    );
    let stale = confirm(&b, &token, first.str("order_id")).await;
    assert_eq!(
        (stale.status, stale.code()),
        (StatusCode::CONFLICT, "no_pending_order"),
        "R1: Back replaced that summary: {stale:?}"
    );

    // Step 5: confirmation with the estimated shipment date.
    let placed = confirm(&b, &token, second.str("order_id")).await;
    assert_eq!(placed.status, StatusCode::OK, "{placed:?}");
    assert_eq!(placed.str("status"), "ordered");
    assert_eq!(
        placed.str("estimated_shipment_date"),
        &second.str("estimated_shipment_at")[..10]
    );
    let device_id = placed.str("device_id");
    assert!(device_id.starts_with("DSCP-"), "{placed:?}");
    assert_eq!(b.device(device_id).await["status"], "ordered");
    assert_eq!(
        b.device(device_id).await["kind"],
        "dsc_plus",
        "R1: a DSC+ on order"
    );
    assert_eq!(placed.body["hold"]["status"], "held");
    let listed = holds(&b, &token).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (
            &listed[0]["device_id"],
            &listed[0]["account"],
            &listed[0]["amount_usd"]
        ),
        (&json!(device_id), &json!(LENA_ACCOUNT), &json!(20)),
        "R1: 20 USD held on the chosen account"
    );
    let orders = b
        .with_token(Method::GET, "/v1/devices/orders", &token, None)
        .await;
    assert_eq!(orders.body["orders"][0]["device_id"], device_id);
    assert_eq!(
        orders.body["orders"][0]["shipping_address"]["country"],
        "CH"
    );

    // The changed address is kept on file; one DSC+ on order at a time.
    let again = order(&b, &token, pin("4711")).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "already_has_dsc_plus"),
        "{again:?}"
    );
    assert!(confirm(&b, &token, second.str("order_id")).await.code() == "no_pending_order");
}

#[tokio::test]
async fn d4_a_dsc_plus_needs_equity_of_a_million() {
    // milo's equity is 640,000: refused.
    let b = TestBroker::demo();
    let token = portal(&b, "milo").await;
    let refused = order(&b, &token, pin("4711")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "insufficient_equity"),
        "{refused:?}"
    );
    assert!(holds(&b, &token).await.is_empty(), "nothing held");

    // The floor itself, a dollar either side.
    for (equity, allowed) in [("1_000_000", true), ("999_999", false)] {
        let text = DEMO.replace("equity_usd = 640_000", &format!("equity_usd = {equity}"));
        let b = TestBroker::with(Scenario::parse(&text).unwrap());
        let token = portal(&b, "milo").await;
        let answer = order(&b, &token, pin("4711")).await;
        assert_eq!(
            answer.status == StatusCode::OK,
            allowed,
            "D4 at {equity}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn r1_a_bad_pin_or_address_is_refused_with_its_reason_and_nothing_changes() {
    let b = TestBroker::demo();
    let token = portal(&b, "lena").await;
    let address = |country: &str, city: &str| json!({ "line1": "1 Main St", "city": city, "postal_code": "10001", "country": country });
    for (body, status, code, reason) in [
        (pin("123"), 400, "invalid_pin", "length"),
        (pin("12a4"), 400, "invalid_pin", "characters"),
        (
            json!({ "kind": "dsc_plus", "soft_pin": "4711", "shipping_address": address("usa", "NYC") }),
            400,
            "invalid_address",
            "country",
        ),
        (
            json!({ "kind": "dsc_plus", "soft_pin": "4711", "shipping_address": address("US", " ") }),
            400,
            "invalid_address",
            "incomplete",
        ),
        (
            json!({ "kind": "ib_key", "soft_pin": "4711" }),
            400,
            "bad_request",
            "",
        ),
        (
            json!({ "kind": "dsc_plus", "soft_pin": "4711", "deposit_account": NORA_ACCOUNT }),
            400,
            "bad_request",
            "",
        ),
        (
            json!({ "kind": "dsc_plus", "soft_pin": "4711", "colour": "red" }),
            422,
            "invalid_field",
            "",
        ),
        (json!({ "kind": "dsc_plus" }), 422, "invalid_field", ""),
    ] {
        let answer = order(&b, &token, body.clone()).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{body}: {answer:?}"
        );
        assert_eq!(
            answer.body["reason"].as_str().unwrap_or_default(),
            reason,
            "{body}"
        );
    }
    let nothing = confirm(&b, &token, "ORD-NONE").await;
    assert_eq!(nothing.code(), "no_pending_order", "{nothing:?}");
    assert!(holds(&b, &token).await.is_empty());
}

#[tokio::test]
async fn o3_r1_ordering_is_for_the_primary_user_on_the_client_portal() {
    let b = TestBroker::demo();
    let trading = session_on(&b, "lena", "trading").await;
    let answer = order(&b, &trading, pin("4711")).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "{answer:?}"
    );

    let text = format!(
        "{DEMO}\n[[users]]\nusername = \"lenajr\"\npassword = \"{PASSWORD}\"\nentity = \"lena-partners\"\nprimary = false\n\n\
         [[devices]]\nid = \"SCC-20480099\"\nkind = \"security_code_card\"\nowner = \"lenajr\"\nseed = 20480099\n"
    );
    let b = TestBroker::with(Scenario::parse(&text).unwrap());
    let token = portal(&b, "lenajr").await;
    let answer = order(&b, &token, pin("4711")).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, NOT_PRIMARY_CODE),
        "O3: {answer:?}"
    );
    let back = send_back(&b, &token, "SCC-20480099").await;
    assert_eq!(back.code(), NOT_PRIMARY_CODE, "O3: {back:?}");
}

#[tokio::test]
async fn r1_a_summary_waits_30_minutes_for_its_confirmation() {
    for (waited, ordered) in [(29 * MINUTE, true), (31 * MINUTE, false)] {
        // Not across the daily session end, whenever the test runs.
        let mut scenario = Scenario::demo();
        scenario.sessions.daily_end_utc = daily_end_half_a_day_away();
        let b = TestBroker::with(scenario);
        let token = portal(&b, "lena").await;
        let summary = order(&b, &token, pin("4711")).await;
        // Issue 6: the session stays alive with a keepalive halfway.
        b.advance(15 * MINUTE).await;
        let kept = b
            .with_token(
                Method::POST,
                "/v1/session/keepalive",
                &token,
                Some(json!({})),
            )
            .await;
        assert_eq!(kept.status, StatusCode::OK, "{kept:?}");
        b.advance(waited - 15 * MINUTE).await;
        let placed = confirm(&b, &token, summary.str("order_id")).await;
        assert_eq!(
            placed.status == StatusCode::OK,
            ordered,
            "after {waited} s: {placed:?}"
        );
        if !ordered {
            assert_eq!(placed.code(), "no_pending_order");
        }
    }
}

#[tokio::test]
async fn t5_an_order_ships_at_its_estimated_date_and_activates_itself_3_weeks_later() {
    let b = TestBroker::demo();
    let (device_id, placed) = lena_orders(&b, "4711").await;
    let ships = seconds_of(placed["estimated_shipment_at"].as_str().unwrap());

    // Shipped at the estimated date, a minute either side.
    set_clock(&b, ships - MINUTE).await;
    assert_eq!(b.device(&device_id).await["status"], "ordered");
    set_clock(&b, ships + MINUTE).await;
    let shipped = b.device(&device_id).await;
    assert_eq!(shipped["status"], "shipped", "{shipped}");
    assert_eq!(
        seconds_of(shipped["shipped_at"].as_str().unwrap()),
        ships,
        "T5 counts from the shipment date, not from when the clock was read"
    );

    // T5: by itself 21 days after shipment, with the notices.
    let auto = ships + 21 * DAY;
    set_clock(&b, auto - MINUTE).await;
    assert_eq!(b.device(&device_id).await["status"], "shipped");
    let token = portal(&b, "lena").await;
    let messages = b
        .with_token(Method::GET, "/v1/messages", &token, None)
        .await;
    let kinds: Vec<&str> = messages.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["auto_activation_imminent", "auto_activation_approaching"],
        "{messages:?}"
    );
    set_clock(&b, auto + MINUTE).await;
    assert_eq!(b.device(&device_id).await["status"], "active");
    let step = b.login_on("lena", "trading").await;
    assert_eq!(
        step.str("status"),
        "select_device",
        "D6: the card and the new DSC+: {step:?}"
    );
}

#[tokio::test]
async fn t5_a_shipped_order_is_activated_by_hand_on_the_portal() {
    let b = TestBroker::demo();
    let (device_id, placed) = lena_orders(&b, "4711").await;
    set_clock(
        &b,
        seconds_of(placed["estimated_shipment_at"].as_str().unwrap()) + MINUTE,
    )
    .await;
    let token = portal(&b, "lena").await;
    let asked = b
        .with_token(
            Method::POST,
            "/v1/portal/reactivate",
            &token,
            Some(json!({ "device_id": device_id })),
        )
        .await;
    assert_eq!(asked.str("method"), "challenge", "{asked:?}");
    let key = b
        .post(&format!("/qa/devices/{device_id}/provision"), json!({}))
        .await;
    let response = card_response(key.str("secret_hex"), "4711", asked.str("challenge"));
    let done = b
        .with_token(
            Method::POST,
            "/v1/portal/reactivate/confirm",
            &token,
            Some(json!({ "response": response })),
        )
        .await;
    assert_eq!(
        done.str("status"),
        "active",
        "the soft PIN chosen at the order operates the card: {done:?}"
    );
}

/// nora sends her DSC+ back on a Wednesday at noon; with `days` business days it shows
/// as received `calendar_days` later.
async fn return_received_after(days: u32, calendar_days: i64) {
    let text = DEMO.replace("business_days = 5", &format!("business_days = {days}"));
    let b = TestBroker::with(Scenario::parse(&text).unwrap());
    set_clock(&b, WEDNESDAY_NOON).await;
    let token = portal(&b, "nora").await;
    let sent = send_back(&b, &token, NORA_DSCP).await;
    assert_eq!(sent.status, StatusCode::OK, "{sent:?}");
    assert_eq!(sent.str("status"), "return_shipped");
    assert_eq!(sent.body["hold"]["status"], "held");
    let due = WEDNESDAY_NOON + calendar_days * DAY;
    assert_eq!(
        seconds_of(sent.str("expected_received_at")),
        due,
        "{sent:?}"
    );

    set_clock(&b, due - MINUTE).await;
    assert_eq!(b.device(NORA_DSCP).await["status"], "return_shipped");
    let waiting = b.login("nora", PASSWORD).await;
    assert_eq!(
        waiting.code(),
        "no_active_device",
        "a card in the post serves no login, and is no way around it: {waiting:?}"
    );
    set_clock(&b, due + MINUTE).await;
    assert_eq!(b.device(NORA_DSCP).await["status"], "returned");
    // Her only device is back: the password alone logs her in (R4's rule on devices).
    let token = b.login("nora", PASSWORD).await;
    assert_eq!(token.str("status"), "authenticated", "{token:?}");
    let held = holds(&b, token.str("token")).await;
    assert_eq!(held[0]["status"], "released", "R2: {held:?}");
    assert_eq!(seconds_of(held[0]["settled_at"].as_str().unwrap()), due);
}

#[tokio::test]
async fn r3_a_return_shows_as_received_5_business_days_after_it_was_sent() {
    // Wednesday + 5 business days: the next Wednesday.
    return_received_after(5, 7).await;
}

#[tokio::test]
async fn r3_the_scenario_may_receive_returns_after_3_business_days() {
    // Wednesday + 3 business days: Monday, over the weekend.
    return_received_after(3, 5).await;
}

#[tokio::test]
async fn r2_a_device_reported_stolen_keeps_its_deposit() {
    let b = TestBroker::demo();
    let token = portal(&b, "nora").await;
    let path = format!("/v1/devices/{NORA_DSCP}/report-lost");
    let bad = b
        .with_token(
            Method::POST,
            &path,
            &token,
            Some(json!({ "reason": "misplaced" })),
        )
        .await;
    assert_eq!(bad.code(), "invalid_field", "{bad:?}");
    let reported = b
        .with_token(
            Method::POST,
            &path,
            &token,
            Some(json!({ "reason": "stolen" })),
        )
        .await;
    assert_eq!(reported.status, StatusCode::OK, "{reported:?}");
    assert_eq!(reported.str("status"), "lost");
    assert_eq!(reported.str("reason"), "stolen");
    assert_eq!(reported.body["hold"]["status"], "kept", "R2: {reported:?}");
    assert_eq!(b.device(NORA_DSCP).await["status"], "lost");
    assert_eq!(holds(&b, &token).await[0]["status"], "kept");
    let again = b
        .with_token(
            Method::POST,
            &path,
            &token,
            Some(json!({ "reason": "lost" })),
        )
        .await;
    assert_eq!(again.code(), "bad_request", "lost is final: {again:?}");
    let back = send_back(&b, &token, NORA_DSCP).await;
    assert_eq!(back.code(), "bad_request", "a lost card is not sent back");
    assert_eq!(
        b.login("nora", PASSWORD).await.code(),
        "no_active_device",
        "D5: a lost device is no way around the second factor"
    );
}

#[tokio::test]
async fn r2_a_security_code_card_is_shredded_not_returned() {
    let b = TestBroker::demo();
    let token = portal(&b, "lena").await;
    let answer = send_back(&b, &token, LENA_CARD).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "not_returnable"),
        "{answer:?}"
    );
    assert!(answer.str("message").contains("shred"), "{answer:?}");
    assert_eq!(b.device(LENA_CARD).await["status"], "active");
    for (device, code) in [(MILO_CARD, "not_found"), ("NOPE-1", "not_found")] {
        assert_eq!(send_back(&b, &token, device).await.code(), code, "{device}");
    }
}

#[tokio::test]
async fn r2_closing_the_account_without_a_return_keeps_the_deposit() {
    let b = TestBroker::demo();
    let closed = b.post("/qa/users/nora/close-account", json!({})).await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    assert_eq!(closed.str("account"), NORA_ACCOUNT);
    assert_eq!(closed.body["holds"][0]["device_id"], NORA_DSCP);
    assert_eq!(closed.body["holds"][0]["status"], "kept", "R2: {closed:?}");

    // A late return does not give it back; the device still logs her in meanwhile.
    set_clock(&b, WEDNESDAY_NOON).await;
    let token = portal(&b, "nora").await;
    assert_eq!(
        send_back(&b, &token, NORA_DSCP).await.str("status"),
        "return_shipped"
    );
    set_clock(&b, WEDNESDAY_NOON + 7 * DAY + MINUTE).await;
    let token = b.login("nora", PASSWORD).await;
    assert_eq!(holds(&b, token.str("token")).await[0]["status"], "kept");
    let unknown = b.post("/qa/users/nobody/close-account", json!({})).await;
    assert_eq!(unknown.code(), "not_found");
}

#[tokio::test]
async fn r4_once_the_account_is_closed_and_its_device_returned_login_is_password_only() {
    let b = TestBroker::demo();
    set_clock(&b, WEDNESDAY_NOON).await;
    let token = portal(&b, "nora").await;
    assert_eq!(
        send_back(&b, &token, NORA_DSCP).await.str("status"),
        "return_shipped"
    );
    let closed = b.post("/qa/users/nora/close-account", json!({})).await;
    assert_eq!(
        closed.body["holds"],
        json!([]),
        "R2: a device on its way back is not kept: {closed:?}"
    );

    let due = WEDNESDAY_NOON + 7 * DAY;
    set_clock(&b, due - MINUTE).await;
    assert_eq!(
        b.login("nora", PASSWORD).await.code(),
        "no_active_device",
        "R4: not before the device is back"
    );
    set_clock(&b, due + MINUTE).await;
    let step = b.login("nora", PASSWORD).await;
    assert_eq!(step.str("status"), "authenticated", "R4: {step:?}");
    assert_eq!(step.body["session"]["device_id"], Value::Null);
    let token = step.str("token");
    assert_eq!(holds(&b, token).await[0]["status"], "released");
    let refused = order(&b, &portal(&b, "nora").await, pin("4711")).await;
    assert_eq!(
        refused.code(),
        "not_permitted",
        "a closed account orders nothing: {refused:?}"
    );
}

#[tokio::test]
async fn r2_every_change_is_audited_without_the_pin() {
    let b = TestBroker::demo();
    let (device_id, _) = lena_orders(&b, "4711").await;
    let audit = b.get("/qa/audit?username=lena").await;
    let events: Vec<(&str, &str)> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    for wanted in ["device_order_summary", "device_ordered", "hold_placed"] {
        assert!(
            events.iter().any(|(e, _)| *e == wanted),
            "{wanted}: {events:?}"
        );
    }
    assert!(
        events.iter().any(|(_, d)| d.contains(&device_id)),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|(_, d)| d.contains("4711")),
        "the soft PIN is never recorded: {events:?}"
    );
}
