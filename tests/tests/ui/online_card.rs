//! Issue 8, the main window as an account home and the Client Portal's online security
//! code card: a day-3 passcode on the portal gets the card only (T2), saves it as a PDF
//! read back with `pdftotext` and activates it (T3), then logs in to trading with it;
//! reactivating the permanent device ends it and its open session (T4); a replacement's
//! notices and its automatic activation (T5); the limits shown are the session's (D2).

use super::{app_for, index_shown, one_at_a_time};
use portcullis_api::{
    Channel, DeviceInfo, DeviceList, LoginRequest, OnlineCardActivated, OnlineCardOffer,
    SessionInfo,
};
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::{decode, pages, Broker, Opened, StepExt};
use serde_json::json;
use std::path::Path;

const PASSWORD: &str = "Trade2026";
const JONAS_CARD: &str = "SCC-20480003";
const HUGO_ONLINE_CARD: &str = "OSC-HUGO0001";
const HUGO_REPLACEMENT: &str = "DSCP-40411078";
const HUGO_PIN: &str = "4455";
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// The app, saving cards in `dir` (`PORTCULLIS_SAVE_DIR`).
async fn app_saving_in(broker: &Broker, dir: &Path) -> Desktop {
    let dir = dir.to_str().expect("a UTF-8 temporary folder");
    Desktop::start_with_env(
        &["--broker-url", &broker.url],
        &[("PORTCULLIS_SAVE_DIR", dir)],
    )
    .await
}

/// The password step on `channel` ("trading" or "portal").
async fn password_step(app: &Desktop, username: &str, channel: &str) {
    let channel = if channel == "portal" {
        pages::Channel::Portal
    } else {
        pages::Channel::Trading
    };
    pages::login::password_step(app, channel, username, PASSWORD).await;
}

/// The codes at the two index numbers the window shows in `first` and `second`.
async fn answer(app: &Desktop, first: &str, second: &str, grid: &[String]) -> String {
    let i = usize::from(index_shown(app, first).await);
    let j = usize::from(index_shown(app, second).await);
    format!("{}{}", grid[i], grid[j])
}

/// A trading login answered with the online card `card` whose codes are `grid`. A
/// passcode past its day 2 is no choice on trading (T2), so the card answers at once.
async fn online_card_login(app: &Desktop, username: &str, card: &str, grid: &[String]) {
    password_step(app, username, "trading").await;
    app.wait_text("challenge-device", "name the online card", |t| {
        t.contains(card)
    })
    .await;
    app.wait_text("second-factor-heading", "ask for the card's codes", |t| {
        t == "Enter the codes from your security code card"
    })
    .await;
    app.assert_accessible("login: online card index numbers")
        .await;
    let codes = answer(app, "index-first", "index-second", grid).await;
    app.type_into("response-input", &codes).await;
    app.click("response-ok").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-device", "name the online card", |t| {
        t.contains(card)
    })
    .await;
}

/// `index NN, code ddd` pairs as `pdftotext` reads them off the saved card.
fn codes_in_pdf(path: &str) -> (String, Vec<String>) {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path, "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success(), "pdftotext read {path}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    let digits = |w: &str, n: usize| w.len() == n && w.bytes().all(|b| b.is_ascii_digit());
    let mut grid = vec![String::new(); 100];
    for pair in words.windows(2) {
        if digits(pair[0], 2) && digits(pair[1], 3) {
            let index: usize = pair[0].parse().expect("two digits");
            grid[index] = pair[1].to_owned();
        }
    }
    assert!(
        grid.iter().all(|c| c.len() == 3),
        "T3: every index 00-99 with its code in the PDF:\n{text}"
    );
    (text, grid)
}

async fn saved_path(app: &Desktop, ext: &str) -> String {
    app.wait_for(
        "online-card-saved",
        Some("data-path"),
        "say where",
        |_, p| p.is_some_and(|p| p.ends_with(ext)),
    )
    .await;
    app.find("online-card-saved")
        .await
        .attr("data-path")
        .await
        .expect("read data-path")
        .expect("a path")
}

