//! The phone window's commands: each a few lines over the broker client and the
//! phone's state in `super`.

use super::{
    answered, compute, lock, masked_tail, open_phone, pin_hash_for, qa_off, watch_refusal,
    Activation, PhoneAccount, PhoneIdentity, PhoneSim, DEMO_PHONE,
};
use crate::error::AppError;
use crate::Portcullis;
use serde_json::{json, Value};
use tauri::{AppHandle, State};

#[tauri::command]
pub fn open_phone_window(app: AppHandle) -> Result<(), AppError> {
    open_phone(&app, None)
}

#[tauri::command]
pub fn phone_status(sim: State<'_, PhoneSim>) -> Value {
    let identity = lock(&sim.identity).clone();
    let incoming: Vec<Value> = lock(&sim.incoming).values().cloned().collect();
    let opened = lock(&sim.opened).take();
    let refused = lock(&sim.refused).clone();
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
            "refused": refused,
        }),
    }
}

/// Demo/QA: become the scenario's demo phone.
#[tauri::command]
pub async fn phone_use_demo(app: AppHandle) -> Result<(), AppError> {
    super::provision(&app, DEMO_PHONE).await.map_err(qa_off)
}

/// The broker refused this phone's token: become the same scenario phone again with
/// a fresh token (demo/QA), or — for a phone the broker no longer has — forget it so
/// it can be activated again. `repaired` says which.
#[tauri::command]
pub async fn phone_repair(app: AppHandle, sim: State<'_, PhoneSim>) -> Result<Value, AppError> {
    let phone_id = sim.identity()?.phone_id;
    match super::provision(&app, &phone_id).await {
        Ok(()) => Ok(json!({ "repaired": true })),
        Err(e) if e.code == "not_found" => {
            super::forget(&app)?;
            Ok(json!({ "repaired": false }))
        }
        Err(e) => Err(e),
    }
}

/// K1 (K5 when this phone is already set up). The answer's `status` says what comes
/// next: `code_sent` (an activation code went by SMS) or `verify_device` (item 4: the
/// user's active second factor first).
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
    let verify_sms_to =
        (started["status"] == "verify_device" && started["method"] == "sms").then(|| {
            started["masked_number"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
    *lock(&sim.activation) = Some(Activation {
        id: started["activation_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        number: phone_number,
        verify_sms_to,
    });
    Ok(started)
}

/// Item 4: the response of the user's active device (or the SMS code sent to the
/// number on record); answers like `start`'s `code_sent`. A wrong one ends the
/// activation (start again).
#[tauri::command]
pub async fn phone_activation_verify(
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
    response: String,
) -> Result<Value, AppError> {
    let activation = lock(&sim.activation)
        .clone()
        .ok_or_else(|| AppError::new("activation_over", "Start the activation first."))?;
    let token = lock(&sim.identity).as_ref().map(|i| i.token.clone());
    let body = json!({ "activation_id": activation.id, "response": response.trim() });
    match state
        .client()?
        .activation("verify", token.as_deref(), body)
        .await
    {
        Ok(sent) => {
            if let Some(a) = lock(&sim.activation).as_mut() {
                a.verify_sms_to = None;
            }
            Ok(sent)
        }
        Err(e) => {
            if !e.is_connection() {
                *lock(&sim.activation) = None;
            }
            Err(e)
        }
    }
}

/// The phone's text messages (the broker's simulated SMS outbox, demo/QA only). While
/// a verification code went to the number on record, that number's messages.
#[tauri::command]
pub async fn phone_messages(
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
) -> Result<Value, AppError> {
    let activation = lock(&sim.activation).clone();
    if let Some(masked) = activation.as_ref().and_then(|a| a.verify_sms_to.clone()) {
        let tail = masked_tail(&masked);
        let all = state.client()?.sms(None).await.map_err(qa_off)?;
        let messages: Vec<Value> = all["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["number"].as_str().is_some_and(|n| n.ends_with(&tail)))
            .collect();
        return Ok(json!({ "messages": messages }));
    }
    let number = activation
        .map(|a| a.number)
        .or_else(|| lock(&sim.identity).as_ref().and_then(|i| i.number.clone()));
    let Some(number) = number else {
        return Ok(json!({ "messages": [] }));
    };
    state.client()?.sms(Some(&number)).await.map_err(qa_off)
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
    let activation = lock(&sim.activation)
        .clone()
        .ok_or_else(|| AppError::new("activation_over", "Start the activation first."))?;
    let token = lock(&sim.identity).as_ref().map(|i| i.token.clone());
    let body =
        json!({ "activation_id": activation.id, "code": code, "security": security, "pin": pin });
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
            number: Some(activation.number),
            accounts: vec![account],
        },
        (None, None) => {
            return Err(AppError::new(
                "phone",
                "The login server did not register this phone.",
            ))
        }
    };
    sim.save(identity)?;
    *lock(&sim.activation) = None;
    super::start_listener(&app);
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
    answered(&app, &push_id);
    result.map(|_| ()).map_err(|e| watch_refusal(&app, e))
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
    answered(&app, &push_id);
    result.map(|_| ()).map_err(|e| watch_refusal(&app, e))
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
    app: AppHandle,
    state: State<'_, Portcullis>,
    sim: State<'_, PhoneSim>,
) -> Result<Value, AppError> {
    let identity = sim.identity()?;
    state
        .client()?
        .phone_access(&identity.token)
        .await
        .map_err(|e| watch_refusal(&app, e))
}

/// Forget this phone (its keys leave the keyring).
#[tauri::command]
pub fn phone_forget(app: AppHandle) -> Result<(), AppError> {
    super::forget(&app)
}
