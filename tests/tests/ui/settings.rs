//! Issue 9, the main window's Secure Login settings and order ticket, step by step as
//! the articles walk them: sharing a DSC+ approved at once (S3, S4) and refused (S1a,
//! S1c with S5's wording), a non-primary user's notice (O3), opting back in and out
//! with the Pink Sheet order refused while out (O1, O2), a DSC+ ordered, shipped and
//! activated by itself on the broker's clock (D4, R1, T5), and a DSC+ sent back and
//! its deposit released once received (R2, R3); also a withdrawal over the day's limit
//! (D2), a sharing cancelled (S6) or waiting for Compliance (S4), a DSC+ reported lost
//! (R2) and a user with no device through the enrolment menu (S3, S5); and by keyboard
//! alone, R1 with a changed address and O2's configure page. Time is the broker's QA
//! clock.

use super::{app_for, one_at_a_time};
use portcullis_api::DeviceStatus;
use portcullis_testkit::desktop::{key, Desktop, Direction};
use portcullis_testkit::pages::home::{log_out, logged_in, settings_ready};
use portcullis_testkit::pages::{device, login, Channel};
use portcullis_testkit::Broker;
use serde_json::json;

const PASSWORD: &str = "Trade2026";
const LOWE_CARD: &str = "SCC-20480011";
const LOWEADVISOR_DSCP: &str = "DSCP-40511001";
const LOWEADVISOR_PIN: &str = "1379";
const LOWEIRA_DSCP: &str = "DSCP-40511002";
const OMAR_CARD: &str = "SCC-90900002";
const MILA_CARD: &str = "SCC-90900001";
pub(super) const LENA_CARD: &str = "SCC-20480004";
pub(super) const LENA_PIN: &str = "2468";
pub(super) const NORA_DSCP: &str = "DSCP-40500011";
pub(super) const NORA_PIN: &str = "3141";
pub(super) const DAY: i64 = 24 * 3600;

/// The password step on the Client Portal, where security settings change.
pub(super) async fn portal_password_step(app: &Desktop, username: &str) {
    login::password_step(app, Channel::Portal, username, PASSWORD).await;
}

/// A portal login answered with `card`'s codes at the two index numbers shown.
pub(super) async fn portal_card_login(app: &Desktop, broker: &Broker, username: &str, card: &str) {
    login::with_card(app, broker, Channel::Portal, username, card).await;
}

/// The DSC+ challenge answered with `device`'s response, after the password step.
pub(super) async fn portal_dsc_login(
    app: &Desktop,
    broker: &Broker,
    username: &str,
    device: &str,
    pin: &str,
) {
    login::answer_dsc_plus(app, broker, device, pin).await;
    logged_in(app, username).await;
}