/// jonas's devices as the broker lists them.
async fn devices_of(broker: &Broker, username: &str) -> Vec<DeviceInfo> {
    let all: DeviceList = broker.get_as("/qa/devices").await.ok();
    all.devices
        .into_iter()
        .filter(|d| d.owner == username)
        .collect()
}

/// "2026-05-02T14:03:00Z" as the window writes it: "2026-05-02 14:03 UTC".
fn utc_minutes(iso: &str) -> String {
    format!("{} UTC", iso.replace('T', " ").get(..16).unwrap_or(iso))
}

async fn is_shown(app: &Desktop, id: &str) -> bool {
    app.find(id).await.is_displayed().await.unwrap_or(false)
}

#[tokio::test]
async fn t2_t3_a_day_3_passcode_gets_the_online_card_saved_as_pdf_and_trades_with_it() {
    let _turn = one_at_a_time().await;
    let saved = tempfile::tempdir().expect("a folder for saved cards");
    let broker = Broker::start_for_ui().await;
    let app = app_saving_in(&broker, saved.path()).await;

    password_step(&app, "jonas", "portal").await;
    app.wait_text("second-factor-heading", "ask for the passcode", |t| {
        t == "Enter your temporary passcode"
    })
    .await;
    app.type_into("response-input", "JONASDAY3").await;
    app.click("response-ok").await;

    app.switch_to_page("main.html").await;
    app.wait_text("portal-heading", "say Client Portal", |t| {
        t == "Client Portal"
    })
    .await;
    app.wait_text("restriction-note", "say why only the card", |t| {
        t.contains("online security code card")
    })
    .await;
    app.wait_focus("portal-heading", "the portal starts on its heading")
        .await;
    for hidden in ["account-devices", "limits-row", "messages-empty"] {
        assert!(
            !is_shown(&app, hidden).await,
            "T2: only the online card on the portal past day 2, not {hidden}"
        );
    }
    app.assert_accessible("main: Client Portal, online card only")
        .await;

    app.click("online-card-get").await;
    app.wait_focus("online-card-view-heading", "the card's step")
        .await;
    app.wait_text("online-card-code-00", "show the first code", |t| {
        t.len() == 3
    })
    .await;
    app.assert_accessible("main: the online card").await;

    app.click("online-card-save-pdf").await;
    let pdf = saved_path(&app, ".pdf").await;
    assert!(
        pdf.starts_with(&saved.path().display().to_string()),
        "into PORTCULLIS_SAVE_DIR: {pdf}"
    );
    let (text, grid) = codes_in_pdf(&pdf);
    assert!(text.contains("jonas"), "the user is on the card");
    for i in [0, 42, 99] {
        let shown = app
            .find(&format!("online-card-code-{i:02}"))
            .await
            .text()
            .await
            .expect("a code");
        assert_eq!(
            shown, grid[i],
            "the PDF is the card on screen, index {i:02}"
        );
    }
    app.click("online-card-save-png").await;
    let png = saved_path(&app, ".png").await;
    let bytes = std::fs::read(&png).expect("the PNG was written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG image");
    app.assert_accessible("main: the online card saved").await;

    let codes = answer(
        &app,
        "online-card-index-first",
        "online-card-index-second",
        &grid,
    )
    .await;
    app.type_into("online-card-response", &codes).await;
    app.click("online-card-activate").await;
    app.wait_focus("online-card-done-heading", "the card is active")
        .await;
    let online = devices_of(&broker, "jonas")
        .await
        .into_iter()
        .find(|d| d.kind == portcullis_api::DeviceKind::OnlineSecurityCodeCard)
        .expect("T3: the online card is a device now");
    assert_eq!(online.status, portcullis_api::DeviceStatus::Active);
    assert!(
        pdf.ends_with(&format!("online-security-code-card-{}.pdf", online.id)),
        "named after its device: {pdf}"
    );
    assert!(text.contains(&online.id), "the PDF names the card's device");
    let expires = utc_minutes(online.expires_at.as_deref().expect("T3: 21 days"));
    app.wait_text("online-card-activated", "say until when", |t| {
        t.contains(&expires)
    })
    .await;
    app.assert_accessible("main: the online card activated")
        .await;

    app.click("logout-button").await;
    app.switch_to_login().await;
    online_card_login(&app, "jonas", &online.id, &grid).await;
    app.wait_attr("limits-row", "data-row", "none").await;
    app.wait_attr(
        &format!("device-row-{}", online.id),
        "data-status",
        "active",
    )
    .await;
    app.wait_attr(
        &format!("device-row-{JONAS_CARD}"),
        "data-status",
        "inactive",
    )
    .await;
    app.assert_accessible("main: account home with the online card")
        .await;
    app.quit().await;
}

