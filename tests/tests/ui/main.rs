//! The real app, driven through tauri-driver under Xvfb, against a real broker.
//! Run inside `scripts/with-desktop.sh` (the README's test command does). The tests
//! of one run take turns: one app window set per desktop session keeps WebKit's
//! start-up within deadlines on two cores. `scripts/test.sh` runs the suite as two
//! halves at once, each in its own session (display, keyring, settings).

use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::Broker;
use tokio::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

mod accessibility;
mod capabilities;
mod hardening;
mod hardening_contract;
mod ibkey;
mod keyboard;
mod kiosk;
mod locale;
mod login;
mod lost_device;
mod online_card;
mod phone_lan;
mod resilience;
mod settings;

const DEADLINE: std::time::Duration = portcullis_testkit::desktop::DEADLINE;

async fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

async fn app_for(broker: &Broker) -> Desktop {
    Desktop::for_broker(broker).await
}

use portcullis_testkit::pages::login::index_shown;
use portcullis_testkit::pages::simulators::start_phone_activation;
