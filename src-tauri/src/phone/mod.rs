//! The IB Key phone simulator's Rust side: its identity and keys (in the OS keyring),
//! the event stream from the broker (SSE) with a desktop notification per request,
//! and the arithmetic of approving (K2) and of the Authenticate screen (K3). The phone
//! window (`ui/phone.html`) drives it through the commands in `commands`.
//!
//! A phone whose token the broker refuses (`unknown_phone`: rotated, reset, removed)
//! stops listening and says so; re-pairing gives it a fresh identity. Demo → Reset
//! demo re-provisions it at once, so the simulator keeps working (issue 6, item 12).

pub mod commands;

use crate::card;
use crate::error::AppError;
use crate::keychain;
use crate::notifications;
use crate::Portcullis;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

/// The scenario's phone that "Use the demo phone" becomes.
pub const DEMO_PHONE: &str = "demo-phone";

/// A username on this phone (K5: there may be several).
#[derive(Clone, Serialize, Deserialize)]
pub struct PhoneAccount {
    pub username: String,
    pub device_id: String,
    pub secret_hex: String,
    /// `pin` or `biometric`.
    pub security: String,
    /// With biometrics, the PIN (hashed) the phone keeps behind them (K1).
    pub pin_sha1_hex: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct PhoneIdentity {
    pub phone_id: String,
    pub token: String,
    pub number: Option<String>,
    pub accounts: Vec<PhoneAccount>,
}

impl PhoneIdentity {
    fn account(&self, username: &str) -> Result<&PhoneAccount, AppError> {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .ok_or_else(|| AppError::new("phone", "That user is not on this phone."))
    }
}

/// An activation under way (K1): its id, the number typed, and — while the user's
/// current second factor is being checked first — what the broker asked for.
#[derive(Clone)]
pub struct Activation {
    pub id: String,
    pub number: String,
    /// The masked number on record a verification code went to (`method: sms`).
    pub verify_sms_to: Option<String>,
}

#[derive(Default)]
pub struct PhoneSim {
    identity: Mutex<Option<PhoneIdentity>>,
    /// Login requests waiting for an answer, by push id.
    incoming: Mutex<BTreeMap<String, Value>>,
    activation: Mutex<Option<Activation>>,
    listener: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// A request opened from a notification, for the phone window to show.
    opened: Mutex<Option<String>>,
    /// The broker refused this phone's token: the phone says so and offers re-pairing.
    refused: Mutex<Option<AppError>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PhoneSim {
    /// Loads the phone from the keyring, if one was set up before.
    pub fn load() -> PhoneSim {
        let identity = keychain::phone_identity()
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str(&json).ok());
        PhoneSim {
            identity: Mutex::new(identity),
            ..PhoneSim::default()
        }
    }

    fn identity(&self) -> Result<PhoneIdentity, AppError> {
        lock(&self.identity).clone().ok_or_else(|| {
            AppError::new("phone_not_set_up", "Activate IB Key on this phone first.")
        })
    }

