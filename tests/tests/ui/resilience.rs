//! Issue 11, client resilience: the login server killed (`kill -9`, a real process)
//! during a push wait, then started again on the same state folder and address; and a
//! login server slow to answer the password step (a QA route fault), during which the
//! window must stay the trader's.
//!
//! The phone here is the kit's ([`Phone`]), not the phone window: the phone simulator
//! has its own line to the broker with its own reconnection, and these tests are about
//! the login window's.

use super::ibkey::{logged_in_as, DANA_KEY, DANA_PIN};
use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_api::{PhonePush, PhonePushes, RouteFault};
use portcullis_testkit::desktop::{focused_testid, Desktop};
use portcullis_testkit::pages::{login, DEMO_PASSWORD};
use portcullis_testkit::phone::Phone;
use portcullis_testkit::{eventually, Broker};
use serde_json::json;
use std::time::Duration;

/// The issue's bound: a dead login server is said within 2 s.
const SAID_WITHIN: Duration = Duration::from_secs(2);

/// `username`'s live push as the phone lists it.
async fn push_for(phone: &Phone, username: &str) -> PhonePush {
    eventually(
        &format!("{username}'s push on the phone"),
        DEADLINE,
        || async {
            let listed: PhonePushes = phone.get_as("/v1/phone/pushes").await.ok();
            listed.pushes.into_iter().find(|p| p.username == username)
        },
    )
    .await
}

