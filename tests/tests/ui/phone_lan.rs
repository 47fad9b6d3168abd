//! Issue 10, a visitor's own phone (`--phone-lan`): the login window shows a QR code;
//! the visitor's phone — here a headless Chromium — opens it, pairs, activates IB Key
//! (K1) with a PIN, and approves the desktop's push (K2) with it. The pairing URL works
//! once; Reset demo unpairs the phone and shows a new code. The listener is on
//! 127.0.0.2 (loopback, but not 127.0.0.1): a specific address, as on a booth's Wi-Fi.

use super::one_at_a_time;
use portcullis_testkit::browser::Browser;
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::{home, login, Channel, DEMO_PASSWORD};
use portcullis_testkit::Broker;

const VERA_NUMBER: &str = "7700900999";
const VERA_PIN: &str = "2468";

/// The panel's pairing URL once it shows one other than `before`.
async fn pairing_url(app: &Desktop, host: &str, before: Option<&str>) -> String {
    app.wait_attr("phone-lan-state", "data-state", "waiting")
        .await;
    let prefix = format!("http://{host}:");
    app.wait_text("phone-lan-url", "show a new pairing URL", |t| {
        t.starts_with(&prefix) && t.contains("/pair/") && Some(t) != before
    })
    .await
}

/// The QR code is an image of the URL, named for what it is.
async fn qr_shown(app: &Desktop) {
    let qr = app.find("phone-lan-qr").await;
    let src = qr.attr("src").await.ok().flatten().unwrap_or_default();
    assert!(src.starts_with("data:image/svg+xml;base64,"), "{src:.40}");
    let alt = qr.attr("alt").await.ok().flatten().unwrap_or_default();
    assert!(alt.contains("QR"), "the QR image's alt text: {alt:?}");
    assert!(qr.is_displayed().await.unwrap_or(false));
}

/// The pairing URL's listener address: `http://ADDR:PORT`.
fn base_of(url: &str) -> &str {
    &url[..url.find("/pair/").expect("a pairing URL")]
}

/// On the visitor's page: K1 with the SMS from the outbox and a PIN.
async fn activate(browser: &Browser, username: &str, number: &str, pin: &str) {
    browser
        .wait_attr("lan-phone", "data-state", "activate")
        .await;
    browser.type_into("lan-phone-username", username).await;
    browser.type_into("lan-phone-password", DEMO_PASSWORD).await;
    browser.type_into("lan-phone-number", number).await;
    browser.click("lan-phone-send-code").await;
    browser.wait_attr("lan-phone", "data-state", "code").await;
    // The text message arrives in the page's inbox; tapping it fills the code.
    browser.click("lan-phone-sms-use").await;
    let code = browser
        .find("lan-phone-code-input")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        code.len() >= 4 && code.bytes().all(|b| b.is_ascii_digit()),
        "the SMS's code: {code:?}"
    );
    browser.type_into("lan-phone-pin-new", pin).await;
    browser.click("lan-phone-activate-finish").await;
    browser.wait_attr("lan-phone", "data-state", "home").await;
    browser
        .wait_attr("lan-phone-notice", "data-code", "notice.activated")
        .await;
}

