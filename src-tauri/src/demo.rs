//! Demonstrators reset the broker between visitors (it must run with `--qa`, as the
//! bundled one does).

use crate::error::AppError;
use crate::link::Line;
use portcullis_client::phone::PhoneSim;
use tauri::State;

/// Every phone token is void after a reset, so the phone simulator is provisioned
/// again (issue 6, item 12); card keys come from the scenario and stay valid.
#[tauri::command]
pub async fn demo_reset(line: State<'_, Line>, phone: State<'_, PhoneSim>) -> Result<(), AppError> {
    line.client()?.reset().await.map_err(|e| {
        e.or_qa_disabled("This login server does not allow a reset (its QA mode is off).")
    })?;
    phone.after_reset().await
}
