//! Page helpers: each screen of the app as a QA engineer walks it, by its documented
//! `data-testid`s (README, "End-to-end tests"). Every wait is for a condition with
//! [`DEADLINE`], never for a fixed time.
//!
//! - [`login`]: the login window — the channel, the password step, the device choice,
//!   a DSC+ challenge, a Security Code Card's index numbers, a temporary passcode, the
//!   push wait.
//! - [`home`]: the main window — logged in, the session, logging out.
//! - [`simulators`]: the phone, the DSC+ card and the Security Code Card windows:
//!   an activation started, a response read off the card's display, codes read off
//!   the grid.
//! - [`phone`]: the IB Key phone simulator — made the demo phone, a login request
//!   found, opened and approved, a passcode from its Authenticate screen.

use crate::desktop::{testid, Desktop, DEADLINE};
use crate::Broker;
use fantoccini::Locator;
use portcullis_api::{DeviceInfo, DeviceList, DeviceProvision};
use serde_json::json;

/// The demo scenario's password for every user.
pub const DEMO_PASSWORD: &str = "Trade2026";

/// Which login the login window makes (T2): the trading workstation or the Client
/// Portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Trading,
    Portal,
}

impl Channel {
    fn testid(self) -> &'static str {
        match self {
            Channel::Trading => "channel-trading",
            Channel::Portal => "channel-portal",
        }
    }
}

/// The login window.
pub mod login {
    use super::*;

    /// Waits until the app's broker answers (`broker-status` is `ready`).
    pub async fn ready(app: &Desktop) {
        app.wait_attr("broker-status", "data-state", "ready").await;
    }

    /// The password step on `channel`: the channel, user name, password, Login.
    pub async fn password_step(app: &Desktop, channel: Channel, username: &str, password: &str) {
        ready(app).await;
        app.click(channel.testid()).await;
        type_and_log_in(app, username, password).await;
    }

    /// The password step on whichever channel the window is on: user name, password,
    /// Login.
    pub async fn credentials(app: &Desktop, username: &str, password: &str) {
        ready(app).await;
        type_and_log_in(app, username, password).await;
    }

    /// User name, password, Login, without waiting for the broker first (for a test
    /// that has just seen it answer, or wants the login tried while it does not).
    pub async fn type_and_log_in(app: &Desktop, username: &str, password: &str) {
        app.type_into("username", username).await;
        app.type_into("password", password).await;
        app.click("login-button").await;
    }

    /// D6: picks `device_id` in the device choice and continues.
    pub async fn choose_device(app: &Desktop, device_id: &str) {
        app.wait_for("device-select", None, "offer the device", |t, _| {
            t.contains(device_id)
        })
        .await;
        app.find("device-select")
            .await
            .select_by_value(device_id)
            .await
            .unwrap_or_else(|e| panic!("choose {device_id}: {e}"));
        app.click("device-continue").await;
    }

