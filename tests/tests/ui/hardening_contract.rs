//! Issue 6, the app's side of the broker changes (items 3, 4, 5, 9, 11), written
//! against the wire contract: they need the broker branches `h6-rules` and `h6-edge`.

use super::ibkey::{logged_in_as, DANA_KEY, DANA_PIN};
use super::{app_for, one_at_a_time, start_phone_activation};
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::{login, phone, DEMO_PASSWORD};
use portcullis_testkit::Broker;
use serde_json::json;

const AVERY_CARD: &str = "DSCP-40211873";

async fn open_request_on_phone(app: &Desktop, username: &str) {
    phone::open_request(app, username).await;
    app.assert_accessible("phone: login request").await;
}

/// Item 3: a denial and a wrong response on the phone are told apart on the desktop,
/// each with Send again.
#[tokio::test]
async fn hardening_push_denial_and_wrong_response_are_told_apart() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    open_request_on_phone(&app, "dana").await;
    app.click("phone-deny").await;
    app.switch_to_login().await;
    login::push_message(&app, "push_denied").await;
    app.wait_text("push-message", "say denied", |t| {
        t.contains("denied on the phone")
    })
    .await;
    app.assert_accessible("login: push denied").await;

    app.click("push-send-again").await;
    open_request_on_phone(&app, "dana").await;
    app.type_into("phone-approve-pin", "0000").await;
    app.click("phone-approve").await;
    app.switch_to_login().await;
    login::push_message(&app, "login_failed").await;
    app.wait_attr("push-message", "data-reason", "wrong_response")
        .await;
    app.wait_text("push-message", "say the response was wrong", |t| {
        t.contains("response was wrong")
    })
    .await;
    app.wait_text("push-send-again", "offer Send again", |t| {
        t.eq_ignore_ascii_case("send again")
    })
    .await;
    app.quit().await;
}

/// Item 4: enrolling IB Key with a number not on record asks for the active second
/// factor first (avery's DSC+), then the activation code.
#[tokio::test]
async fn hardening_phone_activation_verifies_the_active_device_first() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    start_phone_activation(&app, "avery", "7700900999").await;

    app.wait_text("phone-verify-text", "name the card", |t| {
        t.contains(AVERY_CARD)
    })
    .await;
    let challenge = app
        .wait_text("phone-verify-challenge", "show a challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("phone: confirm it is you").await;
    let response = broker.card_response(AVERY_CARD, "1234", &challenge).await;
    app.type_into("phone-verify-response", &response).await;
    app.click("phone-verify-submit").await;

    let code = phone::activation_code(&app).await;
    app.type_into("phone-activation-code", &code).await;
    app.type_into("phone-activation-pin", "4321").await;
    app.click("phone-activation-finish").await;
    app.wait_text("phone-accounts", "list avery", |t| t.contains("avery"))
        .await;
    app.quit().await;
}

/// Item 5: an idle session ends; the main window closes and the login window says
/// why. Activity in the main window keeps it alive.
#[tokio::test]
async fn hardening_idle_session_returns_to_the_login_window() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    // Mid-morning UTC, far from the daily end (23:45 by default).
    let (_, clock) = broker.get("/qa/clock").await;
    let now = clock["now_ms"].as_i64().expect("now_ms") / 1000;
    let morning = now - now.rem_euclid(86_400) + 9 * 3600;
    let (status, _) = broker
        .post("/qa/clock/set", json!({ "unix_seconds": morning }))
        .await;
    assert_eq!(status, 200);

    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "blake", DEMO_PASSWORD).await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    let first = app
        .wait_for(
            "session-expires",
            Some("data-expires-at"),
            "say when",
            |_, v| v.is_some(),
        )
        .await;

    // 20 idle minutes, then activity: the idle end moves.
    broker.advance(20 * 60).await;
    app.click("session-heading").await;
    app.wait_for(
        "session-expires",
        Some("data-expires-at"),
        "move the idle end after activity",
        |t, _| t != first,
    )
    .await;

    broker.advance(31 * 60).await;
    app.switch_to_login().await;
    app.wait_attr("session-ended", "data-reason", "idle").await;
    app.wait_text("session-ended", "say why", |t| {
        t.contains("without activity")
    })
    .await;
    app.assert_accessible("login: session ended").await;
    app.quit().await;
}

/// Item 9 (and 12): a token the broker no longer accepts is said on the phone, with
/// re-pairing that makes it work again.
#[tokio::test]
async fn hardening_refused_phone_token_offers_re_pairing() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    // Someone else takes the demo phone's identity: this token is void.
    let (status, _) = broker
        .post("/qa/phones/demo-phone/provision", json!({}))
        .await;
    assert_eq!(status, 200);

    app.switch_to_page("phone.html").await;
    app.wait_attr("phone-refused-text", "data-code", "unknown_phone")
        .await;
    app.assert_accessible("phone: pair again").await;
    app.click("phone-repair").await;
    app.wait_text("phone-accounts", "list dana again", |t| t.contains("dana"))
        .await;

    app.switch_to_login().await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    open_request_on_phone(&app, "dana").await;
    app.type_into("phone-approve-pin", DANA_PIN).await;
    app.click("phone-approve").await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

/// Item 11: the bundled broker's QA controls answer the app (its token, passed in the
/// environment), and nobody else.
#[tokio::test]
async fn hardening_bundled_broker_qa_controls_need_the_app_token() {
    let _turn = one_at_a_time().await;
    let app = Desktop::start(&[]).await;
    login::ready(&app).await;
    let status = app
        .client
        .execute(
            "return window.__TAURI__.core.invoke('broker_status')",
            vec![],
        )
        .await
        .expect("broker_status");
    let url = status["url"].as_str().expect("the bundled broker's URL");

    let http = reqwest::Client::new();
    let refused = http
        .post(format!("{url}/qa/reset"))
        .json(&json!({}))
        .send()
        .await
        .expect("POST /qa/reset");
    assert_eq!(refused.status().as_u16(), 401, "no token, no QA");
    let body: serde_json::Value = refused.json().await.unwrap_or_default();
    assert_eq!(body["code"], "qa_token_required");

    // The token is in the broker's environment, not on its command line.
    let port = url.rsplit(':').next().unwrap_or_default().to_owned();
    let mut checked = false;
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !cmdline.contains("mock-broker") || !cmdline.contains("--exit-with-stdin") {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let environ = String::from_utf8_lossy(&environ).to_string();
        let Some(token) = environ
            .split('\0')
            .find_map(|v| v.strip_prefix("MOCK_BROKER_QA_TOKEN="))
        else {
            continue;
        };
        assert!(
            !cmdline.contains(token),
            "the token is not on the command line"
        );
        let ok = http
            .get(format!("{url}/qa/clock"))
            .header("X-QA-Token", token)
            .send()
            .await
            .expect("GET /qa/clock");
        if ok.status().is_success() {
            checked = true;
        }
    }
    assert!(
        checked,
        "found the app's broker on port {port}, token in its environment"
    );

    // The app's own QA calls carry it: Reset demo works.
    app.click("menu-demo").await;
    app.click("menu-reset-demo").await;
    app.wait_attr("demo-notice", "data-code", "demo_reset")
        .await;
    app.quit().await;
}
