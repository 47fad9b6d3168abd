//! Issue 8, the login window without the usual device: a Security Code Card's two index
//! numbers read off the screen and answered from the card simulator (D7), a temporary
//! passcode on day 1 and day 3 (T1, T2, L6), the Client Portal switch, and the
//! lost-device explanation (the troubleshooting article's cases 4–10).

use super::{app_for, index_shown, one_at_a_time, start_phone_activation};
use portcullis_testkit::desktop::{keyring_lookup, Desktop};
use portcullis_testkit::pages::{login, simulators, DEMO_PASSWORD};
use portcullis_testkit::Broker;

const GWEN_CARD: &str = "SCC-20480001";

async fn password_step(app: &Desktop, username: &str) {
    login::credentials(app, username, DEMO_PASSWORD).await;
}

async fn codes_from_card(app: &Desktop, device: &str, indexes: [u8; 2]) -> String {
    let codes = simulators::codes_from_card(app, device, indexes).await;
    app.switch_to_page("codecard.html").await;
    app.assert_accessible("code card: the grid").await;
    app.switch_to_login().await;
    codes
}

async fn wait_logged_in_as(app: &Desktop, username: &str) -> String {
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show the user", |t| t == username)
        .await;
    app.wait_text("session-device", "name the device used", |t| t != "…")
        .await
}

/// gwen's password step, then the codes at the two index numbers the login shows,
/// read off her card in the simulator.
async fn gwen_card_answer(app: &Desktop) -> String {
    password_step(app, "gwen").await;
    let first = index_shown(app, "index-first").await;
    let second = index_shown(app, "index-second").await;
    assert_ne!(first, second, "D7: two distinct index numbers");
    app.wait_text("second-factor-heading", "ask for the card's codes", |t| {
        t.contains("security code card")
    })
    .await;
    app.assert_accessible("login: Security Code Card indexes")
        .await;
    codes_from_card(app, GWEN_CARD, [first, second]).await
}

#[tokio::test]
async fn d7_a_card_login_reads_the_indexes_off_the_screen_and_the_codes_off_the_card() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    let answer = gwen_card_answer(&app).await;
    assert!(
        keyring_lookup("portcullis.codecard", GWEN_CARD).is_some_and(|g| g.len() == 300),
        "the simulator keeps the card's grid in the desktop keyring"
    );
    app.type_into("response-input", &answer).await;
    app.click("response-ok").await;

    let device = wait_logged_in_as(&app, "gwen").await;
    assert!(
        device.contains("Security Code Card") && device.contains(GWEN_CARD),
        "{device}"
    );
    app.assert_accessible("main: logged in with a card").await;
    app.quit().await;
}

#[tokio::test]
async fn d7_l6_l4_codes_typed_with_a_space_are_login_failed_and_count() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    let answer = gwen_card_answer(&app).await;
    app.type_into(
        "response-input",
        &format!("{} {}", &answer[..3], &answer[3..5]),
    )
    .await;
    app.click("response-ok").await;
    app.wait_attr("login-error", "data-code", "login_failed")
        .await;
    let text = app
        .wait_text("login-error", "say Login failed with hints", |t| {
            t.starts_with("Login failed")
        })
        .await;
    assert!(text.contains("no spaces"), "L6 hint: {text}");
    assert_eq!(
        broker.lockout_info("gwen").await.failures_in_window,
        1,
        "L4: a wrong card answer counts"
    );
    app.assert_accessible("login: card answer refused").await;
    app.quit().await;
}