    fn save(&self, identity: PhoneIdentity) -> Result<(), AppError> {
        let json =
            serde_json::to_string(&identity).map_err(|e| AppError::new("phone", e.to_string()))?;
        keychain::store_phone_identity(&json)?;
        *lock(&self.identity) = Some(identity);
        *lock(&self.refused) = None;
        Ok(())
    }
}

/// Notes a refusal of this phone's token (and tells the phone window), passing the
/// error on.
fn watch_refusal(app: &AppHandle, e: AppError) -> AppError {
    if e.code == "unknown_phone" {
        *lock(&app.state::<PhoneSim>().refused) = Some(AppError::new(
            "unknown_phone",
            "The login server no longer knows this phone, so it cannot receive or approve \
             login requests. Pair it again.",
        ));
        let _ = app.emit_to("phone", "phone-changed", ());
    }
    e
}

/// Starts (or restarts) listening for this phone's requests.
pub fn start_listener(app: &AppHandle) {
    let sim = app.state::<PhoneSim>();
    let Some(identity) = lock(&sim.identity).clone() else {
        return;
    };
    let app_for_task = app.clone();
    let task =
        tauri::async_runtime::spawn(async move { listen(app_for_task, identity.token).await });
    let old = lock(&sim.listener).replace(task);
    if let Some(old) = old {
        old.abort();
    }
}

fn stop_listener(app: &AppHandle) {
    if let Some(task) = lock(&app.state::<PhoneSim>().listener).take() {
        task.abort();
    }
}

async fn listen(app: AppHandle, token: String) {
    let mut failures = 0u32;
    loop {
        let client = app.state::<Portcullis>().client();
        let Ok(client) = client else {
            tokio::time::sleep(crate::link::backoff(1)).await;
            continue;
        };
        match client.phone_events(&token).await {
            Ok(mut resp) => {
                failures = 0;
                // What ended while the stream was down has no withdrawal to hear.
                match client.phone_pushes(&token).await {
                    Ok(waiting) => reconcile(&app, &waiting),
                    Err(e) if e.code == "unknown_phone" => return refused(&app, e),
                    Err(_) => {}
                }
                let mut buf = String::new();
                while let Ok(Some(chunk)) = resp.chunk().await {
                    buf.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buf.find("\n\n") {
                        let block: String = buf.drain(..end + 2).collect();
                        handle_event(&app, &block);
                    }
                }
            }
            Err(e) if e.code == "unknown_phone" => return refused(&app, e),
            Err(e) => {
                failures += 1;
                tracing::warn!(code = %e.code, "phone event stream");
            }
        }
        // The broker went away (or ended the stream): try again, backing off.
        tokio::time::sleep(crate::link::backoff(failures.max(1))).await;
    }
}

/// The broker refused the token: nothing more will come; the phone says so.
fn refused(app: &AppHandle, e: AppError) {
    tracing::warn!("the broker refused the phone's token");
    lock(&app.state::<PhoneSim>().incoming).clear();
    notifications::close_all(app);
    watch_refusal(app, e);
}

/// Keeps only the requests the broker still has waiting.
fn reconcile(app: &AppHandle, waiting: &Value) {
    let alive: Vec<String> = waiting["pushes"]
        .as_array()
        .map(|pushes| {
            pushes
                .iter()
                .filter_map(|p| p["push_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    lock(&app.state::<PhoneSim>().incoming).retain(|id, _| alive.contains(id));
    notifications::keep_only(app, &alive);
    let _ = app.emit_to("phone", "phone-changed", ());
}

fn handle_event(app: &AppHandle, block: &str) {
    let mut name = "";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
    let Ok(event) = serde_json::from_str::<Value>(&data) else {
        return;
    };
    let sim = app.state::<PhoneSim>();
    let push_id = event
        .get("push_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match name {
        "push" => {
            let fresh = lock(&sim.incoming)
                .insert(push_id.clone(), event.clone())
                .is_none();
            if fresh {
                let username = event["username"].as_str().unwrap_or("your user");
                let opener = app.clone();
                let id = push_id.clone();
                notifications::show(app, &push_id, username, move || {
                    let _ = open_phone(&opener, Some(&id));
                });
            }
        }
        "withdrawn" => {
            lock(&sim.incoming).remove(&push_id);
            notifications::close(app, &push_id);
        }
        _ => return,
    }
    let _ = app.emit_to("phone", "phone-changed", ());
}

/// The request was answered here: it leaves the list, and its notification goes.
fn answered(app: &AppHandle, push_id: &str) {
    lock(&app.state::<PhoneSim>().incoming).remove(push_id);
    notifications::close(app, push_id);
    let _ = app.emit_to("phone", "phone-changed", ());
}

fn open_phone(app: &AppHandle, push_id: Option<&str>) -> Result<(), AppError> {
    if let Some(window) = app.get_webview_window("phone") {
        let _ = window.show();
        let _ = window.set_focus();
    } else {
        let beside = app
            .get_webview_window("login")
            .and_then(|w| Some((w.outer_position().ok()?, w.scale_factor().ok()?)))
            .map(|(pos, scale)| pos.to_logical::<f64>(scale))
            .map(|pos| ((pos.x - 360.0).max(0.0), pos.y));
        let mut builder =
            WebviewWindowBuilder::new(app, "phone", WebviewUrl::App("phone.html".into()));
        if let Some((x, y)) = beside {
            builder = builder.position(x, y);
        }
        builder
            .title("IB Key phone simulator")
            .inner_size(340.0, 640.0)
            .resizable(false)
            .build()
            .map_err(|e| AppError::new("window", e.to_string()))?;
    }
    if let Some(id) = push_id {
        let _ = app.emit_to("phone", "phone-open-request", id.to_owned());
        *lock(&app.state::<PhoneSim>().opened) = Some(id.to_owned());
    }
    Ok(())
}

/// Becomes the scenario's phone `phone_id` through the QA endpoint: a fresh token
/// and its users' keys, kept in the keyring, and a new event stream. `not_found`
/// when the broker has no such phone, or no QA controls (see [`qa_off`]).
pub async fn provision(app: &AppHandle, phone_id: &str) -> Result<(), AppError> {
    let p = app
        .state::<Portcullis>()
        .client()?
        .provision_phone(phone_id)
        .await?;
    let accounts = p["accounts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| serde_json::from_value::<PhoneAccount>(a).ok())
        .collect();
    let identity = PhoneIdentity {
        phone_id: p["phone_id"].as_str().unwrap_or_default().to_owned(),
        token: p["phone_token"].as_str().unwrap_or_default().to_owned(),
        number: None,
        accounts,
    };
    let sim = app.state::<PhoneSim>();
    sim.save(identity)?;
    lock(&sim.incoming).clear();
    notifications::close_all(app);
    start_listener(app);
    let _ = app.emit_to("phone", "phone-changed", ());
    Ok(())
}

/// After Demo → Reset demo every phone token is void. A phone that was set up becomes
/// its scenario phone again (the demo phone when it was one activated during the
/// demo, which the reset removed), so the next visitor finds it working.
pub async fn after_reset(app: &AppHandle) -> Result<(), AppError> {
    let had = lock(&app.state::<PhoneSim>().identity)
        .as_ref()
        .map(|i| i.phone_id.clone());
    *lock(&app.state::<PhoneSim>().activation) = None;
    let Some(phone_id) = had else {
        return Ok(());
    };
    match provision(app, &phone_id).await {
        Err(e) if e.code == "not_found" && phone_id != DEMO_PHONE => {
            provision(app, DEMO_PHONE).await
        }
        other => other,
    }
}

/// Forgets this phone: its keys leave the keyring, its notifications close.
pub fn forget(app: &AppHandle) -> Result<(), AppError> {
    keychain::forget_phone_identity()?;
    let sim = app.state::<PhoneSim>();
    *lock(&sim.identity) = None;
    *lock(&sim.refused) = None;
    lock(&sim.incoming).clear();
    stop_listener(app);
    notifications::close_all(app);
    Ok(())
}

/// For the demo buttons: a broker without QA controls answers `not_found`.
fn qa_off(e: AppError) -> AppError {
    match e.code.as_str() {
        "not_found" => AppError::new(
            "qa_disabled",
            "This login server does not hand out phones (its QA mode is off).",
        ),
        _ => e,
    }
}

fn pin_hash_for(
    account: &PhoneAccount,
    pin: Option<&str>,
) -> Result<(Vec<u8>, &'static str), AppError> {
    match pin {
        Some(pin) => Ok((ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin), "pin")),
        None => {
            let stored = account
                .pin_sha1_hex
                .as_deref()
                .filter(|_| account.security == "biometric")
                .ok_or_else(|| AppError::new("pin_required", "This user approves with a PIN."))?;
            let hash = hex::decode(stored)
                .map_err(|_| AppError::new("phone", "The stored passcode is damaged."))?;
            Ok((hash, "biometric"))
        }
    }
}

fn compute(account: &PhoneAccount, pin_hash: Vec<u8>, challenge: &str) -> Result<String, AppError> {
    card::response_with_pin_hash(&account.secret_hex, pin_hash, challenge)
}

/// The last four digits of a masked number (`•••• 0123`), to find its text messages.
fn masked_tail(masked: &str) -> String {
    let digits: Vec<char> = masked.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tail_keeps_the_visible_digits() {
        assert_eq!(masked_tail("•••• 0456"), "0456");
        assert_eq!(masked_tail(""), "");
    }
}