#[tokio::test]
async fn s3_s4_s6_sharing_the_owners_dsc_plus_is_approved_at_once_and_sets_the_card_aside() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "lowe", LOWE_CARD).await;
    settings_ready(&app).await;

    // Step 5b: lowe has an active card, so the device list's Share Device.
    app.click("sls-share-device").await;
    app.wait_text("share-owner-heading", "ask for the owner", |t| {
        t.contains("device owner")
    })
    .await;
    app.assert_accessible("settings: share, the owner's credentials")
        .await;
    app.type_into("share-owner-username", "loweadvisor").await;
    app.type_into("share-owner-password", PASSWORD).await;
    app.click("share-owner-continue").await;

    // Step 7: the owner's DSC+ answers the challenge.
    let challenge = app
        .wait_text("share-challenge", "show the owner's challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    app.assert_accessible("settings: share, the owner's challenge")
        .await;
    let response = broker
        .card_response(LOWEADVISOR_DSCP, LOWEADVISOR_PIN, &challenge)
        .await;
    app.type_into("share-response", &response).await;
    app.click("share-answer-continue").await;

    // Step 8: the review names what is shared and what is set aside (S6).
    app.wait_text("share-review-device", "name the shared DSC+", |t| {
        t.contains(LOWEADVISOR_DSCP)
    })
    .await;
    let aside = app
        .wait_text("share-review-set-aside", "list lowe's card", |t| {
            !t.is_empty()
        })
        .await;
    assert!(aside.contains(LOWE_CARD), "S6: {aside}");
    app.assert_accessible("settings: share, the review").await;
    app.click("share-review-continue").await;

    // Step 9, S4: approved at once.
    app.wait_attr("share-done-status", "data-status", "approved")
        .await;
    app.assert_accessible("settings: share, approved").await;
    assert_eq!(
        device(&broker, LOWE_CARD).await.status,
        DeviceStatus::Inactive,
        "S6: the redundant card is kept inactive"
    );
    app.click("share-done-ok").await;
    app.wait_text("sharing-list", "list the sharing", |t| {
        t.contains(LOWEADVISOR_DSCP) && t.contains("approved")
    })
    .await;
    // Drawn in the same refresh as the sharing list: the shared DSC+ is its owner's to
    // send back or report, not lowe's.
    let returnable = app
        .find("return-devices")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        returnable.contains(LOWE_CARD) && !returnable.contains(LOWEADVISOR_DSCP),
        "{returnable}"
    );
    // S6: the card set aside comes back by cancelling the sharing, not by Reactivate.
    app.wait_text(
        &format!("device-row-{LOWE_CARD}"),
        "say it is set aside",
        |t| t.contains("set aside while you share a device"),
    )
    .await;
    assert_eq!(
        app.count(&format!("device-reactivate-{LOWE_CARD}")).await,
        0,
        "no Reactivate for a card set aside"
    );
    portcullis_testkit::desktop::screenshot("account-home.png");
    app.quit().await;
}

#[tokio::test]
async fn s1c_s5_sharing_a_less_secure_device_is_refused_with_the_articles_words() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_password_step(&app, "loweira").await;
    portal_dsc_login(&app, &broker, "loweira", LOWEIRA_DSCP, LOWEADVISOR_PIN).await;
    settings_ready(&app).await;

    app.click("sls-share-device").await;
    app.type_into("share-owner-username", "lowe").await;
    app.type_into("share-owner-password", PASSWORD).await;
    app.click("share-owner-continue").await;
    app.wait_attr("share-error", "data-code", "less_secure_device")
        .await;
    let text = app
        .wait_text("share-error", "say why", |t| !t.is_empty())
        .await;
    assert!(text.starts_with("Less secure device"), "S5: {text}");
    app.assert_accessible("settings: share refused, less secure device")
        .await;
    assert_eq!(
        device(&broker, LOWEIRA_DSCP).await.status,
        DeviceStatus::Active,
        "nothing set aside"
    );
    app.quit().await;
}

#[tokio::test]
async fn o3_a_non_primary_user_sees_the_notice_naming_the_primary_user() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "mila", MILA_CARD).await;
    let notice = app
        .wait_text("sls-not-primary", "show the notice", |t| !t.is_empty())
        .await;
    assert!(
        notice.contains("not allowed to change the security settings"),
        "O3: {notice}"
    );
    app.wait_attr("sls-not-primary", "data-primary", "avery")
        .await;
    assert!(
        !app.find("sls-controls")
            .await
            .is_displayed()
            .await
            .unwrap_or(true),
        "O3: no controls for mila"
    );
    app.assert_accessible("settings: the non-primary notice")
        .await;
    app.quit().await;
}

/// Places an order for `symbol` from the ticket.
async fn order(app: &Desktop, symbol: &str) {
    app.type_into("order-symbol", symbol).await;
    app.type_into("order-quantity", "10").await;
    app.click("order-submit").await;
}