#[tokio::test]
async fn t2_a_temporary_passcode_on_day_1_opens_the_trading_workstation() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    password_step(&app, "iris").await;
    app.wait_text("second-factor-heading", "ask for the passcode", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    let hint = app
        .wait_text("passcode-hint", "say upper case", |t| {
            t.contains("upper case")
        })
        .await;
    assert!(hint.contains("case-sensitive"), "{hint}");
    app.assert_accessible("login: temporary passcode").await;

    // L6: the passcode is case-sensitive; lower case is a failed login with the hint.
    app.type_into("response-input", "irisday1").await;
    app.click("response-ok").await;
    let text = app
        .wait_text("login-error", "say Login failed", |t| {
            t.starts_with("Login failed")
        })
        .await;
    assert!(text.contains("upper case"), "L6 hint: {text}");

    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.wait_text("second-factor-heading", "ask for the passcode again", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    app.type_into("response-input", "IRISDAY1").await;
    app.click("response-ok").await;
    let device = wait_logged_in_as(&app, "iris").await;
    assert!(device.contains("Temporary passcode"), "{device}");
    app.quit().await;
}

#[tokio::test]
async fn t2_on_day_3_trading_is_refused_with_the_portal_message_and_the_portal_takes_the_passcode()
{
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;

    password_step(&app, "jonas").await;
    app.wait_attr("login-error", "data-code", "use_client_portal")
        .await;
    let text = app
        .wait_text("login-error", "say to use the Client Portal", |t| {
            t.contains("Client Portal")
        })
        .await;
    assert!(!text.is_empty());
    app.assert_accessible("login: use the Client Portal").await;

    app.click("switch-to-portal").await;
    assert!(
        app.find("channel-portal")
            .await
            .is_selected()
            .await
            .expect("read the switch"),
        "the switch moved to the Client Portal"
    );
    app.wait_text("login-heading", "say Client Portal", |t| {
        t == "Log in to the Client Portal"
    })
    .await;
    let kept = app
        .find("username")
        .await
        .prop("value")
        .await
        .expect("read the user name");
    assert_eq!(kept.as_deref(), Some("jonas"), "the user name stays");
    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.wait_text("second-factor-heading", "ask for the passcode", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    app.type_into("response-input", "JONASDAY3").await;
    app.click("response-ok").await;
    wait_logged_in_as(&app, "jonas").await;

    let portal_logins: Vec<_> = broker
        .audit_events()
        .await
        .into_iter()
        .filter(|e| {
            e.username.as_deref() == Some("jonas")
                && e.event == "login_success"
                && e.detail.ends_with(", portal")
        })
        .collect();
    assert!(
        !portal_logins.is_empty(),
        "T2: the session was opened on the Client Portal"
    );
    app.quit().await;
}

#[tokio::test]
async fn lost_device_path_explains_the_timeline_and_leads_to_the_portal() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    app.wait_attr("broker-status", "data-state", "ready").await;

    app.click("lost-device-link").await;
    let steps = app
        .wait_text("lost-steps", "explain what to do", |t| !t.is_empty())
        .await;
    for words in [
        "Call Client Services",
        "temporary passcode",
        "2 days",
        "10 more days",
        "online security code card",
        "21 days",
        "reactivate",
    ] {
        assert!(
            steps.contains(words),
            "the explanation says {words:?}: {steps}"
        );
    }
    assert_eq!(
        portcullis_testkit::desktop::focused_testid(&app)
            .await
            .as_deref(),
        Some("lost-heading"),
        "focus moves to the new step"
    );
    app.assert_accessible("login: lost device").await;

    app.click("lost-to-portal").await;
    app.wait_text("login-heading", "say Client Portal", |t| {
        t == "Log in to the Client Portal"
    })
    .await;
    app.quit().await;
}

/// K1 vs D5 with a Security Code Card: enrolling IB Key on a number not on record asks
/// the card's codes at two index numbers, read off the card simulator.
#[tokio::test]
async fn d7_k1_the_phone_asks_a_card_user_for_two_index_numbers_before_the_code() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    start_phone_activation(&app, "gwen", "7700900999").await;

    app.wait_text("phone-verify-text", "name the card", |t| {
        t.contains(GWEN_CARD)
    })
    .await;
    let shown = app
        .wait_text("phone-verify-challenge", "show two index numbers", |t| {
            t.contains(" and ")
        })
        .await;
    app.assert_accessible("phone: confirm with the card").await;
    let indexes: Vec<u8> = shown
        .split(" and ")
        .map(|i| i.trim().parse().expect("an index"))
        .collect();
    app.switch_to_login().await;
    let answer = codes_from_card(&app, GWEN_CARD, [indexes[0], indexes[1]]).await;
    app.switch_to_page("phone.html").await;
    app.type_into("phone-verify-response", &answer).await;
    app.click("phone-verify-submit").await;
    app.wait_text("phone-sms-list", "show the activation code", |t| {
        t.contains("activation code")
    })
    .await;
    app.quit().await;
}