    /// C1: the 6-digit challenge the login shows.
    pub async fn challenge_shown(app: &Desktop) -> String {
        app.wait_text("challenge-code", "show a DSC+ challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await
    }

    /// A number 0–99 shown large: a login's index numbers (D7, T3), the online
    /// card's, a reactivation's.
    pub async fn index_shown(app: &Desktop, id: &str) -> u8 {
        let text = app
            .wait_text(id, "show an index number 0-99", |t| {
                t.parse::<u8>().is_ok_and(|n| n < 100)
            })
            .await;
        text.parse().expect("an index number")
    }

    /// D7: the two index numbers a Security Code Card login shows.
    pub async fn indexes_shown(app: &Desktop) -> [u8; 2] {
        [
            index_shown(app, "index-first").await,
            index_shown(app, "index-second").await,
        ]
    }

    /// Types `response` into the second-factor field and presses OK.
    pub async fn respond(app: &Desktop, response: &str) {
        app.type_into("response-input", response).await;
        app.click("response-ok").await;
    }

    /// C1–C3: answers the challenge shown with `device`'s DSC+ response under `pin`.
    pub async fn answer_dsc_plus(app: &Desktop, broker: &Broker, device: &str, pin: &str) {
        let challenge = challenge_shown(app).await;
        let response = broker.card_response(device, pin, &challenge).await;
        respond(app, &response).await;
    }

    /// D7: answers the index numbers shown with `card`'s codes, typed together.
    pub async fn answer_card(app: &Desktop, broker: &Broker, card: &str) {
        let [i, j] = indexes_shown(app).await;
        let grid = super::card_grid(broker, card).await;
        respond(
            app,
            &format!("{}{}", grid[usize::from(i)], grid[usize::from(j)]),
        )
        .await;
    }

    /// A whole login with a DSC+, ending in the main window.
    pub async fn with_dsc_plus(
        app: &Desktop,
        broker: &Broker,
        channel: Channel,
        username: &str,
        device: &str,
        pin: &str,
    ) {
        password_step(app, channel, username, DEMO_PASSWORD).await;
        answer_dsc_plus(app, broker, device, pin).await;
        super::home::logged_in(app, username).await;
    }

    /// A whole login with a Security Code Card, ending in the main window.
    pub async fn with_card(
        app: &Desktop,
        broker: &Broker,
        channel: Channel,
        username: &str,
        card: &str,
    ) {
        password_step(app, channel, username, DEMO_PASSWORD).await;
        answer_card(app, broker, card).await;
        super::home::logged_in(app, username).await;
    }

    /// K2: the push wait's number to match on the phone, once shown.
    pub async fn push_number(app: &Desktop) -> String {
        app.wait_text("push-number", "show the number to match", |t| {
            !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await
    }

    /// K2: the push wait, once it says a notification was sent to the phone.
    pub async fn push_sent(app: &Desktop) {
        app.wait_text("push-sent-text", "say a notification was sent", |t| {
            t.contains("notification")
        })
        .await;
    }

    /// K2: the push wait, once its countdown runs ("expires in m:ss").
    pub async fn push_counting_down(app: &Desktop) {
        app.wait_text("push-countdown", "count down", |t| t.contains("expires in"))
            .await;
    }

    /// The push wait's message (expired, denied, failed…), by its `data-code`.
    pub async fn push_message(app: &Desktop, code: &str) {
        app.wait_attr("push-message", "data-code", code).await;
    }

    /// The login error shown, by its `data-code`.
    pub async fn error_code(app: &Desktop, code: &str) {
        app.wait_attr("login-error", "data-code", code).await;
    }
}

/// The main window.
pub mod home {
    use super::*;

    /// Waits for the main window to show `username`'s session; stays in it.
    pub async fn logged_in(app: &Desktop, username: &str) {
        app.switch_to_page("main.html").await;
        app.wait_text("session-username", "show the user", |t| t == username)
            .await;
    }

    /// Waits for the main window to show `username`'s session through a device whose
    /// name contains `device`; returns the device as shown. Stays in the main window.
    pub async fn logged_in_through(app: &Desktop, username: &str, device: &str) -> String {
        logged_in(app, username).await;
        app.wait_text("session-device", "name the device", |t| t.contains(device))
            .await
    }

    /// The device the session came through, once the main window names it.
    pub async fn session_device(app: &Desktop) -> String {
        app.wait_text("session-device", "name the device used", |t| t != "…")
            .await
    }

    /// Logs out and goes back to the login window, once it has loaded again (the app
    /// reloads it when a session ends: a click on the page before would be lost).
    pub async fn log_out(app: &Desktop) {
        let main = app.client.window().await.expect("the main window");
        app.switch_to_login().await;
        let _ = app
            .client
            .execute("window.portcullisBeforeLogout = true", vec![])
            .await;
        app.client
            .switch_to_window(main)
            .await
            .expect("back to the main window");
        app.click_closing("logout-button").await;
        app.switch_to_login().await;
        crate::eventually("the login window loaded again", DEADLINE, || async {
            let fresh = app
                .client
                .execute(
                    "return window.portcullisBeforeLogout === undefined \
                     && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            matches!(fresh, Ok(serde_json::Value::Bool(true))).then_some(())
        })
        .await;
    }

    /// The Secure Login settings, once the account says how logins are secured.
    pub async fn settings_ready(app: &Desktop) {
        app.wait_text("sls-status", "say how logins are secured", |t| {
            !t.is_empty()
        })
        .await;
    }
}

/// The simulator windows, opened from the Devices menu.
pub mod simulators {
    use super::*;

    /// Opens the IB Key phone simulator and starts activating IB Key for `username`
    /// (the demo password) on `number`.
    pub async fn start_phone_activation(app: &Desktop, username: &str, number: &str) {
        login::ready(app).await;
        app.click("menu-devices").await;
        app.click("menu-open-phone").await;
        app.switch_to_page("phone.html").await;
        app.click("phone-activate-start").await;
        app.type_into("phone-activate-username", username).await;
        app.type_into("phone-activate-password", DEMO_PASSWORD)
            .await;
        app.type_into("phone-activate-number", number).await;
        app.click("phone-activation-send").await;
    }

    /// Opens a simulator from the Devices menu (`item`), its page `<page>.html`, and
    /// chooses `device` in its `<page>-select`.
    async fn open_on(app: &Desktop, item: &str, page: &str, device: &str) {
        app.click("menu-devices").await;
        app.click(item).await;
        app.switch_to_page(&format!("{page}.html")).await;
        let select = format!("{page}-select");
        app.wait_for(&select, None, "list the cards", |text, _| {
            text.contains(device)
        })
        .await;
        app.find(&select)
            .await
            .select_by_value(device)
            .await
            .unwrap_or_else(|e| panic!("choose {device}: {e}"));
    }

    /// D7: opens the Security Code Card simulator on `card` and reads the codes at
    /// `indexes`, typed together; back in the login window after.
    pub async fn codes_from_card(app: &Desktop, card: &str, indexes: [u8; 2]) -> String {
        open_on(app, "menu-open-codecard", "codecard", card).await;
        app.wait_text("codecard-caption", "show the chosen card", |t| {
            t.ends_with(card)
        })
        .await;
        app.wait_attr("codecard-card", "data-ready", "true").await;
        let mut answer = String::new();
        for i in indexes {
            answer += &app
                .wait_text(&format!("codecard-code-{i:02}"), "show a code", |t| {
                    t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit())
                })
                .await;
        }
        app.switch_to_login().await;
        answer
    }

    /// C2: opens the DSC+ card simulator on `device`, types `pin` and `challenge` on its
    /// keypad, and reads the response off its display; back in the login window after.
    pub async fn dsc_plus_response(
        app: &Desktop,
        device: &str,
        pin: &str,
        challenge: &str,
    ) -> String {
        open_on(app, "menu-open-card", "card", device).await;
        app.wait_attr("card-device", "data-ready", "true").await;
        app.click("card-press").await;
        app.wait_text("card-display", "show PIN>", |t| t.starts_with("PIN>"))
            .await;
        for d in pin.chars() {
            app.click(&format!("card-key-{d}")).await;
        }
        app.click("card-key-ok").await;
        app.wait_text("card-display", "show CHALLNG>", |t| {
            t.starts_with("CHALLNG>")
        })
        .await;
        for d in challenge.chars() {
            app.click(&format!("card-key-{d}")).await;
        }
        app.click("card-key-ok").await;
        let response = app
            .wait_text("card-display", "show an 8-digit response", |t| {
                t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit())
            })
            .await;
        app.switch_to_login().await;
        response
    }
}

/// The IB Key phone simulator window (`phone.html`).
pub mod phone {
    use super::*;

    /// Opens the phone simulator from the login window's Devices menu; stays in it.
    pub async fn open(app: &Desktop) {
        login::ready(app).await;
        app.click("menu-devices").await;
        app.click("menu-open-phone").await;
        app.switch_to_page("phone.html").await;
    }

    /// Makes the phone the scenario's demo phone (dana's IB Key among its accounts),
    /// checking its screen before and after with axe; back in the login window.
    pub async fn use_demo(app: &Desktop) {
        open(app).await;
        app.find("phone-use-demo").await;
        app.assert_accessible("phone: not set up").await;
        app.click("phone-use-demo").await;
        app.wait_text("phone-accounts", "list dana", |t| t.contains("dana"))
            .await;
        app.assert_accessible("phone: home").await;
        app.switch_to_login().await;
    }

    /// K2: goes to the phone and waits for `username`'s login request on its home
    /// screen; stays in the phone.
    /// In either language: the request is found by its `data-username`.
    pub async fn request_shown(app: &Desktop, username: &str) {
        app.switch_to_page("phone.html").await;
        let request = format!(
            "{}[data-username=\"{username}\"]",
            testid("phone-request-item")
        );
        app.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(&request))
            .await
            .unwrap_or_else(|e| panic!("{username}'s login request on the phone: {e}"));
    }

    /// K2: opens `username`'s login request, once shown, ready for the PIN; stays in the
    /// phone.
    pub async fn open_request(app: &Desktop, username: &str) {
        request_shown(app, username).await;
        app.click("phone-request-item").await;
        app.find("phone-approve-pin").await;
    }

    /// K2: approves `username`'s login request with `pin` (the request checked with
    /// axe before approving); stays in the phone.
    pub async fn approve(app: &Desktop, username: &str, pin: &str) {
        open_request(app, username).await;
        app.type_into("phone-approve-pin", pin).await;
        app.assert_accessible("phone: login request").await;
        app.click("phone-approve").await;
    }

    /// K4: the Authenticate screen — `username` chosen, `pin` and `challenge` typed —
    /// and the 8-digit passcode it shows. Stays in the phone.
    pub async fn passcode(app: &Desktop, username: &str, pin: &str, challenge: &str) -> String {
        app.switch_to_page("phone.html").await;
        app.click("phone-open-authenticate").await;
        app.find("phone-auth-user")
            .await
            .select_by_value(username)
            .await
            .unwrap_or_else(|e| panic!("choose {username}: {e}"));
        app.type_into("phone-auth-pin", pin).await;
        app.type_into("phone-auth-challenge", challenge).await;
        app.click("phone-generate").await;
        app.wait_text("phone-auth-response", "show the passcode", |t| {
            t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await
    }

    /// K1: the 6-digit activation code in the phone's SMS list, once it arrives.
    pub async fn activation_code(app: &Desktop) -> String {
        let sms = app
            .wait_text("phone-sms-list", "show the activation code", |t| {
                t.contains("activation code")
            })
            .await;
        sms.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .unwrap_or_else(|| panic!("no code in {sms:?}"))
            .to_owned()
    }
}

/// A Security Code Card's 100 codes, as the broker provisions them (QA).
pub async fn card_grid(broker: &Broker, card: &str) -> Vec<String> {
    let p: DeviceProvision = broker
        .post_as(&format!("/qa/devices/{card}/provision"), &json!({}))
        .await
        .ok();
    p.grid
        .unwrap_or_else(|| panic!("{card} is not a card with a grid"))
}

/// `id` as the broker lists it (QA), after what the clock has settled.
pub async fn device(broker: &Broker, id: &str) -> DeviceInfo {
    let all: DeviceList = broker.get_as("/qa/devices").await.ok();
    all.devices
        .into_iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("{id} on the broker"))
}