#[tokio::test]
async fn o1_o2_opted_out_a_pink_sheet_order_is_refused_until_opting_back_in() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "omar", OMAR_CARD).await;
    settings_ready(&app).await;
    app.wait_text("restrictions-list", "list O1's restrictions", |t| {
        t.contains("Pink Sheet")
    })
    .await;

    // O1: opted out, a Pink Sheet order is refused with the reason.
    order(&app, "PNKCO").await;
    app.wait_attr("order-error", "data-code", "restricted")
        .await;
    app.wait_attr("order-error", "data-reason", "pink_sheet")
        .await;
    app.assert_accessible("trade: a Pink Sheet order refused")
        .await;

    // O2: configure → "I want to always use my Secure Login Device…" → Continue → OK.
    app.click("sls-configure").await;
    app.wait_text("sls-configure-heading", "open the configure page", |t| {
        !t.is_empty()
    })
    .await;
    app.assert_accessible("settings: the configure page").await;
    app.click("sls-choice-always").await;
    app.click("sls-configure-continue").await;
    app.wait_text("sls-configure-done-text", "confirm", |t| {
        t == "Your settings have been updated."
    })
    .await;
    app.assert_accessible("settings: opted back in").await;
    app.click("sls-configure-ok").await;
    app.wait_text("restrictions-none", "lift the restrictions", |t| {
        t == "None."
    })
    .await;
    order(&app, "PNKCO").await;
    app.wait_text("order-result", "accept the order", |t| {
        t.contains("accepted")
    })
    .await;

    // O1 again: opting out brings the refusal back.
    app.click("sls-configure").await;
    app.click("sls-choice-opt-out").await;
    app.click("sls-configure-continue").await;
    app.wait_attr("sls-configure-done-text", "data-opted-out", "true")
        .await;
    app.click("sls-configure-ok").await;
    order(&app, "OTCBX").await;
    app.wait_attr("order-error", "data-reason", "otcbb").await;
    app.quit().await;
}