/// Case 10, T4: on the Client Portal with a day-1 passcode, iris reactivates her card
/// with two of its codes; the passcode stops at once (the portal session through it
/// ends, and the login window says why), and her next login asks the card.
#[tokio::test]
async fn t4_case10_a_card_reactivated_on_the_portal_ends_the_temporary_passcode() {
    const IRIS_CARD: &str = "SCC-20480002";
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    app.wait_attr("broker-status", "data-state", "ready").await;
    app.click("channel-portal").await;
    password_step(&app, "iris").await;
    app.wait_text("second-factor-heading", "ask for the passcode", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    app.type_into("response-input", "IRISDAY1").await;
    app.click("response-ok").await;
    wait_logged_in_as(&app, "iris").await;

    let button = format!("device-reactivate-{IRIS_CARD}");
    app.wait_attr(
        &format!("device-row-{IRIS_CARD}"),
        "data-status",
        "inactive",
    )
    .await;
    app.click(&button).await;
    let first = index_shown(&app, "reactivate-index-first").await;
    let second = index_shown(&app, "reactivate-index-second").await;
    assert_eq!(
        portcullis_testkit::desktop::focused_testid(&app)
            .await
            .as_deref(),
        Some("reactivate-response"),
        "focus moves to the answer, as at a login"
    );
    app.assert_accessible("main: reactivate a device").await;
    // The main window's own Devices menu opens the card simulator.
    let answer = codes_from_card(&app, IRIS_CARD, [first, second]).await;
    app.switch_to_page("main.html").await;
    app.type_into("reactivate-response", &answer).await;
    // T4 ends this session at once: the main window closes under the click.
    app.click_closing("reactivate-confirm").await;

    app.switch_to_login().await;
    app.wait_attr("session-ended", "data-reason", "device_ended")
        .await;
    app.assert_accessible("login: temporary access ended").await;
    let devices = broker.get("/qa/devices").await.1;
    let status = |id: &str| {
        devices["devices"]
            .as_array()
            .and_then(|all| all.iter().find(|d| d["id"] == id))
            .map(|d| d["status"].clone())
    };
    assert_eq!(status(IRIS_CARD), Some("active".into()));
    assert_eq!(status("TMP-IRIS0001"), Some("inactive".into()), "T4");

    app.click("channel-trading").await;
    password_step(&app, "iris").await;
    app.wait_text("challenge-device", "ask the card", |t| {
        t.contains(IRIS_CARD)
    })
    .await;
    app.quit().await;
}

/// T1, case 4: the demonstrator plays Client Services (Demo menu) and reads avery a
/// temporary passcode, which replaces her card's response at once; a second one in a
/// row is refused.
#[tokio::test]
async fn t1_case4_client_services_issues_a_passcode_that_replaces_the_card() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    app.wait_attr("broker-status", "data-state", "ready").await;
    app.click("menu-demo").await;
    app.click("menu-client-services").await;
    assert_eq!(
        portcullis_testkit::desktop::focused_testid(&app)
            .await
            .as_deref(),
        Some("cs-heading")
    );
    app.type_into("cs-username", "avery").await;
    app.click("cs-issue").await;
    let passcode = app
        .wait_text("cs-passcode", "show the passcode", |t| {
            t.len() >= 6
                && t.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("login: Client Services").await;
    app.click("cs-issue").await;
    app.wait_attr("cs-error", "data-code", "consecutive_passcode")
        .await;

    app.click("cs-back").await;
    password_step(&app, "avery").await;
    app.wait_text("second-factor-heading", "ask for the passcode", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    app.type_into("response-input", &passcode).await;
    app.click("response-ok").await;
    let device = wait_logged_in_as(&app, "avery").await;
    assert!(device.contains("Temporary passcode"), "{device}");
    app.quit().await;
}
