//! IB Key end to end: the phone window, the push, its fallback, expiry, notifications.

use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::{home, login, phone, DEMO_PASSWORD};
use portcullis_testkit::Broker;
use std::process::{Command, Stdio};

pub(super) const DANA_KEY: &str = "IBK-10000001";
pub(super) const DANA_PIN: &str = "2580";

/// The main window on `username`'s session through `device`, checked with axe.
pub(super) async fn logged_in_as(app: &Desktop, username: &str, device: &str) {
    home::logged_in_through(app, username, device).await;
    app.assert_accessible("main: session").await;
}

#[tokio::test]
async fn k2_push_approved_in_the_phone_window_logs_the_desktop_in() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    app.wait_text("push-sent-text", "say a notification was sent", |t| {
        t.contains("notification has been sent")
    })
    .await;
    login::push_counting_down(&app).await;
    app.assert_accessible("login: push wait").await;

    phone::request_shown(&app, "dana").await;
    app.assert_accessible("phone: home with a request").await;
    app.click("phone-request-item").await;
    app.type_into("phone-approve-pin", DANA_PIN).await;
    app.assert_accessible("phone: login request").await;
    portcullis_testkit::desktop::screenshot("push-and-phone.png");
    app.click("phone-approve").await;

    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

#[tokio::test]
async fn k3_k4_dropped_push_fallback_through_the_authenticate_screen() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    broker.fault(Some(DANA_KEY), "drop", 0).await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_sent(&app).await;
    app.click("push-fallback-link").await;
    let challenge = app
        .wait_text("challenge-code", "show a challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.wait_text(
        "steps-phone",
        "explain the phone's Authenticate screen",
        |t| t.contains("Authenticate"),
    )
    .await;
    app.assert_accessible("login: IB Key challenge (fallback)")
        .await;

    app.switch_to_page("phone.html").await;
    assert!(
        app.find("phone-no-requests")
            .await
            .is_displayed()
            .await
            .unwrap_or(false),
        "K4: the dropped push never reached the phone"
    );
    let response = phone::passcode(&app, "dana", DANA_PIN, &challenge).await;
    app.assert_accessible("phone: Authenticate with a passcode")
        .await;

    app.switch_to_login().await;
    app.type_into("response-input", &response).await;
    app.click("response-ok").await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

#[tokio::test]
async fn k6_expired_push_shows_a_message_and_send_again_sends_another() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(&app).await;
    broker.advance(180).await;
    login::push_message(&app, "push_expired").await;
    app.wait_text("push-message", "explain", |t| t.contains("expired"))
        .await;
    app.assert_accessible("login: push expired").await;
    app.click("push-send-again").await;
    app.wait_text("push-countdown", "count down again", |t| {
        t.contains("expires in 3:00") || t.contains("expires in 2:5")
    })
    .await;

    let (_, pushes) = broker.get("/qa/pushes?username=dana").await;
    let states: Vec<_> = pushes["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, vec!["expired", "pending"], "a second push went out");

    phone::request_shown(&app, "dana").await;
    app.quit().await;
}

