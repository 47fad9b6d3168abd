//! Issue 12: every login method by keyboard alone, menus by keyboard, and what screen
//! readers are told. No clicks here: keys go to whatever has focus (WebDriver actions);
//! the test only reads the page and moves between windows as Alt+Tab would.

use super::ibkey::{logged_in_as, DANA_KEY, DANA_PIN};
use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_testkit::desktop::{key, Desktop, Direction};
use portcullis_testkit::pages::{login, phone, DEMO_PASSWORD};
use portcullis_testkit::Broker;

const AVERY_CARD: &str = "DSCP-40211873";

fn with(text: &str, last: char) -> String {
    format!("{text}{last}")
}

/// From the login window's user name field: Devices menu by keyboard, the `item`-th entry
/// (0: card, 1: phone). Leaves focus back on the Devices button.
async fn open_device_window(app: &Desktop, item: usize) {
    app.tab_to("menu-devices", Direction::Backward, 6).await;
    app.keys(&key::ARROW_DOWN.to_string()).await;
    app.wait_attr("menu-devices", "aria-expanded", "true").await;
    app.wait_focus(
        "menu-open-card",
        "ArrowDown opens the menu on its first item",
    )
    .await;
    app.assert_accessible("login: Devices menu open").await;
    for _ in 0..item {
        app.keys(&key::ARROW_DOWN.to_string()).await;
    }
    app.keys(&key::ENTER.to_string()).await;
    app.wait_attr("menu-devices", "aria-expanded", "false")
        .await;
    app.wait_focus("menu-devices", "a chosen item hands focus back to its menu")
        .await;
}

/// Password step by keyboard: from the menu bar to the user name, then type and Enter.
async fn log_in(app: &Desktop, username: &str) {
    app.switch_to_login().await;
    app.tab_to("username", Direction::Forward, 6).await;
    app.keys(&format!("{username}{}Trade2026{}", key::TAB, key::ENTER))
        .await;
}

/// The phone window, made the demo phone by keyboard; back in the login window after.
async fn demo_phone_by_keyboard(app: &Desktop) {
    login::ready(app).await;
    app.wait_focus("username", "the login window starts on the user name")
        .await;
    open_device_window(app, 1).await;
    app.switch_to_page("phone.html").await;
    app.tab_to("phone-use-demo", Direction::Forward, 4).await;
    app.keys(&key::ENTER.to_string()).await;
    app.wait_text("phone-accounts", "list dana", |t| t.contains("dana"))
        .await;
    app.assert_accessible("phone: home").await;
}

