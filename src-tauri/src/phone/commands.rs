//! The phone window's commands: each one line over the phone core.

use crate::error::AppError;
use crate::windows;
use portcullis_api::{ActivationStep, PhoneAccessList, SmsOutbox};
use portcullis_client::phone::{PhoneSim, PhoneStatus, Repaired};
use tauri::{AppHandle, State};

#[tauri::command]
pub fn open_phone_window(app: AppHandle) -> Result<(), AppError> {
    windows::open_phone(&app)
}

#[tauri::command]
pub fn phone_status(phone: State<'_, PhoneSim>) -> PhoneStatus {
    phone.status()
}

/// Demo/QA: become the scenario's demo phone.
#[tauri::command]
pub async fn phone_use_demo(phone: State<'_, PhoneSim>) -> Result<(), AppError> {
    phone.use_demo().await
}

/// The broker refused this phone's token: pair again, or forget it (`repaired` says).
#[tauri::command]
pub async fn phone_repair(phone: State<'_, PhoneSim>) -> Result<Repaired, AppError> {
    phone.repair().await
}

/// K1 (K5 when this phone is already set up): `code_sent` or `verify_device` next.
#[tauri::command]
pub async fn phone_activation_start(
    phone: State<'_, PhoneSim>,
    username: String,
    password: String,
    phone_number: String,
) -> Result<ActivationStep, AppError> {
    phone
        .activation_start(&username, &password, &phone_number)
        .await
}

/// Item 4: the user's active device's response, before the activation code is sent.
#[tauri::command]
pub async fn phone_activation_verify(
    phone: State<'_, PhoneSim>,
    response: String,
) -> Result<ActivationStep, AppError> {
    phone.activation_verify(&response).await
}

/// The phone's text messages (the broker's simulated SMS outbox, demo/QA only).
#[tauri::command]
pub async fn phone_messages(phone: State<'_, PhoneSim>) -> Result<SmsOutbox, AppError> {
    phone.messages().await
}

#[tauri::command]
pub async fn phone_activation_finish(
    phone: State<'_, PhoneSim>,
    code: String,
    security: String,
    pin: String,
) -> Result<(), AppError> {
    phone.activation_finish(&code, &security, &pin).await
}

/// K2: approve with the PIN typed, or (None) with biometrics and the PIN behind them.
#[tauri::command]
pub async fn phone_approve(
    phone: State<'_, PhoneSim>,
    push_id: String,
    pin: Option<String>,
    picked: Option<u8>,
) -> Result<(), AppError> {
    phone.approve(&push_id, pin.as_deref(), picked).await
}

/// K6: "I'm not logging in".
#[tauri::command]
pub async fn phone_deny(phone: State<'_, PhoneSim>, push_id: String) -> Result<(), AppError> {
    phone.deny(&push_id).await
}

/// K3: the Authenticate screen: PIN (or biometrics) + challenge → Generate Passcode.
#[tauri::command]
pub fn phone_authenticate(
    phone: State<'_, PhoneSim>,
    username: String,
    pin: Option<String>,
    challenge: String,
) -> Result<String, AppError> {
    phone.authenticate(&username, pin.as_deref(), &challenge)
}

/// K7: trading access on the phone, per user.
#[tauri::command]
pub async fn phone_access(phone: State<'_, PhoneSim>) -> Result<PhoneAccessList, AppError> {
    phone.access().await
}

/// Forget this phone (its keys leave the keyring).
#[tauri::command]
pub fn phone_forget(phone: State<'_, PhoneSim>) -> Result<(), AppError> {
    phone.forget()
}