#[tokio::test]
async fn d4_r1_t5_a_dsc_plus_ordered_ships_and_activates_itself() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "lena", LENA_CARD).await;
    settings_ready(&app).await;
    // R2: a Security Code Card is shredded, not sent back.
    app.wait_text(
        &format!("return-device-{LENA_CARD}"),
        "say to shred it",
        |t| t.contains("shred it"),
    )
    .await;

    // R1 steps 1–3: Request Physical Device, the soft PIN, Continue.
    app.click("sls-request-device").await;
    app.wait_text("device-order-heading", "open the request", |t| {
        !t.is_empty()
    })
    .await;
    app.assert_accessible("settings: request a DSC+").await;
    // Step 2: the address on file is shown, to judge whether to change it.
    app.wait_text("device-order-on-file", "show the address on file", |t| {
        t.contains("200 Park Avenue")
    })
    .await;
    app.type_into("device-order-pin", LENA_PIN).await;
    app.click("device-order-continue").await;
    // Step 4: the summary, with Back.
    app.wait_text(
        "device-order-summary-address",
        "show the address on file",
        |t| t.contains("200 Park Avenue"),
    )
    .await;
    app.assert_accessible("settings: the request's summary")
        .await;
    app.click("device-order-back").await;
    app.wait_text("device-order-heading", "go back", |t| !t.is_empty())
        .await;
    app.click("device-order-continue").await;
    app.wait_text(
        "device-order-summary-ships",
        "show the shipment date",
        |t| !t.is_empty(),
    )
    .await;
    app.click("device-order-submit").await;
    // Step 5: the confirmation with the estimated shipment date.
    let done = app
        .wait_text("device-order-done-text", "confirm the order", |t| {
            t.contains("Estimated shipment date")
        })
        .await;
    app.assert_accessible("settings: the order confirmed").await;
    let id = app
        .find("device-order-done-text")
        .await
        .attr("data-device-id")
        .await
        .expect("attr")
        .expect("the new device's id");
    assert!(done.contains(&id), "{done}");
    app.wait_attr(&format!("hold-{id}"), "data-status", "held")
        .await;
    app.wait_attr(&format!("device-row-{id}"), "data-status", "ordered")
        .await;
    log_out(&app).await;

    // T5: shipped within about 2 days (US), then active by itself within 3 weeks.
    broker.advance(3 * DAY).await;
    assert_eq!(device(&broker, &id).await.status, DeviceStatus::Shipped);
    broker.advance(22 * DAY).await;
    assert_eq!(device(&broker, &id).await.status, DeviceStatus::Active);

    // It answers a login with the PIN chosen at step 3.
    portal_password_step(&app, "lena").await;
    app.wait_for("device-select", None, "offer the DSC+", |t, _| {
        t.contains(&id)
    })
    .await;
    app.find("device-select")
        .await
        .select_by_value(&id)
        .await
        .expect("choose the DSC+");
    app.click("device-continue").await;
    portal_dsc_login(&app, &broker, "lena", &id, LENA_PIN).await;
    app.wait_attr(&format!("device-row-{id}"), "data-status", "active")
        .await;
    app.assert_accessible("main: the DSC+ active by itself")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn r2_r3_a_dsc_plus_sent_back_is_received_after_the_business_days_and_the_hold_released() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_password_step(&app, "nora").await;
    portal_dsc_login(&app, &broker, "nora", NORA_DSCP, NORA_PIN).await;
    settings_ready(&app).await;
    app.wait_attr(&format!("hold-{NORA_DSCP}"), "data-status", "held")
        .await;

    // The return article's three steps, then "I have sent it".
    app.click(&format!("device-return-{NORA_DSCP}")).await;
    app.wait_text("device-return-list", "list the return steps", |t| {
        t.contains("Return Form") && t.contains("Token Return Department")
    })
    .await;
    app.assert_accessible("settings: the return steps").await;
    assert_eq!(
        device(&broker, NORA_DSCP).await.status,
        DeviceStatus::Active,
        "nothing is sent before the user says so"
    );
    app.click("device-return-confirm").await;
    let sent = app
        .wait_text("return-done", "say it is on its way", |t| {
            t.contains("on its way back")
        })
        .await;
    assert!(sent.contains("released once it is received"), "{sent}");
    app.assert_accessible("settings: a DSC+ sent back").await;
    assert_eq!(
        device(&broker, NORA_DSCP).await.status,
        DeviceStatus::ReturnShipped
    );
    log_out(&app).await;

    // R3: received within 5 business days (a week covers any weekend).
    broker.advance(8 * DAY).await;
    assert_eq!(
        device(&broker, NORA_DSCP).await.status,
        DeviceStatus::Returned
    );
    // Her only device is back: the password alone logs her in.
    portal_password_step(&app, "nora").await;
    logged_in(&app, "nora").await;
    app.wait_attr(&format!("hold-{NORA_DSCP}"), "data-status", "released")
        .await;
    app.assert_accessible("settings: the deposit released")
        .await;
    app.quit().await;
}

#[tokio::test]
async fn d2_a_withdrawal_over_the_days_limit_is_refused_saying_what_is_left() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    // lowe's Security Code Card: 200,000 USD a day (D2).
    portal_card_login(&app, &broker, "lowe", LOWE_CARD).await;
    settings_ready(&app).await;
    app.wait_attr("withdrawals-left-today", "data-usd", "200000")
        .await;

    app.type_into("withdrawal-amount", "150000").await;
    app.click("withdrawal-submit").await;
    app.wait_text("withdrawal-result", "accept the withdrawal", |t| {
        t.contains("accepted")
    })
    .await;
    app.wait_attr("withdrawals-left-today", "data-usd", "50000")
        .await;

    app.type_into("withdrawal-amount", "60000").await;
    app.click("withdrawal-submit").await;
    app.wait_attr("withdrawal-error", "data-code", "limit_exceeded")
        .await;
    app.wait_attr("withdrawal-error", "data-reason", "per_day")
        .await;
    let text = app
        .wait_text("withdrawal-error", "say what is left", |t| !t.is_empty())
        .await;
    assert!(text.contains("50000 USD left today"), "D2: {text}");
    let left = app
        .wait_text("withdrawals-left-today", "show what is left", |t| {
            !t.is_empty()
        })
        .await;
    assert_eq!(left, "50,000 USD");
    app.assert_accessible("trade: a withdrawal over the day's limit")
        .await;

    // The next day (the broker's clock), the day's limit is whole again.
    log_out(&app).await;
    broker.advance(DAY).await;
    portal_card_login(&app, &broker, "lowe", LOWE_CARD).await;
    app.type_into("withdrawal-amount", "60000").await;
    app.click("withdrawal-submit").await;
    app.wait_text("withdrawal-result", "accept the withdrawal", |t| {
        t.contains("accepted")
    })
    .await;
    app.quit().await;
}

