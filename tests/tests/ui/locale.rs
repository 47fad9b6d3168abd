//! Issue 10: English and French, switched at run time from the Language menu, in
//! every open window at once, and kept across restarts; `PORTCULLIS_LOCALE` for one
//! run. Error boxes keep the broker's `data-code` whatever the language.

use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::{login, Channel};
use portcullis_testkit::Broker;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const AVERY_CARD: &str = "DSCP-40211873";

/// The app's settings file. The test session's XDG folders (scripts/with-desktop.sh)
/// are every test's, so two `Desktop::start` in one test share it — and so does the
/// next test.
fn settings_file() -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config")
        });
    config.join("com.portcullis.desktop/settings.json")
}

fn saved_locale() -> Option<String> {
    let text = std::fs::read_to_string(settings_file()).ok()?;
    let values: serde_json::Value = serde_json::from_str(&text).ok()?;
    values["locale"].as_str().map(String::from)
}

/// Whatever happens in the test, the tests after it start in English.
struct BackToEnglish;

impl Drop for BackToEnglish {
    fn drop(&mut self) {
        let path = settings_file();
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        if let Ok(mut values) = serde_json::from_str::<serde_json::Value>(&text) {
            values["locale"] = serde_json::json!("en");
            let _ = std::fs::write(&path, values.to_string());
        }
    }
}

/// Waits until the current window's `<html lang>` is `lang`.
async fn wait_lang(app: &Desktop, lang: &str) {
    let start = Instant::now();
    loop {
        let now = app
            .client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap_or_default();
        if now == serde_json::json!(lang) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "<html lang> should become {lang:?} (screen readers read the page in it); it is {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn choose(app: &Desktop, item: &str) {
    app.click("menu-language").await;
    app.click(item).await;
}

#[tokio::test]
async fn issue10_french_at_run_time_in_every_window_and_kept_after_a_restart() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.wait_text("login-heading", "be in English first", |t| t == "Log in")
        .await;
    wait_lang(&app, "en").await;

    // A simulator open before the switch follows it too.
    app.click("menu-devices").await;
    app.click("menu-open-card").await;
    app.switch_to_page("card.html").await;
    wait_lang(&app, "en").await;
    app.switch_to_login().await;

    choose(&app, "menu-language-fr").await;
    app.wait_text("login-heading", "be in French", |t| t == "Se connecter")
        .await;
    app.wait_text("login-button", "be in French", |t| t == "Connexion")
        .await;
    // The menu is closed again: its item is read, not waited on as shown.
    let current = app
        .find("menu-language-fr")
        .await
        .attr("aria-current")
        .await;
    assert_eq!(
        current.ok().flatten().as_deref(),
        Some("true"),
        "the menu marks the language in use"
    );
    wait_lang(&app, "fr").await;
    app.switch_to_page("card.html").await;
    wait_lang(&app, "fr").await;
    app.switch_to_login().await;

    // The broker answers in English; the window says it in French, same code.
    login::credentials(&app, "avery", "wrong-password").await;
    login::error_code(&app, "invalid_credentials").await;
    app.wait_text("login-error", "say it in French", |t| {
        t.contains("Combinaison nom d'utilisateur/mot de passe non valide")
    })
    .await;
    app.assert_accessible("login: in French, with an error")
        .await;
    assert_eq!(
        saved_locale().as_deref(),
        Some("fr"),
        "the choice is saved in the settings"
    );
    app.quit().await;

    // Started again: still French.
    let app = app_for(&broker).await;
    login::ready(&app).await;
    app.wait_text("login-heading", "be French after a restart", |t| {
        t == "Se connecter"
    })
    .await;
    wait_lang(&app, "fr").await;

    // And back.
    choose(&app, "menu-language-en").await;
    app.wait_text("login-heading", "be English again", |t| t == "Log in")
        .await;
    app.wait_text("login-button", "be English again", |t| t == "Login")
        .await;
    wait_lang(&app, "en").await;
    assert_eq!(saved_locale().as_deref(), Some("en"));
    app.quit().await;
}

#[tokio::test]
async fn issue10_the_main_window_in_french_and_its_own_language_menu() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start_for_ui().await;
    let app = Desktop::start_with_env(
        &["--broker-url", &broker.url],
        &[("PORTCULLIS_LOCALE", "fr")],
    )
    .await;
    login::with_dsc_plus(&app, &broker, Channel::Trading, "avery", AVERY_CARD, "1234").await;
    app.wait_text("session-heading", "be in French", |t| t == "Votre session")
        .await;
    app.wait_text("logout-button", "be in French", |t| t == "Se déconnecter")
        .await;
    wait_lang(&app, "fr").await;
    app.assert_accessible("main: in French").await;

    choose(&app, "menu-language-en").await;
    app.wait_text("session-heading", "be English again", |t| {
        t == "Your session"
    })
    .await;
    wait_lang(&app, "en").await;
    app.quit().await;
}

#[tokio::test]
async fn issue10_portcullis_locale_sets_the_language_for_one_run_without_saving_it() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start_for_ui().await;
    let before = saved_locale();
    let app = Desktop::start_with_env(
        &["--broker-url", &broker.url],
        &[("PORTCULLIS_LOCALE", "fr")],
    )
    .await;
    login::ready(&app).await;
    app.wait_text("login-heading", "be in French", |t| t == "Se connecter")
        .await;
    wait_lang(&app, "fr").await;
    assert_eq!(
        saved_locale(),
        before,
        "an override is not a choice to keep"
    );
    app.quit().await;
}
