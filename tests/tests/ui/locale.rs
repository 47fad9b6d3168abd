//! Issue 10: English and French, switched at run time from the Language menu, in
//! every open window at once, and kept across restarts; `PORTCULLIS_LOCALE` for one
//! run. Error boxes keep the broker's `data-code` whatever the language. What the
//! broker says in English — messages, hints, confirmations — the windows word in French
//! from its data; the native window titles and the phone's notification follow too.

use super::settings::{
    compliance_rejects, loweira_waits_for_compliance, portal_card_login, portal_dsc_login,
    portal_password_step, LENA_CARD, LENA_PIN, NORA_DSCP, NORA_PIN,
};
use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_testkit::desktop::{notification_history, window_titles, Desktop};
use portcullis_testkit::pages::home::{log_out, settings_ready};
use portcullis_testkit::pages::{login, phone, Channel, DEMO_PASSWORD};
use portcullis_testkit::{eventually, Broker};
use serde_json::json;
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

/// The app in French for this run (`--locale fr`), saving into `save_dir` if given.
async fn app_in_french(broker: &Broker, save_dir: Option<&std::path::Path>) -> Desktop {
    let dir = save_dir.map(|d| d.to_str().expect("a UTF-8 folder").to_owned());
    let env: Vec<(&str, &str)> = dir
        .as_deref()
        .map(|d| vec![("PORTCULLIS_SAVE_DIR", d)])
        .unwrap_or_default();
    Desktop::start_with_env(&["--broker-url", &broker.url, "--locale", "fr"], &env).await
}

/// Waits until a native window is titled `title`.
async fn wait_window_title(title: &str) {
    eventually(&format!("a window titled {title:?}"), DEADLINE, || async {
        window_titles().iter().any(|t| t == title).then_some(())
    })
    .await;
}

#[tokio::test]
async fn issue10_the_online_card_and_the_window_titles_in_french_then_english() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let saved = tempfile::tempdir().expect("a folder for saved cards");
    let broker = Broker::start().await;
    let app = app_in_french(&broker, Some(saved.path())).await;
    login::password_step(&app, Channel::Portal, "jonas", "Trade2026").await;
    app.wait_text("passcode-hint", "ask for the passcode, in French", |t| {
        t.starts_with("Saisissez le code de sécurité temporaire")
    })
    .await;
    app.type_into("response-input", "JONASDAY3").await;
    app.click("response-ok").await;
    app.switch_to_page("main.html").await;
    wait_lang(&app, "fr").await;
    assert_eq!(
        app.client.title().await.expect("the page's title"),
        "Portcullis — Station de négociation"
    );

    app.click("online-card-get").await;
    let id = app
        .wait_text("online-card-caption", "caption the card in French", |t| {
            t.starts_with("Carte de codes de sécurité en ligne ")
                && t.contains("Le code de l'index 42 se trouve à la ligne 40, colonne 2.")
        })
        .await;
    app.click("online-card-save-png").await;
    app.wait_text("online-card-saved", "say where, in French", |t| {
        t.starts_with("Enregistrée : ") && t.ends_with(".png")
    })
    .await;
    app.assert_accessible("main: the online card, in French")
        .await;

    // The native titles: a window opened in French, and the open ones at a switch.
    app.click("menu-devices").await;
    app.click("menu-open-card").await;
    wait_window_title("Simulateur de carte DSC+").await;
    app.switch_to_page("main.html").await;

    choose(&app, "menu-language-en").await;
    wait_lang(&app, "en").await;
    wait_window_title("DSC+ card simulator").await;
    app.wait_text("online-card-caption", "caption it in English again", |t| {
        t.starts_with("Online security code card ")
            && t.ends_with("The code for index 42 is in row 40, column 2.")
    })
    .await;
    app.wait_text("online-card-saved", "say where in English again", |t| {
        t.starts_with("Saved: ")
    })
    .await;
    assert!(id.contains("OSC-"), "the card's id stays: {id}");
    app.quit().await;
}

#[tokio::test]
async fn issue10_hints_deposits_and_a_loss_in_french_then_english() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start().await;
    let app = app_in_french(&broker, None).await;

    // L6's hints by their codes, in French.
    portal_password_step(&app, "nora").await;
    login::challenge_shown(&app).await;
    login::respond(&app, "00000000").await;
    login::error_code(&app, "login_failed").await;
    let text = app
        .wait_text("login-error", "say Login failed in French", |t| {
            t.starts_with("Échec de la connexion")
        })
        .await;
    assert!(
        text.contains("sensibles à la casse") && text.contains("ne contiennent pas d'espaces"),
        "L6 hints in French: {text}"
    );
    let codes = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=login-failed-hints] li')].map(li => li.dataset.hint)",
            vec![],
        )
        .await
        .expect("the hints' codes");
    assert_eq!(codes, json!(["temporary_case", "no_spaces"]));

    portal_password_step(&app, "nora").await;
    portal_dsc_login(&app, &broker, "nora", NORA_DSCP, NORA_PIN).await;
    settings_ready(&app).await;
    let hold = format!("hold-{NORA_DSCP}");
    app.wait_attr(&hold, "data-status", "held").await;
    app.wait_text(&hold, "show the deposit in French", |t| {
        t.contains("Retenu") && t.contains("20 USD") && t.contains(" UTC")
    })
    .await;

    app.click(&format!("device-report-lost-{NORA_DSCP}")).await;
    app.find("report-lost-reason")
        .await
        .select_by_value("stolen")
        .await
        .expect("choose stolen");
    app.click("report-lost-confirm").await;
    app.wait_attr("return-done", "data-outcome", "stolen").await;
    app.wait_text("return-done", "say it is reported, in French", |t| {
        t == format!(
            "L'appareil Digital Security Card+ {NORA_DSCP} est déclaré volé. Le dépôt de 20 USD est conservé."
        )
    })
    .await;
    app.wait_attr(&hold, "data-status", "kept").await;
    app.wait_text(&hold, "say the deposit is kept", |t| t.contains("Conservé"))
        .await;
    app.assert_accessible("settings: a loss, in French").await;

    choose(&app, "menu-language-en").await;
    app.wait_text("return-done", "say it in English again", |t| {
        t.contains("is reported stolen") && t.contains("The 20 USD deposit is kept.")
    })
    .await;
    app.wait_text(&hold, "say Kept", |t| t.contains("Kept"))
        .await;
    app.quit().await;
}