/// What the login window's status region (visually hidden) last said.
async fn announced(app: &Desktop) -> String {
    app.client
        .execute(
            "return document.querySelector('[data-testid=\"login-announce\"]').textContent",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn selected_value(app: &Desktop, id: &str) -> String {
    app.find(id)
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[tokio::test]
async fn a11y_keyboard_only_dsc_plus_login_with_the_card_simulator() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.wait_focus("username", "the login window starts on the user name")
        .await;
    app.keys(&format!("avery{}Trade2026{}", key::TAB, key::ENTER))
        .await;
    let challenge = app
        .wait_text("challenge-code", "show a 6-digit challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.wait_focus("response-input", "the challenge step starts on its field")
        .await;
    app.wait_text("challenge-limit", "explain the time limit", |t| {
        t.contains("valid for")
    })
    .await;
    app.assert_accessible("login: DSC+ challenge").await;

    // The card, from the Devices menu.
    open_device_window(&app, 0).await;
    app.switch_to_page("card.html").await;
    app.wait_attr("card-device", "data-ready", "true").await;
    app.wait_focus("card-select", "the card window starts on its card list")
        .await;
    assert_eq!(selected_value(&app, "card-select").await, AVERY_CARD);
    app.tab_to("card-press", Direction::Forward, 2).await;
    app.keys(&key::SPACE.to_string()).await;
    app.wait_text("card-display", "show PIN>", |t| t.starts_with("PIN>"))
        .await;
    app.keys(&with("1234", key::ENTER)).await;
    app.wait_text("card-display", "show CHALLNG>", |t| {
        t.starts_with("CHALLNG>")
    })
    .await;
    app.keys(&with(&challenge, key::ENTER)).await;
    let response = app
        .wait_text("card-display", "show an 8-digit response", |t| {
            t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("card: response").await;
    assert_eq!(
        response,
        broker.card_response(AVERY_CARD, "1234", &challenge).await,
        "Enter is OK on the card, not a second press of the focused key"
    );

    // Back in the login window, focus is where it was left: on the Devices menu.
    app.switch_to_login().await;
    app.tab_to("response-input", Direction::Forward, 4).await;
    app.keys(&with(&response, key::ENTER)).await;
    logged_in_as(&app, "avery", AVERY_CARD).await;
    app.wait_focus("session-heading", "the main window starts on its heading")
        .await;
    app.tab_to("logout-button", Direction::Backward, 3).await;
    app.keys_closing(&key::ENTER.to_string()).await;
    app.switch_to_login().await;
    app.wait_focus("username", "after logging out, the login starts again")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn a11y_keyboard_only_push_approved_on_the_phone() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    demo_phone_by_keyboard(&app).await;

    log_in(&app, "dana").await;
    app.wait_focus("push-heading", "the push step starts on its heading")
        .await;
    app.wait_text("push-limit", "explain the time limit", |t| {
        t.contains("3 minutes")
    })
    .await;

    app.switch_to_page("phone.html").await;
    app.wait_text("phone-requests", "show dana's request", |t| {
        t.contains("Login request for dana")
    })
    .await;
    app.tab_to("phone-request-item", Direction::Forward, 3)
        .await;
    app.keys(&key::ENTER.to_string()).await;
    app.wait_focus("phone-approve-pin", "the request starts on the PIN")
        .await;
    app.assert_accessible("phone: login request").await;
    app.keys(&with(DANA_PIN, key::ENTER)).await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

#[tokio::test]
async fn a11y_keyboard_only_fallback_through_the_phone_authenticate_screen() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    broker.fault(Some(DANA_KEY), "drop", 0).await;
    let app = app_for(&broker).await;
    demo_phone_by_keyboard(&app).await;

    log_in(&app, "dana").await;
    app.wait_focus("push-heading", "the push step starts on its heading")
        .await;
    app.tab_to("push-fallback-link", Direction::Forward, 4)
        .await;
    app.keys(&key::ENTER.to_string()).await;
    let challenge = app
        .wait_text("challenge-code", "show the fallback challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.wait_focus("response-input", "the challenge step starts on its field")
        .await;

    app.switch_to_page("phone.html").await;
    app.tab_to("phone-open-authenticate", Direction::Forward, 8)
        .await;
    app.keys(&key::ENTER.to_string()).await;
    app.wait_focus("phone-auth-user", "Authenticate starts on the user")
        .await;
    assert_eq!(selected_value(&app, "phone-auth-user").await, "dana");
    app.keys(&format!(
        "{}{DANA_PIN}{}{challenge}{}",
        key::TAB,
        key::TAB,
        key::ENTER
    ))
    .await;
    let response = app
        .wait_text("phone-auth-response", "show the passcode", |t| {
            t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("phone: Authenticate with a passcode")
        .await;

    app.switch_to_login().await;
    app.wait_focus("response-input", "focus stays on the response field")
        .await;
    app.keys(&with(&response, key::ENTER)).await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

#[tokio::test]
async fn a11y_keyboard_only_sms_code() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.wait_focus("username", "the login window starts on the user name")
        .await;
    app.keys(&format!("erin{}Trade2026{}", key::TAB, key::ENTER))
        .await;
    app.wait_text("sms-sent-text", "say where the code went", |t| {
        t.contains("0456")
    })
    .await;
    app.wait_focus("response-input", "the SMS step starts on its field")
        .await;
    app.assert_accessible("login: SMS code").await;
    let code = broker.last_sms_code("7700900456").await;
    app.keys(&with(&code, key::ENTER)).await;
    logged_in_as(&app, "erin", "SMS-erin").await;
    app.quit().await;
}

#[tokio::test]
async fn a11y_menus_open_by_keyboard_and_escape_closes_them_without_cancelling() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.wait_focus("username", "the login window starts on the user name")
        .await;
    app.tab_to("menu-demo", Direction::Backward, 4).await;
    app.keys(&key::ENTER.to_string()).await;
    app.wait_attr("menu-demo", "aria-expanded", "true").await;
    app.wait_focus("menu-reset-demo", "Enter opens the menu on its first item")
        .await;
    app.assert_accessible("login: Demo menu open").await;
    app.keys(&key::ESCAPE.to_string()).await;
    app.wait_attr("menu-demo", "aria-expanded", "false").await;
    app.wait_focus("menu-demo", "Escape hands focus back to the menu's button")
        .await;

    // During a login, Escape in a menu closes the menu only; outside, it cancels.
    app.tab_to("username", Direction::Forward, 4).await;
    app.keys(&format!("avery{}Trade2026{}", key::TAB, key::ENTER))
        .await;
    app.wait_focus("response-input", "the challenge step starts on its field")
        .await;
    app.tab_to("menu-devices", Direction::Backward, 4).await;
    app.keys(&key::SPACE.to_string()).await;
    app.wait_attr("menu-devices", "aria-expanded", "true").await;
    app.keys(&key::ESCAPE.to_string()).await;
    app.wait_attr("menu-devices", "aria-expanded", "false")
        .await;
    assert!(
        app.find("second-factor")
            .await
            .is_displayed()
            .await
            .unwrap_or(false),
        "Escape in a menu does not cancel the login"
    );
    app.keys(&key::ESCAPE.to_string()).await;
    app.wait_focus("password", "a second Escape cancels the login")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn a11y_push_expiry_is_announced_ahead_of_time_and_errors_are_alerts() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(&app).await;
    // Said at a few marks, not every second: nothing yet with 3 minutes to go.
    assert_eq!(announced(&app).await, "", "no read-out far from the end");
    broker.advance(130).await;
    let said = portcullis_testkit::eventually("a read-out of the time left", DEADLINE, || async {
        Some(announced(&app).await).filter(|t| !t.is_empty())
    })
    .await;
    assert!(
        said.starts_with("The notification expires in") && said.contains("seconds"),
        "announced ahead of time: {said}"
    );

    broker.advance(60).await;
    login::push_message(&app, "push_expired").await;
    let roles = app
        .client
        .execute(
            "return [...document.querySelectorAll('.message')].map(e => e.getAttribute('role'))",
            vec![],
        )
        .await
        .expect("roles of the message boxes");
    assert!(
        roles
            .as_array()
            .is_some_and(|r| r.iter().all(|role| role == "alert")),
        "every error box is an alert: {roles}"
    );
    app.assert_accessible("login: push expired").await;
    app.quit().await;
}

/// The check itself: in this WebKit, axe-core does see an unnamed field and poor
/// contrast, so a clean run means something.
#[tokio::test]
async fn a11y_the_axe_check_fails_on_an_unnamed_field_and_low_contrast() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.assert_accessible("login: user name and password").await;
    app.client
        .execute(
            // Through the CSSOM, which a strict style-src CSP still allows.
            "document.querySelector('label[for=username]').htmlFor = '';
             document.querySelector('.tagline').style.color = '#1b2a3c';",
            vec![],
        )
        .await
        .expect("break the page on purpose");
    let rules = app.axe_blocking_rules("login, broken on purpose").await;
    assert!(
        rules.iter().any(|r| r == "label") && rules.iter().any(|r| r == "color-contrast"),
        "axe-core should report the unnamed field and the contrast: {rules:?}"
    );
    app.quit().await;
}
