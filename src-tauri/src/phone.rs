//! The IB Key phone simulator's Rust side: its identity and keys (in the OS keyring),
//! the event stream from the broker (SSE) with a desktop notification per request,
//! and the arithmetic of approving (K2) and of the Authenticate screen (K3). The phone
//! window (`ui/phone.html`) drives it through the commands below.

use crate::card;
use crate::error::AppError;
use crate::keychain;
use crate::Portcullis;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};

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

#[derive(Default)]
pub struct PhoneSim {
    identity: Mutex<Option<PhoneIdentity>>,
    /// Login requests waiting for an answer, by push id.
    incoming: Mutex<BTreeMap<String, Value>>,
    /// An activation under way: its id and the number the code went to.
    activation: Mutex<Option<(String, String)>>,
    listener: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// A request opened from a notification, for the phone window to show.
    opened: Mutex<Option<String>>,
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
        Ok(())
    }
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

async fn listen(app: AppHandle, token: String) {
    loop {
        let client = app.state::<Portcullis>().client();
        let Ok(client) = client else {
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        };
        match client.phone_events(&token).await {
            Ok(mut resp) => {
                let mut buf = String::new();
                while let Ok(Some(chunk)) = resp.chunk().await {
                    buf.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buf.find("\n\n") {
                        let block: String = buf.drain(..end + 2).collect();
                        handle_event(&app, &block);
                    }
                }
            }
            Err(e) => tracing::warn!(code = %e.code, "phone event stream"),
        }
        // The broker went away or refused: try again shortly.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
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
                notify(app, &event);
            }
        }
        "withdrawn" => {
            lock(&sim.incoming).remove(&push_id);
        }
        _ => return,
    }
    let _ = app.emit_to("phone", "phone-changed", ());
}

/// An incoming request raises a desktop notification; activating it opens the
/// approval screen.
fn notify(app: &AppHandle, push: &Value) {
    let username = push
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or("your user")
        .to_owned();
    let push_id = push
        .get("push_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let app = app.clone();
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Portcullis IB Key")
            .summary("IB Key: login request")
            .body(&format!(
                "Login request for {username}. Open to approve or deny."
            ))
            .action("default", "Open")
            .timeout(notify_rust::Timeout::Milliseconds(180_000))
            .show();
        match shown {
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    let _ = open_phone(&app, Some(&push_id));
                }
            }),
            Err(e) => tracing::warn!(cause = %e, "desktop notification"),
        }
    });
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

// ---- commands ----------------------------------------------------------------------

#[tauri::command]
pub fn open_phone_window(app: AppHandle) -> Result<(), AppError> {
    open_phone(&app, None)
}

#[tauri::command]
pub fn phone_status(sim: State<'_, PhoneSim>) -> Value {
    let identity = lock(&sim.identity).clone();
    let incoming: Vec<Value> = lock(&sim.incoming).values().cloned().collect();
    let opened = lock(&sim.opened).take();
    match identity {
        None => json!({ "configured": false, "activation": lock(&sim.activation).is_some() }),
        Some(id) => json!({
            "configured": true,
            "phone_id": id.phone_id,
            "number": id.number,
            "accounts": id.accounts.iter().map(|a| json!({
                "username": a.username, "device_id": a.device_id, "security": a.security,
            })).collect::<Vec<_>>(),
            "incoming": incoming,
            "opened": opened,
        }),
    }
}

/// Demo/QA: become the scenario's demo phone.
#[tauri::command]
pub async fn phone_use_demo(
    app: AppHandle,
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
) -> Result<(), AppError> {
    let p = state
        .client()?
        .provision_phone("demo-phone")
        .await
        .map_err(qa_off)?;
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
    sim.save(identity)?;
    lock(&sim.incoming).clear();
    start_listener(&app);
    Ok(())
}

fn qa_off(e: AppError) -> AppError {
    match e.code.as_str() {
        "not_found" => AppError::new(
            "qa_disabled",
            "This broker does not hand out phones (its QA mode is off).",
        ),
        _ => e,
    }
}