#[tokio::test]
async fn issue10_a_return_and_a_dsc_plus_order_in_french() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start().await;
    let app = app_in_french(&broker, None).await;
    portal_password_step(&app, "nora").await;
    portal_dsc_login(&app, &broker, "nora", NORA_DSCP, NORA_PIN).await;
    settings_ready(&app).await;
    app.click(&format!("device-return-{NORA_DSCP}")).await;
    app.click("device-return-confirm").await;
    app.wait_attr("return-done", "data-outcome", "returned")
        .await;
    let sent = app
        .wait_text("return-done", "say it is on its way, in French", |t| {
            t.contains("est en cours de retour")
        })
        .await;
    assert!(
        sent.contains("Le dépôt de 20 USD est libéré dès sa réception.") && sent.contains(" UTC"),
        "{sent}"
    );
    log_out(&app).await;

    portal_card_login(&app, &broker, "lena", LENA_CARD).await;
    settings_ready(&app).await;
    app.click("sls-request-device").await;
    app.type_into("device-order-pin", LENA_PIN).await;
    app.click("device-order-continue").await;
    app.wait_text(
        "device-order-summary-deposit",
        "say where the deposit is held",
        |t| t.starts_with("20 USD sur le compte "),
    )
    .await;
    let ships = app
        .find("device-order-summary-ships")
        .await
        .attr("data-date")
        .await
        .expect("attr")
        .expect("the shipment date");
    let months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let shown = app
        .wait_text(
            "device-order-summary-ships",
            "say the date in French",
            |t| months.iter().any(|m| t.contains(m)),
        )
        .await;
    assert!(shown.ends_with(&ships[..4]), "{shown} for {ships}");
    app.assert_accessible("settings: the order's summary, in French")
        .await;
    app.click("device-order-submit").await;
    let done = app
        .wait_text(
            "device-order-done-text",
            "confirm the order in French",
            |t| t.contains("est commandé. Date d'expédition estimée : "),
        )
        .await;
    assert!(
        done.contains(&shown) && done.contains("Un dépôt de 20 USD est retenu"),
        "{done}"
    );

    choose(&app, "menu-language-en").await;
    app.wait_text(
        "device-order-done-text",
        "confirm it in English again",
        |t| t.contains(&format!("Estimated shipment date: {ships}.")),
    )
    .await;
    app.quit().await;
}

#[tokio::test]
async fn issue10_a_compliance_message_and_the_configure_confirmation_switch_language() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start().await;
    let app = app_for(&broker).await;
    let id = loweira_waits_for_compliance(&app, &broker).await;
    compliance_rejects(&broker, &id).await;
    let message = format!("message-{id}-rejected");
    app.wait_attr(&message, "data-kind", "sharing_rejected")
        .await;

    choose(&app, "menu-language-fr").await;
    wait_lang(&app, "fr").await;
    let told = app
        .wait_text(&message, "tell the rejection in French", |t| {
            t.starts_with("La Conformité a refusé votre demande de partage")
        })
        .await;
    assert!(
        told.contains("de loweadvisor") && told.contains("Motif indiqué : « ID document expired »"),
        "{told}"
    );

    app.click("sls-configure").await;
    app.click("sls-choice-opt-out").await;
    app.click("sls-configure-continue").await;
    app.wait_text("sls-configure-done-text", "confirm in French", |t| {
        t == "Vos paramètres ont été mis à jour."
    })
    .await;
    app.assert_accessible("settings: a message and a confirmation, in French")
        .await;

    choose(&app, "menu-language-en").await;
    app.wait_text("sls-configure-done-text", "confirm in English", |t| {
        t == "Your settings have been updated."
    })
    .await;
    app.wait_text(&message, "tell it in English", |t| {
        t.starts_with("Compliance rejected your request to share loweadvisor's")
            && t.contains("Reason given: \"ID document expired\".")
    })
    .await;
    app.quit().await;
}

#[tokio::test]
async fn issue10_the_phones_notification_in_the_language_in_use_when_raised() {
    let _turn = one_at_a_time().await;
    let _english_after = BackToEnglish;
    let broker = Broker::start().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    let close_all = || {
        let _ = std::process::Command::new("dunstctl")
            .arg("close-all")
            .status();
    };
    close_all();

    choose(&app, "menu-language-fr").await;
    wait_lang(&app, "fr").await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    let raised = |summary: &'static str| async move {
        close_all();
        notification_history()
            .into_iter()
            .find(|(s, _)| s == summary)
    };
    let (_, body) = eventually("a notification in French", DEADLINE, || {
        raised("IB Key : demande de connexion")
    })
    .await;
    assert_eq!(
        body,
        "Demande de connexion pour dana. Ouvrez-la pour l'approuver ou la refuser."
    );

    // Back in English: the next one is English.
    app.click("push-cancel").await;
    choose(&app, "menu-language-en").await;
    wait_lang(&app, "en").await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    let (_, body) = eventually("a notification in English", DEADLINE, || {
        raised("IB Key: login request")
    })
    .await;
    assert_eq!(body, "Login request for dana. Open to approve or deny.");
    app.quit().await;
}
