//! Issue 10, kiosk mode for demonstrators: the login window and the simulators tiled
//! across the screen, a large Reset demo, and the demo reset by itself after a visitor
//! walks away — logged out by the main window, then reset by the login window.

use super::one_at_a_time;
use portcullis_api::ClockInfo;
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::{home, login, Channel};
use portcullis_testkit::Broker;

const AVERY_CARD: &str = "DSCP-40211873";

/// The left edge and width of the current window, in CSS pixels.
async fn frame(app: &Desktop) -> (i64, i64) {
    let rect = app
        .client
        .execute("return [window.screenX, window.outerWidth]", vec![])
        .await
        .expect("the window's frame");
    (
        rect[0].as_i64().expect("screenX"),
        rect[1].as_i64().expect("outerWidth"),
    )
}

#[tokio::test]
async fn kiosk_a_visitor_who_walks_away_is_logged_out_and_the_demo_resets_by_itself() {
    let _turn = one_at_a_time().await;
    // The default hashing cost (not `start_for_ui`): the Reset demo time this test
    // prints is the one a demonstrator sees.
    let broker = Broker::start().await;
    let app = Desktop::start(&[
        "--broker-url",
        &broker.url,
        "--kiosk",
        "--kiosk-reset-after",
        "3",
    ])
    .await;
    login::ready(&app).await;
    app.wait_text("kiosk-note", "say when it resets", |t| t.contains("3 s"))
        .await;
    app.assert_accessible("kiosk: the login window").await;

    // Docked: the phone left of the login window, the card right of it.
    let (login_x, login_width) = frame(&app).await;
    app.switch_to_page("phone.html").await;
    let (phone_x, _) = frame(&app).await;
    app.switch_to_page("card.html").await;
    app.wait_attr("card-device", "data-ready", "true").await;
    let (card_x, _) = frame(&app).await;
    assert!(
        phone_x < login_x && login_x + login_width <= card_x,
        "phone at {phone_x}, login at {login_x} ({login_width} wide), card at {card_x}"
    );
    app.switch_to_login().await;

    // A visitor moves the clock on, logs in, and walks away.
    broker.advance(5 * 3600).await;
    login::with_dsc_plus(&app, &broker, Channel::Trading, "avery", AVERY_CARD, "1234").await;
    home::session_device(&app).await;

    // The main window logs the visitor out; 3 s later the login window resets.
    app.switch_to_login().await;
    app.wait_attr("kiosk-reset-done", "data-resets", "1").await;
    let clock: ClockInfo = broker.get_as("/qa/clock").await.ok();
    assert_eq!(clock.offset_ms, 0, "the clock is back to the real time");
    let audit = broker.audit().await;
    assert!(
        !audit.iter().any(|e| e["event"] == "login_success"),
        "the broker is back at its scenario: {audit:?}"
    );

    // The big button, at once; how long it took is shown (README: under a second).
    app.click("kiosk-reset").await;
    app.wait_attr("kiosk-reset-done", "data-resets", "2").await;
    let ms = app
        .find("kiosk-reset-done")
        .await
        .attr("data-ms")
        .await
        .ok()
        .flatten()
        .expect("data-ms");
    eprintln!("kiosk: Reset demo took {ms} ms");
    app.assert_accessible("kiosk: reset").await;
    app.quit().await;
}

#[tokio::test]
async fn kiosk_the_demo_menu_enters_kiosk_mode_and_the_bar_leaves_it() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start().await;
    let app = Desktop::for_broker(&broker).await;
    login::ready(&app).await;
    app.wait_hidden("kiosk-bar", "kiosk mode is off until asked")
        .await;
    let (_, plain_width) = frame(&app).await;

    app.click("menu-demo").await;
    app.click("menu-kiosk").await;
    app.wait_text("kiosk-note", "say when it resets", |t| t.contains("90 s"))
        .await;
    app.assert_accessible("kiosk: entered from the Demo menu")
        .await;
    // The window system moves windows in its own time: wait for the login's new width.
    let start = std::time::Instant::now();
    let (login_x, login_width) = loop {
        let (x, width) = frame(&app).await;
        if width > plain_width {
            break (x, width);
        }
        assert!(
            start.elapsed() < portcullis_testkit::desktop::DEADLINE,
            "the login window stays {width} wide in kiosk mode"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    app.switch_to_page("phone.html").await;
    let (phone_x, _) = frame(&app).await;
    app.switch_to_page("card.html").await;
    let (card_x, _) = frame(&app).await;
    assert!(
        phone_x < login_x && login_x + login_width <= card_x,
        "docked: phone at {phone_x}, login at {login_x} ({login_width} wide, \
         {plain_width} before), card at {card_x}"
    );
    app.switch_to_login().await;

    app.click("kiosk-leave").await;
    app.wait_hidden("kiosk-bar", "Leave kiosk mode hides the bar")
        .await;
    let start = std::time::Instant::now();
    loop {
        let (_, width) = frame(&app).await;
        if width == plain_width {
            break;
        }
        assert!(
            start.elapsed() < portcullis_testkit::desktop::DEADLINE,
            "the login window is {width} wide after leaving, {plain_width} before"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The Demo menu offers kiosk mode again.
    app.click("menu-demo").await;
    app.find("menu-kiosk").await;
    app.wait_text("menu-kiosk", "be offered again", |t| !t.is_empty())
        .await;
    app.quit().await;
}