/// K1 (K5 when this phone is already set up): the code goes out by SMS.
#[tauri::command]
pub async fn phone_activation_start(
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
    username: String,
    password: String,
    phone_number: String,
) -> Result<Value, AppError> {
    let token = lock(&sim.identity).as_ref().map(|i| i.token.clone());
    let body = json!({ "username": username, "password": password, "phone_number": phone_number });
    let started = state
        .client()?
        .activation("start", token.as_deref(), body)
        .await?;
    let id = started["activation_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    *lock(&sim.activation) = Some((id, phone_number));
    Ok(started)
}

/// The phone's text messages (the broker's simulated SMS outbox, demo/QA only).
#[tauri::command]
pub async fn phone_messages(
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
) -> Result<Value, AppError> {
    let number = lock(&sim.activation)
        .as_ref()
        .map(|(_, n)| n.clone())
        .or_else(|| lock(&sim.identity).as_ref().and_then(|i| i.number.clone()));
    let Some(number) = number else {
        return Ok(json!({ "messages": [] }));
    };
    state.client()?.sms(&number).await.map_err(qa_off)
}

#[tauri::command]
pub async fn phone_activation_finish(
    app: AppHandle,
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
    code: String,
    security: String,
    pin: String,
) -> Result<(), AppError> {
    let (activation_id, number) = lock(&sim.activation)
        .clone()
        .ok_or_else(|| AppError::new("activation_over", "Start the activation first."))?;
    let token = lock(&sim.identity).as_ref().map(|i| i.token.clone());
    let body =
        json!({ "activation_id": activation_id, "code": code, "security": security, "pin": pin });
    let done = state
        .client()?
        .activation("finish", token.as_deref(), body)
        .await?;
    let account = PhoneAccount {
        username: done["username"].as_str().unwrap_or_default().to_owned(),
        device_id: done["device_id"].as_str().unwrap_or_default().to_owned(),
        secret_hex: done["secret_hex"].as_str().unwrap_or_default().to_owned(),
        pin_sha1_hex: (security == "biometric")
            .then(|| hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, &pin))),
        security,
    };
    let identity = match (lock(&sim.identity).clone(), done["phone_token"].as_str()) {
        (Some(mut existing), None) => {
            existing.accounts.retain(|a| a.username != account.username);
            existing.accounts.push(account);
            existing
        }
        (_, Some(new_token)) => PhoneIdentity {
            phone_id: done["phone_id"].as_str().unwrap_or_default().to_owned(),
            token: new_token.to_owned(),
            number: Some(number),
            accounts: vec![account],
        },
        (None, None) => {
            return Err(AppError::new(
                "phone",
                "The broker did not register this phone.",
            ))
        }
    };
    sim.save(identity)?;
    *lock(&sim.activation) = None;
    start_listener(&app);
    Ok(())
}

/// K2: approve with the PIN typed, or (None) with biometrics and the PIN behind them.
#[tauri::command]
pub async fn phone_approve(
    app: AppHandle,
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
    push_id: String,
    pin: Option<String>,
    picked: Option<u8>,
) -> Result<(), AppError> {
    let identity = sim.identity()?;
    let push = lock(&sim.incoming)
        .get(&push_id)
        .cloned()
        .ok_or_else(|| AppError::new("no_pending_login", "This request is no longer waiting."))?;
    let username = push["username"].as_str().unwrap_or_default();
    let account = identity.account(username)?;
    let (pin_hash, method) = pin_hash_for(account, pin.as_deref())?;
    let response = compute(
        account,
        pin_hash,
        push["challenge"].as_str().unwrap_or_default(),
    )?;
    let body = json!({ "response": response, "picked": picked, "method": method });
    let result = state
        .client()?
        .approve(&identity.token, &push_id, body)
        .await;
    lock(&sim.incoming).remove(&push_id);
    let _ = app.emit_to("phone", "phone-changed", ());
    result.map(|_| ())
}

/// K6: "I'm not logging in".
#[tauri::command]
pub async fn phone_deny(
    app: AppHandle,
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
    push_id: String,
) -> Result<(), AppError> {
    let identity = sim.identity()?;
    let result = state.client()?.deny(&identity.token, &push_id).await;
    lock(&sim.incoming).remove(&push_id);
    let _ = app.emit_to("phone", "phone-changed", ());
    result.map(|_| ())
}

/// K3: the Authenticate screen: PIN (or biometrics) + challenge → Generate Passcode.
#[tauri::command]
pub fn phone_authenticate(
    sim: State<'_, PhoneSim>,
    username: String,
    pin: Option<String>,
    challenge: String,
) -> Result<String, AppError> {
    let identity = sim.identity()?;
    let account = identity.account(&username)?;
    let (pin_hash, _) = pin_hash_for(account, pin.as_deref())?;
    compute(account, pin_hash, challenge.trim())
}

/// K7: trading access on the phone, per user.
#[tauri::command]
pub async fn phone_access(
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
) -> Result<Value, AppError> {
    let identity = sim.identity()?;
    state.client()?.phone_access(&identity.token).await
}

/// Forget this phone (its keys leave the keyring).
#[tauri::command]
pub fn phone_forget(sim: State<'_, PhoneSim>) -> Result<(), AppError> {
    keychain::forget_phone_identity()?;
    *lock(&sim.identity) = None;
    lock(&sim.incoming).clear();
    if let Some(task) = lock(&sim.listener).take() {
        task.abort();
    }
    Ok(())
}