/// T3 over HTTP: jonas's portal session gets the online card and activates it; the
/// card's device id and grid.
async fn activate_online_card(broker: &Broker) -> (String, Vec<String>) {
    let step = broker
        .login_with(&LoginRequest {
            username: "jonas".into(),
            password: PASSWORD.into(),
            device_id: None,
            channel: Channel::Portal,
        })
        .await
        .ok();
    let opened = broker
        .respond(&step.factor().ticket, "JONASDAY3")
        .await
        .ok();
    let token = opened.opened().token.clone();
    let offer: OnlineCardOffer = broker
        .with_bearer(reqwest::Method::POST, "/v1/portal/online-card", &token)
        .await
        .ok();
    let path = "/v1/portal/online-card/activate";
    let codes: String = offer
        .indexes
        .iter()
        .map(|&i| offer.grid[usize::from(i)].as_str())
        .collect();
    let request = broker
        .http
        .post(format!("{}{path}", broker.url))
        .bearer_auth(&token)
        .json(&json!({ "response": codes }));
    let (status, body) = broker.exchange("POST", path, request).await;
    let OnlineCardActivated::Activated { device_id, .. } = decode(status, body).ok();
    (device_id, offer.grid)
}

#[tokio::test]
async fn t4_reactivating_the_permanent_card_ends_the_online_card_and_its_open_session() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let (card, grid) = activate_online_card(&broker).await;
    let app = app_for(&broker).await;
    online_card_login(&app, "jonas", &card, &grid).await;
    app.assert_accessible("main: a session through the online card")
        .await;

    let reactivated: DeviceInfo = broker
        .post_as(&format!("/qa/devices/{JONAS_CARD}/activate"), &json!({}))
        .await
        .ok();
    assert_eq!(reactivated.status, portcullis_api::DeviceStatus::Active);

    app.switch_to_login().await;
    app.wait_attr("session-ended", "data-reason", "device_ended")
        .await;
    let said = app
        .wait_text("session-ended", "say why", |t| t.contains("reactivated"))
        .await;
    assert!(said.contains("temporary access"), "T4: {said}");
    app.assert_accessible("login: temporary access ended").await;

    // The online card no longer logs in: the permanent card is asked instead, no choice.
    password_step(&app, "jonas", "trading").await;
    let device = app
        .wait_text("challenge-device", "name the device asked", |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        device.contains(JONAS_CARD) && !device.contains(&card),
        "T4: the reactivated card, not the online card: {device}"
    );
    assert!(!is_shown(&app, "device-choice").await, "no device choice");
    app.assert_accessible("login: the permanent card again")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn t5_a_replacement_posts_notices_then_activates_itself_and_ends_the_online_card() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let grid = broker_grid(&broker, HUGO_ONLINE_CARD).await;
    let app = app_for(&broker).await;
    online_card_login(&app, "hugo", HUGO_ONLINE_CARD, &grid).await;

    let approaching = format!("message-{HUGO_REPLACEMENT}-approaching");
    app.wait_attr(&approaching, "data-kind", "auto_activation_approaching")
        .await;
    app.wait_text(&approaching, "name the replacement", |t| {
        t.contains(HUGO_REPLACEMENT)
    })
    .await;
    app.wait_attr(
        &format!("device-row-{HUGO_REPLACEMENT}"),
        "data-status",
        "shipped",
    )
    .await;
    let due = devices_of(&broker, "hugo")
        .await
        .into_iter()
        .find(|d| d.id == HUGO_REPLACEMENT)
        .and_then(|d| d.auto_activates_at)
        .expect("T5: a due date");
    app.wait_text(
        &format!("device-row-{HUGO_REPLACEMENT}"),
        "show when it activates itself",
        |t| t.contains(&utc_minutes(&due)),
    )
    .await;
    app.assert_accessible("main: a replacement on its way")
        .await;

    // Past the due date: the replacement was due 6 days after the scenario loaded, and
    // the clock started at most 36 hours later (noon tomorrow). The session through the
    // online card is over (by then idle too).
    broker.advance(6 * DAY + HOUR).await;
    app.switch_to_login().await;
    app.wait_for("session-ended", None, "say the session ended", |t, _| {
        !t.is_empty()
    })
    .await;

    // The online card no longer logs in: the DSC+ is asked.
    password_step(&app, "hugo", "trading").await;
    let challenge = app
        .wait_text("challenge-code", "show a DSC+ challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    let device = app
        .find("challenge-device")
        .await
        .text()
        .await
        .expect("text");
    assert!(device.contains(HUGO_REPLACEMENT), "T5: the DSC+: {device}");
    let response = broker
        .card_response(HUGO_REPLACEMENT, HUGO_PIN, &challenge)
        .await;
    app.type_into("response-input", &response).await;
    app.click("response-ok").await;
    app.switch_to_page("main.html").await;
    let activated = format!("message-{HUGO_REPLACEMENT}-activated");
    app.wait_attr(&activated, "data-kind", "device_auto_activated")
        .await;
    app.wait_attr(
        &format!("device-row-{HUGO_REPLACEMENT}"),
        "data-status",
        "active",
    )
    .await;
    app.wait_attr(
        &format!("device-row-{HUGO_ONLINE_CARD}"),
        "data-status",
        "inactive",
    )
    .await;
    app.wait_attr("limits-row", "data-row", "dsc_plus").await;
    app.assert_accessible("main: the replacement activated itself")
        .await;
    app.quit().await;
}

