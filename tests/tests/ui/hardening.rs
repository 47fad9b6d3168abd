//! Issue 6, desktop items 12–15: the phone after Reset demo, losing the login server,
//! notifications that close, and the smaller things a trader saw.

use super::ibkey::{logged_in_as, DANA_KEY, DANA_PIN};
use super::{app_for, one_at_a_time, DEADLINE};
use portcullis_testkit::desktop::{
    focused_testid, keyring_lookup, notifications_open, Desktop, FlakyLine, LineMode,
};
use portcullis_testkit::pages::{login, phone, DEMO_PASSWORD};
use portcullis_testkit::{eventually, Broker};
use std::time::{Duration, Instant};

/// Item 12: Reset demo voids every phone token; the simulator must keep working.
#[tokio::test]
async fn hardening_reset_demo_keeps_the_phone_simulator_working() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    let before = keyring_lookup("portcullis.phone", "identity").expect("the phone's identity");

    app.click("menu-demo").await;
    app.click("menu-reset-demo").await;
    app.wait_attr("demo-notice", "data-code", "demo_reset")
        .await;
    app.assert_accessible("login: demo reset").await;
    let after = eventually("a fresh identity in the keyring", DEADLINE, || async {
        keyring_lookup("portcullis.phone", "identity").filter(|now| *now != before)
    })
    .await;
    assert!(
        after.contains("demo-phone"),
        "still the demo phone: {after}"
    );

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    phone::approve(&app, "dana", DANA_PIN).await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

/// Item 13: the line drops; the status says so, tries again by itself, Retry is
/// there, and once the login server is back the old error goes.
#[tokio::test]
async fn hardening_lost_login_server_reconnects_and_clears_the_stale_error() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let line = FlakyLine::start(&broker.url).await;
    let app = Desktop::start(&["--broker-url", &line.url]).await;
    login::ready(&app).await;

    line.set(LineMode::Down);
    app.wait_attr("broker-status", "data-state", "reconnecting")
        .await;
    app.wait_text("broker-retry", "offer Retry", |t| {
        t.eq_ignore_ascii_case("retry")
    })
    .await;
    app.type_into("username", "blake").await;
    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.wait_attr("login-error", "data-code", "broker_unreachable")
        .await;
    let said = app
        .wait_text("login-error", "speak of the login server", |t| {
            t.contains("login server")
        })
        .await;
    assert!(!said.contains("broker"), "trader wording: {said}");
    app.assert_accessible("login: login server lost").await;
    // The pause grows: 4 s means three attempts failed.
    let status = app
        .wait_text("broker-status-text", "back off to 4 s", |t| {
            t.contains("Trying again in 4 s")
        })
        .await;
    assert!(status.contains("login server"), "{status}");

    line.set(LineMode::Pass);
    app.click("broker-retry").await;
    login::ready(&app).await;
    app.wait_hidden("login-error", "a stale connection error after Retry")
        .await;

    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    app.quit().await;
}

/// Item 13: a frozen login server during a push wait: "slow" within 2 s, a clear
/// failure with Retry within 10 s, and the wait goes on by itself once it answers.
#[tokio::test]
async fn hardening_frozen_login_server_is_slow_within_2s_and_fails_within_10s() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let line = FlakyLine::start(&broker.url).await;
    let app = Desktop::start(&["--broker-url", &line.url]).await;
    phone::use_demo(&app).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(&app).await;

    let frozen = Instant::now();
    line.set(LineMode::Frozen);
    app.wait_attr("broker-status", "data-state", "slow").await;
    let slow_after = frozen.elapsed();
    app.wait_text("broker-status-text", "say it is slow", |t| {
        t.contains("login server is slow to answer")
    })
    .await;
    // 2 s in the app; the rest is this test's WebDriver polling on a loaded machine.
    assert!(
        slow_after < Duration::from_millis(2500),
        "slow said after {slow_after:?}"
    );
    app.wait_for(
        "push-message",
        Some("data-code"),
        "fail clearly",
        |_, code| matches!(code, Some("broker_timeout" | "broker_unreachable")),
    )
    .await;
    let failed_after = frozen.elapsed();
    assert!(
        failed_after < Duration::from_secs(10),
        "a clear failure within 10 s, took {failed_after:?}"
    );
    app.wait_text("push-retry", "offer Retry", |t| {
        t.eq_ignore_ascii_case("retry")
    })
    .await;
    app.assert_accessible("login: push wait, login server frozen")
        .await;

    line.set(LineMode::Pass);
    login::ready(&app).await;
    app.wait_hidden("push-message", "the wait resumed by itself")
        .await;
    phone::approve(&app, "dana", DANA_PIN).await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    app.quit().await;
}

/// Item 14: each request's notification closes when the request ends: withdrawn by
/// the fallback, expired, approved.
#[tokio::test]
async fn hardening_notifications_close_when_their_request_ends() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    let _ = std::process::Command::new("dunstctl")
        .arg("close-all")
        .status();
    let shown = || async { (notifications_open() > 0).then_some(()) };
    let gone = || async { (notifications_open() == 0).then_some(()) };

    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    eventually("a notification", DEADLINE, shown).await;
    app.click("push-fallback-link").await;
    app.wait_text("challenge-code", "show the fallback challenge", |t| {
        t.len() == 6
    })
    .await;
    eventually(
        "the withdrawn request's notification to close",
        DEADLINE,
        gone,
    )
    .await;

    app.click("response-cancel").await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    eventually("a notification", DEADLINE, shown).await;
    broker.advance(180).await;
    login::push_message(&app, "push_expired").await;
    eventually(
        "the expired request's notification to close",
        DEADLINE,
        gone,
    )
    .await;

    app.click("push-send-again").await;
    eventually("a notification", DEADLINE, shown).await;
    phone::approve(&app, "dana", DANA_PIN).await;
    logged_in_as(&app, "dana", DANA_KEY).await;
    eventually(
        "the approved request's notification to close",
        DEADLINE,
        gone,
    )
    .await;
    app.quit().await;
}

