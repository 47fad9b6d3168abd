//! The login window, the card simulator and the main window, end to end.

use super::{app_for, one_at_a_time};
use portcullis_testkit::desktop::{keyring_lookup, Desktop};
use portcullis_testkit::pages::{login, simulators, Channel};
use portcullis_testkit::Broker;

const AVERY_CARD: &str = "DSCP-40211873";

async fn log_in_password(app: &Desktop, username: &str, password: &str) {
    login::ready(app).await;
    app.assert_accessible("login: user name and password").await;
    login::password_step(app, Channel::Trading, username, password).await;
}

#[tokio::test]
async fn c2_dsc_plus_login_reading_the_challenge_into_the_card() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    log_in_password(&app, "avery", "Trade2026").await;
    let challenge = app
        .wait_text("challenge-code", "show a 6-digit challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("login: DSC+ challenge").await;

    let response = simulators::dsc_plus_response(&app, AVERY_CARD, "1234", &challenge).await;
    app.switch_to_page("card.html").await;
    app.assert_accessible("card: response").await;
    assert_eq!(
        response,
        broker.card_response(AVERY_CARD, "1234", &challenge).await,
        "C3: the card computes the broker's expected value"
    );
    portcullis_testkit::desktop::screenshot("login-and-card.png");

    let (_, provision) = broker.get("/qa/devices").await;
    assert!(provision["devices"].to_string().contains(AVERY_CARD));
    assert!(
        keyring_lookup("portcullis.card", AVERY_CARD).is_some_and(|k| k.len() == 64),
        "the card keeps its key in the desktop keyring"
    );

    app.switch_to_login().await;
    app.type_into("response-input", &response).await;
    app.click("response-ok").await;

    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show avery", |t| t == "avery")
        .await;
    let device = app
        .wait_text("session-device", "name the card", |t| {
            t.contains(AVERY_CARD)
        })
        .await;
    assert!(device.contains("Digital Security Card+"), "{device}");
    app.wait_text("session-account", "show the account", |t| t == "U7012345")
        .await;
    app.wait_text("session-logged-in-at", "show the login time", |t| {
        t.ends_with("UTC")
    })
    .await;
    app.assert_accessible("main: session").await;
    app.quit().await;
}

#[tokio::test]
async fn l6_wrong_response_shows_login_failed_with_hints() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    log_in_password(&app, "avery", "Trade2026").await;
    app.wait_text("challenge-code", "show the challenge", |t| t.len() == 6)
        .await;
    app.type_into("response-input", "00000000").await;
    app.click("response-ok").await;

    app.wait_attr("login-error", "data-code", "login_failed")
        .await;
    let text = app
        .wait_text("login-error", "say Login failed", |t| {
            t.starts_with("Login failed")
        })
        .await;
    assert!(
        text.contains("upper case") && text.contains("no spaces"),
        "L6 hints: {text}"
    );
    app.assert_accessible("login: Login failed with hints")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn l4_l5_ten_wrong_passwords_lock_and_clock_travel_unlocks() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    for i in 0..10 {
        log_in_password(&app, "blake", &format!("wrong{i}")).await;
        app.wait_for("login-error", None, "show the failure", |t, _| {
            t.contains("Invalid user name password combination")
        })
        .await;
        // Clear the box so the next failure is a new message, not the old one.
        app.client
            .execute(
                "document.querySelector('[data-testid=\"login-error\"]').hidden = true",
                vec![],
            )
            .await
            .expect("reset the message");
    }
    log_in_password(&app, "blake", "Trade2026").await;
    app.wait_attr("login-error", "data-code", "locked").await;
    let text = app
        .wait_text("login-error", "say when it lifts", |t| t.contains("UTC"))
        .await;
    assert!(text.contains("Client Services"), "L5: {text}");
    app.assert_accessible("login: locked").await;

    broker.advance(24 * 3600).await;
    log_in_password(&app, "blake", "Trade2026").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    app.wait_text("session-device", "say password only", |t| {
        t.contains("password only")
    })
    .await;
    app.assert_accessible("main: password-only session").await;
    app.quit().await;
}

#[tokio::test]
async fn l3_username_with_a_space_shows_bad_character_and_l1_hints_capitals_and_caps_lock() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    log_in_password(&app, "bl ake", "Trade2026").await;
    app.wait_attr("login-error", "data-code", "bad_character")
        .await;
    app.wait_text("login-error", "say BAD CHARACTER", |t| {
        t.starts_with("BAD CHARACTER")
    })
    .await;
    app.assert_accessible("login: BAD CHARACTER").await;

    app.type_into("username", "Blake").await;
    app.wait_text("username-case-hint", "appear", |t| {
        t.contains("case-sensitive")
    })
    .await;
    app.assert_accessible("login: capitals hint").await;
    app.quit().await;
}

#[tokio::test]
async fn unreachable_broker_gives_a_message_and_retry() {
    let _turn = one_at_a_time().await;
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = Desktop::start(&["--broker-url", &format!("http://127.0.0.1:{port}")]).await;
    // Item 13: the app keeps trying by itself, and says so.
    app.wait_attr("broker-status", "data-state", "reconnecting")
        .await;
    app.wait_text("broker-status-text", "explain", |t| {
        t.contains("login server cannot be reached") && t.contains("Trying again")
    })
    .await;
    // Rendered text: the button's style upper-cases it.
    app.wait_text("broker-retry", "offer Retry", |t| {
        t.eq_ignore_ascii_case("retry")
    })
    .await;
    app.assert_accessible("login: login server unreachable")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn bundled_broker_starts_with_the_app_and_logs_in() {
    let _turn = one_at_a_time().await;
    let app = Desktop::start(&[]).await;
    app.wait_attr("broker-status", "data-state", "ready").await;
    app.wait_text("broker-status-text", "name the built-in server", |t| {
        t.contains("built-in demo login server")
    })
    .await;
    log_in_password(&app, "blake", "Trade2026").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    app.quit().await;
}