#[tokio::test]
async fn phone_lan_a_visitor_pairs_activates_and_approves_on_their_own_phone() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start().await;
    let app = Desktop::start(&["--broker-url", &broker.url, "--phone-lan", "127.0.0.2:0"]).await;
    login::ready(&app).await;
    let url = pairing_url(&app, "127.0.0.2", None).await;
    qr_shown(&app).await;
    app.assert_accessible("login: the phone-lan panel").await;
    let base = base_of(&url).to_owned();

    let browser = Browser::start().await;
    // Nothing but the phone's pages: no QA, no broker API, no desktop page.
    for (path, code) in [
        ("/qa/reset", "not_found"),
        ("/v1/login", "not_found"),
        ("/index.html", "not_found"),
        ("/phone/api/status", "not_paired"),
    ] {
        browser.goto(&format!("{base}{path}")).await;
        let body = browser.client.source().await.unwrap_or_default();
        let other = if code == "not_found" {
            "not_paired"
        } else {
            "not_found"
        };
        assert!(
            body.contains(code) && !body.contains(other),
            "{path} should answer {code}: {body:.200}"
        );
    }
    browser
        .goto(&format!("{base}/pair/{}", "0".repeat(32)))
        .await;
    browser
        .wait_attr(
            "lan-phone-pair-refused",
            "data-code",
            "pairing_code_unknown",
        )
        .await;

    // Pairing: the code leaves the address bar.
    browser.goto(&url).await;
    browser
        .wait_attr("lan-phone", "data-state", "activate")
        .await;
    assert_eq!(browser.url().await, format!("{base}/phone"));
    app.wait_attr("phone-lan-state", "data-state", "paired")
        .await;
    assert!(
        !app.find("phone-lan-url")
            .await
            .is_displayed()
            .await
            .unwrap_or(true),
        "no code to scan while a phone is paired"
    );
    browser
        .assert_accessible("visitor's phone: activation")
        .await;

    activate(&browser, "vera", VERA_NUMBER, VERA_PIN).await;
    browser.assert_accessible("visitor's phone: home").await;

    // The desktop login as vera: the push arrives on the visitor's page.
    login::password_step(&app, Channel::Trading, "vera", DEMO_PASSWORD).await;
    login::push_sent(&app).await;
    browser
        .wait_attr("lan-phone", "data-state", "request")
        .await;
    browser
        .wait_text("lan-phone-request-text", "name the user", |t| {
            t.contains("vera")
        })
        .await;
    browser
        .assert_accessible("visitor's phone: login request")
        .await;
    browser.type_into("lan-phone-approve-pin", VERA_PIN).await;
    browser.click("lan-phone-approve").await;
    browser
        .wait_attr("lan-phone-notice", "data-code", "notice.approved")
        .await;
    home::logged_in(&app, "vera").await;

    // The pairing URL a second time: refused, and the paired page still works.
    browser.goto(&url).await;
    browser
        .wait_attr("lan-phone-pair-refused", "data-code", "pairing_code_used")
        .await;
    browser.goto(&format!("{base}/phone")).await;
    browser.wait_attr("lan-phone", "data-state", "home").await;

    // Reset demo: the visitor's page says its pairing ended; the QR shows a new URL.
    home::log_out(&app).await;
    app.click("menu-demo").await;
    app.click("menu-reset-demo").await;
    app.wait_attr("demo-notice", "data-code", "demo_reset")
        .await;
    browser
        .wait_attr("lan-phone-unpaired-text", "data-reason", "ended")
        .await;
    browser
        .assert_accessible("visitor's phone: pairing ended")
        .await;
    let next = pairing_url(&app, "127.0.0.2", Some(&url)).await;
    assert_eq!(base_of(&next), base, "the same listener");
    qr_shown(&app).await;

    // The next visitor pairs with the new code: the page offers activation again.
    browser.goto(&next).await;
    browser
        .wait_attr("lan-phone", "data-state", "activate")
        .await;
    browser.quit().await;
    app.quit().await;
}

/// In French and in kiosk mode: the panel fits the docked login window, and the
/// visitor's page takes the app's language when it pairs.
#[tokio::test]
async fn phone_lan_in_french_in_kiosk_mode() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start().await;
    let app = Desktop::start(&[
        "--broker-url",
        &broker.url,
        "--kiosk",
        "--locale",
        "fr",
        "--phone-lan",
        "127.0.0.3:0",
    ])
    .await;
    login::ready(&app).await;
    let url = pairing_url(&app, "127.0.0.3", None).await;
    app.wait_text("phone-lan-state", "speak French", |t| t.contains("Scannez"))
        .await;
    let fits = app
        .client
        .execute(
            "const r = document.querySelector('[data-testid=\"phone-lan-panel\"]').getBoundingClientRect();\
             return r.left >= 0 && r.right <= document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .expect("the panel's frame");
    assert_eq!(
        fits,
        serde_json::json!(true),
        "the panel fits the login window"
    );
    app.assert_accessible("kiosk, French: the phone-lan panel")
        .await;

    let browser = Browser::start().await;
    browser.goto(&url).await;
    browser
        .wait_attr("lan-phone", "data-state", "activate")
        .await;
    let lang = browser
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .expect("lang");
    assert_eq!(lang, serde_json::json!("fr"));
    browser
        .wait_text("lan-phone-send-code", "speak French", |t| {
            t == "Envoyer le code d'activation"
        })
        .await;
    // A wrong number: the error, in French, said at once (a live region).
    browser.type_into("lan-phone-username", "vera").await;
    browser.type_into("lan-phone-password", DEMO_PASSWORD).await;
    browser.type_into("lan-phone-number", "07700900999").await;
    browser.click("lan-phone-send-code").await;
    browser
        .wait_attr("lan-phone-error", "data-code", "invalid_phone_number")
        .await;
    browser
        .wait_text("lan-phone-error", "speak French", |t| {
            t.contains("chiffres")
        })
        .await;
    browser
        .assert_accessible("visitor's phone, French: an error")
        .await;

    // The kiosk's big Reset demo unpairs it.
    app.click("kiosk-reset").await;
    app.wait_attr("kiosk-reset-done", "data-resets", "1").await;
    browser
        .wait_text("lan-phone-unpaired-text", "say the pairing ended", |t| {
            t.contains("réinitialisée")
        })
        .await;
    pairing_url(&app, "127.0.0.3", Some(&url)).await;
    browser.quit().await;
    app.quit().await;
}

