//! Keyboard use and what the app keeps in the desktop keyring.

use super::{app_for, one_at_a_time};
use portcullis_testkit::desktop::keyring_lookup;
use portcullis_testkit::pages::login;
use portcullis_testkit::Broker;

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

#[tokio::test]
async fn enter_submits_and_escape_cancels_the_challenge() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;

    app.type_into("username", "avery").await;
    app.type_into("password", &format!("Trade2026{ENTER}"))
        .await;
    app.wait_text("challenge-code", "show the challenge", |t| t.len() == 6)
        .await;
    app.assert_accessible("login: DSC+ challenge").await;

    app.find("response-input")
        .await
        .send_keys(ESCAPE)
        .await
        .expect("press Esc");
    app.wait_text("login-button", "be back at the password step", |t| {
        t.eq_ignore_ascii_case("login")
    })
    .await;
    portcullis_testkit::eventually("the broker to hear the cancel", super::DEADLINE, || async {
        broker
            .audit()
            .await
            .iter()
            .any(|e| e["event"] == "login_cancelled")
            .then_some(())
    })
    .await;
    app.quit().await;
}

#[tokio::test]
async fn remember_username_uses_the_keyring_and_logout_returns_to_login() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;

    app.type_into("username", "blake").await;
    app.type_into("password", "Trade2026").await;
    app.click("remember-username").await;
    app.click("login-button").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    assert_eq!(
        keyring_lookup("portcullis", "remembered-username").as_deref(),
        Some("blake"),
        "the username is kept in the desktop keyring"
    );

    app.click("logout-button").await;
    app.switch_to_login().await;
    app.wait_for(
        "username",
        Some("value"),
        "be filled from the keyring",
        |_, v| v == Some("blake"),
    )
    .await;
    let (_, body) = broker.get("/qa/audit?username=blake").await;
    assert!(
        body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "logout"),
        "{body}"
    );

    // Unticking forgets it.
    app.click("remember-username").await;
    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    assert_eq!(keyring_lookup("portcullis", "remembered-username"), None);
    app.quit().await;
}

#[tokio::test]
async fn demo_reset_from_the_menu_clears_locks() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    for _ in 0..10 {
        broker.login("casey", "wrong").await;
    }
    assert_eq!(broker.lockout("casey").await["locked"], true);
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.click("menu-demo").await;
    app.click("menu-reset-demo").await;
    app.wait_attr("demo-notice", "data-code", "demo_reset")
        .await;
    app.assert_accessible("login: demo reset").await;
    assert_eq!(
        broker.lockout("casey").await["locked"],
        false,
        "the visitor after gets a clean demo"
    );
    app.quit().await;
}