/// S3 steps 6–9 from the Share Device button: loweadvisor's DSC+ answers its
/// challenge; returns the review's devices set aside, once Continue confirms it.
async fn share_loweadvisors_dsc_plus(app: &Desktop, broker: &Broker) -> String {
    app.click("sls-share-device").await;
    share_with_loweadvisor(app).await;
    let challenge = app
        .wait_text("share-challenge", "show the owner's challenge", |t| {
            t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
        })
        .await;
    let response = broker
        .card_response(LOWEADVISOR_DSCP, LOWEADVISOR_PIN, &challenge)
        .await;
    app.type_into("share-response", &response).await;
    app.click("share-answer-continue").await;
    app.wait_text("share-review-device", "name the shared DSC+", |t| {
        t.contains(LOWEADVISOR_DSCP)
    })
    .await;
    let aside = app
        .wait_text("share-review-set-aside", "list what is set aside", |t| {
            !t.is_empty()
        })
        .await;
    app.click("share-review-continue").await;
    aside
}

/// S3 step 6: the device owner's credentials.
async fn share_with_loweadvisor(app: &Desktop) {
    app.wait_text("share-owner-heading", "ask for the owner", |t| {
        t.contains("device owner")
    })
    .await;
    app.type_into("share-owner-username", "loweadvisor").await;
    app.type_into("share-owner-password", PASSWORD).await;
    app.click("share-owner-continue").await;
}

async fn shared_id(app: &Desktop) -> String {
    app.find("share-done-status")
        .await
        .attr("data-sharing-id")
        .await
        .expect("attr")
        .expect("the sharing's id")
}

#[tokio::test]
async fn s6_cancelling_an_approved_sharing_reactivates_the_card_set_aside() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "lowe", LOWE_CARD).await;
    settings_ready(&app).await;
    let aside = share_loweadvisors_dsc_plus(&app, &broker).await;
    assert!(aside.contains(LOWE_CARD), "S6: {aside}");
    app.wait_attr("share-done-status", "data-status", "approved")
        .await;
    let id = shared_id(&app).await;
    assert_eq!(
        device(&broker, LOWE_CARD).await.status,
        DeviceStatus::Inactive
    );
    app.click("share-done-ok").await;

    app.click(&format!("sharing-cancel-{id}")).await;
    let line = app
        .wait_text("sharing-cancelled", "say it is cancelled", |t| {
            t.contains("cancelled")
        })
        .await;
    assert!(line.contains(LOWE_CARD), "S6: {line}");
    app.wait_attr(&format!("sharing-{id}"), "data-status", "cancelled")
        .await;
    app.assert_accessible("settings: a sharing cancelled").await;
    assert_eq!(
        device(&broker, LOWE_CARD).await.status,
        DeviceStatus::Active,
        "S6: the card set aside serves again"
    );
    app.quit().await;
}