/// "Every address" cannot go in a QR code: the listener does not start, the panel says
/// why, and the app runs on.
#[tokio::test]
async fn phone_lan_refuses_every_address_and_the_app_runs_on() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start().await;
    let app = Desktop::start(&["--broker-url", &broker.url, "--phone-lan", "0.0.0.0:0"]).await;
    login::ready(&app).await;
    app.wait_attr("phone-lan-state", "data-state", "failed")
        .await;
    app.wait_attr("phone-lan-state", "data-code", "phone_lan_failed")
        .await;
    app.wait_text("phone-lan-state", "say why", |t| {
        t.contains("could not start") && t.contains("reachable address")
    })
    .await;
    assert_eq!(app.count("phone-lan-qr").await, 1);
    assert!(!app
        .find("phone-lan-qr")
        .await
        .is_displayed()
        .await
        .unwrap_or(true));
    app.assert_accessible("login: the phone listener failed")
        .await;
    login::password_step(&app, Channel::Trading, "blake", DEMO_PASSWORD).await;
    home::logged_in(&app, "blake").await;
    app.quit().await;
}

/// Issue 10's booth, end to end: kiosk mode with a visitor's own phone, three visitors
/// with the big Reset demo between them — the first in English with the DSC+ card
/// simulator, the second in French approving on the docked phone simulator, the third
/// in English approving on a browser "phone" paired through the QR code.
#[tokio::test]
async fn kiosk_three_visitors_one_on_their_own_phone_in_french_and_english() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = Desktop::start(&[
        "--broker-url",
        &broker.url,
        "--kiosk",
        "--phone-lan",
        "127.0.0.4:0",
    ])
    .await;
    login::ready(&app).await;
    let reset = |n: &'static str| {
        let app = &app;
        async move {
            app.click("kiosk-reset").await;
            app.wait_attr("kiosk-reset-done", "data-resets", n).await;
        }
    };

    // Visitor 1, English: avery's DSC+ through the card simulator.
    login::with_dsc_plus(
        &app,
        &broker,
        Channel::Trading,
        "avery",
        "DSCP-40211873",
        "1234",
    )
    .await;
    home::logged_in(&app, "avery").await;
    home::log_out(&app).await;
    reset("1").await;

    // Visitor 2, French: dana's push approved on the docked phone simulator.
    app.click("menu-language").await;
    app.click("menu-language-fr").await;
    app.wait_text("login-heading", "speak French", |t| t == "Se connecter")
        .await;
    portcullis_testkit::pages::phone::use_demo(&app).await;
    login::password_step(&app, Channel::Trading, "dana", DEMO_PASSWORD).await;
    portcullis_testkit::pages::phone::approve(&app, "dana", "2580").await;
    home::logged_in(&app, "dana").await;
    app.assert_accessible("kiosk, French: the account home")
        .await;
    home::log_out(&app).await;
    reset("2").await;

    // Visitor 3, English: vera on the visitor's own phone, paired through the QR code.
    app.click("menu-language").await;
    app.click("menu-language-en").await;
    app.wait_text("login-heading", "speak English", |t| t == "Log in")
        .await;
    let url = pairing_url(&app, "127.0.0.4", None).await;
    qr_shown(&app).await;
    let browser = Browser::start().await;
    browser.goto(&url).await;
    activate(&browser, "vera", VERA_NUMBER, VERA_PIN).await;
    login::password_step(&app, Channel::Trading, "vera", DEMO_PASSWORD).await;
    browser
        .wait_attr("lan-phone", "data-state", "request")
        .await;
    browser.type_into("lan-phone-approve-pin", VERA_PIN).await;
    browser.click("lan-phone-approve").await;
    home::logged_in(&app, "vera").await;
    let vera_logged_in = |audit: &[serde_json::Value]| {
        audit
            .iter()
            .any(|e| e["event"] == "login_success" && e["username"] == "vera")
    };
    assert!(
        vera_logged_in(&broker.audit().await),
        "vera's login, audited"
    );
    home::log_out(&app).await;
    reset("3").await;
    browser
        .wait_attr("lan-phone-unpaired-text", "data-reason", "ended")
        .await;
    pairing_url(&app, "127.0.0.4", Some(&url)).await;
    assert!(
        !vera_logged_in(&broker.audit().await),
        "the last reset put the broker back at its scenario"
    );
    browser.quit().await;
    app.quit().await;
}