/// Item 15: after expiry the push screen stops promising; focus goes to the step.
#[tokio::test]
async fn hardening_push_screen_after_expiry_stops_promising_and_focus_follows() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    login::type_and_log_in(&app, "dana", DEMO_PASSWORD).await;
    login::push_counting_down(&app).await;
    eventually("focus on the push step's heading", DEADLINE, || async {
        (focused_testid(&app).await.as_deref() == Some("push-heading")).then_some(())
    })
    .await;

    broker.advance(180).await;
    login::push_message(&app, "push_expired").await;
    assert!(
        !app.displayed("push-sent-text").await && !app.displayed("push-steps").await,
        "no 'a notification has been sent… continues by itself' after expiry"
    );
    app.wait_text("push-heading", "say it expired", |t| t.contains("expired"))
        .await;
    app.assert_accessible("login: push expired").await;
    eventually("focus on Send again", DEADLINE, || async {
        (focused_testid(&app).await.as_deref() == Some("push-send-again")).then_some(())
    })
    .await;
    app.quit().await;
}

/// Item 15: the phone's green notice belongs to the screen it was shown on.
#[tokio::test]
async fn hardening_phone_notice_is_cleared_on_later_screens() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    phone::use_demo(&app).await;
    app.switch_to_page("phone.html").await;
    app.wait_attr("phone-notice", "data-code", "demo").await;
    app.click("phone-open-authenticate").await;
    app.wait_hidden("phone-notice", "the notice of an earlier screen")
        .await;
    app.assert_accessible("phone: Authenticate").await;
    app.quit().await;
}

/// Item 15: the lock gives local time beside UTC; BAD CHARACTER gets its hint.
#[tokio::test]
async fn hardening_lock_message_gives_local_time_and_bad_character_a_hint() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    for i in 0..10 {
        broker.login("blake", &format!("wrong{i}")).await;
    }
    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "blake", DEMO_PASSWORD).await;
    app.wait_attr("login-error", "data-code", "locked").await;
    let text = app
        .wait_text("lock-local-time", "give local time", |t| {
            t.contains("local time")
        })
        .await;
    assert!(text.chars().any(|c| c.is_ascii_digit()), "{text}");
    app.assert_accessible("login: locked, with local time")
        .await;
    app.wait_text("login-error", "keep UTC", |t| t.contains("UTC"))
        .await;

    app.type_into("username", "bl ake").await;
    app.type_into("password", "Trade2026").await;
    app.click("login-button").await;
    app.wait_attr("login-error", "data-code", "bad_character")
        .await;
    app.wait_text("bad-character-hint", "explain", |t| {
        t.contains("letters and digits only, no spaces")
            || t.contains("Letters and digits only, no spaces")
    })
    .await;
    app.assert_accessible("login: BAD CHARACTER with its hint")
        .await;
    app.quit().await;
}

/// Item 15: the challenge screen names the device; "up to [3] times" stays together.
#[tokio::test]
async fn hardening_challenge_names_the_device_and_auto_resend_does_not_wrap() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "avery", DEMO_PASSWORD).await;
    app.wait_text("challenge-device", "name the card", |t| {
        t.contains("Digital Security Card+") && t.contains("DSCP-40211873")
    })
    .await;
    app.assert_accessible("login: DSC+ challenge").await;
    let kept = app
        .client
        .execute(
            "const s = document.querySelector('[data-testid=\"auto-resend-max\"]').closest('.nowrap');
             return s ? [s.textContent, getComputedStyle(s).whiteSpace] : null",
            vec![],
        )
        .await
        .expect("read the label");
    let text = kept[0].as_str().unwrap_or_default();
    assert!(
        text.contains("up\u{a0}to") && kept[1] == "nowrap",
        "'up to [3] times' kept together: {kept}"
    );
    app.quit().await;
}

/// Item 15: the main window opens centred (not at 0,0 over the phone) with focus.
#[tokio::test]
async fn hardening_main_window_opens_centred_with_focus() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    login::type_and_log_in(&app, "blake", DEMO_PASSWORD).await;
    app.switch_to_page("main.html").await;
    app.wait_text("session-username", "show blake", |t| t == "blake")
        .await;
    let (x, y, w, h) = app.client.get_window_rect().await.expect("window rect");
    let screen = app
        .client
        .execute("return [screen.width, screen.height]", vec![])
        .await
        .expect("screen size");
    let (sw, sh) = (
        screen[0].as_u64().unwrap_or(0),
        screen[1].as_u64().unwrap_or(0),
    );
    assert!((x, y) != (0, 0), "not at 0,0");
    let (cx, cy) = (x + w / 2, y + h / 2);
    assert!(
        cx.abs_diff(sw / 2) < 60 && cy.abs_diff(sh / 2) < 60,
        "centred: window {x},{y} {w}x{h} on {sw}x{sh}"
    );
    eventually("focus on the session heading", DEADLINE, || async {
        (focused_testid(&app).await.as_deref() == Some("session-heading")).then_some(())
    })
    .await;
    app.quit().await;
}