/// A card's grid, as its simulator is provisioned.
async fn broker_grid(broker: &Broker, device_id: &str) -> Vec<String> {
    pages::card_grid(broker, device_id).await
}

#[tokio::test]
async fn d2_the_limits_shown_are_the_sessions() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let grid = broker_grid(&broker, "SCC-20480001").await;
    let app = app_for(&broker).await;
    password_step(&app, "gwen", "trading").await;
    let codes = answer(&app, "index-first", "index-second", &grid).await;
    app.type_into("response-input", &codes).await;
    app.click("response-ok").await;
    app.switch_to_page("main.html").await;
    app.wait_attr("limits-row", "data-row", "security_code_card")
        .await;

    // The session as the broker serves it to this login: log in over HTTP too.
    let step = broker.login("gwen", PASSWORD).await.ok();
    let portcullis_api::Method::IndexCard { indexes } = &step.factor().method else {
        panic!("index numbers expected: {step:?}");
    };
    let codes: String = indexes
        .iter()
        .map(|&i| grid[usize::from(i)].as_str())
        .collect();
    let opened = broker.respond(&step.factor().ticket, &codes).await.ok();
    let session: SessionInfo = broker.session(&opened.opened().token).await.ok();
    let usd = |n: Option<u64>| n.map(|n| n.to_string());
    let shown_amount = |text: String| -> Option<String> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    };
    let per_day = app
        .wait_text("limits-per-day", "show the amount", |t| t != "…")
        .await;
    let per_5 = app
        .wait_text("limits-per-5-days", "show the amount", |t| t != "…")
        .await;
    assert_eq!(
        shown_amount(per_day),
        usd(session.limits.per_day_usd),
        "D2: per day, as the broker says"
    );
    assert_eq!(
        shown_amount(per_5),
        usd(session.limits.per_5_business_days_usd),
        "D2: per 5 business days"
    );
    app.wait_text("limits-row", "name the row", |t| t == "Security Code Card")
        .await;
    app.assert_accessible("main: withdrawal limits").await;
    app.quit().await;
}