/// S4: loweira (another entity) asks to share loweadvisor's DSC+, which waits for
/// Compliance; answers the sharing's id, listed as pending.
pub(super) async fn loweira_waits_for_compliance(app: &Desktop, broker: &Broker) -> String {
    portal_password_step(app, "loweira").await;
    portal_dsc_login(app, broker, "loweira", LOWEIRA_DSCP, LOWEADVISOR_PIN).await;
    settings_ready(app).await;
    share_loweadvisors_dsc_plus(app, broker).await;
    app.wait_attr("share-done-status", "data-status", "pending_compliance")
        .await;
    let text = app
        .wait_text("share-done-status", "say it is pending", |t| !t.is_empty())
        .await;
    assert!(text.contains("Compliance"), "S4: {text}");
    app.assert_accessible("settings: share, pending Compliance")
        .await;
    let id = shared_id(app).await;
    app.click("share-done-ok").await;
    app.wait_attr(
        &format!("sharing-{id}"),
        "data-status",
        "pending_compliance",
    )
    .await;
    id
}

#[tokio::test]
async fn s4_another_entitys_sharing_waits_for_compliance_then_shows_approved() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    let id = loweira_waits_for_compliance(&app, &broker).await;

    let (status, body) = broker
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.wait_attr(&format!("sharing-{id}"), "data-status", "approved")
        .await;
    app.wait_text("sharing-list", "list it approved", |t| {
        t.contains(LOWEADVISOR_DSCP) && t.contains("approved")
    })
    .await;
    app.assert_accessible("settings: share approved by Compliance")
        .await;
    // Compliance's decision is told in the messages.
    let message = format!("message-{id}-approved");
    app.wait_attr(&message, "data-kind", "sharing_approved")
        .await;
    let told = app
        .wait_text(&message, "tell the approval", |t| !t.is_empty())
        .await;
    assert!(
        told.contains("Compliance approved") && told.contains(LOWEADVISOR_DSCP),
        "{told}"
    );
    app.quit().await;
}