#[tokio::test]
async fn k2_incoming_push_raises_a_desktop_notification_that_opens_the_request() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    // Earlier tests' notifications may still be on screen; this test's is to be first.
    let _ = Command::new("dunstctl").arg("close-all").status();
    let log = tempfile::NamedTempFile::new().expect("monitor log");
    let mut monitor = Command::new("dbus-monitor")
        .args([
            "--session",
            "interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(Stdio::from(log.reopen().expect("log file")))
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor");
    // The monitor is listening once it has printed its own greeting.
    portcullis_testkit::eventually("dbus-monitor to start", DEADLINE, || async {
        (std::fs::metadata(log.path()).map(|m| m.len()).unwrap_or(0) > 0).then_some(())
    })
    .await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    portcullis_testkit::eventually("a Notify call on the session bus", DEADLINE, || async {
        let seen = std::fs::read_to_string(log.path()).unwrap_or_default();
        seen.contains("Login request for dana").then_some(())
    })
    .await;
    let _ = monitor.kill();
    let _ = monitor.wait();

    // Activating the notification opens the request on the phone.
    portcullis_testkit::eventually("dunst to show it", DEADLINE, || async {
        let out = Command::new("dunstctl")
            .args(["count", "displayed"])
            .output()
            .ok()?;
        (String::from_utf8_lossy(&out.stdout).trim() != "0").then_some(())
    })
    .await;
    let _ = Command::new("dunstctl").args(["action", "0"]).status();
    app.switch_to_page("phone.html").await;
    app.wait_text("phone-request-user", "show dana's request", |t| t == "dana")
        .await;
    app.assert_accessible("phone: request opened from a notification")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn d6_several_devices_offer_a_choice() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "frank", DEMO_PASSWORD).await;
    let options = app
        .wait_text("device-select", "list frank's devices", |t| {
            t.contains("IB Key") && t.contains("Digital Security Card+")
        })
        .await;
    assert!(options.contains("DSCP-40377620"), "{options}");
    app.assert_accessible("login: device choice").await;
    app.find("device-select")
        .await
        .select_by_value("IBK-10000002")
        .await
        .expect("pick IB Key");
    app.click("device-continue").await;
    login::push_sent(&app).await;
    app.quit().await;
}

#[tokio::test]
async fn k6_auto_resend_sends_again_by_itself_up_to_the_limit() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(&app).await;
    // The setting, on the push-wait screen: on, once.
    app.click("auto-resend").await;
    app.type_into("auto-resend-max", "1").await;
    app.find("auto-resend-max")
        .await
        .send_keys("\u{E004}")
        .await
        .expect("tab out to save");
    portcullis_testkit::eventually("the setting to be saved", DEADLINE, || async {
        let saved = app
            .client
            .execute(
                "return window.__TAURI__.core.invoke('get_settings')",
                vec![],
            )
            .await
            .ok()?;
        (saved["auto_resend"] == true && saved["auto_resend_max"] == 1).then_some(())
    })
    .await;
    broker.advance(180).await;
    portcullis_testkit::eventually("a second push, sent by itself", DEADLINE, || async {
        let (_, pushes) = broker.get("/qa/pushes?username=dana").await;
        (pushes["pushes"].as_array().map_or(0, Vec::len) == 2).then_some(())
    })
    .await;
    broker.advance(180).await;
    login::push_message(&app, "push_expired").await;
    app.wait_text(
        "push-send-again",
        "offer Send again once the limit is reached",
        |t| t.eq_ignore_ascii_case("send again"),
    )
    .await;
    app.assert_accessible("login: push expired after resends")
        .await;
    let (_, pushes) = broker.get("/qa/pushes?username=dana").await;
    assert_eq!(
        pushes["pushes"].as_array().map_or(0, Vec::len),
        2,
        "no third push"
    );
    // Off again, for the tests after (the setting is a file in the session's config).
    app.click("auto-resend").await;
    app.quit().await;
}

