//! The real app, driven through tauri-driver under Xvfb, against a real broker.
//! Run inside `scripts/with-desktop.sh` (the README's test command does). The tests
//! take turns: one app window set at a time keeps WebKit's start-up within deadlines
//! on two cores.

use portcullis_tests::desktop::Desktop;
use portcullis_tests::Broker;
use tokio::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

mod accessibility;
mod capabilities;
mod hardening;
mod hardening_contract;
mod ibkey;
mod keyboard;
mod login;
mod lost_device;
mod online_card;
mod settings;

const DEADLINE: std::time::Duration = portcullis_tests::desktop::DEADLINE;

async fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

async fn app_for(broker: &Broker) -> Desktop {
    Desktop::start(&["--broker-url", &broker.url]).await
}

/// Opens the phone simulator and starts activating IB Key for `username` (password
/// `Trade2026`) on `number`.
async fn start_phone_activation(app: &Desktop, username: &str, number: &str) {
    app.wait_attr("broker-status", "data-state", "ready").await;
    app.click("menu-devices").await;
    app.click("menu-open-phone").await;
    app.switch_to_page("phone.html").await;
    app.click("phone-activate-start").await;
    app.type_into("phone-activate-username", username).await;
    app.type_into("phone-activate-password", "Trade2026").await;
    app.type_into("phone-activate-number", number).await;
    app.click("phone-activation-send").await;
}

/// A number 0–99 shown large: a login's index numbers (D7, T3), the online card's,
/// a reactivation's.
async fn index_shown(app: &Desktop, id: &str) -> u8 {
    let text = app
        .wait_text(id, "show an index number 0-99", |t| {
            t.parse::<u8>().is_ok_and(|n| n < 100)
        })
        .await;
    text.parse().expect("an index number")
}