/// dana's password step sent, her push on the phone, the window waiting for it.
async fn waiting_for_dana(app: &Desktop, phone: &Phone) -> PhonePush {
    login::ready(app).await;
    login::type_and_log_in(app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(app).await;
    push_for(phone, "dana").await
}

/// Kills the broker and checks what the push wait says: within 2 s, in its alert, the
/// login server out of reach, the login kept, Retry offered; the status line backing
/// off between tries.
async fn kill_during_the_wait(app: &Desktop, broker: &mut Broker) {
    broker.kill_hard();
    app.wait_for_within(
        SAID_WITHIN,
        "push-message",
        Some("data-code"),
        "say the login server is gone, within 2 s of the kill",
        |_, code| code == Some("broker_unreachable"),
    )
    .await;
    let said = app
        .wait_text("push-message", "say it keeps trying", |t| {
            t.contains("cannot be reached") && t.contains("keeps trying")
        })
        .await;
    assert!(!said.contains("broker"), "trader wording: {said}");
    app.wait_text("push-kept", "say the login request is kept", |t| {
        t.contains("login request is kept")
    })
    .await;
    app.wait_text("push-retry", "offer Retry", |t| {
        t.eq_ignore_ascii_case("retry")
    })
    .await;
    // Tries again by itself, further apart each time (1 s, then 2 s, …, at most 10 s).
    app.wait_attr("broker-status", "data-state", "reconnecting")
        .await;
    app.wait_text("broker-status-text", "back off to 2 s", |t| {
        t.contains("Trying again in 2 s")
    })
    .await;
    app.assert_accessible("login: push wait, login server killed")
        .await;
}

/// K2: the broker dies mid-wait and comes back with its state: the message within 2 s,
/// then, once it answers again, the message goes and the same push logs dana in.
#[tokio::test]
async fn issue11_k2_broker_killed_during_a_push_wait_is_said_within_2s_and_the_wait_recovers() {
    let _turn = one_at_a_time().await;
    let mut broker = Broker::start_for_ui().await;
    let phone = Phone::provision(&broker, "demo-phone").await;
    let app = app_for(&broker).await;
    let push = waiting_for_dana(&app, &phone).await;

    kill_during_the_wait(&app, &mut broker).await;

    broker.restart_at_same_url();
    login::ready(&app).await;
    app.wait_hidden("push-message", "the line is back: the wait goes on")
        .await;
    assert!(
        !app.displayed("push-retry").await,
        "Retry is gone with the outage"
    );
    login::push_counting_down(&app).await;
    let after = push_for(&phone, "dana").await;
    assert_eq!(
        after.push_id, push.push_id,
        "the restarted broker kept the push (same state folder)"
    );
    phone.approve(&after, DANA_PIN, None).await.ok();
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

/// K2: the broker comes back without the login (reset meanwhile): the wait ends with
/// a clear message on the password step, ready for a new login.
#[tokio::test]
async fn issue11_k2_broker_back_without_the_login_leads_back_to_the_password_step() {
    let _turn = one_at_a_time().await;
    let mut broker = Broker::start_for_ui().await;
    let phone = Phone::provision(&broker, "demo-phone").await;
    let app = app_for(&broker).await;
    waiting_for_dana(&app, &phone).await;

    kill_during_the_wait(&app, &mut broker).await;

    broker.restart_at_same_url();
    let (status, body) = broker.post("/qa/reset", json!({})).await;
    assert_eq!(status, 200, "{body}");
    login::error_code(&app, "no_pending_login").await;
    app.wait_text("login-error", "say to log in again", |t| {
        t.contains("log in again")
    })
    .await;
    assert!(
        !app.displayed("push-wait").await,
        "the push wait is left behind"
    );
    assert_eq!(
        focused_testid(&app).await.as_deref(),
        Some("password"),
        "focus where the next login starts"
    );
    app.assert_accessible("login: the login gone after an outage")
        .await;
    app.quit().await;
}

/// A QA route fault: the broker's next password step answers `ms` late.
async fn slow_password_step(broker: &Broker, ms: u64) {
    let _: RouteFault = broker
        .post_as(
            "/qa/faults/routes",
            &json!({ "route": "/v1/login", "method": "POST", "delay_ms": ms, "times": 1 }),
        )
        .await
        .ok();
}

/// A slow password step: a busy indicator; the window answers meanwhile (a menu opens,
/// typing lands); Cancel gives the form back at once, and the broker's late answer is
/// undone (no push left on the phone). A slow step that is let be ends in the push wait.
#[tokio::test]
async fn issue11_slow_password_step_keeps_the_window_responsive_and_cancel_abandons_it() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let phone = Phone::provision(&broker, "demo-phone").await;
    let app = app_for(&broker).await;
    login::ready(&app).await;

    // Under the app's 8 s request deadline, so the late answer is an answer.
    slow_password_step(&broker, 7_000).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    app.wait_text("login-busy", "say the login is under way", |t| {
        t.contains("Logging in")
    })
    .await;
    app.wait_text("login-cancel", "offer Cancel", |t| {
        t.eq_ignore_ascii_case("cancel")
    })
    .await;
    assert_eq!(
        focused_testid(&app).await.as_deref(),
        Some("login-cancel"),
        "focus leaves the disabled Login for Cancel"
    );
    app.assert_accessible("login: password step under way")
        .await;
    // WebDriver actions complete while the broker has not answered.
    app.click("menu-devices").await;
    app.wait_attr("menu-devices", "aria-expanded", "true").await;
    app.click("menu-devices").await;
    app.wait_attr("menu-devices", "aria-expanded", "false")
        .await;
    app.type_into("username", "typed-meanwhile").await;
    app.wait_attr("username", "value", "typed-meanwhile").await;
    assert!(
        app.displayed("login-busy").await,
        "the probes ran while the password step was under way (the fault's delay is too short otherwise)"
    );

    app.click("login-cancel").await;
    app.wait_hidden("login-busy", "Cancel ends the wait").await;
    assert!(
        app.find("login-button")
            .await
            .is_enabled()
            .await
            .unwrap_or(false),
        "Login can be pressed again"
    );
    assert!(!app.displayed("login-cancel").await, "nothing to cancel");
    assert_eq!(
        focused_testid(&app).await.as_deref(),
        Some("password"),
        "focus back in the form"
    );

    // The broker answers late with dana's push; the app cancels that login.
    eventually("the late login cancelled by the app", DEADLINE, || async {
        let page = broker.journal("route=/v1/login/cancel").await;
        page.entries.iter().any(|e| e.code == "ok").then_some(())
    })
    .await;
    let listed: PhonePushes = phone.get_as("/v1/phone/pushes").await.ok();
    assert!(
        listed.pushes.iter().all(|p| p.username != "dana"),
        "no push left on the phone for a cancelled login: {listed:?}"
    );
    assert!(
        app.displayed("login-form").await && !app.displayed("push-wait").await,
        "the late answer changes nothing on screen"
    );

    // Slow again, and let be: the busy indicator ends with the answer.
    slow_password_step(&broker, 2_000).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    app.wait_text("login-busy", "say the login is under way", |t| {
        t.contains("Logging in")
    })
    .await;
    login::push_counting_down(&app).await;
    assert!(
        !app.displayed("login-busy").await,
        "busy no more once answered"
    );
    app.quit().await;
}