#[tokio::test]
async fn k1_activation_in_the_phone_window_then_a_push_for_the_new_user() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::open(&app).await;
    app.click("phone-activate-start").await;
    app.find("phone-activate-username").await;
    app.assert_accessible("phone: activate").await;
    app.type_into("phone-activate-username", "erin").await;
    app.type_into("phone-activate-password", "Trade2026").await;
    app.type_into("phone-activate-number", "07700900456").await;
    app.click("phone-activation-send").await;
    app.wait_attr("phone-error", "data-code", "invalid_phone_number")
        .await;
    app.wait_text("phone-error", "explain the trunk prefix", |t| {
        t.contains("leading 0")
    })
    .await;
    app.assert_accessible("phone: activate, wrong number").await;

    app.type_into("phone-activate-number", "7700900456").await;
    app.click("phone-activation-send").await;
    let code = phone::activation_code(&app).await;
    app.assert_accessible("phone: activation code").await;
    app.type_into("phone-activation-code", &code).await;
    app.type_into("phone-activation-pin", "4321").await;
    app.click("phone-activation-finish").await;
    app.wait_text("phone-accounts", "list erin", |t| t.contains("erin"))
        .await;
    app.assert_accessible("phone: home after activation").await;
    let kept = portcullis_testkit::desktop::keyring_lookup("portcullis.phone", "identity")
        .unwrap_or_default();
    assert!(
        kept.contains("\"username\":\"erin\"") && kept.contains("secret_hex"),
        "the phone keeps its token and keys in the desktop keyring"
    );

    app.switch_to_login().await;
    login::type_and_log_in(&app, "erin", DEMO_PASSWORD).await;
    app.wait_text("push-sent-text", "wait for the phone, not SMS (D3)", |t| {
        t.contains("notification")
    })
    .await;
    phone::request_shown(&app, "erin").await;
    app.click("phone-request-item").await;
    app.type_into("phone-approve-pin", "4321").await;
    app.click("phone-approve").await;
    logged_in_as(&app, "erin", "IBK-").await;
    app.switch_to_page("phone.html").await;
    app.wait_text("phone-accounts", "show K7 trading access", |t| {
        t.contains("Trading access until")
    })
    .await;
    app.assert_accessible("phone: home with trading access")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn number_matching_wrong_pick_denies_and_the_desktop_offers_send_again() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let (status, _) = broker
        .post(
            "/qa/settings",
            serde_json::json!({ "number_matching": true }),
        )
        .await;
    assert_eq!(status, 200);
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    let shown = app
        .wait_text("push-number", "show the number to pick", |t| t.len() == 2)
        .await;
    app.assert_accessible("login: push wait with a number")
        .await;

    phone::request_shown(&app, "dana").await;
    app.click("phone-request-item").await;
    app.wait_text("phone-number-choices", "offer the number", |t| {
        t.contains(shown.as_str())
    })
    .await;
    let buttons = app
        .client
        .find_all(fantoccini::Locator::Css(
            "[data-testid=\"phone-number-choice\"]",
        ))
        .await
        .expect("number buttons");
    assert_eq!(buttons.len(), 3, "three numbers to pick from");
    app.assert_accessible("phone: request with number matching")
        .await;
    let mut picked_wrong = false;
    for button in buttons {
        if button.attr("data-number").await.ok().flatten().as_deref() != Some(shown.as_str()) {
            button.click().await.expect("pick a wrong number");
            picked_wrong = true;
            break;
        }
    }
    assert!(picked_wrong);
    app.type_into("phone-approve-pin", DANA_PIN).await;
    app.click("phone-approve").await;
    app.wait_attr("phone-error", "data-code", "number_mismatch")
        .await;
    app.assert_accessible("phone: wrong number picked").await;

    // Item 3: a wrong pick is told apart from a denial.
    app.switch_to_login().await;
    login::push_message(&app, "login_failed").await;
    app.wait_attr("push-message", "data-reason", "number_mismatch")
        .await;
    app.wait_text("push-message", "say Login failed, wrong number", |t| {
        t.starts_with("Login failed") && t.contains("wrong number")
    })
    .await;
    app.wait_text("push-send-again", "offer Send again", |t| {
        t.eq_ignore_ascii_case("send again")
    })
    .await;
    app.assert_accessible("login: push refused, wrong number")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn d3_sms_code_from_the_outbox_logs_in() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "erin", DEMO_PASSWORD).await;
    app.wait_text("sms-sent-text", "say where the code went", |t| {
        t.contains("0456")
    })
    .await;
    app.wait_text("response-label", "ask for the code", |t| {
        t.eq_ignore_ascii_case("code")
    })
    .await;
    app.assert_accessible("login: SMS code").await;
    let code = broker.last_sms_code("7700900456").await;
    app.type_into("response-input", &code).await;
    app.click("response-ok").await;
    logged_in_as(&app, "erin", "SMS-erin").await;
    app.quit().await;
}