/// S4: Compliance rejects sharing `id`, giving the reason "ID document expired".
pub(super) async fn compliance_rejects(broker: &Broker, id: &str) {
    let (status, body) = broker
        .post(
            &format!("/qa/sharing/{id}/reject"),
            json!({ "reason": "ID document expired" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn s4_a_sharing_rejected_by_compliance_is_told_with_the_reason_and_changes_nothing() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    let id = loweira_waits_for_compliance(&app, &broker).await;

    compliance_rejects(&broker, &id).await;
    app.wait_attr(&format!("sharing-{id}"), "data-status", "rejected")
        .await;
    let message = format!("message-{id}-rejected");
    app.wait_attr(&message, "data-kind", "sharing_rejected")
        .await;
    let told = app
        .wait_text(&message, "tell the rejection", |t| !t.is_empty())
        .await;
    assert!(told.contains("ID document expired"), "{told}");
    app.assert_accessible("settings: share rejected by Compliance")
        .await;
    assert_eq!(
        app.count(&format!("sharing-cancel-{id}")).await,
        0,
        "a rejected request has nothing to cancel"
    );
    assert_eq!(
        device(&broker, LOWEIRA_DSCP).await.status,
        DeviceStatus::Active,
        "S4: nothing was set aside"
    );
    app.quit().await;
}

#[tokio::test]
async fn r2_a_dsc_plus_reported_lost_keeps_its_deposit() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_password_step(&app, "nora").await;
    portal_dsc_login(&app, &broker, "nora", NORA_DSCP, NORA_PIN).await;
    settings_ready(&app).await;
    app.wait_attr(&format!("hold-{NORA_DSCP}"), "data-status", "held")
        .await;

    app.click(&format!("device-report-lost-{NORA_DSCP}")).await;
    app.wait_text("report-lost-text", "say the deposit is kept", |t| {
        t.contains("kept")
    })
    .await;
    app.assert_accessible("settings: report a DSC+ lost").await;
    app.find("report-lost-reason")
        .await
        .select_by_value("stolen")
        .await
        .expect("choose stolen");
    app.click("report-lost-confirm").await;
    let done = app
        .wait_text("return-done", "say it is reported", |t| {
            t.contains("reported stolen")
        })
        .await;
    assert!(done.contains("deposit is kept"), "R2: {done}");
    app.wait_attr(&format!("hold-{NORA_DSCP}"), "data-status", "kept")
        .await;
    app.assert_accessible("settings: the deposit kept").await;
    assert_eq!(device(&broker, NORA_DSCP).await.status, DeviceStatus::Lost);
    app.quit().await;
}

#[tokio::test]
async fn s3_s5_with_no_device_the_enrolment_menu_then_different_identification_is_refused() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    // loweold has no device: the password alone logs in.
    portal_password_step(&app, "loweold").await;
    logged_in(&app, "loweold").await;
    settings_ready(&app).await;

    // S3 step 5a: the enrollment menu.
    app.click("sls-share-device").await;
    app.wait_text("sls-enrol-heading", "show the enrollment menu", |t| {
        !t.is_empty()
    })
    .await;
    app.assert_accessible("settings: share, the enrollment menu")
        .await;
    // Continue with nothing chosen asks for a choice.
    app.click("sls-enrol-continue").await;
    app.wait_attr("share-error", "data-code", "choose_an_item")
        .await;
    app.click("sls-enrol-share").await;
    app.click("sls-enrol-continue").await;
    share_with_loweadvisor(&app).await;

    // S1a with S5's words.
    app.wait_attr("share-error", "data-code", "different_identification")
        .await;
    let text = app
        .wait_text("share-error", "say why", |t| !t.is_empty())
        .await;
    assert!(
        text.starts_with("Different identification information"),
        "S5: {text}"
    );
    app.assert_accessible("settings: share refused, different identification")
        .await;
    app.quit().await;
}

/// Presses `keys` on whatever has focus, one character at a time.
async fn press(app: &Desktop, keys: &[&str]) {
    app.keys(&keys.concat()).await;
}

fn k(c: char) -> String {
    c.to_string()
}

#[tokio::test]
async fn r1_by_keyboard_alone_a_changed_address_ships_from_abroad_in_two_weeks() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "lena", LENA_CARD).await;
    settings_ready(&app).await;
    let (tab, enter) = (k(key::TAB), k(key::ENTER));

    // Step 1: Request Physical Device, reached with Tab; its heading takes focus.
    app.tab_to("sls-request-device", Direction::Forward, 60)
        .await;
    press(&app, &[&enter]).await;
    app.wait_focus("device-order-heading", "a new step's heading takes focus")
        .await;

    // Step 2: the address on file is outdated: Change Address opens the fields.
    app.tab_to("device-order-change-address", Direction::Forward, 3)
        .await;
    press(&app, &[&enter]).await;
    app.wait_attr("device-order-change-address", "aria-expanded", "true")
        .await;
    app.wait_focus("device-order-line1", "the first address field takes focus")
        .await;
    app.assert_accessible("settings: request a DSC+, Change Address")
        .await;
    // Line 1, (line 2), city, (region), postal code, country, then step 3's PIN; Enter.
    press(
        &app,
        &[
            "12 Rue de Rivoli",
            &tab,
            &tab,
            "Paris",
            &tab,
            &tab,
            "75001",
            &tab,
            "FR",
            &tab,
            LENA_PIN,
            &enter,
        ],
    )
    .await;

    // Step 4: the summary ships to the new address, and says when.
    app.wait_focus(
        "device-order-summary-heading",
        "the summary's heading takes focus",
    )
    .await;
    let to = app
        .wait_text(
            "device-order-summary-address",
            "show the new address",
            |t| !t.is_empty(),
        )
        .await;
    assert_eq!(to, "12 Rue de Rivoli, Paris 75001, FR");
    app.assert_accessible("settings: the summary, a changed address")
        .await;

    // Back keeps what was typed; Continue (Enter in the form) returns to the summary.
    app.tab_to("device-order-back", Direction::Forward, 3).await;
    press(&app, &[&enter]).await;
    app.wait_focus("device-order-heading", "Back returns to the request")
        .await;
    let city = app.find("device-order-city").await.prop("value").await;
    assert_eq!(city.ok().flatten().as_deref(), Some("Paris"));
    app.tab_to("device-order-continue", Direction::Forward, 12)
        .await;
    press(&app, &[&enter]).await;
    app.wait_focus("device-order-summary-heading", "the summary again")
        .await;

    // Step 5: Continue places the order; the confirmation takes focus.
    app.tab_to("device-order-submit", Direction::Forward, 3)
        .await;
    press(&app, &[&enter]).await;
    app.wait_focus(
        "device-order-done-heading",
        "the confirmation's heading takes focus",
    )
    .await;
    let done = app
        .wait_text("device-order-done-text", "confirm the order", |t| {
            t.contains("Rue de Rivoli")
        })
        .await;
    app.assert_accessible("settings: ordered to an address abroad")
        .await;
    let id = app
        .find("device-order-done-text")
        .await
        .attr("data-device-id")
        .await
        .expect("attr")
        .expect("the new device's id");
    assert!(done.contains(&id), "{done}");
    log_out(&app).await;

    // Outside the US it ships in about 2 weeks, not 2 days: the broker has the address.
    broker.advance(3 * DAY).await;
    assert_eq!(device(&broker, &id).await.status, DeviceStatus::Ordered);
    broker.advance(11 * DAY + 60).await;
    assert_eq!(device(&broker, &id).await.status, DeviceStatus::Shipped);
    app.quit().await;
}

