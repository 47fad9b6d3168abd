//! The IB Key phone simulator in the desktop: the client's phone core
//! ([`portcullis_client::phone::PhoneSim`]) with the desktop around it — its identity
//! in the OS keyring, a desktop notification per login request (activating it opens
//! the request), and the phone window told when to redraw (`phone-changed`). The
//! phone window (`ui/phone.html`) drives it through the commands in `commands`.

pub mod commands;

use crate::error::AppError;
use crate::keychain;
use crate::link::Line;
use crate::notifications;
use crate::windows;
use portcullis_api::PhonePush;
use portcullis_client::phone::{PhoneHost, PhoneIdentity, PhoneSim};
use portcullis_client::BrokerClient;
use tauri::{AppHandle, Emitter, Manager};

struct DesktopPhone {
    app: AppHandle,
}

impl PhoneHost for DesktopPhone {
    fn client(&self) -> Result<BrokerClient, AppError> {
        self.app.state::<Line>().client()
    }

    fn keep(&self, identity: Option<&PhoneIdentity>) -> Result<(), AppError> {
        match identity {
            Some(identity) => {
                let json = serde_json::to_string(identity)
                    .map_err(|e| AppError::new("phone", e.to_string()))?;
                keychain::store_phone_identity(&json)
            }
            None => keychain::forget_phone_identity(),
        }
    }

    fn requested(&self, push: &PhonePush) {
        let app = self.app.clone();
        let push_id = push.push_id.clone();
        notifications::show(&self.app, &push.push_id, &push.username, move || {
            open_request(&app, &push_id);
        });
    }

    fn waiting(&self, push_ids: &[String]) {
        notifications::keep_only(&self.app, push_ids);
    }

    fn changed(&self) {
        let _ = self.app.emit_to("phone", "phone-changed", ());
    }
}

/// The phone as it was left (its identity from the keyring), listening.
pub fn start(app: &AppHandle) -> PhoneSim {
    let identity = keychain::phone_identity()
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str(&json).ok());
    let runtime = tauri::async_runtime::handle().inner().clone();
    let phone = PhoneSim::new(DesktopPhone { app: app.clone() }, runtime, identity);
    phone.listen();
    phone
}

/// A notification was activated: the phone window opens on its request.
fn open_request(app: &AppHandle, push_id: &str) {
    if windows::open_phone(app).is_err() {
        return;
    }
    let _ = app.emit_to("phone", "phone-open-request", push_id.to_owned());
    app.state::<PhoneSim>().open_request(push_id);
}