#[tokio::test]
async fn o2_by_keyboard_alone_opting_back_in_lifts_the_restrictions() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    portal_card_login(&app, &broker, "omar", OMAR_CARD).await;
    settings_ready(&app).await;
    app.wait_attr("sls-status", "data-opted-out", "true").await;
    let enter = k(key::ENTER);

    // The Go to menu, from the portal's heading: Secure Login settings, focused.
    app.wait_focus("portal-heading", "the Client Portal starts on its heading")
        .await;
    app.tab_to("menu-go-to", Direction::Backward, 3).await;
    press(&app, &[&k(key::ARROW_DOWN)]).await;
    app.wait_focus(
        "go-to-session",
        "ArrowDown opens the menu on its first item",
    )
    .await;
    app.assert_accessible("main: the Go to menu open").await;
    let down = k(key::ARROW_DOWN);
    press(&app, &[&down, &down, &down, &enter]).await;
    app.wait_focus("sls-heading", "Go to focuses the part's heading")
        .await;

    // configure → "I want to always use my Secure Login Device…" → Continue.
    app.tab_to("sls-configure", Direction::Forward, 8).await;
    press(&app, &[&enter]).await;
    app.wait_focus(
        "sls-configure-heading",
        "the configure page's heading takes focus",
    )
    .await;
    // Tab enters the radio group on the choice in force; the arrow key changes it.
    app.tab_to("sls-choice-opt-out", Direction::Forward, 3)
        .await;
    press(&app, &[&k(key::ARROW_UP)]).await;
    app.wait_focus(
        "sls-choice-always",
        "the arrow key moves to the other choice",
    )
    .await;
    let checked = app.find("sls-choice-always").await.prop("checked").await;
    assert_eq!(checked.ok().flatten().as_deref(), Some("true"));
    app.tab_to("sls-configure-continue", Direction::Forward, 3)
        .await;
    press(&app, &[&enter]).await;

    // A confirmation, read out as its heading takes focus; OK returns to the settings.
    app.wait_focus(
        "sls-configure-done-heading",
        "the confirmation's heading takes focus",
    )
    .await;
    app.wait_attr("sls-configure-done-text", "data-opted-out", "false")
        .await;
    app.assert_accessible("settings: opted back in by keyboard")
        .await;
    app.tab_to("sls-configure-ok", Direction::Forward, 3).await;
    press(&app, &[&enter]).await;
    app.wait_focus("sls-heading", "back at the settings' heading")
        .await;
    app.wait_attr("sls-status", "data-opted-out", "false").await;
    app.wait_text("restrictions-none", "lift the restrictions", |t| {
        t == "None."
    })
    .await;
    app.quit().await;
}
